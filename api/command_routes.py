"""Command routes from tables: one row per command, and the Litestar handlers built from them.

A command's request body *is* its application ``Command``: decoded strictly (no strings for
numbers, dates or booleans; unknown fields refused) with the ids named in the path merged in.
Its fields, bounds and descriptions are declared once, on the command.

To add a command:

1. the domain method (and its event, registered in the codec under a versioned topic);
2. the ``Command`` in application/commands.py and its handler in application/handlers/ (for
   one method on one aggregate, ``@changes(Kind, "kind_id", rule=…)`` on a function that calls
   it: application/handling.py);
3. one ``CommandRoute`` row in the resource's table (api/routes/<resource>.py): method, path
   below the resource, command, handler, role guard, operationId and summary (the object
   rule, the caller's relation to what is changed, is applied by the handler in its one load);
4. its tests.

Nothing else: the route, its OpenAPI entry (body schema, examples, errors, headers) and the
answer (201 with ``Location`` for a row that ``creates``, else 200, with ``ETag``) follow.
A ``DELETE`` takes no body: its command is the path's ids, its other fields their defaults.

What a few commands need beyond their handler is data on the row too: ``checks`` that need
the server's settings before anything is written (a webhook URL that must resolve to public
addresses), ``then`` steps outside the event store once the command is recorded (wake the
delivery worker), and an ``answer`` other than the recorded version (a bulk result, secrets).
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import re
import textwrap
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, get_type_hints

import msgspec
from litestar import Request, Response, Router
from litestar.datastructures import ResponseHeader, State
from litestar.di import NamedDependency, Provide
from litestar.dto import AbstractDTO, DTOFieldDefinition
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Example, Reference, Schema
from litestar.params import Body
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.types import ControllerRouterHandler
from litestar.typing import FieldDefinition

from api.auth import Principal
from api.authorisation import Guard
from api.dependencies import CommandRunner, Commands, provide_create_context
from api.schemas.common import COMMAND_ERRORS, CommandAccepted, accepted, problems
from api.schemas.headers import ETAG, LOCATION
from application.commands import Command

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Done:
    """A recorded command, as a row's ``then`` steps and its ``answer`` see it."""

    command: Any
    outcome: Any
    principal: Principal
    commands: CommandRunner
    state: State


Check = Callable[[Any, State], Awaitable[None]]
"""Refuses a command (4xx) before the handler runs; it writes nothing."""
Step = Callable[[Done], Awaitable[None]]
Answer = Callable[[Done], Awaitable[Any]]

_PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")
_AT = re.compile(r" - at `\$([^`]*)`$")
_NAMED = re.compile(r"field `([^`]+)`")


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandRoute:
    """One command of a resource, as the API offers it."""

    method: Literal["POST", "PUT", "DELETE"]
    path: str
    command: type[Command]
    handler: Handler
    guard: Guard
    operation_id: str
    summary: str
    description: str | None = None
    examples: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    creates: str | None = None
    """What the command creates, below the tenant (``pupils/{id}``): answered 201 + Location.

    ``{id}`` is the created stream's id; other names are the command's fields."""
    checks: tuple[Check, ...] = ()
    then: tuple[Step, ...] = ()
    answer: Answer | None = None
    errors: tuple[int, ...] = ()

    def takes_body(self, resource: str) -> bool:
        """Whether the command has fields the path does not give; a DELETE takes none."""
        return self.method != "DELETE" and bool(body_fields(resource + self.path, self.command))


def path_fields(path: str) -> tuple[str, ...]:
    """The command fields a route path names (the tenant is the context's, not a field)."""
    return tuple(name for name in _PATH_PARAMETER.findall(path) if name != "swv_code")


def _pointer(path: str) -> str:
    """A JSON pointer (RFC 6901) from msgspec's ``$.a[0].b`` path."""
    return "/" + "/".join(re.findall(r"\w+", path)) if path else ""


def _invalid_body(error: msgspec.ValidationError) -> ValidationException:
    message = str(error)
    at = _AT.search(message)
    where = at[1] if at else ""
    text = message[: at.start()] if at else message
    named = _NAMED.search(text)
    if named and text.startswith(("Object missing", "Object contains unknown")):
        where = f"{where}.{named[1]}"
    field_name = ".".join(re.findall(r"\w+", where)) or None
    return ValidationException(
        "The body does not fit the command.",
        extra=[{"key": field_name, "message": text, "source": "body", "pointer": _pointer(where)}],
    )


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | dict):
        return any(_holds_nul(v) for v in (value.values() if isinstance(value, dict) else value))
    return False


