"""Generate a deterministic, seed-like corpus of Hexo-style posts for benchmarks.

The posts imitate ``posts/000_a2889e02ce46c9b0.txt`` (a Sina Finance scrape):
a leading blank line, YAML front matter between ``---`` lines with a Chinese
``title``, a 1–3 level ``categories`` hierarchy, ``author``, an RFC 1123 ``date``
and thumbnails in every form the real data shows, followed by 2–8 KB of HTML
with ``<p>`` paragraphs of Chinese text and the scrape's junk (HTML comments,
a ``<style>`` block with ``&#123;``/``&#125;`` braces, the QR-code promo div,
sometimes a ``<script>``).

Layout: ``OUT_DIR/NNNN/NNNNNN_<16 hex>.txt`` with 100 posts per folder
(folder ``NNNN`` = post index // 100).

Everything is a pure function of ``(seed, post index)``: the same arguments give
byte-identical files, and ``generate(d, 1000)`` writes exactly the first 1000
files of ``generate(d, 10000)``.  The mutators :func:`add_posts`,
:func:`edit_posts` and :func:`delete_posts` are deterministic too, given the
same corpus state and arguments.

CLI::

    python benchmarks/generate_corpus.py OUT_DIR --n 10000 [--seed 0]
    python benchmarks/generate_corpus.py OUT_DIR --add 0.01 --edit 0.01 --delete 0.01 [--seed 1]
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import random
import re
import sys
import time
from calendar import timegm
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

POSTS_PER_FOLDER = 100
"""Number of posts per sub-folder."""

POST_NAME_RE = re.compile(r"^(\d{6,})_([0-9a-f]{16})\.txt$")
"""File names written by this module."""

DATE_START = timegm((2021, 1, 1, 0, 0, 0))
# Dates fall in [DATE_START, DATE_END): 2021-01-01 00:00:00 .. 2023-12-31 23:59:59 UTC.
DATE_END = timegm((2024, 1, 1, 0, 0, 0))

# --------------------------------------------------------------------------- pools

CATEGORY_PATHS: tuple[tuple[str, ...], ...] = (
    ("金融", "新浪财经", "新浪财经－国內"),
    ("金融", "新浪财经", "新浪财经－国际"),
    ("金融", "新浪财经", "新浪财经－股票"),
    ("金融", "银行"),
    ("金融", "保险"),
    ("金融", "基金"),
    ("科技", "人工智能"),
    ("科技", "互联网"),
    ("科技", "手机"),
    ("科技", "半导体"),
    ("体育", "足球"),
    ("体育", "篮球"),
    ("体育", "综合体育"),
    ("娱乐", "电影"),
    ("娱乐", "音乐"),
    ("汽车", "新能源汽车"),
)
"""Leaf paths of the category trees; posts use a leaf path or one of its prefixes.

