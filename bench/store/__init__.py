"""``passend bench store``: Passend's event store against eventsourcing and bare asyncpg.

The workload of ``../shared/bench`` (20,000 events over 1,000 streams, ~300-byte JSON state,
generated before timing) runs through three implementations on one PostgreSQL server:

* ``passend``: ``PostgresEventStore.append`` / ``read_log_pages`` with real domain events of a bench
  aggregate, so its figures include encoding, hashing and decoding, the pool and row-level
  security (it logs in as ``passend_app``).
* ``eventsourcing``: the eventsourcing 9.5.6 ``PostgresApplicationRecorder`` (psycopg 3), given
  pre-serialised ``StoredEvent`` objects to write; its reads decode every ``Notification`` into a
  domain event with eventsourcing's own ``Mapper``, as an eventsourcing application would.
* ``limit``: bare asyncpg on a held connection, the counter-row CTE insert of
  ``../shared/bench/limit_asyncpg.py`` (gapless per-tenant positions, one round trip); its reads
  only fetch the rows.
* ``bare_schema``: bare asyncpg on held connections calling Passend's own SQL functions on
  Passend's own tables as ``passend_app``, with every argument (encoded payload, hashes, ids)
  prepared before timing; its reads only fetch the rows. Passend ÷ bare_schema is what the
  store's Python costs; bare_schema ÷ limit is what the schema and its SQL cost. Not a target.

Phases: ``per_event`` (one event per transaction), ``batch`` (10 events of one stream per
transaction), ``concurrent`` (4 writers, one event per transaction; 4 tenants for Passend and
the limit, 4 threads on one table for eventsourcing, which has no tenants) and ``read`` (the
tenant log in pages of 500, 5 passes, after ``VACUUM ANALYZE`` and one untimed pass). Every
write phase starts from empty tables; runs alternate between implementations phase by phase.

Before timing, the harness's own objects (the workload: about 130,000 objects) are frozen out of
the garbage collector (``gc.freeze``), as a service would freeze its heap after start-up; every
implementation's own allocations are still collected.

The table shows events/s (min / median / max over the runs), client CPU per event
(``time.process_time``), server CPU per event (the PostgreSQL processes, when the server runs
on this machine) and WAL bytes per event. The last line printed is one JSON object.
"""
