"""The platform log's record of a tenant: opened, suspended, reinstated, and nothing twice."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.errors import InvalidValueError
from domain.registry import AGGREGATE_CLASSES
from domain.tenancy import Tenancy, TenancyStateError, tenancy_stream_id
from infrastructure.event_codec import EventCodec

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OPERATOR = "platform-operator:ops-1"


def opened() -> Tenancy:
    return Tenancy.open(code="PO2604", name="Passenderwijs", by=OPERATOR, at=AT)


def test_a_tenancy_is_one_stream_per_swv_code() -> None:
    assert opened().id == tenancy_stream_id("PO2604") != tenancy_stream_id("VO2604")


def test_only_an_swv_code_is_opened() -> None:
    with pytest.raises(InvalidValueError, match="not an SWV code"):
        Tenancy.open(code="PLATFORM", name="x", by=OPERATOR, at=AT)


def test_a_suspended_tenant_is_reinstated_once_and_not_suspended_twice() -> None:
    tenancy = opened()
    tenancy.suspend(reason="Contract beëindigd.", by=OPERATOR, at=AT)
    with pytest.raises(TenancyStateError):
        tenancy.suspend(reason="Nogmaals.", by=OPERATOR, at=AT)
    tenancy.reinstate(reason="Contract verlengd.", by=OPERATOR, at=AT)
    with pytest.raises(TenancyStateError):
        tenancy.reinstate(reason="Nogmaals.", by=OPERATOR, at=AT)
    assert not tenancy.suspended


def test_every_tenancy_event_survives_the_codec_and_rebuilds_the_tenancy() -> None:
    tenancy = opened()
    tenancy.suspend(reason="Beveiligingsincident.", by=OPERATOR, at=AT)
    tenancy.start_key_rotation(kek_id="kek-2", reason="Jaarlijks.", by=OPERATOR, at=AT)
    tenancy.complete_key_rotation(
        rewrapped=3, already_current=1, shredded_meanwhile=0, unreadable=0, by=OPERATOR, at=AT
    )
    tenancy.record_export(
        last_position=3, chain_hash="cd" * 32, export_sha256="ab" * 32, by=OPERATOR, at=AT
    )
    tenancy.erase(
        last_position=3,
        chain_hash="cd" * 32,
        export_sha256="ab" * 32,
        rows_deleted=40,
        keks_destroyed=["kek-1", "kek-2"],
        reason="Overeenkomst beëindigd.",
        by=OPERATOR,
        at=AT,
    )
    codec = EventCodec(AGGREGATE_CLASSES)
    rebuilt: Tenancy | None = None
    for event in tenancy.collect_events():
        event_id = uuid4()
        encoded = codec.encode(event, tenant_id="PLATFORM", event_id=event_id)
        decoded = codec.decode(
            event_type=encoded.event_type,
            schema_version=encoded.schema_version,
            payload=encoded.payload,
            stream_id=tenancy.id,
            stream_version=event.originator_version,
            tenant_id="PLATFORM",
            event_id=event_id,
        )
        assert decoded == event
        rebuilt = decoded.mutate(rebuilt)
    assert rebuilt == tenancy


SHA = "ab" * 32


def exported_at(position: int) -> Tenancy:
    tenancy = opened()
    tenancy.suspend(reason="Contract beëindigd.", by=OPERATOR, at=AT)
    tenancy.record_export(
        last_position=position, chain_hash="cd" * 32, export_sha256=SHA, by=OPERATOR, at=AT
    )
    return tenancy


def test_a_tenant_is_exported_for_leaving_only_while_suspended() -> None:
    with pytest.raises(TenancyStateError, match="Suspend"):
        opened().record_export(
            last_position=3, chain_hash="cd" * 32, export_sha256=SHA, by=OPERATOR, at=AT
        )


@pytest.mark.parametrize(
    ("position", "sha", "refusal"),
    [(4, SHA, "changed after its export"), (3, "ef" * 32, "not the hash")],
)
def test_erasure_needs_the_export_of_the_log_as_it_stands(
    position: int, sha: str, refusal: str
) -> None:
    with pytest.raises(TenancyStateError, match=refusal):
        exported_at(3).ensure_erasable(last_position=position, export_sha256=sha)


def test_an_erased_tenant_is_neither_reinstated_nor_erased_again() -> None:
    tenancy = exported_at(3)
    tenancy.erase(
        last_position=3,
        chain_hash="cd" * 32,
        export_sha256=SHA,
        rows_deleted=40,
        keks_destroyed=["kek-1"],
        reason="Overeenkomst beëindigd.",
        by=OPERATOR,
        at=AT,
    )
    assert tenancy.erased
    with pytest.raises(TenancyStateError, match="left the platform"):
        tenancy.reinstate(reason="Toch niet.", by=OPERATOR, at=AT)
    with pytest.raises(TenancyStateError, match="left the platform"):
        tenancy.ensure_erasable(last_position=3, export_sha256=SHA)


def test_an_erased_tenant_gets_no_new_kek() -> None:
    tenancy = exported_at(3)
    tenancy.erase(
        last_position=3,
        chain_hash="cd" * 32,
        export_sha256=SHA,
        rows_deleted=40,
        keks_destroyed=["kek-1"],
        reason="Overeenkomst beëindigd.",
        by=OPERATOR,
        at=AT,
    )
    with pytest.raises(TenancyStateError, match="left the platform"):
        tenancy.ensure_key_rotatable()
    with pytest.raises(TenancyStateError, match="left the platform"):
        tenancy.start_key_rotation(kek_id="kek-2", reason="Jaarlijks.", by=OPERATOR, at=AT)


def test_a_tenant_is_not_erased_while_its_key_rotation_runs() -> None:
    tenancy = exported_at(3)
    tenancy.start_key_rotation(kek_id="kek-2", reason="Jaarlijks.", by=OPERATOR, at=AT)
    with pytest.raises(TenancyStateError, match="has not completed"):
        tenancy.ensure_erasable(last_position=3, export_sha256=SHA)
    tenancy.complete_key_rotation(
        rewrapped=3, already_current=0, shredded_meanwhile=0, unreadable=0, by=OPERATOR, at=AT
    )
    tenancy.ensure_erasable(last_position=3, export_sha256=SHA)


def test_an_export_is_needed_before_erasure() -> None:
    tenancy = opened()
    tenancy.suspend(reason="Contract beëindigd.", by=OPERATOR, at=AT)
    with pytest.raises(TenancyStateError, match="before erasing"):
        tenancy.ensure_erasable(last_position=3, export_sha256=SHA)


def test_one_key_rotation_runs_at_a_time_and_each_completes_once() -> None:
    tenancy = opened()
    tenancy.start_key_rotation(kek_id="kek-2", reason="Jaarlijks.", by=OPERATOR, at=AT)
    with pytest.raises(TenancyStateError, match="has not completed"):
        tenancy.start_key_rotation(kek_id="kek-3", reason="Nogmaals.", by=OPERATOR, at=AT)
    assert tenancy.running_key_rotation is not None
    assert tenancy.running_key_rotation.kek_id == "kek-2"
    tenancy.complete_key_rotation(
        rewrapped=3, already_current=1, shredded_meanwhile=0, unreadable=0, by=OPERATOR, at=AT
    )
    with pytest.raises(TenancyStateError, match="No key rotation"):
        tenancy.complete_key_rotation(
            rewrapped=0, already_current=4, shredded_meanwhile=0, unreadable=0, by=OPERATOR, at=AT
        )
    tenancy.start_key_rotation(kek_id="kek-3", reason="Incident.", by=OPERATOR, at=AT)
    assert [(r.number, r.kek_id, r.completed_at) for r in tenancy.key_rotations] == [
        (1, "kek-2", AT),
        (2, "kek-3", None),
    ]
    assert tenancy.key_rotations[0].rewrapped == 3


def test_a_key_rotation_needs_a_reason() -> None:
    with pytest.raises(InvalidValueError) as refused:
        opened().start_key_rotation(kek_id="kek-2", reason=" ", by=OPERATOR, at=AT)
    assert refused.value.fields == ("reason",)
