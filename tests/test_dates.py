"""Dates: every common form to an aware datetime; naive ones in the configured zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feedbuilder.normalise.dates import (
    _LOCAL_FORMS,
    DateError,
    _from_rfc822,
    _from_rfc1123,
    _squeeze,
    parse_date,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 08 Dec 2021 07:57:20 GMT", "2021-12-08T07:57:20+00:00"),
        ("Tue, 14 Dec 2021 09:30:00 +0800", "2021-12-14T09:30:00+08:00"),
        ("Mon, 13 Dec 2021 10:00:00 EST", "2021-12-13T10:00:00-05:00"),
        ("13 Dec 2021 10:00:00 PDT", "2021-12-13T10:00:00-07:00"),
        ("Mon, 13 Dec 2021 10:00:00 JST", "2021-12-13T10:00:00+09:00"),
        ("2022-01-05T08:00:00Z", "2022-01-05T08:00:00+00:00"),
        ("2022-01-06 09:15:00+08:00", "2022-01-06T09:15:00+08:00"),
        ("2022-01-06T09:15:00+0530", "2022-01-06T09:15:00+05:30"),
        ("2022-01-07T10:20:30.123456+00:00", "2022-01-07T10:20:30.123456+00:00"),
        ("2022-01-07T10:20:30.5Z", "2022-01-07T10:20:30.500000+00:00"),
        ("2022-01-08", "2022-01-08T00:00:00+08:00"),
        ("2022-01-09 14:30:00", "2022-01-09T14:30:00+08:00"),
        ("2022-01-09T14:30", "2022-01-09T14:30:00+08:00"),
        ("2022/01/10 15:57", "2022-01-10T15:57:00+08:00"),
        ("2022年01月11日 15:57", "2022-01-11T15:57:00+08:00"),
        ("2022年1月11日", "2022-01-11T00:00:00+08:00"),
        ("1642000000", "2022-01-12T15:06:40+00:00"),
        ("1642100000000", "2022-01-13T18:53:20+00:00"),
    ],
)
def test_parses_common_forms(text: str, expected: str) -> None:
    result = parse_date(text, SHANGHAI)
    assert result.tzinfo is not None
    assert result.isoformat() == expected


def test_yaml_objects_and_numbers() -> None:
    assert parse_date(date(2022, 1, 8), SHANGHAI).isoformat() == "2022-01-08T00:00:00+08:00"
    naive = datetime(2022, 1, 9, 14, 30)
    assert parse_date(naive, SHANGHAI).utcoffset() == timedelta(hours=8)
    aware = datetime(2022, 1, 9, 14, 30, tzinfo=UTC)
    assert parse_date(aware, SHANGHAI) == aware
    assert parse_date(1642000000, SHANGHAI) == datetime(2022, 1, 12, 15, 6, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2021-02-30",
        "2021-01-01 25:00:00",
        "0000-01-01",
        "9999-12-31",
        "yesterday-ish",
        "",
        "   ",
        "2021-13-01",
        "Wed, 32 Dec 2021 07:57:20 GMT",
        "2022-01-06T09:15:00+25:00",
    ],
)
def test_rejects_bad_dates(text: str) -> None:
    with pytest.raises(DateError):
        parse_date(text, SHANGHAI)


def test_rejects_non_dates() -> None:
    for value in (True, None, ["2021-01-01"], {"a": 1}):
        with pytest.raises(DateError):
            parse_date(value, SHANGHAI)


aware_datetimes = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2199, 12, 31),
    timezones=st.sampled_from([UTC, SHANGHAI, timezone(timedelta(hours=-5, minutes=-30))]),
    allow_imaginary=False,
).map(lambda d: d.replace(microsecond=0))


@given(aware_datetimes)
def test_rfc2822_round_trip(value: datetime) -> None:
    # Compare instants: PEP 495 makes inter-zone == False for ambiguous (fold) times.
    assert parse_date(format_datetime(value), SHANGHAI).timestamp() == value.timestamp()


@given(aware_datetimes, st.sampled_from(["T", " "]))
def test_iso_round_trip(value: datetime, sep: str) -> None:
    assert parse_date(value.isoformat(sep), SHANGHAI).timestamp() == value.timestamp()


@given(aware_datetimes.filter(lambda d: d.year >= 1974))
def test_epoch_round_trip(value: datetime) -> None:
    """Epochs need 9+ digits (from 1973-03-03), so 8-digit numbers are never taken for them."""
    seconds = int(value.timestamp())
    assert parse_date(str(seconds), SHANGHAI).timestamp() == seconds
    assert parse_date(str(seconds * 1000), SHANGHAI).timestamp() == seconds


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2199, 12, 31)))
def test_naive_values_are_in_the_configured_zone(value: datetime) -> None:
    value = value.replace(microsecond=0)
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    result = parse_date(text, SHANGHAI)
    assert result.replace(tzinfo=None) == value
    assert result.tzinfo is SHANGHAI


@given(
    st.sampled_from(["", "Mon, ", "Sun, ", "Xyz, "]),
    st.integers(0, 40),
    st.sampled_from(["Jan", "Feb", "Jun", "Dec", "Foo"]),
    st.integers(1899, 2201),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["GMT", "UTC", "UT", "Z", "+0000", "-0000", "+0800", "-0530", "+2400", "EST"]),
)
def test_rfc1123_fast_path_agrees_with_email_utils(
    weekday: str, day: int, month: str, year: int, hour: int, minute: int, second: int, zone: str
) -> None:
    text = f"{weekday}{day:02d} {month} {year} {hour:02d}:{minute:02d}:{second:02d} {zone}"
    fast = _from_rfc1123(text)
    if fast is None:
        return  # not its form: email.utils reads it
    slow = _from_rfc822(text)
    assert (fast, fast.utcoffset()) == (slow, slow.utcoffset())


def test_rfc1123_fast_path_takes_the_seeds_date() -> None:
    assert _from_rfc1123("Wed, 08 Dec 2021 07:57:20 GMT") == datetime(
        2021, 12, 8, 7, 57, 20, tzinfo=UTC
    )


# The local-forms pattern before it was made linear: kept here as the oracle, on inputs short
# enough that its backtracking does not matter (2,000 spaces took it a minute).
_OLD_LOCAL_FORMS = re.compile(
    r"""^\s*(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?
        (?:\s*(?:T|\s)\s*(?P<H>\d{1,2})\s*[:时時点]\s*(?P<M>\d{1,2})\s*分?
           (?:\s*[:]?\s*(?P<S>\d{1,2})(?P<frac>[.,]\d+)?\s*秒?)?)?
        \s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{2})?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_PIECES = [
    *["2021", "12", "8", "08", "15", "57", "20", ".5", ",25", "123"],
    *["-", "/", ".", ":", "T", "t", "Z", "utc", "GMT", "+08:00", "+0800", "-05", "x"],
    *["年", "月", "日", "时", "時", "点", "分", "秒"],
    *[" ", "  ", "\t", "\n", "\u3000", "\x1c"],
]


@settings(max_examples=3000)
@given(st.lists(st.sampled_from(_PIECES), max_size=16).map("".join), st.booleans())
@example("2021-12-08  \t 15 :57: 20 . 5 +08:00", False)
@example("2021 年 12 月 8 日 15 时 57 分 20 秒", False)
def test_local_forms_read_as_the_old_pattern_did(text: str, dated: bool) -> None:
    text = ("2021-12-08" + text) if dated else text
    old = _OLD_LOCAL_FORMS.match(text)
    new = _LOCAL_FORMS.fullmatch(_squeeze(text))
    assert (old is None) == (new is None)
    if old is not None and new is not None:
        assert old.groupdict() == new.groupdict()
