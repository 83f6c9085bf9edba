"""Integration events: what a basis withholds is optional in the schema, pupils are pseudonyms."""

from uuid import uuid4

import msgspec

from application.integration_events import DATA_TYPES, data_schema, pseudonym
from domain.subscription import BASIS_RULES


def test_every_field_a_basis_withholds_is_optional_where_it_appears() -> None:
    for event_type, cls in DATA_TYPES.items():
        required = set(data_schema(event_type).get("required", []))
        fields = {f.name for f in msgspec.structs.fields(cls)}
        for rules in BASIS_RULES.values():
            assert not (rules.withheld_fields & fields & required), (event_type, rules.types)


def test_a_pupil_has_another_pseudonym_in_every_subscription() -> None:
    key, pupil = b"k" * 32, uuid4()
    first, second = uuid4(), uuid4()
    assert pseudonym(key, first, pupil) == pseudonym(key, first, pupil)
    assert pseudonym(key, first, pupil) != pseudonym(key, second, pupil)
    assert str(pupil) not in pseudonym(key, first, pupil)