Distinct names: 8 (金融) + 5 (科技) + 4 (体育) + 3 (娱乐) + 2 (汽车) = 22.
"""

TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "金融": {
        "subjects": (
            "上海银保监局",
            "中国人民银行",
            "证监会",
            "国家外汇管理局",
            "多家股份制银行",
            "财政部",
            "上交所",
            "深交所",
            "北交所",
            "中国银保监会",
            "多家公募基金",
            "国有大行",
            "城商行",
            "头部券商",
            "保险资管公司",
        ),
        "actions": (
            "联合印发",
            "正式发布",
            "公开征求意见",
            "宣布下调",
            "召开发布会介绍",
            "持续推进",
            "加快落实",
            "进一步完善",
            "明确要求",
            "发文部署",
        ),
        "objects": (
            "关于进一步做好科技型中小微企业贷款履约保证险工作的意见",
            "存款准备金率调整方案",
            "绿色金融发展指引",
            "普惠金融服务实施细则",
            "个人养老金业务管理办法",
            "第三季度货币政策执行报告",
            "跨境理财通试点安排",
            "上市公司信息披露管理办法",
            "公募基金费率改革措施",
            "银行业保险业数字化转型指导意见",
            "防范化解金融风险工作要点",
            "注册制改革配套规则",
        ),
    },
    "科技": {
        "subjects": (
            "工信部",
            "多家互联网公司",
            "国产芯片厂商",
            "人工智能实验室",
            "头部手机品牌",
            "云计算服务商",
            "科技部",
            "半导体行业协会",
            "大模型创业公司",
            "开源社区",
        ),
        "actions": (
            "发布",
            "推出",
            "宣布开源",
            "完成融资",
            "披露",
            "上线",
            "升级",
            "启动",
        ),
        "objects": (
            "新一代大语言模型",
            "旗舰折叠屏手机",
            "七纳米制程工艺路线图",
            "算力基础设施建设规划",
            "数据安全管理办法",
            "人工智能伦理规范",
            "新一代操作系统",
            "自动驾驶芯片",
            "第三季度财报",
            "开发者大会日程",
            "智能终端出货量数据",
        ),
    },
    "体育": {
        "subjects": (
            "中国男足",
            "中国女篮",
            "中超联赛",
            "CBA联盟",
            "国家体育总局",
            "奥运代表团",
            "多支欧洲豪门球队",
            "马拉松组委会",
        ),
        "actions": ("公布", "迎来", "确定", "宣布", "完成", "启动"),
        "objects": (
            "新赛季赛程安排",
            "世界杯预选赛大名单",
            "全运会比赛成绩",
            "冬奥会备战计划",
            "球员转会窗口结果",
            "青训体系改革方案",
            "主教练人选",
            "赛事转播权分配",
        ),
    },
    "娱乐": {
        "subjects": (
            "国产电影",
            "多部暑期档影片",
            "知名导演",
            "流行歌手",
            "音乐节主办方",
            "国家电影局",
            "各大视频平台",
        ),
        "actions": ("公布", "宣布", "定档", "突破", "发布", "启动"),
        "objects": (
            "春节档票房成绩",
            "新专辑发行计划",
            "全国巡回演唱会",
            "年度片单",
            "电影节入围名单",
            "数字音乐版权新规",
            "影视行业扶持政策",
        ),
    },
    "汽车": {
        "subjects": (
            "多家新能源车企",
            "乘联会",
            "工信部",
            "动力电池厂商",
            "中国汽车工业协会",
            "自主品牌车企",
        ),
        "actions": ("发布", "公布", "宣布", "披露", "推出", "上调"),
        "objects": (
            "月度交付数据",
            "新能源汽车购置税减免政策",
            "充电基础设施建设方案",
            "固态电池量产计划",
            "智能网联汽车准入试点",
            "全年销量目标",
            "出口数据",
        ),
    },
}
"""Per top-level category word pools for titles and body sentences."""

TITLE_PREFIXES = (
    "",
    "",
    "",
    "",
    "快讯：",
    "独家：",
    "重磅！",
    "【深度】",
    "2022年",
    "最新：",
)
TITLE_SUFFIXES = (
    "",
    "",
    "",
    "",
    "",
    "（附全文）",
    "：市场人士怎么看",
    "，专家解读来了",
    "，影响几何？",
    "　涉及多项重点内容",
)
AUTHORS = (
    "新浪财经",
    "新浪财经",
    "新浪科技",
    "新浪体育",
    "新浪娱乐",
    "新浪汽车",
    "中国证券报",
    "证券时报",
    "第一财经",
    "财联社",
    "澎湃新闻",
    "经济观察报",
    "21世纪经济报道",
)
EDITORS = ("王翔", "李铁民", "张恒星", "刘万里", "杨赐", "宋雅芳", "郭明煜", "陈永晟")
OPENERS = (
    "据悉，",
    "记者了解到，",
    "与此同时，",
    "业内人士指出，",
    "值得注意的是，",
    "数据显示，",
    "此外，",
    "据统计，",
    "",
    "",
    "",
)
CLAUSES = (
    "持续缓解中小微企业融资难、融资贵问题",
    "推动行业高质量发展",
    "提升风险精准识别与定价能力",
    "强化责任担当",
    "满足市场主体多样化需求",
    "健全风险分担和补偿机制",
    "优化服务流程和效率",
    "在守住风险底线的前提下支持实体经济",
    "鼓励行业协会牵头制定统一标准",
    "激发市场主体活力",
    "深刻理解前瞻性、高成长、高风险的特点",
    "实现高质量发展的相互促进、有机统一",
    "进一步扩大对外开放",
    "加强跨部门信息共享",
    "稳步推进相关试点工作",
    "全面提升服务质效",
)
ENDINGS = ("。", "。", "。", "；", "！")
LINK_TEXTS = ("相关阅读", "点击查看全文", "详情", "原文链接", "专题报道", "更多资讯")
IMAGE_HOST = "n.sinaimg.cn"
IMAGE_CHANNELS = ("finance", "tech", "sports", "ent", "auto", "default")
IMAGE_EXTS = ("png", "jpg", "jpg", "jpeg", "gif", "webp")

THUMB_KINDS: tuple[tuple[str, int], ...] = (
    ("seed", 25),  # headimg + thumbnail, same https URL (like the seed post)
    ("absent", 10),  # no thumbnail, no headimg
    ("empty", 8),  # thumbnail: ''
    ("https", 12),  # thumbnail: 'https://…'
    ("http", 8),  # thumbnail: http://… (unquoted)
    ("protocol_relative", 8),  # thumbnail: //host/x.jpg
    ("relative", 8),  # thumbnail: /img/x.png
    ("headimg_only", 8),  # headimg: … and no thumbnail
    ("body_src", 7),  # only an <img src> in the body
    ("body_data_src", 6),  # only an <img data-src> in the body
)
"""Thumbnail forms and their relative weights."""

QR_TAIL = """<!-- news_keyword_pub,stock, -->







