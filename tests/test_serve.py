"""``feedbuilder serve``: media types, conditional GET (ETag / Last-Modified → 304), gzip."""

from __future__ import annotations

import gzip
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from feedbuilder.cli import main
from feedbuilder.serve import OutputServer, media_type

from .sitecorpus import build_corpus

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OutputServer]:
    root = tmp_path_factory.mktemp("serve")
    config = build_corpus(root)
    with OutputServer(config.output_dir, port=0, quiet=True) as srv:
        srv.start()
        yield srv
        srv.shutdown()


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_feedparser_gets_304_the_second_time(server: OutputServer) -> None:
    url = server.url + "feeds/all.rss.xml"
    first = feedparser.parse(url)
    assert first.status == 200 and not first.bozo and first.entries
    assert first.etag and first.modified
    second = feedparser.parse(url, etag=first.etag, modified=first.modified)
    assert second.status == 304
    assert not second.entries


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("feeds/all.rss.xml", "application/rss+xml; charset=utf-8"),
        ("feeds/all.atom.xml", "application/atom+xml; charset=utf-8"),
        ("feeds/all.json", "application/feed+json; charset=utf-8"),
        ("feeds/index.opml", "text/x-opml; charset=utf-8"),
        ("feeds/category/jin-rong.rss.xml", "application/rss+xml; charset=utf-8"),
        ("", "text/html; charset=utf-8"),
        ("img/bank.png", "image/png"),
    ],
)
def test_media_types(server: OutputServer, path: str, kind: str) -> None:
    status, headers, body = get(server.url + path)
    assert (status, headers["Content-Type"]) == (200, kind)
    assert body


def test_browsers_get_xml_feeds_as_application_xml_for_the_stylesheet() -> None:
    assert media_type("all.rss.xml", BROWSER_ACCEPT) == "application/xml; charset=utf-8"
    assert media_type("all.atom.xml", BROWSER_ACCEPT) == "application/xml; charset=utf-8"
    assert media_type("all.json", BROWSER_ACCEPT).startswith("application/feed+json")


def test_if_modified_since_alone_and_stale_etag(server: OutputServer) -> None:
    url = server.url + "feeds/all.atom.xml"
    _, headers, body = get(url)
    status, _, empty = get(url, **{"If-Modified-Since": headers["Last-Modified"]})
    assert (status, empty) == (304, b"")
    status, _, again = get(url, **{"If-None-Match": '"stale"'})
    assert (status, again) == (200, body)


def test_gzip_when_asked(server: OutputServer) -> None:
    url = server.url + "feeds/all.json"
    _, plain_headers, plain = get(url)
    status, headers, body = get(url, **{"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == plain and len(body) < len(plain)
    assert "Content-Encoding" not in plain_headers
    assert headers["ETag"] != plain_headers["ETag"]
    status, _, _ = get(url, **{"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})
    assert status == 304


@pytest.mark.parametrize(
    "path", ["../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", ".feedbuilder-manifest.json", "nope"]
)
def test_nothing_outside_the_output_dir_or_hidden(server: OutputServer, path: str) -> None:
    status, _, _ = get(server.url + path)
    assert status == 404


def test_a_file_replaced_by_rename_is_served_new(server: OutputServer, tmp_path: Path) -> None:
    target = server.root / "feeds/all.json"
    _, headers, before = get(server.url + "feeds/all.json")
    replacement = tmp_path / "new.json"
    replacement.write_bytes(before.replace(b"Corpus", b"Rebuilt"))
    replacement.replace(target)
    _, new_headers, after = get(server.url + "feeds/all.json")
    assert b"Rebuilt" in after and new_headers["ETag"] != headers["ETag"]


def test_serve_on_a_busy_port_is_a_usage_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--output", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
