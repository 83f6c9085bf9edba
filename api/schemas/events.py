"""Events as the OpenAPI document shows them: per read, a ``oneOf`` of its aggregate's event types.

At run time an event view's ``data`` is a plain object (``EventView``). A read's own subclass
(``SupportRequestEvent``) names its aggregate, and the document types that subclass as the
``oneOf`` of one schema per event type of that aggregate alone, discriminated by ``type``, with
``data`` typed from the domain event class in the codec's registry. A read of the tenant's
configuration thus lists configuration events only, not a pupil's (which would make it look
like a personal read, tests/api/test_personal_reads.py). Personal fields may be ``null``:
redacted for the caller.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import msgspec
from litestar.openapi.spec import Discriminator, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from api.schemas.common import ENVELOPE_FIELDS, EventView
from domain.personal import PersonalData
from infrastructure.event_codec import event_classes_of

if typing.TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator


def _latest_event_classes(aggregate: type[Any]) -> dict[str, type[Any]]:
    """Each event type of ``aggregate`` (``SupportRequestGranted``) and its latest class."""
    latest: dict[str, tuple[int, type[Any]]] = {}
    for cls, topic in event_classes_of([aggregate]):
        name, _, version = topic.rpartition(".v")
        if name not in latest or int(version) > latest[name][0]:
            latest[name] = (int(version), cls)
    return {name: cls for name, (_, cls) in sorted(latest.items())}


def _shown(hint: Any) -> Any:  # noqa: ANN401 - a type annotation
    """A field's type as a view shows it: personal data may be blanked (``null``)."""
    if typing.get_origin(hint) is typing.Annotated:
        base = typing.get_args(hint)[0]
        if any(isinstance(meta, PersonalData) for meta in hint.__metadata__):
            return base | None
        return base
    return hint


_typed_views: dict[str, type[msgspec.Struct]] = {}


def _typed_view(name: str, cls: type[Any]) -> type[msgspec.Struct]:
    """The tagged view of the event type ``name``: one class, however often it is asked for."""
    if name in _typed_views:
        return _typed_views[name]
    hints = typing.get_type_hints(cls, include_extras=True)
    data = msgspec.defstruct(
        f"{name}Data",
        [
            (f.name, _shown(hints[f.name]))
            for f in dataclasses.fields(cls)
            if f.name not in ENVELOPE_FIELDS
        ],
        module=__name__,
    )
    data.__doc__ = f"The data of a {name} event."
    envelope: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        (f.name, f.type) if f.required else (f.name, f.type, msgspec.field(default_factory=list))
        for f in msgspec.structs.fields(EventView)
        if f.name not in {"type", "data"}
    ]
    view = msgspec.defstruct(
        f"{name}Event",
        [*envelope, ("data", data)],
        kw_only=True,
        tag_field="type",
        tag=name,
        module=__name__,
    )
    view.__doc__ = cls.__doc__ or f"A {name} event."
    _typed_views[name] = view
    return view


def typed_event_views(aggregate: type[Any]) -> tuple[type[msgspec.Struct], ...]:
    """One tagged view per event type of ``aggregate``, typed from its latest event class."""
    return tuple(_typed_view(name, cls) for name, cls in _latest_event_classes(aggregate).items())


class EventViewSchema(OpenAPISchemaPlugin):
    """Documents each read's ``EventView`` subclass as the ``oneOf`` of its aggregate's events."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:  # noqa: ANN401 - any annotation
        return (
            isinstance(value, type) and issubclass(value, EventView) and value.aggregate is not None
        )

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        view_type = field_definition.annotation
        views = typed_event_views(view_type.aggregate)
        members = [
            schema_creator.for_field_definition(FieldDefinition.from_annotation(v)) for v in views
        ]
        # One component per read's subclass (SupportRequestEvent) that its ``events`` refers to.
        registry = schema_creator.schema_registry
        component = registry.get_schema_for_field_definition(field_definition)
        component.title = view_type.__name__
        component.description = view_type.__doc__
        component.one_of = members
        component.discriminator = Discriminator(
            property_name="type",
            mapping={
                view.__struct_config__.tag: f"#/components/schemas/{view.__name__}"  # type: ignore[misc]
                for view in views
            },
        )
        return typing.cast("Schema", registry.get_reference_for_field_definition(field_definition))
