"""A small corpus for the feeds-page, preview-server and browser tests, written into tmp dirs.

Thumbnails point at ``image_base`` so a test can serve them itself (the bundled posts' image
hosts do not resolve offline).
"""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

from feedbuilder.config import Config, make_config
from feedbuilder.pipeline import build

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def png(width: int = 4, height: int = 3) -> bytes:
    """A valid solid-colour RGB PNG, made here so the bytes are known to be right."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xc2\x41\x0c" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


POSTS = [
    # (file stem, title, categories (YAML), date, thumbnail name)
    ("a1", "央行维持利率不变", "[金融, 银行]", "2024-03-01 09:00", "bank.png"),
    (
        "a2",
        "芯片股大涨 Chip stocks rally",
        "[[金融, 股市], [科技]]",
        "2024-03-02 10:30",
        "chips.png",
    ),
    ("a3", "编译器新版本发布", "[科技, 开源]", "2024-02-20 08:00", "compiler.png"),
    ("a4", "茶道 <b>入门</b>", "生活", "2024-01-15 12:00", None),
]
CATEGORY_NAMES = ["金融", "银行", "股市", "科技", "开源", "生活"]


def write_posts(posts_dir: Path, image_base: str) -> None:
    posts_dir.mkdir(parents=True, exist_ok=True)
    for stem, title, categories, date, thumb in POSTS:
        lines = [
            "---",
            f"title: '{title}'",
            f"date: {date}",
            f"categories: {categories}",
            "tags: [news]",
        ]
        if thumb:
            lines.append(f"thumbnail: {image_base}{thumb}")
        lines += ["---", "", f"<p>Body of {stem}: something happened.</p>", ""]
        (posts_dir / f"{stem}.md").write_text("\n".join(lines), encoding="utf-8")


def write_images(images_dir: Path) -> None:
    images_dir.mkdir(parents=True, exist_ok=True)
    for *_, thumb in POSTS:
        if thumb:
            (images_dir / thumb).write_bytes(png())


def build_corpus(root: Path, site_url: str = "https://example.com/", **settings: object) -> Config:
    """Write ``root/posts`` (thumbnails under ``<site_url>img/``) and build ``root/out``."""
    write_posts(root / "posts", f"{site_url}img/")
    config = make_config(
        {
            "site_title": "Corpus",
            "site_url": site_url,
            "timezone": "Asia/Shanghai",
            "posts_dir": str(root / "posts"),
            "output_dir": str(root / "out"),
            **settings,
        }
    )
    build(config, now=NOW)
    write_images(root / "out" / "img")
    return config
