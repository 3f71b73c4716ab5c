"""Dates in every form generators and scrapers write, always to aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

MIN_YEAR = 1900
MAX_YEAR = 2200


class DateError(ValueError):
    """A value that is not a usable date; the message says why."""


# Matched against text whose whitespace runs are collapsed to one space (see _squeeze), so
# each optional space is ` ?`: with `\s*` beside `\s*` a long run of spaces could be split
# between them in quadratically many ways, and a date with 2,000 spaces took a minute.
_LOCAL_FORMS = re.compile(
    r"(?P<y>\d{4})[ ]?[-/.年][ ]?(?P<m>\d{1,2})[ ]?[-/.月][ ]?(?P<d>\d{1,2})[ ]?日?"
    r"(?:[ ]?(?:T|[ ])[ ]?(?P<H>\d{1,2})[ ]?[:时時点][ ]?(?P<M>\d{1,2})[ ]?分?"
    r"(?:[ ]?:?[ ]?(?P<S>\d{1,2})(?P<frac>[.,]\d+)?[ ]?秒?)?)?"
    r"[ ]?(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{2})?",
    re.IGNORECASE,
)


def _squeeze(text: str) -> str:
    """``text`` stripped, each run of whitespace one space."""
    return " ".join(text.split())


# 9 to 13 digits: seconds from 1973-03-03 on, or milliseconds; never an 8-digit YYYYMMDD.
_EPOCH = re.compile(r"^\s*-?\d{9,13}(?:\.\d+)?\s*$")
_RFC822_HINT = re.compile(r"[A-Za-z]{3}")
# Zone abbreviations that email.utils does not know but feeds use.
_EXTRA_ZONES = {
    "HKT": "+0800",
    "JST": "+0900",
    "KST": "+0900",
    "BST": "+0100",
    "CET": "+0100",
    "CEST": "+0200",
    "IST": "+0530",
}
_ZONE_WORD = re.compile(r"\b(" + "|".join(_EXTRA_ZONES) + r")\s*$")


def _check_range(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:  # year 0 cannot even be represented
        raise DateError(f"implausible year {value.year}")
    return value


def _from_epoch(number: float) -> datetime:
    if abs(number) >= 1e11:  # milliseconds
        number /= 1000
    try:
        return _check_range(datetime.fromtimestamp(number, UTC))
    except (OverflowError, OSError, ValueError):
        raise DateError(f"epoch out of range: {number}") from None


def _tz_from_text(text: str | None, default: tzinfo) -> tzinfo:
    if not text:
        return default
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise DateError(f"bad UTC offset {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _from_local_form(match: re.Match[str], zone: tzinfo) -> datetime:
    g = match.groupdict()
    frac = g["frac"]
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    try:
        value = datetime(
            int(g["y"]),
            int(g["m"]),
            int(g["d"]),
            int(g["H"] or 0),
            int(g["M"] or 0),
            int(g["S"] or 0),
            micro,
        )
    except ValueError as exc:
        raise DateError(f"impossible date: {exc}") from None
    return value.replace(tzinfo=_tz_from_text(g["tz"], zone))


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# The one form nearly every feed and scraper writes (RFC 1123): read without email.utils.
_RFC1123 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})"
    r" (\d\d):(\d\d):(\d\d) (?:GMT|UTC|UT|Z|([+-])(\d\d)(\d\d))"
)


def _from_rfc1123(text: str) -> datetime | None:
    """The common RFC 1123 form, exactly as :func:`_from_rfc822` reads it; None for others."""
    match = _RFC1123.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    zone: tzinfo = UTC
    try:
        if sign and (off_h != "00" or off_m != "00"):
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            zone = timezone(offset if sign == "+" else -offset)
        return datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except ValueError:
        return None  # let email.utils give its answer


def _from_rfc822(text: str) -> datetime:
    candidate = _ZONE_WORD.sub(lambda m: _EXTRA_ZONES[m.group(1)], text.strip())
    try:
        value = parsedate_to_datetime(candidate)
    except (TypeError, ValueError, IndexError):
        raise DateError("unrecognised date format") from None
    if value.tzinfo is None:  # "-0000" means "UTC, origin unknown"
        value = value.replace(tzinfo=UTC)
    return value


def parse_date(value: object, zone: tzinfo) -> datetime:
    """Parse one front-matter date value into an aware datetime.

    Naive values are taken to be in ``zone``. Raises :class:`DateError` with a reason.
    """
    if isinstance(value, str):  # as the loader gives every scalar: looked at first
        return _parse_text(value, zone)
    if isinstance(value, datetime):
        result = value if value.tzinfo else value.replace(tzinfo=zone)
        return _check_range(result)
    if isinstance(value, date):
        return _check_range(datetime.combine(value, time(), zone))
    if isinstance(value, bool):
        raise DateError(f"not a date: {value!r}")
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    raise DateError(f"not a date: {type(value).__name__}")


def _parse_text(value: str, zone: tzinfo) -> datetime:
    text = value.strip()
    if not text:
        raise DateError("empty date")
    # The commonest form first: text RFC 1123 reads is neither an epoch nor a local form.
    if text[0].isalpha() and (common := _from_rfc1123(text)) is not None:
        return _check_range(common)
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    match = _LOCAL_FORMS.fullmatch(_squeeze(text))
    if match:
        return _check_range(_from_local_form(match, zone))
    if _RFC822_HINT.search(text):
        return _check_range(_from_rfc1123(text) or _from_rfc822(text))
    raise DateError("unrecognised date format")
