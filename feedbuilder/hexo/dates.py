"""Post dates as Hexo 8 reads them (lib/plugins/processor/post.ts, hexo-front-matter).

js-yaml reads ``date: 2025-06-13 01:30:00`` as that wall-clock time in UTC; hexo-front-matter
shifts it to the machine's zone, and ``adjustDateForTimezone`` then moves it by the difference
between the machine's offset and the ``timezone`` setting's, each taken at the shifted
instant. So a written time is wall-clock time in ``timezone`` (but within a few hours of a
DST change, where Hexo's offsets are taken at the wrong instant), and a written UTC offset
is dropped after converting to UTC: ``01:30+02:00`` is 23:30 the day before, in
``timezone``. These functions give Hexo's instants, so links and dates match its pages.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from ..normalise.dates import DateError, parse_date

_NUMBER = re.compile(r"\s*-?\d+(?:\.\d*)?\s*")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _offset(instant: datetime, zone: tzinfo) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta()


def from_wall_clock(wall: datetime, zone: tzinfo, machine: tzinfo) -> datetime:
    """The instant Hexo gives a naive wall-clock time on a machine in ``machine``."""
    written = wall.replace(tzinfo=UTC)
    shifted = written - _offset(written, machine)  # hexo-front-matter's "convert timezone"
    return shifted - _offset(shifted, zone) + _offset(shifted, machine)


def js_time(instant: datetime) -> datetime:
    """An instant as a JavaScript Date holds it: whole milliseconds."""
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def hexo_date(value: Any, zone: tzinfo, machine: tzinfo) -> datetime:
    """A front-matter date as Hexo dates the post; raises DateError as parse_date does.

    A bare number is JavaScript's ``new Date(number)``: milliseconds since 1970, so
    ``date: 1641971200`` is in January 1970 for Hexo, and here.
    """
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        try:
            parsed = _EPOCH + timedelta(milliseconds=int(float(value)))
        except (OverflowError, ValueError):
            raise DateError(f"epoch out of range: {value.strip()}") from None
    else:
        parsed = parse_date(value, UTC)
    wall = parsed.astimezone(UTC).replace(tzinfo=None)
    return js_time(from_wall_clock(wall, zone, machine)).astimezone(zone)


def filename_date(info: dict[str, str], zone: tzinfo, machine: tzinfo) -> datetime | None:
    """Midnight of the day a file name gives through ``new_post_name`` (``:year-:month-:day-
    :title.md``), as Hexo dates posts without a ``date``; None when it gives none."""
    year = info.get("year")
    month = info.get("month") or info.get("i_month")
    day = info.get("day") or info.get("i_day")
    if not (year and month and day):
        return None
    try:
        wall = datetime(int(year), int(month), int(day))
    except ValueError:
        return None
    return from_wall_clock(wall, zone, machine).astimezone(zone)
