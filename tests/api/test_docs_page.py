"""The docs page renders in a real browser from the project's own files, fetching nothing else.

Swagger UI virtualises its list of operations once it has 150 rows or more (a row per tag and per
operation): it renders the rows in the window and the others as they are scrolled into view. The
page is therefore rendered in a window tall enough for every row, as a person scrolling through
it would see them all, and the test reads which operations each tag lists.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeAlias

import httpx

from api.app import create_app
from api.settings import Settings
from tests.browser import Browser
from tests.serving import served

_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_HEADER_PX = 2_500  # title, description with every problem type, servers: 1,500 px in 2026
_ROW_PX = 70  # a rendered tag or operation row is at most 61 px high

Listing: TypeAlias = dict[str, set[tuple[str, str]]]


async def test_the_docs_page_lists_every_tags_operations_without_asking_another_site(
    browser: Browser, tmp_path: Path
) -> None:
    async with served(create_app(Settings(data_dir=tmp_path))) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            documented = operations_by_tag((await client.get("/schema/openapi.json")).json())
        rows = len(documented) + sum(len(operations) for operations in documented.values())
        page = await asyncio.to_thread(
            browser.render, f"{base_url}/schema", height_px=_HEADER_PX + rows * _ROW_PX
        )

    assert page.hosts_other_than("127.0.0.1") == set()
    assert any(url.endswith("/schema/assets/swagger-ui-bundle.js") for url in page.requested)
    assert listed_operations(page.dom) == documented


def operations_by_tag(document: dict[str, Any]) -> Listing:
    """Every operation of the OpenAPI document as (METHOD, path), under each of its tags."""
    listing: Listing = defaultdict(set)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in _HTTP_METHODS:
                for tag in operation.get("tags") or ["default"]:
                    listing[tag].add((method.upper(), path))
    return dict(listing)


def listed_operations(dom: str) -> Listing:
    """The operations Swagger UI rendered, as (METHOD, path), under the tag heading they follow."""
    reader = _OperationListReader()
    reader.feed(dom)
    return dict(reader.listing)


class _OperationListReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.listing: Listing = defaultdict(set)
        self._tag: str | None = None
        self._method: str | None = None
        self._reading_method = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if "opblock-tag" in classes and attributes.get("data-tag"):
            self._tag = attributes["data-tag"]
        elif "opblock-summary-method" in classes:
            self._reading_method = True
        elif (path := attributes.get("data-path")) and self._tag and self._method:
            self.listing[self._tag].add((self._method, path))

    def handle_data(self, data: str) -> None:
        if self._reading_method:
            self._method = data.strip()
            self._reading_method = False
