"""WebSub publishing: tell the configured hub which feeds changed, so its subscribers get them now.

After a build, every feed file whose bytes differ from the version last announced is pinged
(``hub.mode=publish`` with ``hub.url`` and ``hub.topic``, one request per feed): a short timeout,
two retries on a network error or a 5xx. A hub that is down costs a warning, never the build,
and the feeds it missed stay unannounced in the state file beside the output (like the
manifest), so the next build pings them again, even one that changed nothing.

The state records what was announced (size, mtime and hash of each feed), not what the writer
did, so a build killed between writing and announcing is caught up by the next one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlencode

from ..models import Problem
from .writer import OutputDir, write_atomic

STATE_NAME = ".feedbuilder-websub.json"
FEED_SUFFIXES = (".rss.xml", ".atom.xml", ".json")
TIMEOUT_SECONDS = 5.0
RETRY_DELAYS = (0.5, 2.0)  # two retries
Send = Callable[[str, bytes, float], int]  # (hub, form body, timeout) -> HTTP status
Version = tuple[int, int, str]  # size, mtime_ns, sha256


class HubUnreachable(Exception):
    """The hub could not be reached (or kept failing) after every retry."""


def post_form(url: str, body: bytes, timeout: float) -> int:
    """POST an urlencoded form; the response's status (raises OSError when unreachable)."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def announce_changes(
    output_dir: Path,
    hub: str,
    feeds_url: str,
    *,
    send: Send = post_form,
    timeout: float = TIMEOUT_SECONDS,
    retry_delays: Sequence[float] = RETRY_DELAYS,
) -> list[Problem]:
    """Ping ``hub`` for every feed in ``output_dir`` not announced as it now is; warnings back.

    ``feeds_url`` is where the output dir is served: a feed's topic is ``feeds_url + path``.
    """
    if not hub:
        return []
    state_path = output_dir / STATE_NAME
    announced = _load(state_path, hub)
    current = {
        path: _version(output_dir / path, announced.get(path)) for path in _feeds(output_dir)
    }
    pending = [p for p, version in current.items() if version and version != announced.get(p)]
    problems: list[Problem] = []
    done: dict[str, Version] = {p: v for p, v in announced.items() if current.get(p) == v}
    for number, path in enumerate(pending):
        try:
            status = _publish(hub, feeds_url + path, send, timeout, retry_delays)
        except HubUnreachable as exc:
            left = len(pending) - number
            problems.append(
                Problem(hub, f"WebSub hub unreachable ({exc}); {left} feeds to announce next build")
            )
            break
        if not 200 <= status < 300:  # refused: asking again will not change its mind
            problems.append(Problem(hub, f"WebSub hub refused {feeds_url + path} (HTTP {status})"))
        version = current[path]
        assert version is not None
        done[path] = version
    if done != announced:
        _save(state_path, hub, done)
    return problems


def _publish(
    hub: str, topic: str, send: Send, timeout: float, retry_delays: Sequence[float]
) -> int:
    body = urlencode({"hub.mode": "publish", "hub.url": topic, "hub.topic": topic}).encode()
    reason = ""
    for delay in (0.0, *retry_delays):
        time.sleep(delay)
        try:
            status = send(hub, body, timeout)
        except (OSError, ValueError) as exc:  # refused, reset, timed out, unresolvable
            reason = str(getattr(exc, "reason", exc))
            continue
        if status < 500:
            return status
        reason = f"HTTP {status}"
    raise HubUnreachable(reason)


ARCHIVES = "feeds/archive/"  # archives = true: the pages (see feeds/archives.py)


def _feeds(output_dir: Path) -> list[str]:
    """The feed files of the last build, from its manifest (not archive pages: history,
    which no one subscribes to)."""
    files = OutputDir(output_dir).previous_manifest()
    return sorted(
        p
        for p in files
        if p.startswith("feeds/") and p.endswith(FEED_SUFFIXES) and not p.startswith(ARCHIVES)
    )


def _version(path: Path, known: Version | None) -> Version | None:
    """The file's (size, mtime_ns, sha256); hashed only when its stat differs from ``known``."""
    try:
        info = os.stat(path)
        if known is not None and known[:2] == (info.st_size, info.st_mtime_ns):
            return known
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    if known is not None and known[2] == digest:  # touched, not changed
        return known
    return info.st_size, info.st_mtime_ns, digest


def _load(state_path: Path, hub: str) -> dict[str, Version]:
    """What was announced to ``hub`` (another hub's subscribers have heard nothing)."""
    try:
        data = json.loads(state_path.read_text(encoding="utf-8"))
        if data.get("hub") != hub:
            return {}
        return {str(p): (int(s), int(m), str(h)) for p, (s, m, h) in data["announced"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _save(state_path: Path, hub: str, announced: dict[str, Version]) -> None:
    data = {"hub": hub, "announced": {p: list(v) for p, v in sorted(announced.items())}}
    with contextlib.suppress(OSError):  # unsaved: the next build announces again, harmlessly
        write_atomic(state_path, (json.dumps(data, indent=1) + "\n").encode())
