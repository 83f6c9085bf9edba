"""Every refusal by a rule names the command field(s) it is about, read from the code itself.

Each ``raise`` of a ``DomainError`` in the domain and the application is found in the source:
one that is not a state conflict (409, which names no field, see api/docs.py) passes
``fields=`` with at least one field, and every field it names literally is a field of a
command, so that the API's JSON pointer leads somewhere. No rule class is left unraised.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest

import application.commands
from domain.errors import DomainError, StateConflictError
from domain.registry import AGGREGATE_CLASSES

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted([*(ROOT / "domain").glob("*.py"), *(ROOT / "application").rglob("*.py")])
# Aggregates without commands yet (#18, retention runs by itself): their fields are their own.
WITHOUT_COMMANDS = {"transition.py", "retention.py"}
FIELD_HELPERS = {
    "require_text": "field",
    "check_plausible_date": "field",
    "check_not_after": "field",
    "check_municipality_code": "field",
}


def rule_classes() -> dict[str, type[DomainError]]:
    assert AGGREGATE_CLASSES  # every domain module, and with it every rule, is loaded
    found: dict[str, type[DomainError]] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        rule = pending.pop()
        found[rule.__name__] = rule
        pending.extend(rule.__subclasses__())
    return found


RULES = rule_classes()


@dataclass(frozen=True)
class Raise:
    where: str
    rule: type[DomainError]
    fields: ast.expr | None


def _called(node: ast.expr | None) -> ast.Call | None:
    return node if isinstance(node, ast.Call) else None


def raises() -> Iterator[Raise]:
    for source in SOURCES:
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            call = _called(node.exc) if isinstance(node, ast.Raise) else None
            if call is None or not isinstance(call.func, ast.Name) or call.func.id not in RULES:
                continue
            given = next((k.value for k in call.keywords if k.arg == "fields"), None)
            where = f"{source.relative_to(ROOT)}:{call.lineno}"
            yield Raise(where, RULES[call.func.id], given)


def helper_calls() -> Iterator[tuple[str, ast.expr | None]]:
    for source in SOURCES:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                if name in FIELD_HELPERS:
                    given = next((k.value for k in node.keywords if k.arg == "field"), None)
                    yield f"{source.relative_to(ROOT)}:{node.lineno}", given


def command_fields() -> set[str]:
    commands = [
        value
        for value in vars(application.commands).values()
        if isinstance(value, type) and issubclass(value, application.commands.Command)
    ]
    return {f.name for command in commands for f in msgspec.structs.fields(command)}


def literal_names(value: ast.expr | None) -> list[str]:
    if isinstance(value, ast.Tuple):
        return [
            e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    return []


RAISES = list(raises())


def test_the_source_is_searched_where_the_rules_are_raised() -> None:
    assert len(RAISES) > 150
    assert {r.rule.__name__ for r in RAISES} >= {"InvalidValueError", "RequestAlreadyDecidedError"}


@pytest.mark.parametrize("raised", RAISES, ids=[r.where for r in RAISES])
def test_every_refusal_but_a_state_conflict_names_at_least_one_field(raised: Raise) -> None:
    if issubclass(raised.rule, StateConflictError):
        return
    given = raised.fields
    assert given is not None, f"{raised.where}: {raised.rule.__name__} names no field"
    assert not (isinstance(given, ast.Tuple) and not given.elts), f"{raised.where}: empty fields"


def test_every_field_helper_is_told_its_field() -> None:
    assert [where for where, given in helper_calls() if given is None] == []


def test_every_field_a_rule_names_is_a_field_of_a_command() -> None:
    known = command_fields()
    named = [
        (r.where, name)
        for r in RAISES
        if Path(r.where.split(":")[0]).name not in WITHOUT_COMMANDS
        for name in literal_names(r.fields)
    ] + [
        (where, name)
        for where, given in helper_calls()
        if Path(where.split(":")[0]).name not in WITHOUT_COMMANDS
        for name in literal_names(given)
    ]
    assert named
    assert [(where, name) for where, name in named if name not in known] == []


def test_every_rule_is_raised_somewhere_or_is_the_base_of_those_that_are() -> None:
    raised = {r.rule for r in RAISES}
    unused = [
        name
        for name, rule in RULES.items()
        if rule not in raised and not any(issubclass(r, rule) for r in raised)
    ]
    assert unused == []
