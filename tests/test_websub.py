"""WebSub publishing against a small hub on loopback that records the pings."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from feedbuilder.config import Config
from feedbuilder.output.websub import STATE_NAME, announce_changes
from feedbuilder.pipeline import build

from .sitecorpus import NOW, build_corpus


class Hub(ThreadingHTTPServer):
    """Records each publish ping's form; answers with ``statuses`` in turn, then 204."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        self.pings: list[dict[str, list[str]]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", port), HubHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def topics(self) -> list[str]:
        return sorted(p["hub.url"][0] for p in self.pings)


class HubHandler(BaseHTTPRequestHandler):
    server: Hub

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = parse_qs(self.rfile.read(length).decode())
        with self.server.lock:
            status = self.server.statuses.pop(0) if self.server.statuses else 204
            if status < 300:
                self.server.pings.append(form)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hub() -> Iterator[Hub]:
    with Hub() as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield server
        server.shutdown()


def feed_urls(config: Config) -> list[str]:
    out = config.output_dir
    return sorted(
        config.feeds_url + p.relative_to(out).as_posix()
        for p in (out / "feeds").rglob("*")
        if p.name.endswith((".rss.xml", ".atom.xml", ".json"))
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_first_build_announces_every_feed_then_only_the_changed(tmp_path: Path, hub: Hub) -> None:
    config = build_corpus(tmp_path, websub_hub=hub.url)
    assert hub.topics() == feed_urls(config)
    ping = hub.pings[0]
    assert ping["hub.mode"] == ["publish"] and ping["hub.topic"] == ping["hub.url"]
    hub.pings.clear()
    assert not build(config, now=NOW).problems and hub.pings == []  # nothing changed
    post = tmp_path / "posts/a4.md"  # only in 生活 and the all-posts feed
    post.write_text(post.read_text(encoding="utf-8").replace("Body of", "Edited body of"))
    build(config, now=NOW)
    changed = {u.rsplit("/", 1)[1].split(".")[0] for u in hub.topics()}
    assert changed == {"all", "sheng-huo"} and len(hub.pings) == 2 * 3  # three formats each


def test_a_hub_that_is_down_is_a_warning_and_the_next_build_catches_up(tmp_path: Path) -> None:
    port = free_port()
    config = build_corpus(tmp_path)
    config = config.replace(websub_hub=f"http://127.0.0.1:{port}/")
    report = build(config, now=NOW)  # the hub link is new: every feed changes
    (warning,) = [p for p in report.problems if "WebSub" in p.reason]
    assert "unreachable" in warning.reason and not report.errors
    with Hub(port) as hub:  # back up; the next build (nothing else changed) announces them
        threading.Thread(target=hub.serve_forever, daemon=True).start()
        report = build(config, now=NOW)
        hub.shutdown()
    assert report.feeds_written == 0 and not report.problems
    assert hub.topics() == feed_urls(config)


def test_unchanged_rebuild_retries_what_is_pending(tmp_path: Path, hub: Hub) -> None:
    config = build_corpus(tmp_path, websub_hub=hub.url)
    hub.pings.clear()
    (tmp_path / "out" / STATE_NAME).unlink()  # as if every ping had failed
    report = build(config, now=NOW)
    assert report.feeds_written == 0  # the unchanged shortcut
    assert hub.topics() == feed_urls(config)


def test_retries_5xx_twice_then_gives_up_until_next_time(tmp_path: Path, hub: Hub) -> None:
    config = build_corpus(tmp_path)
    out, url = config.output_dir, config.feeds_url
    hub.statuses = [503, 502]
    assert not announce_changes(out, hub.url, url, retry_delays=(0, 0))
    assert hub.topics() == feed_urls(config)  # the first feed on its third try
    (out / STATE_NAME).unlink()
    hub.pings.clear()
    hub.statuses = [503] * 3
    (problem,) = announce_changes(out, hub.url, url, retry_delays=(0, 0))
    assert "HTTP 503" in problem.reason and hub.pings == []
    assert not announce_changes(out, hub.url, url, retry_delays=(0, 0))
    assert hub.topics() == feed_urls(config)


def test_a_hub_that_never_answers_times_out(tmp_path: Path) -> None:
    config = build_corpus(tmp_path)
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        hub = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        (problem,) = announce_changes(
            config.output_dir, hub, config.feeds_url, timeout=0.2, retry_delays=(0, 0)
        )
    assert "unreachable" in problem.reason and "timed out" in problem.reason


def test_a_refusal_is_reported_once_not_retried_for_ever(tmp_path: Path, hub: Hub) -> None:
    config = build_corpus(tmp_path)
    hub.statuses = [400]
    problems = announce_changes(config.output_dir, hub.url, config.feeds_url)
    assert [p.reason.split("(")[-1] for p in problems] == ["HTTP 400)"]
    assert not announce_changes(config.output_dir, hub.url, config.feeds_url)


def test_a_new_hub_hears_about_every_feed(tmp_path: Path, hub: Hub) -> None:
    config = build_corpus(tmp_path)
    assert not announce_changes(
        config.output_dir, "http://127.0.0.1:9/old/", "x", send=lambda *a: 204
    )
    assert not announce_changes(config.output_dir, hub.url, config.feeds_url)
    assert hub.topics() == feed_urls(config)