<!-- 正文下iframe -->


<!-- 正文下iframe -->

<!-- 总声明-->











<!-- 总声明-->
"""

QR_PROMO = """
<!-- 文末二维码 start -->


            <!-- 文末二维码 start -->
            <style>
            .appendQr_wrap&#123;border:1px solid #E6E6E6;padding:8px;&#125;
            .appendQr_normal&#123;float:left;&#125;
            .appendQr_normal img&#123;width:74px;&#125;
            .appendQr_normal_txt&#123;float:left;font-size:20px;line-height:74px;padding-left:20px;color:#333;&#125;
            </style>
            <div class="clearfix appendQr_wrap">
                <div class="appendQr_normal"><img src="{qr}" referrerpolicy="no-referrer"></div>
                <div class="appendQr_normal_txt">海量资讯、精准解读，尽在新浪财经APP</div>
            </div>
            <!-- 文末二维码 start -->

            <!-- 文末二维码 start -->
"""

SCRIPT_SNIPPETS = (
    (
        '<script type="text/javascript">var _stock_code = "sh{code}"; '
        "if (window.SINA_ARTICLE) &#123; SINA_ARTICLE.init(); &#125;</script>\n"
    ),
    (
        "<script>\n(function () {{\n  var s = document.createElement('script');\n"
        "  s.src = '//i.sso.sina.com.cn/js/ssologin.js?v={code}';\n"
        "  document.body.appendChild(s);\n}})();\n</script>\n"
    ),
    '<script type="text/javascript" src="//n.sinaimg.cn/finance/js/article_{code}.js"></script>\n',
)

CONTENT_P_RE = re.compile(r'<p cms-style="font-L">.*?</p>\n?', re.DOTALL)
ORI_TITLE_RE = re.compile(r'(<p class="ori_titlesource">　　原标题：).*?(</p>)', re.DOTALL)
TITLE_LINE_RE = re.compile(r"^title: .*$", re.MULTILINE)


# --------------------------------------------------------------------------- helpers


def _post_rng(seed: int, idx: int, purpose: str = "post") -> random.Random:
    """Return the RNG for one post; string seeds hash deterministically (sha512)."""
    return random.Random(f"feedbuilder-corpus:{purpose}:{seed}:{idx}")


def _pick_weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    """Pick a key from ``(key, weight)`` pairs."""
    keys = [k for k, _ in table]
    weights = [w for _, w in table]
    return rng.choices(keys, weights=weights, k=1)[0]


def _image_url(rng: random.Random, ts: int, scheme: str = "https://") -> str:
    """Return a Sina-like image URL for a post dated ``ts``."""
    day = time.strftime("%Y%m%d", time.gmtime(ts))
    return (
        f"{scheme}{IMAGE_HOST}/{rng.choice(IMAGE_CHANNELS)}/{rng.getrandbits(32):08x}/"
        f"{day}/{rng.randrange(10**8, 10**9)}.{rng.choice(IMAGE_EXTS)}"
    )


def _yaml_quote(text: str) -> str:
    """Single-quote ``text`` for YAML."""
    return "'" + text.replace("'", "''") + "'"


def _categories(rng: random.Random) -> tuple[str, ...]:
    """Pick a 1–3 level category path (a leaf path or one of its prefixes)."""
    path = rng.choice(CATEGORY_PATHS)
    depth = rng.choices(range(1, len(path) + 1), weights=[1] * (len(path) - 1) + [4], k=1)[0]
    return path[:depth]


def _title(rng: random.Random, topic: str) -> str:
    """Build a Chinese title from the topic's word pools."""
    pools = TOPICS[topic]
    return (
        rng.choice(TITLE_PREFIXES)
        + rng.choice(pools["subjects"])
        + rng.choice(pools["actions"])
        + rng.choice(pools["objects"])
        + rng.choice(TITLE_SUFFIXES)
    )


