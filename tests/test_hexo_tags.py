"""Hexo's tag plugins and fences, rendered as Hexo 8 renders them.

The expected HTML below is what Hexo 8.1 gave for the same source (tests/fixtures/hexo_tags,
built by ``hexo generate``), as it reads once through the sanitiser; the last test builds
that site with the real Hexo when node and Hexo are installed, and compares.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from feedbuilder import Config, build
from feedbuilder.collect.frontmatter import split_post
from feedbuilder.normalise.content import clean_body
from feedbuilder.normalise.hexotags import PostLinkTarget, TagContext, unknown_tag_warnings

from .conftest import FIXTURES, make_post
from .hexo_oracle import hexo_modules

SITE = FIXTURES / "hexo_tags"
PERMALINK = "https://example.com/blog/2024/01/02/tags/"
POSTS = {
    "other": PostLinkTarget("https://example.com/blog/2024/01/01/other/", "The <Other> & post"),
    "sub/deep": PostLinkTarget("https://example.com/blog/2024/01/01/sub/deep/", "Deep"),
}
SITE_CONTEXT = TagContext(
    post_asset_folder=True,
    permalink=PERMALINK,
    site_root="https://example.com/blog/",
    resolve_post=POSTS.get,
    assets=frozenset({"pic.png", "doc.pdf"}),
    strip_code_indent=True,
)


def render(body: str, context: TagContext = SITE_CONTEXT, fmt: str = "markdown") -> str:
    return clean_body(body, fmt, PERMALINK, (), 200, tags=context, referrer_policy="").content_html


def problems(body: str, context: TagContext = SITE_CONTEXT) -> tuple[str, ...]:
    return clean_body(body, "markdown", PERMALINK, (), 200, tags=context).problems


def test_raw_is_inserted_as_it_is() -> None:
    body = "{% raw %}\n<div>**not md** {{ page.title }}</div>\n{% endraw %}\n"
    assert render(body) == "<div>**not md** {{ page.title }}</div>"
    assert render("`{% raw %}{{ x }}{% endraw %}`") == "<p><code>{{ x }}</code></p>"


def test_codeblock() -> None:
    body = (
        "{% codeblock Title here lang:python %}\ndef f():\n    a = 1\n\n    b = 2\n"
        "{% endcodeblock %}"
    )
    assert render(body) == (
        "<figure><figcaption><span>Title here</span></figcaption>"
        '<pre><code class="language-python">def f():\n    a = 1\n\n    b = 2\n'
        "</code></pre></figure>"
    )
    linked = (
        "{% codeblock lang:js Caption https://example.com/src Link text %}\nx < y\n"
        "{% endcodeblock %}"
    )
    assert render(linked) == (
        '<figure><figcaption><span>Caption</span><a href="https://example.com/src">Link text</a>'
        '</figcaption><pre><code class="language-js">x &lt; y\n</code></pre></figure>'
    )
    # Nunjucks renders the tags inside a block before the block: Hexo shows their HTML.
    nested = "{% code %}\nplain\n\n\ttabbed {% img /no.png %}\n{% endcode %}"
    assert render(nested) == (
        '<pre><code>plain\n\n\ttabbed &lt;img src="/blog/no.png" class=""&gt;\n</code></pre>'
    )


def test_blockquote() -> None:
    assert render("{% blockquote %}\nQuoted *markdown*.\n{% endblockquote %}") == (
        "<blockquote><p>Quoted <em>markdown</em>.</p>\n</blockquote>"
    )
    assert render("{% quote David Levithan, Wide Awake %}\nDo.\n{% endquote %}") == (
        "<blockquote><p>Do.</p>\n<footer><strong>David Levithan</strong>"
        "<cite>Wide Awake</cite></footer></blockquote>"
    )
    cited = (
        "{% blockquote Seth Godin http://sethgodin.typepad.com/a.html Welcome %}\nE.\n"
        "{% endblockquote %}"
    )
    assert render(cited) == (
        "<blockquote><p>E.</p>\n<footer><strong>Seth Godin</strong><cite>"
        '<a href="http://sethgodin.typepad.com/a.html">Welcome</a></cite></footer></blockquote>'
    )


def test_img() -> None:
    assert render('{% img /images/x.jpg 100 200 \'"The title" "The alt"\' %}') == (
        '<img alt="The alt" height="200" src="https://example.com/blog/images/x.jpg"'
        ' title="The title" width="100">'
    )
    assert render("{% img left https://cdn.example.org/y.png Just a title %}") == (
        '<img src="https://cdn.example.org/y.png" title="Just a title">'
    )
    assert (
        render("a {% image /a.png %} b") == '<p>a <img src="https://example.com/blog/a.png"> b</p>'
    )


def test_asset_img_and_asset_link() -> None:
    assert render('{% asset_img pic.png \'"spaced title" "alt text"\' %}') == (
        f'<img alt="alt text" src="{PERMALINK}pic.png" title="spaced title">'
    )
    assert render("{% asset_link doc.pdf Read <the> doc %}") == (
        f'<a href="{PERMALINK}doc.pdf" title="Read &lt;the&gt; doc">Read &lt;the&gt; doc</a>'
    )
    assert render("{% asset_img missing.png %}") == ""
    assert problems("{% asset_img missing.png %}") == (
        "{% asset_img %}: no 'missing.png' in the post's asset folder; left out",
    )
    no_folder = TagContext(permalink=PERMALINK)
    assert render("{% asset_img pic.png %}", no_folder) == ""
    assert problems("{% asset_link doc.pdf %}", no_folder) == (
        "{% asset_link %} needs post_asset_folder; left out",
    )


def test_asset_urls_sit_beside_an_html_permalink() -> None:
    context = TagContext(post_asset_folder=True, permalink="https://example.com/2024/tags.html")
    assert (
        render("{% asset_img pic.png %}", context)
        == '<img src="https://example.com/2024/tags/pic.png">'
    )


def test_post_link() -> None:
    assert render("{% post_link other %}") == (
        '<a href="https://example.com/blog/2024/01/01/other/" title="The &lt;Other&gt; &amp; post">'
        "The &lt;Other&gt; &amp; post</a>"
    )
    assert render("{% post_link sub/deep 'Deep one' %}") == (
        '<a href="https://example.com/blog/2024/01/01/sub/deep/" title="Deep">Deep one</a>'
    )
    assert 'href="https://example.com/blog/2024/01/01/other/#sec"' in render(
        "{% post_link other#sec %}"
    )
    assert render("{% post_link gone Gone post %}") == "Gone post"
    assert problems("{% post_link gone %}") == (
        "{% post_link gone %}: no such post; its text is kept without a link",
    )


def test_code_shields_tags_as_hexo_does() -> None:
    body = (
        "`{% img /inline.png %}`\n\n    indented {% img /ind.png %}\n\n"
        "```\nfenced {% img /f.png %}\n```\n\n<pre><code>{% img /h.png %}</code></pre>\n\n"
        "<pre>{% img /pre.png %}</pre>\n"
    )
    html = render(body)
    for shielded in ("/inline.png", "/ind.png", "/f.png", "/h.png"):
        assert f"{{% img {shielded} %}}" in html
    assert '<pre><img src="https://example.com/blog/pre.png"></pre>' in html  # <pre> alone does not


def test_unknown_tags_stay_text_and_are_named_once() -> None:
    body = (
        "a {% note info %} **b** {% endnote %}\n\n    {% if x %} in code {% endif %}\n\n"
        "`{% youtube id %}` and {% if y %} z {% else %} w {% endif %}\n"
    )
    assert unknown_tag_warnings(body, "markdown", {}) == [
        "Hexo tag {% note %} is not supported; left as text",
        "Hexo tag {% if %} is not supported; left as text",
    ]
    assert "{% note info %} <strong>b</strong> {% endnote %}" in render(body)
    assert unknown_tag_warnings(body, "markdown", {"disableNunjucks": True}) == []
    assert unknown_tag_warnings("no tags {{ here }}", "markdown", {}) == []


def test_tags_can_be_turned_off() -> None:
    assert render("{% img /a.png %}", TagContext(render_tags=False)) == "<p>{% img /a.png %}</p>"


def test_a_block_without_its_end_is_text() -> None:
    assert render("{% blockquote %}\nnever closed") == "<p>{% blockquote %}\nnever closed</p>"
    assert problems("{% blockquote %}\nx") == (
        "Hexo tag {% blockquote %} has no {% endblockquote %}; left as text",
    )


def test_every_posts_unknown_tags_are_reported(tmp_path: Path) -> None:
    """Not only the feed-bound posts': the warning comes from the front-matter pass."""
    posts = tmp_path / "posts"
    make_post(posts, "old.md", "title: Old\ndate: 2020-01-01", "Text {% gallery %} more.")
    make_post(posts, "new.md", "title: New\ndate: 2024-01-01", "Fresh.")
    report = build(Config(posts_dir=posts, output_dir=tmp_path / "out", items_per_feed=1))
    assert [str(p) for p in report.problems] == [
        "old.md: Hexo tag {% gallery %} is not supported; left as text"
    ]


