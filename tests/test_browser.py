"""What a person sees in a real browser (headless Chromium, XSLT off, CJK font): the feeds page,
and a feed's URL opened in a tab (its page, by ``serve``'s negotiation).

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); skipped without.
Everything is served by ``feedbuilder serve`` from a tmp dir, thumbnails included, so the test
never touches the network.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from feedbuilder.serve import OutputServer

from .sitecorpus import CATEGORY_NAMES, POSTS, build_corpus

# Screenshots of the feed pages, to look at: $FEEDBUILDER_SCREENSHOTS or the temp dir.
SCREENSHOTS = Path(os.environ.get("FEEDBUILDER_SCREENSHOTS", tempfile.gettempdir()))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromedriver are not installed"
)
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1200,2000",
    "--disable-blink-features=XSLT",  # as browsers ship from 2026: no XSLT at all
    "--lang=zh-CN",
]
# Whether the page's font draws a title's Chinese characters: without a CJK font they are
# drawn as the same missing-glyph box as a private-use character, so they measure the same.
CJK_GLYPHS_DRAWN = """
const canvas = document.createElement('canvas').getContext('2d');
canvas.font = getComputedStyle(document.querySelector('li.item h2 a')).font;
const text = Array.from(arguments[0]).filter(c => c >= '\\u4e00' && c <= '\\u9fff');
const tofu = canvas.measureText('\\ue000'.repeat(text.length)).width;
return text.length > 0 && canvas.measureText(text.join('')).width !== tofu;
"""
IMAGES_LOADED = """
const images = Array.from(document.images);
return images.length > 0 && images.every(img => img.complete)
    ? images.map(img => [img.getAttribute('src'), img.naturalWidth]) : null;
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OutputServer]:
    root = tmp_path_factory.mktemp("browser")
    (root / "out").mkdir()
    with OutputServer(root / "out", port=0, quiet=True) as srv:
        build_corpus(root, site_url=srv.url)
        srv.start()
        yield srv
        srv.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_feeds_page_shows_every_category_and_subscribe_links(
    server: OutputServer, browser: WebDriver
) -> None:
    browser.get(server.url)
    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".feed .name")]
    assert names[0] == "Corpus" and set(CATEGORY_NAMES) <= set(names)
    nested = browser.find_elements(By.CSS_SELECTOR, "ul.tree ul .name")
    assert {"银行", "股市", "开源"} <= {e.text for e in nested}
    row = browser.find_element(By.CSS_SELECTOR, "[data-key='category/jin-rong']")
    assert row.find_element(By.CSS_SELECTOR, ".meta").text.startswith("2 posts")
    links = [a.text for a in row.find_elements(By.CSS_SELECTOR, ".links a")]
    assert links == ["RSS", "Atom", "JSON"]
    row.find_element(By.CSS_SELECTOR, ".name a").click()  # the feed's page
    assert browser.current_url == server.url + "feeds/category/jin-rong.html"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Corpus – 金融"
    browser.get(server.url)
    assert browser.find_element(By.LINK_TEXT, "all feeds (OPML)").is_displayed()


@pytest.mark.parametrize(
    "feed", ["feeds/category/jin-rong.rss.xml", "feeds/all.atom.xml", "feeds/all.json"]
)
def test_feed_in_a_tab_is_its_page_without_xslt(
    server: OutputServer, browser: WebDriver, feed: str
) -> None:
    stem = feed.removesuffix(".json").removesuffix(".rss.xml").removesuffix(".atom.xml")
    parsed = feedparser.parse((server.root / f"{stem}.atom.xml").read_bytes())
    browser.get(server.url + feed)
    assert browser.find_element(By.TAG_NAME, "h1").text == parsed.feed.title
    urls = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "code.feed-url")]
    assert any(url.endswith(feed) for url in urls) and len(urls) == 3
    assert all(
        b.is_displayed() for b in browser.find_elements(By.CSS_SELECTOR, "button[data-copy]")
    )
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "li.item h2 a")]
    assert titles == [e.title for e in parsed.entries]
    assert any("\u4e00" <= c <= "\u9fff" for t in titles for c in t)  # the Chinese titles
    dates = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "li.item time")]
    assert all(dates) and len(dates) == len(titles)
    loaded = WebDriverWait(browser, 20).until(lambda d: d.execute_script(IMAGES_LOADED))
    with_thumbnail = [e for e in parsed.entries if "media_thumbnail" in e]
    assert [src for src, _ in loaded] == [e.media_thumbnail[0]["url"] for e in with_thumbnail]
    assert all(width > 0 for _, width in loaded), loaded
    assert sum(bool(thumb) for *_, thumb in POSTS) >= len(loaded) > 0
    assert browser.execute_script(CJK_GLYPHS_DRAWN, titles[0]), "no CJK font: tofu boxes"
    browser.save_screenshot(str(SCREENSHOTS / (feed.replace("/", "_") + ".png")))


def test_xslt_is_off_in_this_browser(server: OutputServer, browser: WebDriver) -> None:
    """The pages above are not XSLT's work: with it off, a bare feed is not transformed."""
    assert browser.execute_script("return typeof XSLTProcessor") == "undefined"