def _link(rng: random.Random, ts: int) -> str:
    """Return an ``<a href>`` with an absolute, protocol-relative or relative URL."""
    day = time.strftime("%Y-%m-%d", time.gmtime(ts))
    doc = f"doc-ikyamrm{rng.getrandbits(40):010x}"
    kind = rng.randrange(5)
    if kind == 0:
        href = f"https://finance.sina.com.cn/china/{day}/{doc}.shtml"
    elif kind == 1:
        href = f"http://tech.sina.com.cn/i/{day}/{doc}.shtml"
    elif kind == 2:
        href = f"//finance.sina.com.cn/roll/{day}/{doc}.shtml"
    elif kind == 3:
        href = f"/news/{day.replace('-', '/')}/{doc}.html"
    else:
        href = f"../{doc}.html"
    return f'<a href="{href}" target="_blank">{rng.choice(LINK_TEXTS)}</a>'


def _sentence(rng: random.Random, topic: str) -> str:
    """Build one Chinese sentence."""
    pools = TOPICS[topic]
    obj = rng.choice(pools["objects"])
    clauses = rng.sample(CLAUSES, 1 if rng.random() < 0.4 else 2)
    parts = [
        rng.choice(OPENERS),
        rng.choice(pools["subjects"]),
        rng.choice(pools["actions"]),
        f"《{obj}》" if rng.random() < 0.3 else obj,
        "，",
        "，".join(clauses),
    ]
    if rng.random() < 0.25:
        parts += ["，", f"同比增长{rng.randint(1, 99)}.{rng.randint(0, 9)}%"]
    parts.append(rng.choice(ENDINGS))
    return "".join(parts)


def _paragraph(rng: random.Random, topic: str, ts: int) -> str:
    """Build one ``<p cms-style="font-L">`` paragraph, sometimes with a link."""
    sentences = [_sentence(rng, topic) for _ in range(rng.randint(2, 7))]
    if rng.random() < 0.25:
        sentences.insert(rng.randrange(len(sentences) + 1), _link(rng, ts))
    return '<p cms-style="font-L">　　' + "".join(sentences) + "</p>\n"


def _paragraphs(rng: random.Random, topic: str, ts: int, budget: int) -> list[str]:
    """Build paragraphs whose UTF-8 size is about ``budget`` bytes (at least one)."""
    out: list[str] = []
    size = 0
    while not out or size < budget:
        para = _paragraph(rng, topic, ts)
        out.append(para)
        size += len(para.encode("utf-8"))
    # Land as close to the budget as possible: drop the last one if it overshoots more.
    last = len(out[-1].encode("utf-8"))
    if len(out) > 1 and size - budget > last // 2:
        out.pop()
    return out


