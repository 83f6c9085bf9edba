"""What an answer shows, found by scanning its bytes: the same as walking the decoded answer."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import msgspec
from hypothesis import example, given
from hypothesis import strategies as st

from api.personal_reads import PERSONAL_FIELDS, Shown, shown_in

PUPIL_KEYS = ("pupil_id", "pupil_ids")


def walked(value: object) -> Shown:
    """The meaning: every pupil id and every personal field with a value, at any depth."""
    pupils: set[uuid.UUID] = set()
    fields: set[str] = set()
    for key, item in _pairs(value):
        if key in PUPIL_KEYS:
            named = item if isinstance(item, list) else [item]
            pupils.update(uuid.UUID(v) for v in named if isinstance(v, str) and _is_uuid(v))
        elif key in PERSONAL_FIELDS and item not in (None, ""):
            fields.add(key)
    return Shown(tuple(sorted(pupils, key=str)), tuple(sorted(fields)))


def _pairs(value: object) -> Iterator[tuple[str, object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _pairs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _pairs(item)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# Texts that look like keys and lists from inside a string: quotes, braces, brackets, commas.
tricky_text = st.text(alphabet=st.sampled_from('ab"\\{}[],: _\n'), max_size=30) | st.sampled_from(
    ['","pupil_id":"', '{"name":"x"}', "\\", '\\"', "", ',"pupil_ids":["']
)
pupil_ids = st.uuids().map(str)
scalars = st.none() | st.booleans() | st.integers() | tricky_text | pupil_ids
# keys that end in a shown key after an escaped quote show nothing
keys = st.sampled_from(sorted(PERSONAL_FIELDS)) | st.sampled_from(
    ["other", "items", "pupils", 'x"name', 'x"pupil_id']
)
pupil_values = st.none() | pupil_ids | tricky_text | st.lists(pupil_ids, max_size=4)
pupils_named = st.dictionaries(st.sampled_from(PUPIL_KEYS), pupil_values, min_size=1)
values = st.recursive(
    scalars | pupils_named,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)


@given(values)
# a key ending in an escaped quote and a shown key, whose value holds a real one
@example({'x"pupil_id': [{"pupil_id": "f728b4fa-4248-5e3a-0a5d-2f346baa9455"}]})
@example({'x"name': {"name": "x"}, 'x"pupil_id': "[]", "pupil_ids": []})
def test_scanning_an_answer_finds_what_walking_it_finds(answer: object) -> None:
    assert shown_in(msgspec.json.encode(answer)) == walked(answer)


def test_a_list_of_deadlines_names_each_pupil_once_and_no_personal_field() -> None:
    pupils = [uuid.uuid4() for _ in range(3)]
    answer = {"items": [{"pupil_id": str(p), "subject": None, "name": ""} for p in pupils * 2]}
    shown = shown_in(msgspec.json.encode(answer))
    assert shown == Shown(tuple(sorted(pupils, key=str)), ())


def test_an_answer_with_white_space_is_read_the_same() -> None:
    pupil = uuid.uuid4()
    answer = f'{{ "pupil": {{ "pupil_id" : "{pupil}", "name" : "Sam" }} }}'.encode()
    assert shown_in(answer) == Shown((pupil,), ("name",))