def decode_command(
    command: type[Command], body: bytes, content_type: str, path: Mapping[str, Any]
) -> Command:
    """The command a request asks for: its JSON body, strictly, with the path's ids merged in.

    415 unless the body is JSON; 400 if it is not UTF-8 or not JSON; 422 naming the field if
    a field is missing, unknown, of the wrong type or out of bounds.
    """
    if content_type.split(";", maxsplit=1)[0].strip().lower() != "application/json":
        raise HTTPException(
            "Send the body as application/json.", status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE
        )
    try:
        body.decode("utf-8")
        fields = msgspec.json.decode(body, type=dict[str, msgspec.Raw])
    except UnicodeDecodeError:
        raise ClientException("The body is not UTF-8 text.") from None
    except msgspec.ValidationError:
        raise ValidationException(
            "The body must be a JSON object.",
            extra=[{"key": None, "message": "Expected `object`", "source": "body", "pointer": ""}],
        ) from None
    except msgspec.DecodeError as error:
        raise ClientException(f"The body is not JSON: {error}") from None
    for name in path:
        if name in fields:
            raise ValidationException(
                f"{name} is given by the path.",
                extra=[
                    {
                        "key": name,
                        "message": f"Object contains unknown field `{name}`",
                        "source": "body",
                        "pointer": f"/{name}",
                    }
                ],
            )
    merged = msgspec.json.encode({**fields, **path})
    try:
        decoded = msgspec.json.decode(merged, type=command, strict=True)
    except msgspec.ValidationError as error:
        raise _invalid_body(error) from None
    for name in fields:
        if _holds_nul(msgspec.to_builtins(getattr(decoded, name))):
            # PostgreSQL text cannot hold it.
            raise ValidationException(
                "Text may not contain NUL characters (\\u0000).",
                extra=[{"key": name, "message": "contains \\u0000", "source": "body"}],
            )
    return decoded


