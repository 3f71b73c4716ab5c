"""Stage six: the rendered bytes into the output dir. Each file is replaced atomically and
only when its bytes change; feeds the cache found current are kept unread; files the last
build wrote and this one did not are removed once the new set is in place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..cache import FeedRecord
from ..output.writer import OutputDir
from ..progress import stage
from .render import Rendered


@dataclass(frozen=True)
class Written:
    """What writing did, for the report and for the cache."""

    feeds_written: int  # feeds with at least one file rewritten
    feeds_unchanged: int  # feeds whose every file already held these bytes (or was kept)
    files_written: int  # every file rewritten, the site files and the manifest included
    files_removed: int
    outputs: list[str]  # every output file now, the manifest included


def write(rendered: Rendered, kept: Mapping[str, FeedRecord], output: OutputDir) -> Written:
    """Write ``rendered`` and keep the files of the ``kept`` feeds.

    Raises:
        OutputError: a file cannot be written; every file is whole, old or new.
    """
    feeds_written = 0
    total = sum(len(feed.files) for feed in rendered.feeds) + len(rendered.site)
    with stage("write", total) as advance:
        for record in kept.values():
            for rel_path, _, _ in record.outputs:
                output.keep(rel_path)
        for feed in rendered.feeds:
            changed = [output.write(rel_path, data) for rel_path, data in feed.files.items()]
            feeds_written += any(changed)
            advance(len(changed))
        for rel_path, data in rendered.site.items():
            output.write(rel_path, data)
            advance(1)
        removed = output.finish()
    return Written(
        feeds_written=feeds_written,
        feeds_unchanged=len(kept) + len(rendered.feeds) - feeds_written,
        files_written=len(output.written),
        files_removed=len(removed),
        outputs=sorted({*output.written, *output.unchanged}),
    )