# --- against Hexo 8 itself --------------------------------------------------------------


_CONTROL = str.maketrans("", "", "".join(map(chr, range(32))))


def _reader_view(html: str) -> tuple[str, list[tuple[str, ...]]]:
    """What a reader gets of some HTML once sanitised: its text (whitespace aside: Hexo's
    feed drops every control character) and its images and links; not Hexo's line numbers."""
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    for gutter in tree.find_class("gutter"):
        gutter.drop_tree()
    html = lxml.html.tostring(tree, encoding="unicode")
    cleaned = clean_body(html, "html", PERMALINK, (), 200, tags=TagContext(render_tags=False))
    root = lxml.html.fragment_fromstring(cleaned.content_html, create_parent="div")
    media = [
        (e.tag, e.get("src") or e.get("href") or "", e.get("title") or "", e.get("alt") or "")
        for e in root.iter("img", "a")
    ]
    return "".join(root.text_content().split()), media


def _code(html: str) -> list[str]:
    """Each code block's text; Hexo's highlighted ones line by line from their spans."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    blocks = []
    for pre in root.iter("pre"):
        figure = next(pre.iterancestors("figure"), None)
        if figure is None or "highlight" not in (figure.get("class") or ""):
            blocks.append(pre.text_content().removesuffix("\n"))  # a browser shows no last \n
        elif "code" in (pre.getparent().get("class") or ""):
            blocks.append("\n".join(s.text_content() for s in pre.find_class("line")))
    return blocks


@pytest.mark.skipif(hexo_modules() is None, reason="node and Hexo 8 are not installed")
def test_tags_render_as_hexo_renders_them(tmp_path: Path) -> None:
    modules = hexo_modules()
    assert modules is not None
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    version = json.loads((modules / "hexo" / "package.json").read_text())["version"]
    plugins = {"hexo-generator-feed": "*", "hexo-renderer-marked": "*"}  # Hexo loads these
    package = {"name": "site", "hexo": {"version": version}, "dependencies": plugins}
    (site / "package.json").write_text(json.dumps(package), encoding="utf-8")
    (site / "node_modules").symlink_to(modules)
    subprocess.run(
        [str(modules / ".bin" / "hexo"), "generate", "--silent"], cwd=site, check=True, timeout=300
    )
    feed = etree.parse(str(site / "public" / "atom.xml"))
    atom = "{http://www.w3.org/2005/Atom}"
    hexo = {
        e.findtext(f"{atom}title"): e.findtext(f"{atom}content") or ""
        for e in feed.iter(f"{atom}entry")
    }
    source = split_post((SITE / "source" / "_posts" / "tags.md").read_text(), 1 << 20).body
    ours = render(source)
    assert _reader_view(ours) == _reader_view(hexo["Tags"])
    # Hexo's feed drops control characters (tabs, and newlines but between highlighted lines).
    for our_block, their_block in zip(_code(ours), _code(hexo["Tags"]), strict=True):
        if "\n" in their_block:
            assert [line.translate(_CONTROL) for line in our_block.split("\n")] == (
                their_block.split("\n")
            )
        else:
            assert our_block.translate(_CONTROL) == their_block
