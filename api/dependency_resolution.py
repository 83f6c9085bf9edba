"""Route dependencies resolved in the request's own task, not one task each.

Litestar resolves the dependencies of one level of the graph in an anyio task group, a task
per dependency (litestar-org/litestar#4563). Ours are almost all synchronous look-ups in the
app's state (the caller, the store, the clock): a task, its scheduling and the group's exit
cost more than the look-up, several times per request. Here a level's synchronous providers
run in turn; only two or more asynchronous ones still get the task group, so that their I/O
overlaps as before.
"""

from __future__ import annotations

from typing import Any

from anyio import create_task_group
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import DependencyContainer, resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection


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


def resolve_dependencies_in_turn() -> None:
    """Make every route resolve its synchronous dependencies in the request's task."""
    KwargsModel.resolve_dependencies = _resolve_in_turn  # type: ignore[method-assign]
