"""Route dependencies resolved in the request's own task, not one task each.

Litestar resolves the dependencies of one level of the graph in an anyio task group, a task
per dependency (litestar-org/litestar#4563). Ours are almost all synchronous look-ups in the
app's state (the caller, the store, the clock): a task, its scheduling and the group's exit
cost more than the look-up, several times per request. Here a level's synchronous providers
run in turn; only two or more asynchronous ones still get the task group, so that their I/O
overlaps as before.

It replaces a private method, so only the one it was written against (Litestar 2.25's, known by
the hash of its source): any other is left alone, and the log says so once.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from anyio import create_task_group
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import DependencyContainer, resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection

log = logging.getLogger("passend")

UPSTREAM = KwargsModel.resolve_dependencies
_WRITTEN_AGAINST = "f5e60119abf69eff695b2287a6e46a44688f06a70157c4292243fa09080e44fa"


def written_against(method: Callable[..., Any]) -> bool:
    """Whether ``method``'s source is the ``resolve_dependencies`` ours replaces."""
    try:
        source = inspect.getsource(method)
    except (OSError, TypeError):
        return False
    return hashlib.sha256(source.encode()).hexdigest() == _WRITTEN_AGAINST


async def _resolve_in_turn(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        asynchronous: list[DependencyContainer] = []
        for dependency in batch:
            if dependency.provide.has_sync_callable:
                await resolve_dependency(dependency, connection, kwargs, cleanup_group)
            else:
                asynchronous.append(dependency)
        if len(asynchronous) == 1:
            await resolve_dependency(asynchronous[0], connection, kwargs, cleanup_group)
        elif asynchronous:
            try:  # as Litestar does it
                async with create_task_group() as task_group:
                    for dependency in asynchronous:
                        task_group.start_soon(
                            resolve_dependency, dependency, connection, kwargs, cleanup_group
                        )
            except BaseExceptionGroup as group:
                raise group.exceptions[0] from group
    return cleanup_group


@cache
def resolve_dependencies_in_turn() -> bool:
    """Make every route resolve its synchronous dependencies in the request's task, if it can."""
    if not written_against(UPSTREAM):
        log.warning(
            "Litestar's KwargsModel.resolve_dependencies is not the one api.dependency_resolution"
            " was written against: dependencies are resolved as Litestar does it."
        )
        return False
    KwargsModel.resolve_dependencies = _resolve_in_turn  # type: ignore[method-assign]
    return True
