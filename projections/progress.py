"""A rich progress bar for rebuilds: events done, events per second, time left."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from projections.rebuild import ProgressCallback, RebuildProgress


@contextmanager
def rebuild_progress_bar(console: Console | None = None) -> Iterator[ProgressCallback]:
    """A ``progress`` callback for ``rebuild`` that draws while the block runs."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>9,.0f} ev/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("rebuild", total=None, rate=0.0)

        def update(step: RebuildProgress) -> None:
            scope = f" ({step.tenant_id})" if step.tenant_id else ""
            progress.update(
                task,
                description=f"{step.projection}{scope}",
                completed=step.done,
                total=max(step.total, step.done),
                rate=step.events_per_s,
            )

        yield update
