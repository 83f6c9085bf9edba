"""The PostgreSQL store's single-event path and the pool connections it keeps between calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import pytest

from domain.ids import TenantId
from infrastructure.database import Pool, create_pool, scoped_connection, tenant_read
from infrastructure.event_codec import EventCodec
from infrastructure.event_store import PostgresEventStore
from tests.conftest import new_tenant_id
from tests.integration.events import META, append_without_commit, note_events

pytestmark = pytest.mark.integration


async def _tenant(store: PostgresEventStore) -> TenantId:
    tenant = new_tenant_id()
    await store.register_tenant(tenant)
    return tenant


async def _eventually(condition: Callable[[], bool], seconds: float = 3) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_the_same_single_event_again_returns_its_original_position(
    pg_store: PostgresEventStore,
) -> None:
    tenant = await _tenant(pg_store)
    await pg_store.append(tenant, note_events(2), expected_version=0, metadata=META)
    event = note_events(1)
    first = await pg_store.append(tenant, event, expected_version=0, metadata=META)
    again = await pg_store.append(tenant, event, expected_version=0, metadata=META)
    assert (first.first_position, first.last_position, first.stream_version) == (3, 3, 1)
    assert again == first
    assert [r.position for r in await pg_store.read_log(tenant)] == [1, 2, 3]
    assert (await pg_store.verify_chain(tenant)).intact


async def test_kept_connections_go_back_to_the_pool_when_idle_and_at_close(
    database_dsns: tuple[str, str], codec: EventCodec
) -> None:
    pool = await create_pool(database_dsns[1], min_size=0, max_size=4)
    try:
        store = PostgresEventStore(pool, codec)
        tenant = await _tenant(store)
        await asyncio.gather(
            *(
                store.append(tenant, note_events(1), expected_version=0, metadata=META)
                for _ in range(6)
            )
        )
        assert pool.get_idle_size() < pool.get_size(), "the store keeps some between calls"
        assert await _eventually(lambda: pool.get_idle_size() == pool.get_size())

        await store.append(tenant, note_events(1), expected_version=0, metadata=META)
        assert pool.get_idle_size() < pool.get_size()
        await store.close()
        assert pool.get_idle_size() == pool.get_size()
        assert len(await store.read_log(tenant)) == 7
        await store.close()
    finally:
        await asyncio.wait_for(pool.close(), timeout=5)


async def test_the_store_keeps_at_most_its_limit_and_others_can_still_check_out(
    database_dsns: tuple[str, str], codec: EventCodec
) -> None:
    pool = await create_pool(database_dsns[1], min_size=0, max_size=3)
    try:
        store = PostgresEventStore(pool, codec, held_connections=2)
        tenant = await _tenant(store)
        await asyncio.gather(
            *(
                store.append(tenant, note_events(1), expected_version=0, metadata=META)
                for _ in range(8)
            )
        )
        async with pool.acquire() as other:
            assert await asyncio.wait_for(other.fetchval("SELECT 1"), timeout=1) == 1
        await store.close()
    finally:
        await asyncio.wait_for(pool.close(), timeout=5)


async def test_an_append_cancelled_while_it_waits_gives_its_connection_back(
    database_dsns: tuple[str, str], codec: EventCodec
) -> None:
    pool: Pool = await create_pool(database_dsns[1], min_size=0, max_size=2)
    holder = await asyncpg.connect(database_dsns[1])
    try:
        store = PostgresEventStore(pool, codec)
        tenant = await _tenant(store)
        transaction = await append_without_commit(holder, store, tenant, note_events(1))
        blocked = asyncio.create_task(
            store.append(tenant, note_events(1), expected_version=0, metadata=META)
        )
        await asyncio.sleep(0.3)
        assert not blocked.done()
        blocked.cancel()
        with pytest.raises(asyncio.CancelledError):
            await blocked
        await transaction.rollback()
        done = await asyncio.wait_for(
            store.append(tenant, note_events(1), expected_version=0, metadata=META),
            timeout=5,
        )
        assert (done.first_position, done.last_position) == (1, 1)
        await store.close()
        assert pool.get_idle_size() == pool.get_size()
    finally:
        await holder.close()
        await asyncio.wait_for(pool.close(), timeout=5)


async def test_a_scoped_checkout_goes_back_without_the_reset_and_with_its_transaction_undone(
    database_dsns: tuple[str, str],
) -> None:
    pool = await create_pool(database_dsns[1], min_size=1, max_size=1)
    setting = "SELECT current_setting('passend.probe', true)"
    try:
        async with pool.acquire() as conn:
            await conn.execute("SELECT set_config('passend.probe', 'kept', false)")
        async with pool.acquire() as conn:
            assert await conn.fetchval(setting) in {None, ""}, "a plain checkout is reset"

        async with scoped_connection(pool) as conn:
            await conn.execute("SELECT set_config('passend.probe', 'kept', false)")
            transaction = conn.transaction()
            await transaction.start()
            await conn.execute("SELECT set_config('passend.probe', 'in a transaction', true)")
        async with scoped_connection(pool) as conn:
            # what a scoped checkout must not leave behind (a session setting) is still there:
            # no reset query ran; the open transaction was rolled back all the same
            assert await conn.fetchval(setting) == "kept"
            assert not conn.is_in_transaction()
    finally:
        await asyncio.wait_for(pool.close(), timeout=5)


ARRAYS = ("uuid", "text", "bigint", "int", "int2", "bool", "bytea", "jsonb", "date", "timestamptz")
"""The element types of the arrays the application's queries pass."""


