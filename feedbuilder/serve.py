"""``feedbuilder serve``: a preview server for the output dir, behaving like a careful web server.

- media types for feeds (``application/rss+xml``…);
- a browser opening a feed's URL (a navigation, ``Sec-Fetch-Dest: document``, that prefers
  ``text/html``) gets the feed's page, ``feeds/<key>.html``, with ``Vary``; feed readers always
  get the feed, whatever ``Accept`` they send (some send ``text/html`` too). Without pages,
  browsers get RSS and Atom as ``application/xml``, under which ``feed.xsl`` applies;
- ``ETag`` and ``Last-Modified``, ``304 Not Modified`` on a conditional GET; a date in the future
  is no validator (RFC 9110 §13.1.3) and gets the full response;
- ``Link: <hub>; rel="hub"`` and ``rel="self"`` on feeds when a WebSub hub is configured;
- gzip when the request's ``Accept-Encoding`` allows it;
- ``Cache-Control: no-cache`` (revalidate every time), but for archive pages other than each
  feed's newest: a year (``archives = true``; they change only when a post of theirs does);
- bad paths answered 400/404/414, headers due within ``HEADER_SECONDS``, at most
  ``max_connections`` served at once (the rest get 503), so no client holds a thread for ever.

Builds replace files by atomic rename, so each request opens the file once and answers from
that handle: it sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import gzip
import io
import mimetypes
import os
import re
import socket
import threading
import time
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

MEDIA_TYPES = {
    ".rss.xml": "application/rss+xml",
    ".atom.xml": "application/atom+xml",
    ".json": "application/feed+json",
    ".opml": "text/x-opml",
    ".xsl": "text/xsl",
    ".html": "text/html",
}
FEED_SUFFIXES = (".rss.xml", ".atom.xml", ".json")
PLAIN_JSON = {"health.json"}  # JSON beside the feeds that is no feed (output/health.py)
PAGE_SUFFIX = ".html"
BROWSER_XML = "application/xml"
FEED_XML = ("application/rss+xml", "application/atom+xml")
MIN_GZIP_BYTES = 256
MAX_TARGET = 2048  # characters in a request target: far above any path a build writes
MAX_SEGMENT = 255  # bytes in one path segment (NAME_MAX): no longer name can exist
HEADER_SECONDS = 10.0  # to send a request line and headers, from the first byte or idle
SEND_SECONDS = 30.0  # for each write of the response to make progress
MAX_CONNECTIONS = 64
# Archive pages (archives = true) but the newest, which still changes: cacheable for a year.
ARCHIVE_PAGE = re.compile(
    r"^feeds/archive/(?P<feed>.+)/(?P<page>[0-9a-z][0-9a-z-]*)(?:\.rss\.xml|\.atom\.xml|\.json)$"
)
ARCHIVED = "public, max-age=31536000"


def cache_control(root: Path, rel_path: str) -> str:
    """``Cache-Control`` for a file: a year for an archive page that is not its feed's newest
    (the build marks the newest with an empty ``.newest-<name>`` beside it); else ``no-cache``,
    so every poll revalidates with the ETag."""
    page = ARCHIVE_PAGE.match(rel_path)
    if page is None:
        return "no-cache"
    marker = root / "feeds/archive" / page["feed"] / f".newest-{page['page']}"
    return "no-cache" if marker.exists() else ARCHIVED


def media_type(name: str, accept: str = "") -> str:
    """The Content-Type for a file's path in the output dir, given the request's Accept
    header."""
    kind = "application/json" if name in PLAIN_JSON else None
    kind = kind or next((k for suffix, k in MEDIA_TYPES.items() if name.endswith(suffix)), None)
    kind = kind or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind in FEED_XML and "text/html" in accept:
        kind = BROWSER_XML
    return f"{kind}; charset=utf-8" if _is_text(kind) else kind


def _is_text(kind: str) -> bool:
    return kind.startswith("text/") or kind.endswith(("xml", "json"))


def etag(stat: os.stat_result, gzipped: bool = False) -> str:
    """A strong validator per file version and encoding."""
    return f'"{stat.st_size:x}-{stat.st_mtime_ns:x}{"-gz" if gzipped else ""}"'


def quality(accept: str, media: str) -> float:
    """The q-value ``accept`` gives ``media``: its most specific match wins (RFC 9110 §12.5.1)."""
    kind = media.split("/", 1)[0]
    best = (-1, 0.0)  # (specificity, q)
    for part in accept.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        name = name.lower()
        specificity = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(name, -1)
        if specificity > best[0]:
            best = (specificity, q)
    return best[1]


def wants_page(accept: str, fetch_dest: str, feed_media: str) -> bool:
    """Whether a request for a feed is a browser's navigation that would rather have HTML.

    ``Sec-Fetch-Dest`` is set by browsers alone (scripts cannot), and only to ``document`` for
    a page opened in a tab; readers never send it, so whatever their ``Accept`` says (SimplePie
    and others list ``text/html``), they get the feed.
    """
    if fetch_dest.lower() != "document":
        return False
    return quality(accept, "text/html") > quality(accept, feed_media)


def feed_page(rel_path: str) -> str | None:
    """The page of the feed at ``rel_path`` (``feeds/all.atom.xml`` → ``feeds/all.html``)."""
    if not rel_path.startswith("feeds/"):
        return None
    for suffix in FEED_SUFFIXES:
        if rel_path.endswith(suffix):
            return rel_path.removesuffix(suffix) + PAGE_SUFFIX
    return None


class BadRequest(Exception):
    """A request target that no file can answer, with the status that says why."""

    def __init__(self, status: HTTPStatus):
        super().__init__(status.phrase)
        self.status = status


def request_path(target: str) -> str:
    """The output-relative path a request target names ("" for the root), or BadRequest."""
    if len(target) > MAX_TARGET:
        raise BadRequest(HTTPStatus.REQUEST_URI_TOO_LONG)
    path = urlsplit(target).path
    if not path.startswith("/"):
        raise BadRequest(HTTPStatus.BAD_REQUEST)
    decoded = unquote(path, errors="strict") if "%" in path else path
    if any(ord(c) < 0x20 or c == "\x7f" for c in decoded):
        raise BadRequest(HTTPStatus.BAD_REQUEST)
    parts = [p for p in decoded.split("/") if p]
    for part in parts:
        if part in (".", "..") or part.startswith(".") or "\\" in part:
            raise BadRequest(HTTPStatus.NOT_FOUND)  # hidden: the lock, manifest, temporaries
        if len(part.encode("utf-8", "surrogatepass")) > MAX_SEGMENT:
            raise BadRequest(HTTPStatus.NOT_FOUND)
    return "/".join(parts)


class _DeadlineReader(io.RawIOBase):
    """A socket's bytes, each read allowed only the time left before the handler's deadline."""

    def __init__(self, connection: socket.socket, handler: OutputHandler):
        self.connection = connection
        self.handler = handler

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.handler.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("request headers too slow")
        self.connection.settimeout(left)
        return self.connection.recv_into(buffer)


class OutputHandler(BaseHTTPRequestHandler):
    """Serves files under ``server.root`` (GET and HEAD only)."""

    server: OutputServer
    protocol_version = "HTTP/1.1"
    deadline = 0.0

    def setup(self) -> None:
        super().setup()
        self.rfile = io.BufferedReader(_DeadlineReader(self.connection, self))

    def handle_one_request(self) -> None:
        """One request, its line and headers due within HEADER_SECONDS (idle keep-alive too)."""
        self.deadline = time.monotonic() + self.server.header_seconds
        try:
            super().handle_one_request()
        except (TimeoutError, ConnectionError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def _answer(self, send_body: bool) -> None:
        self.connection.settimeout(SEND_SECONDS)
        try:
            rel_path = request_path(self.path)
        except (BadRequest, UnicodeDecodeError) as exc:
            status = exc.status if isinstance(exc, BadRequest) else HTTPStatus.BAD_REQUEST
            self.send_error(status)
            return
        served = rel_path
        page = feed_page(rel_path)
        negotiated = page is not None and (self.server.root / page).is_file()
        accept, dest = self.headers.get("Accept", ""), self.headers.get("Sec-Fetch-Dest", "")
        if negotiated and page and wants_page(accept, dest, media_type(rel_path)):
            served = page
        handle = self._open(served)
        if handle is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        with handle:
            self._send(handle, served, rel_path, negotiated, send_body)

    def _open(self, rel_path: str) -> BinaryIO | None:
        target = self.server.root / rel_path if rel_path else self.server.root
        try:
            if target.is_dir():
                target = target / "index.html"
            if not target.resolve().is_relative_to(self.server.root.resolve()):
                return None
            handle = open(target, "rb")  # noqa: SIM115 - closed by the caller
        except (OSError, ValueError):
            return None
        if not os.path.isfile(handle.name):
            handle.close()
            return None
        return handle

    def _send(
        self, handle: BinaryIO, served: str, asked: str, negotiated: bool, send_body: bool
    ) -> None:
        stat = os.fstat(handle.fileno())
        name = os.path.relpath(handle.name, self.server.root)
        kind = media_type(name, "" if negotiated else self.headers.get("Accept", ""))
        gzipped = (
            "gzip" in self.headers.get("Accept-Encoding", "")
            and _is_text(kind.split(";")[0])
            and stat.st_size >= MIN_GZIP_BYTES
        )
        vary = (
            "Accept, Sec-Fetch-Dest, Accept-Encoding" if negotiated else "Accept, Accept-Encoding"
        )
        headers = {
            "ETag": etag(stat, gzipped),
            "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
            "Cache-Control": cache_control(self.server.root, served),
            "Vary": vary,
        }
        if served != asked:
            headers["Content-Location"] = "/" + served
        links = self.server.links(asked) if served == asked else []
        data = b""
        if self._not_modified({etag(stat), etag(stat, True)}, stat.st_mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
        else:
            data = handle.read()
            if gzipped:
                data = gzip.compress(data, mtime=0)
                headers["Content-Encoding"] = "gzip"
            self.send_response(HTTPStatus.OK)
            headers["Content-Type"] = kind
            headers["Content-Length"] = str(len(data))
        for key, value in headers.items():
            self.send_header(key, value)
        for link in links:
            self.send_header("Link", link)
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _not_modified(self, current: set[str], mtime: float) -> bool:
        """RFC 9110 §13.1.2-3: If-None-Match wins; If-Modified-Since counts only without it,
        and only when it is a valid date not in the future."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return bool(tags & current) or "*" in tags
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            date = parsedate_to_datetime(since)
        except (TypeError, ValueError, IndexError):
            return False
        if date.tzinfo is None:  # "-0000": UTC, as HTTP dates are
            date = date.replace(tzinfo=UTC)
        if date > datetime.now(UTC):
            return False
        return int(mtime) <= date.timestamp()


class OutputServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one output dir, at most ``max_connections`` at once."""

    daemon_threads = True

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        quiet: bool = False,
        *,
        hub: str = "",
        feeds_url: str = "",
        max_connections: int = MAX_CONNECTIONS,
        header_seconds: float = HEADER_SECONDS,
    ):
        """Raises NotADirectoryError when ``root`` is not a folder (before binding)."""
        if not root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder (build the feeds first)")
        self.root = root
        self.quiet = quiet
        self.hub = hub
        self.feeds_url = feeds_url
        self.header_seconds = header_seconds
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__((host, port), OutputHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def links(self, rel_path: str) -> list[str]:
        """WebSub discovery headers for a feed: the hub and the feed's own (topic) URL."""
        if not self.hub or feed_page(rel_path) is None:
            return []
        self_url = (self.feeds_url or self.url) + rel_path
        return [f'<{self.hub}>; rel="hub"', f'<{self_url}>; rel="self"']

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            _refuse(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def start(self) -> threading.Thread:
        """Serve in a background thread (for tests and embedding); ``shutdown()`` stops it."""
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return thread


def _refuse(request: socket.socket) -> None:
    """A short 503 for a connection over the limit, never waiting on the client for long."""
    try:
        request.settimeout(1)
        request.sendall(
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
    except OSError:
        pass
