"""Events as the OpenAPI document shows them: one schema per event type, a ``oneOf`` on ``type``.

An event view's ``data`` is a plain object at run time (``EventView``); the document types it
per event type from the domain event class itself (the codec's registry), so a generated client
reads ``data`` with its fields. Personal fields may be ``null``: redacted for the caller.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any, Union

import msgspec
from litestar.openapi.spec import Discriminator, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from api.schemas.common import ENVELOPE_FIELDS, EventView
from domain.personal import PersonalData
from domain.registry import AGGREGATE_CLASSES
from infrastructure.event_codec import event_classes_of

if typing.TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator


def _latest_event_classes() -> dict[str, type[Any]]:
    """Each event type (``SupportRequestGranted``) and the class of its latest version."""
    latest: dict[str, tuple[int, type[Any]]] = {}
    for cls, topic in event_classes_of(AGGREGATE_CLASSES):
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


def _typed_view(name: str, cls: type[Any]) -> type[msgspec.Struct]:
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
    return view


@functools.cache
def typed_event_views() -> tuple[type[msgspec.Struct], ...]:
    return tuple(_typed_view(name, cls) for name, cls in _latest_event_classes().items())


class EventViewSchema(OpenAPISchemaPlugin):
    """Documents ``EventView`` as the ``oneOf`` of the typed views, discriminated by ``type``."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:  # noqa: ANN401 - any annotation
        return value is EventView

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        union = Union[typed_event_views()]  # type: ignore[valid-type]  # noqa: UP007
        members = schema_creator.for_field_definition(FieldDefinition.from_annotation(union))
        assert isinstance(members, Schema)  # noqa: S101 - a union is a Schema of its members
        # One component, EventView, that every read's ``events`` refers to.
        registry = schema_creator.schema_registry
        component = registry.get_schema_for_field_definition(field_definition)
        component.title = "EventView"
        component.description = "A recorded event; ``type`` says which, and how ``data`` looks."
        component.one_of = members.one_of
        # Each view is a component named after its struct (test_openapi checks they exist).
        component.discriminator = Discriminator(
            property_name="type",
            mapping={
                view.__struct_config__.tag: f"#/components/schemas/{view.__name__}"  # type: ignore[misc]
                for view in typed_event_views()
            },
        )
        return typing.cast("Schema", registry.get_reference_for_field_definition(field_definition))
