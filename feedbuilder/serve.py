"""``feedbuilder serve``: a preview server for the output dir, behaving like a careful web server.

- media types for feeds (``application/rss+xml``…), except that a browser (which asks for
  ``text/html``) gets RSS and Atom as ``application/xml``, the type under which it applies the
  feeds' XSL stylesheet instead of offering a download;
- ``ETag`` and ``Last-Modified``, ``304 Not Modified`` on a conditional GET;
- gzip when the request's ``Accept-Encoding`` allows it.

Builds replace files by atomic rename, so each request opens the file once and answers from
that handle: it sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import gzip
import mimetypes
import os
import posixpath
import threading
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

MEDIA_TYPES = {
    ".rss.xml": "application/rss+xml",
    ".atom.xml": "application/atom+xml",
    ".json": "application/feed+json",
    ".opml": "text/x-opml",
    ".xsl": "text/xsl",
    ".html": "text/html",
}
BROWSER_XML = "application/xml"
FEED_XML = ("application/rss+xml", "application/atom+xml")
MIN_GZIP_BYTES = 256


def media_type(name: str, accept: str = "") -> str:
    """The Content-Type for a file name, given the request's Accept header."""
    kind = next((k for suffix, k in MEDIA_TYPES.items() if name.endswith(suffix)), None)
    kind = kind or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind in FEED_XML and "text/html" in accept:
        kind = BROWSER_XML
    return f"{kind}; charset=utf-8" if _is_text(kind) else kind


def _is_text(kind: str) -> bool:
    return kind.startswith("text/") or kind.endswith(("xml", "json"))


def etag(stat: os.stat_result, gzipped: bool = False) -> str:
    """A strong validator per file version and encoding."""
    return f'"{stat.st_size:x}-{stat.st_mtime_ns:x}{"-gz" if gzipped else ""}"'


class OutputHandler(BaseHTTPRequestHandler):
    """Serves files under ``server.root`` (GET and HEAD only)."""

    server: OutputServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def _resolve(self) -> Path | None:
        path = posixpath.normpath(unquote(urlsplit(self.path).path))
        parts = [p for p in path.split("/") if p and p not in (".", "..")]
        target = self.server.root.joinpath(*parts)
        if target.is_dir():
            target = target / "index.html"
        if not target.resolve().is_relative_to(self.server.root.resolve()):
            return None
        if any(p.startswith(".") for p in parts):  # the lock, the manifest, temp files
            return None
        return target

    def _answer(self, send_body: bool) -> None:
        target = self._resolve()
        try:
            handle = open(target, "rb") if target is not None else None  # noqa: SIM115
        except OSError:
            handle = None
        if handle is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        with handle:
            self._send(handle, handle.name, send_body)

    def _send(self, handle: BinaryIO, name: str, send_body: bool) -> None:
        stat = os.fstat(handle.fileno())
        kind = media_type(name, self.headers.get("Accept", ""))
        gzipped = (
            "gzip" in self.headers.get("Accept-Encoding", "")
            and _is_text(kind.split(";")[0])
            and stat.st_size >= MIN_GZIP_BYTES
        )
        headers = {
            "ETag": etag(stat, gzipped),
            "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
            "Cache-Control": "no-cache",
            "Vary": "Accept, Accept-Encoding",
        }
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
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _not_modified(self, current: set[str], mtime: float) -> bool:
        """RFC 9110 §13.1.2-3: If-None-Match wins; If-Modified-Since counts only without it."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return bool(tags & current) or "*" in tags
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False


class OutputServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one output dir."""

    daemon_threads = True

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8000, quiet: bool = False):
        self.root = root
        self.quiet = quiet
        super().__init__((host, port), OutputHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> threading.Thread:
        """Serve in a background thread (for tests and embedding); ``shutdown()`` stops it."""
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return thread