async def test_a_new_connection_knows_the_array_types_before_its_first_statement(
    database_dsns: tuple[str, str],
) -> None:
    pool = await create_pool(database_dsns[1], min_size=1, max_size=1)
    queries: list[str] = []
    try:
        async with pool.acquire() as conn:
            conn.add_query_logger(lambda logged: queries.append(logged.query))
            for array in ARRAYS:
                await conn.fetchval(f"SELECT cardinality($1::{array}[])", [])
        # asyncpg looks up a type it has no codec for (these arrays) once per connection, with
        # three queries of its own, on whichever request first uses it: under load, on the
        # requests that made the pool open the connection.
        lookups = [q for q in queries if "typeinfo_tree" in q or "'jit'" in q]
        assert lookups == []
    finally:
        await asyncio.wait_for(pool.close(), timeout=5)


_HEADS = "SELECT tenant_id FROM tenant_heads ORDER BY tenant_id"


async def test_a_tenant_read_shows_one_tenant_in_three_round_trips_and_writes_nothing(
    database_dsns: tuple[str, str], pg_store: PostgresEventStore
) -> None:
    tenant, other = await _tenant(pg_store), await _tenant(pg_store)
    pool = await create_pool(database_dsns[1], min_size=1, max_size=1)
    queries: list[str] = []
    try:
        async with scoped_connection(pool) as conn:
            conn.add_query_logger(lambda logged: queries.append(logged.query))
            async with tenant_read(conn, tenant):
                seen = [r[0] for r in await conn.fetch(_HEADS)]
            assert seen == [tenant], "row-level security shows the named tenant only"
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT current_setting('app.tenant_id', true)") in {
                None,
                "",
            }, "the setting ends with the transaction"
            # BEGIN with the setting, the query, COMMIT (then the check above)
            assert queries[:3] == [queries[0], _HEADS, "COMMIT"], queries
            assert queries[0].startswith("BEGIN READ ONLY; SELECT set_config"), queries

            with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
                async with tenant_read(conn, other):
                    await conn.execute("UPDATE tenant_heads SET last_position = last_position")
            assert not conn.is_in_transaction(), "a failed read is rolled back"

            # inside a transaction it is a savepoint, as tenant_transaction is
            async with conn.transaction():
                async with tenant_read(conn, other):
                    seen = [r[0] for r in await conn.fetch(_HEADS)]
                assert conn.is_in_transaction()
            assert seen == [other]
    finally:
        await asyncio.wait_for(pool.close(), timeout=5)


async def test_a_tenant_id_that_is_not_plain_is_bound_as_a_parameter(
    database_dsns: tuple[str, str],
) -> None:
    pool = await create_pool(database_dsns[1], min_size=1, max_size=1)
    try:
        async with scoped_connection(pool) as conn:
            for odd in ("o'neil", "a$$b", "x\\y"):
                async with tenant_read(conn, TenantId(odd)):
                    assert await conn.fetchval("SELECT current_setting('app.tenant_id')") == odd
                    assert await conn.fetch(_HEADS) == []
    finally:
        await asyncio.wait_for(pool.close(), timeout=5)
