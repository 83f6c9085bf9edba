"""The server-rendered pages' templates, from ``api/templates`` (jinja2, autoescaped, strict)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

_DIRECTORY = Path(__file__).resolve().parent / "templates"


def page_template(name: str) -> jinja2.Template:
    return _environment().get_template(name)


@functools.cache
def _environment() -> jinja2.Environment:
    # jinja2 costs every command a second of start-up; only the page routes need it
    import jinja2  # noqa: PLC0415

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_DIRECTORY),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