@functools.cache
def field_docs(command: type[Command]) -> dict[str, str]:
    """Each field's description: the docstring written under it in the command's class."""
    docs: dict[str, str] = {}
    for cls in reversed(command.__mro__):
        if not issubclass(cls, Command):
            continue
        [definition] = ast.parse(textwrap.dedent(inspect.getsource(cls))).body
        assert isinstance(definition, ast.ClassDef)  # noqa: S101 - getsource of a class
        body = definition.body
        for statement, following in itertools.pairwise(body):
            if (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return docs


def body_fields(route_path: str, command: type[Command]) -> tuple[msgspec.structs.FieldInfo, ...]:
    named = set(path_fields(route_path))
    return tuple(f for f in msgspec.structs.fields(command) if f.name not in named)


_body_types: dict[tuple[type[Command], tuple[str, ...]], type[msgspec.Struct]] = {}


def body_type(route_path: str, command: type[Command]) -> type[msgspec.Struct]:
    """The command as the body shows it: without the fields the path gives (for OpenAPI)."""
    named = path_fields(route_path)
    if not set(named).intersection(f.name for f in msgspec.structs.fields(command)):
        return command
    key = (command, named)
    found = _body_types.get(key)
    if found is None:
        found = msgspec.defstruct(
            command.__name__,
            [
                (f.name, f.type)
                if f.required
                else (
                    f.name,
                    f.type,
                    msgspec.field(default_factory=f.default_factory)
                    if f.default is msgspec.NODEFAULT
                    else f.default,
                )
                for f in body_fields(route_path, command)
            ],
            kw_only=True,
            forbid_unknown_fields=True,
            frozen=True,
            module=command.__module__,
        )
        found.__doc__ = command.__doc__
        _body_types[key] = found
    return found


class CommandBody(AbstractDTO[Command]):
    """Decodes a route's body into its command (Litestar's own decoding coerces types)."""

    route_path: ClassVar[str]
    command_type: ClassVar[type[Command]]

    @classmethod
    def for_route(cls, route_path: str, command: type[Command]) -> type[CommandBody]:
        return type(
            f"{command.__name__}Body",
            (cls,),
            {"route_path": route_path, "command_type": command, "model_type": command},
        )

    # Litestar's DTO interface; a command needs no transfer model, so most of it is empty.

    @classmethod
    def generate_field_definitions(
        cls,
        model_type: type[Any],  # noqa: ARG003
    ) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:  # noqa: ARG003
        return False

    @classmethod
    def create_for_field_definition(
        cls,
        field_definition: FieldDefinition,  # noqa: ARG003
        handler_id: str,  # noqa: ARG003
        backend_cls: Any = None,  # noqa: ANN401, ARG003
    ) -> None:
        return

    @classmethod
    def create_openapi_schema(
        cls,
        field_definition: FieldDefinition,
        handler_id: str,  # noqa: ARG003
        schema_creator: SchemaCreator,
    ) -> Reference | Schema:
        created = schema_creator.for_field_definition(
            FieldDefinition.from_annotation(
                body_type(cls.route_path, cls.command_type),
                kwarg_definition=field_definition.kwarg_definition,
            )
        )
        # The body's component, behind the examples' ``allOf`` wrapper if there is one.
        wrapped = created.all_of if isinstance(created, Schema) and created.all_of else [created]
        component = wrapped[0]
        schema = (
            schema_creator.schema_registry.from_reference(component).schema
            if isinstance(component, Reference)
            else component
        )
        docs = field_docs(cls.command_type)
        for name, property_schema in (schema.properties or {}).items():
            if name in docs:
                property_schema.description = docs[name]
        return created

    def decode_bytes(self, value: bytes) -> Any:  # noqa: ANN401 - the route's command
        connection = self.asgi_connection
        path = {k: v for k, v in connection.path_params.items() if k != "swv_code"}
        content_type = connection.headers.get("content-type", "")
        return decode_command(self.command_type, value, content_type, path)


def _location(route: CommandRoute, done: Done) -> str | None:
    if route.creates is None:
        return None
    fields = msgspec.structs.asdict(done.command)
    where = route.creates.format(**{**fields, "id": done.outcome.aggregate_id})
    return f"/v1/tenants/{done.principal.tenant_id}/{where}"


def _build(resource: str, route: CommandRoute) -> HTTPRouteHandler:
    full_path = resource + route.path
    with_body = route.takes_body(resource)

    async def run(
        principal: Principal, commands: CommandRunner, state: State, command: Command
    ) -> object:
        for check in route.checks:
            await check(command, state)
        outcome = await commands(route.handler, command)
        done = Done(command, outcome, principal, commands, state)
        for step in route.then:
            await step(done)
        if route.answer is not None:
            return await route.answer(done)
        return accepted(outcome, location=_location(route, done))

    if with_body:

        async def handle(
            principal: Principal, commands: CommandRunner, state: State, data: Command
        ) -> object:
            return await run(principal, commands, state, data)

        examples = [Example(summary=s, value=dict(v)) for s, v in route.examples.items()]
        handle.__annotations__ = {
            "principal": NamedDependency[Principal],
            "commands": Commands,
            "state": State,
            "data": Annotated[route.command, Body(examples=examples or None)],
            "return": Response[CommandAccepted],
        }
    else:

        async def handle(  # type: ignore[misc]
            request: Request[Any, Any, Any],
            principal: Principal,
            commands: CommandRunner,
            state: State,
        ) -> object:
            path = {k: v for k, v in request.path_params.items() if k != "swv_code"}
            return await run(principal, commands, state, msgspec.convert(path, route.command))

        handle.__annotations__ = {
            "request": Request[Any, Any, Any],
            "principal": NamedDependency[Principal],
            "commands": Commands,
            "state": State,
            "return": Response[CommandAccepted],
        }
    if route.answer is not None:
        handle.__annotations__["return"] = get_type_hints(route.answer)["return"]
    handle.__name__ = handle.__qualname__ = route.operation_id
    return HTTPRouteHandler(
        route.path,
        http_method=route.method,
        guards=[route.guard],
        summary=route.summary,
        description=route.description,
        operation_id=route.operation_id,
        responses=problems(*route.errors) if route.errors else COMMAND_ERRORS,
        status_code=201 if route.creates else 200,
        response_headers=_answer_headers(route),
        dto=CommandBody.for_route(full_path, route.command) if with_body else None,
        return_dto=None,
        dependencies={"ctx": Provide(provide_create_context)} if route.creates else None,
    )(handle)


def _answer_headers(route: CommandRoute) -> list[ResponseHeader]:
    if route.answer is not None:
        return []
    return [ETAG, LOCATION] if route.creates else [ETAG]


def command_router(
    resource: str, tag: str, routes: Iterable[CommandRoute], *reads: ControllerRouterHandler
) -> Router:
    """The Litestar routes of one resource's command table, and reads on the same paths."""
    handlers: list[ControllerRouterHandler] = [_build(resource, r) for r in routes]
    return Router(resource, route_handlers=[*handlers, *reads], tags=[tag])