def _body_image(rng: random.Random, url: str, attr: str) -> str:
    """Return a Sina-style image block with the image URL in ``attr``."""
    descr = rng.choice(("资料图", "图片来源：视觉中国", "图为活动现场", "新浪财经配图"))
    return (
        f'<div class="img_wrapper"><img {attr}="{url}" alt="{descr}">'
        f'<span class="img_descr">{descr}</span></div>\n'
    )


# --------------------------------------------------------------------------- posts


@dataclass(frozen=True, slots=True)
class _Post:
    """One generated post: its relative path and full text."""

    rel_path: str
    text: str


def _render_post(seed: int, idx: int, ts: int) -> _Post:
    """Render post ``idx`` of the corpus for ``seed`` with timestamp ``ts``."""
    rng = _post_rng(seed, idx)
    name = f"{idx:06d}_{rng.getrandbits(64):016x}.txt"
    rel_path = f"{idx // POSTS_PER_FOLDER:04d}/{name}"

    cats = _categories(rng)
    topic = cats[0]
    title = _title(rng, topic)
    author = rng.choice(AUTHORS)
    kind = _pick_weighted(rng, THUMB_KINDS)
    date = formatdate(ts, usegmt=True)

    head_url = _image_url(rng, ts)
    before_author: list[str] = []  # front-matter lines between categories and author
    # front-matter lines after date (the seed's thumbnail slot)
    after_date: list[str] = []
    body_img = ""
    if kind == "seed":
        before_author = [f"headimg: {_yaml_quote(head_url)}"]
        after_date = [f"thumbnail: {_yaml_quote(head_url)}"]
    elif kind == "empty":
        after_date = ["thumbnail: ''"]
    elif kind == "https":
        after_date = [f"thumbnail: {_yaml_quote(head_url)}"]
    elif kind == "http":
        after_date = [f"thumbnail: {_image_url(rng, ts, 'http://')}"]
    elif kind == "protocol_relative":
        url = _image_url(rng, ts, "//")
        after_date = [f"thumbnail: {_yaml_quote(url) if rng.random() < 0.5 else url}"]
    elif kind == "relative":
        url = f"/img/{rng.getrandbits(32):08x}.{rng.choice(('png', 'jpg'))}"
        after_date = [f"thumbnail: {_yaml_quote(url) if rng.random() < 0.5 else url}"]
    elif kind == "headimg_only":
        before_author = [f"headimg: {_yaml_quote(head_url)}"]
    elif kind == "body_src":
        body_img = _body_image(rng, _image_url(rng, ts), "src")
    elif kind == "body_data_src":
        body_img = _body_image(rng, _image_url(rng, ts, rng.choice(("https://", "//"))), "data-src")

    # Front matter, in the seed's key order and layout.
    fm: list[str] = ["---", f"title: {_yaml_quote(title)}"]
    if rng.random() < 0.9:
        fm.append("categories: ")
        fm += [f" - {c}" for c in cats]
    else:
        fm.append("categories: [" + ", ".join(cats) + "]")
    fm += before_author
    fm.append(f"author: {author}")
    if rng.random() < 0.85:
        fm.append("comments: false")
    fm.append(f"date: {date}")
    fm += after_date
    fm.append("---")
    front = "\n".join(fm) + "\n"

    # Body.
    target = rng.randint(2300, 7900)  # body bytes; ends up within ~2–8.3 KB
    has_qr = rng.random() < 0.75
    qr_url = head_url if kind in ("seed", "headimg_only") else _image_url(rng, ts)
    has_script = rng.random() < 0.3
    editor = rng.choice(EDITORS)

    head = "\n<div>   \n"
    if rng.random() < 0.8:
        head += f'<p class="ori_titlesource">　　原标题：{title}</p>\n'
    if body_img and rng.random() < 0.5:
        head += body_img
        body_img_after = ""
    else:
        body_img_after = body_img
    # An extra inline picture in an ordinary post.
    if not body_img and rng.random() < 0.2:
        body_img_after = _body_image(rng, _image_url(rng, ts), "src")
    tail = QR_TAIL
    if has_qr:
        tail += QR_PROMO.format(qr=qr_url)
    if has_script:
        tail += "\n" + rng.choice(SCRIPT_SNIPPETS).format(code=rng.randrange(600000, 700000))
    tail += (
        "\n<!-- 编辑姓名及工作代码 -->\n\n"
        f'<p class="article-editor">责任编辑：{editor} </p>\n'
        "<!-- 编辑姓名及工作代码-->\n\n  \n</div>\n            "
    )
    fixed = len((head + body_img_after + tail).encode("utf-8"))
    paras = _paragraphs(rng, topic, ts, target - fixed)
    if body_img_after:
        paras.insert(min(1, len(paras)), body_img_after)
    # The seed glues the keyword comment to the last paragraph.
    body = head + "".join(paras).rstrip("\n") + tail
    return _Post(rel_path, "\n" + front + body)


