"""``feedbuilder serve``: media types, conditional GET (ETag / Last-Modified → 304), gzip."""

from __future__ import annotations

import contextlib
import gzip
import socket
import time
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


# Accept headers real clients send (captured from each, or from its source)
CHROMIUM = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
READERS = {
    "reader": "application/atom+xml,application/rdf+xml,application/rss+xml,application/x-netcdf,"
    "application/feed+json,application/xml;q=0.9,application/json;q=0.9,text/xml;q=0.2,*/*;q=0.1",
    "newsboat": "*/*",
    "simplepie (FreshRSS)": "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9,"
    " application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.7, unknown/unknown;q=0.1,"
    " application/unknown;q=0.1, */*;q=0.1",
    "xibo": "application/rss+xml, application/rdf+xml;q=0.8, text/html",
    "a reader copying a browser": CHROMIUM,
    "none": "",
}
NAVIGATE = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}


@pytest.mark.parametrize("accept", [CHROMIUM, FIREFOX])
@pytest.mark.parametrize("feed", ["feeds/all.rss.xml", "feeds/category/jin-rong.atom.xml"])
def test_a_browser_opening_a_feed_gets_its_page(
    server: OutputServer, accept: str, feed: str
) -> None:
    status, headers, body = get(server.url + feed, Accept=accept, **NAVIGATE)
    page = feed.rsplit(".", 2)[0] + ".html"
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert body == (server.root / page).read_bytes()
    assert headers["Content-Location"] == "/" + page
    assert {"Accept", "Sec-Fetch-Dest"} <= {v.strip() for v in headers["Vary"].split(",")}
    again, _, _ = get(
        server.url + feed, Accept=accept, **NAVIGATE, **{"If-None-Match": headers["ETag"]}
    )
    assert again == 304


@pytest.mark.parametrize("client", list(READERS))
@pytest.mark.parametrize("feed", ["feeds/all.rss.xml", "feeds/all.atom.xml", "feeds/all.json"])
def test_feed_readers_always_get_the_feed(server: OutputServer, client: str, feed: str) -> None:
    status, headers, body = get(server.url + feed, Accept=READERS[client])
    assert status == 200 and body == (server.root / feed).read_bytes(), client
    assert "Accept" in headers["Vary"] and "Content-Location" not in headers


def test_a_script_fetching_a_feed_gets_the_feed(server: OutputServer) -> None:
    feed = "feeds/all.atom.xml"
    _, _, body = get(server.url + feed, Accept=CHROMIUM, **{"Sec-Fetch-Dest": "empty"})
    assert body == (server.root / feed).read_bytes()


def test_hub_and_self_link_headers(tmp_path: Path) -> None:
    config = build_corpus(tmp_path, websub_hub="https://hub.example.net/")
    with OutputServer(
        config.output_dir, port=0, quiet=True, hub=config.websub_hub, feeds_url=config.feeds_url
    ) as srv:
        srv.start()
        request = urllib.request.Request(srv.url + "feeds/all.atom.xml")
        with urllib.request.urlopen(request, timeout=10) as response:
            links = response.headers.get_all("Link")
        _, page_headers, _ = get(srv.url + "index.html")
        srv.shutdown()
    assert links == [
        '<https://hub.example.net/>; rel="hub"',
        '<https://example.com/feeds/all.atom.xml>; rel="self"',
    ]
    assert "Link" not in page_headers


def raw(server: OutputServer, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection and read the whole answer (the server closes)."""
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), port), timeout=10) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/feeds/all.rss.xml%00", 400),
        ("/%00", 400),
        ("/feeds/%0a.json", 400),
        ("/feeds/%ff%fe.json", 400),
        ("/" + "a" * 256, 404),
        ("/feeds/" + "%e9%87%91" * 100 + ".json", 404),
        ("/" + "a" * 5000, 414),
        ("/" + "a/" * 3000, 414),
        ("feeds/all.json", 400),
    ],
)
def test_bad_paths_get_a_status_not_a_dropped_connection(
    server: OutputServer, target: str, status: int
) -> None:
    answer = raw(server, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:80]


def test_future_if_modified_since_gets_the_full_response(server: OutputServer) -> None:
    url = server.url + "feeds/all.atom.xml"
    for since in ("Fri, 01 Jan 2100 00:00:00 GMT", "Fri, 01 Jan 2100 00:00:00 -0000"):
        status, _, body = get(url, **{"If-Modified-Since": since})
        assert status == 200 and body == (server.root / "feeds/all.atom.xml").read_bytes()


def test_slow_or_idle_clients_are_cut_off_and_connections_bounded(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("hi", encoding="utf-8")
    with OutputServer(tmp_path, port=0, quiet=True, max_connections=2, header_seconds=0.5) as srv:
        srv.start()
        host, port = srv.server_address[:2]
        slow = [socket.create_connection((str(host), port), timeout=5) for _ in range(2)]
        for conn in slow:  # a byte now and then: each recv is quick, the headers never end
            conn.sendall(b"GET / HTTP/1.1\r\n")
        over = raw(srv, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert over.startswith(b"HTTP/1.1 503 ")
        for _ in range(4):
            for conn in slow:
                with contextlib.suppress(OSError):
                    conn.sendall(b"X")
            time.sleep(0.2)
        for conn in slow:  # closed by the server: end of stream, or a reset for the drip
            with contextlib.suppress(ConnectionResetError):
                assert conn.recv(1024) == b""
            conn.close()
        answer = raw(srv, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        srv.shutdown()
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_serve_refuses_a_missing_output_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--output", str(tmp_path / "nope"), "--port", "0"])
    assert result.exit_code == 2
    assert "is not a folder" in result.output