def _raw_timestamp(seed: int, idx: int) -> int:
    """Post ``idx``'s timestamp before collisions are resolved."""
    return DATE_START + _post_rng(seed, idx, "date").randrange(DATE_END - DATE_START)


def _distinct(raw: Iterable[int], taken: set[int]) -> Iterator[int]:
    """Each raw timestamp, bumped by one second until it is not taken (and then taken)."""
    span = DATE_END - DATE_START
    for ts in raw:
        while ts in taken:  # bump collisions by one second, deterministically
            ts = DATE_START + (ts - DATE_START + 1) % span
        taken.add(ts)
        yield ts


def _timestamps(seed: int, start_idx: int, count: int, taken: set[int] | None = None) -> list[int]:
    """Draw distinct uniform timestamps in [2021-01-01, 2024-01-01) for posts ``start_idx``…"""
    raw = (_raw_timestamp(seed, idx) for idx in range(start_idx, start_idx + count))
    return list(_distinct(raw, set() if taken is None else taken))


def _write(out_dir: Path, post: _Post) -> Path:
    """Write ``post`` below ``out_dir`` as UTF-8 with ``\\n`` newlines, as a new file.

    Never into an existing file: a benchmark's posts folder may hard-link a pristine corpus.
    """
    path = out_dir / post.rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:
        handle.write(post.text.encode("utf-8"))
    return path


def _replace(path: Path, data: bytes) -> None:
    """Give ``path`` new contents in a new inode (renamed over it), leaving hard links alone."""
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def list_posts(out_dir: Path) -> list[Path]:
    """Return the corpus's post files (names matching :data:`POST_NAME_RE`), sorted."""
    return sorted(
        p for p in Path(out_dir).glob("*/*.txt") if POST_NAME_RE.match(p.name) and p.is_file()
    )


def _resolve_count(count: float, total: int) -> int:
    """Turn ``count`` into a number of posts.

    An ``int`` is taken as is; a ``float`` in [0, 1] is a fraction of ``total``
    (0.01 = 1 %, at least one post when positive).
    """
    if isinstance(count, float):
        if not 0.0 <= count <= 1.0:
            raise ValueError(f"fraction must be within [0, 1], got {count}")
        return max(1, round(count * total)) if count > 0 else 0
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    return count


# --------------------------------------------------------------------------- public API


PARALLEL_FROM = 5000
"""Below this many posts, generating in one process is quicker than starting a pool."""
CHUNK = 2000
"""Posts per task when generating in a pool (20 folders)."""


def _raw_chunk(seed: int, start: int, count: int) -> list[int]:
    return [_raw_timestamp(seed, idx) for idx in range(start, start + count)]


def _write_chunk(out_dir: Path, seed: int, start: int, timestamps: list[int]) -> int:
    for offset, ts in enumerate(timestamps):
        _write(out_dir, _render_post(seed, start + offset, ts))
    return len(timestamps)


def _chunks(n: int, chunk: int) -> list[tuple[int, int]]:
    return [(start, min(chunk, n - start)) for start in range(0, n, chunk)]


def generate_in_pool(out_dir: Path, n: int, seed: int, workers: int, chunk: int = CHUNK) -> None:
    """The same files as one process writes, on every core: timestamps are drawn in the pool,
    made distinct here in post order, then each chunk is rendered and written by a worker as
    soon as its timestamps are known (nothing but the timestamps is ever held)."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunks = _chunks(n, chunk)
    taken: set[int] = set()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        raws = pool.map(_raw_chunk, itertools.repeat(seed), *zip(*chunks, strict=True))
        writes = [
            pool.submit(_write_chunk, out_dir, seed, start, list(_distinct(raw, taken)))
            for (start, _), raw in zip(chunks, raws, strict=True)
        ]
        written = sum(future.result() for future in writes)
    if written != n:
        raise RuntimeError(f"wrote {written} posts, expected {n}")


def generate(
    out_dir: Path, n: int, seed: int = 0, overwrite: bool = False, workers: int | None = None
) -> None:
    """Write ``n`` posts to ``out_dir`` (``NNNN/NNNNNN_<hex>.txt``, 100 per folder).

    Same ``(n, seed)`` → byte-identical files, whatever ``workers`` (default: every core, from
    :data:`PARALLEL_FROM` posts).  Refuses to write into a folder that already holds posts
    unless ``overwrite`` is true, in which case only files named like generated posts are
    removed first.
    """
    out_dir = Path(out_dir)
    existing = list_posts(out_dir) if out_dir.exists() else []
    if existing:
        if not overwrite:
            raise FileExistsError(
                f"{out_dir} already holds {len(existing)} posts; pass overwrite=True"
            )
        for path in existing:
            path.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = workers or len(os.sched_getaffinity(0))
    if workers > 1 and n >= PARALLEL_FROM:
        generate_in_pool(out_dir, n, seed, workers)
        return
    for idx, ts in enumerate(_timestamps(seed, 0, n)):
        _write(out_dir, _render_post(seed, idx, ts))


def add_posts(out_dir: Path, count: float, seed: int = 1) -> list[Path]:
    """Add ``count`` new posts (a ``float`` is a fraction of the current count, e.g. 0.01).

    New posts take the indices after the highest existing one, so they land in the
    last folder(s).  Returns the paths written.
    """
    out_dir = Path(out_dir)
    existing = list_posts(out_dir)
    count = _resolve_count(count, len(existing))
    start = max((int(p.name[:6]) for p in existing), default=-1) + 1
    written: list[Path] = []
    for offset, ts in enumerate(_timestamps(seed, start, count)):
        written.append(_write(out_dir, _render_post(seed, start + offset, ts)))
    return written


def _edit_text(text: str, rng: random.Random) -> str:
    """Return ``text`` with a new title and new content paragraphs of a different size."""
    end = text.index("\n---", text.index("---") + 3)
    front, body = text[:end], text[end:]
    date_match = re.search(r"^date: (.*)$", front, re.MULTILINE)
    ts = (
        timegm(time.strptime(date_match.group(1), "%a, %d %b %Y %H:%M:%S GMT"))
        if date_match
        else DATE_START
    )
    cats = re.findall(r"^ - (.*)$", front, re.MULTILINE) or [
        c.strip()
        for c in re.search(r"^categories: \[(.*)\]$", front, re.MULTILINE).group(1).split(",")
    ]
    topic = cats[0] if cats and cats[0] in TOPICS else "金融"
    title = "【更新】" + _title(rng, topic)
    front = TITLE_LINE_RE.sub(lambda _m: f"title: {_yaml_quote(title)}", front, count=1)
    body = ORI_TITLE_RE.sub(lambda m: m.group(1) + title + m.group(2), body, count=1)

    old_paras = CONTENT_P_RE.findall(body)
    old_size = sum(len(p.encode("utf-8")) for p in old_paras)
    budget = max(1024, old_size + rng.choice((-1, 1)) * rng.randint(200, 1500))
    new_paras = _paragraphs(rng, topic, ts, budget)
    if sum(len(p.encode("utf-8")) for p in new_paras) == old_size:
        new_paras.append(_paragraph(rng, topic, ts))
    first = CONTENT_P_RE.search(body)
    if first is None:  # no content paragraphs: put the new ones after the opening <div>
        pos = body.index("<div>") + len("<div>   \n") if "<div>" in body else len(body)
        body = body[:pos] + "".join(new_paras) + body[pos:]
    else:
        pos = first.start()
        rest = CONTENT_P_RE.sub("", body[pos:])
        new_block = "".join(new_paras)
        # Keep the seed's "</p><!-- news_keyword_pub" gluing.
        if rest.startswith("<!--"):
            new_block = new_block.rstrip("\n")
        body = body[:pos] + new_block + rest
    return front + body


def edit_posts(out_dir: Path, count: float, seed: int = 2) -> list[Path]:
    """Rewrite title and paragraphs of ``count`` existing posts (a ``float`` is a fraction).

    Posts are chosen deterministically from the sorted file list; the rewritten
    body's size always differs from the old one so size-based change detection sees
    it.  Other front matter (categories, date, thumbnails) and the junk are kept.
    Returns the paths rewritten.
    """
    out_dir = Path(out_dir)
    existing = list_posts(out_dir)
    count = min(_resolve_count(count, len(existing)), len(existing))
    chosen = sorted(random.Random(f"feedbuilder-corpus:edit-pick:{seed}").sample(existing, count))
    for path in chosen:
        idx = int(path.name[:6])
        old = path.read_bytes().decode("utf-8")
        new = _edit_text(old, _post_rng(seed, idx, "edit"))
        if len(new.encode("utf-8")) == len(old.encode("utf-8")):
            new = new.replace("</div>\n            ", "<!-- 更新 -->\n</div>\n            ")
        _replace(path, new.encode("utf-8"))
    return chosen


def delete_posts(out_dir: Path, count: float, seed: int = 3) -> list[Path]:
    """Delete ``count`` existing posts (a ``float`` is a fraction), chosen deterministically.

    Empty folders are left in place.  Returns the paths deleted.
    """
    out_dir = Path(out_dir)
    existing = list_posts(out_dir)
    count = min(_resolve_count(count, len(existing)), len(existing))
    chosen = sorted(random.Random(f"feedbuilder-corpus:delete-pick:{seed}").sample(existing, count))
    for path in chosen:
        path.unlink()
    return chosen


def _count_arg(value: str) -> float:
    """Parse a CLI count: ``"100"`` → 100, ``"0.01"`` or ``"1%"`` → 0.01."""
    if value.endswith("%"):
        return float(value[:-1]) / 100.0
    return float(value) if "." in value else int(value)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, help="generate a fresh corpus of N posts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true", help="replace posts already in OUT_DIR")
    parser.add_argument("--add", type=_count_arg, help="add posts (N, 0.01 or 1%%)")
    parser.add_argument("--edit", type=_count_arg, help="edit posts (N, 0.01 or 1%%)")
    parser.add_argument("--delete", type=_count_arg, help="delete posts (N, 0.01 or 1%%)")
    args = parser.parse_args(argv)
    if args.n is None and args.add is None and args.edit is None and args.delete is None:
        parser.error("give --n and/or --add/--edit/--delete")

    start = time.perf_counter()
    if args.n is not None:
        generate(args.out_dir, args.n, args.seed, overwrite=args.overwrite)
        print(
            f"generated {args.n} posts in {time.perf_counter() - start:.2f}s",
            file=sys.stderr,
        )
    # Order: edit and delete pick among the posts present before this run's additions.
    if args.edit is not None:
        print(
            f"edited {len(edit_posts(args.out_dir, args.edit, args.seed))} posts",
            file=sys.stderr,
        )
    if args.delete is not None:
        print(
            f"deleted {len(delete_posts(args.out_dir, args.delete, args.seed))} posts",
            file=sys.stderr,
        )
    if args.add is not None:
        print(
            f"added {len(add_posts(args.out_dir, args.add, args.seed))} posts",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
