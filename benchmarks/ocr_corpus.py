"""UI-like screenshots with known text, drawn with Pillow, for the OCR fidelity benchmark.

Every sample is a whole screen (dialogs, menus, forms, two-column pages, a sidebar, a full-page
scroll capture, a narrow strip, Chinese dialogs and pages) in a light or a dark theme, with text at
10–18 px as on a 96-dpi screen. Each text line is recorded with its box and its place in the order
a sighted reader takes: within a column before the next, label before value in a form row.

The text is random but seeded, from a vocabulary that includes what OCR gets wrong in screenshots:
numbers next to words ("ticket 017 zebra"), apostrophes and punctuation that stay attached
("Don't Save", "3.5 MB,"), and ``rn``/``m`` look-alikes ("morning", "modern"). Nobody tunes a
reader on these exact pictures: the seeds are fixed so figures compare between runs.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

Colour = tuple[int, int, int]

_FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts"))
LATIN_FONTS = {
    "DejaVu Sans": "dejavu/DejaVuSans.ttf",
    "DejaVu Serif": "dejavu/DejaVuSerif.ttf",
    "Liberation Sans": "liberation/LiberationSans-Regular.ttf",
    "Liberation Serif": "liberation/LiberationSerif-Regular.ttf",
}
CJK_FONTS = {
    "WenQuanYi Zen Hei": "wqy/wqy-zenhei.ttc",
    "Noto Sans CJK SC": "noto-cjk/NotoSansCJK-Regular.ttc",
}
"""Font files by family, relative to a fonts folder; Debian packages: fonts-dejavu-core,
fonts-liberation, fonts-wqy-zenhei (fonts-noto-cjk is optional)."""

WORDS = (
    "account add address advanced all allow apply archive audio auto back backup battery before "
    "bluetooth bookmark browse cache calendar camera cancel change channel check clear clock close "
    "cloud colour comment connect contact copy create current cursor data date default delete "
    "desktop device display document download draft edit email enable error export favourite file "
    "filter folder font format forward general group help hidden history home image import inbox "
    "install keyboard language layout library light limit link list local lock login manage "
    "message modern monitor morning mouse music network new next notes notify offline open option "
    "order page password paste pause photo player plugin preview print privacy profile project "
    "public queue quick recent record refresh reload remove rename reply report restore return "
    "review save screen search security select send server settings share show sign size sort "
    "sound source start status storage summary support sync system tab task theme ticket time "
    "title tools update upload user version video view volume warning welcome window wireless "
    "word zebra zoom"
).split()
TOKENS = ("017", "2.4", "3.5 MB", "42", "10:45", "50%", "v1.2", "2026", "#7", "(beta)")
ATTACHED = (",", ".", ":", "?", "!")
CONTRACTIONS = ("Don't", "can't", "It's", "you're", "isn't", "e-mail", "Wi-Fi", "sign-in")
ZH_WORDS = (
    "文件 编辑 视图 帮助 保存 取消 确定 设置 打开 关闭 新建 删除 复制 粘贴 搜索 下载 上传 "
    "更新 网络 连接 用户 密码 登录 退出 系统 显示 声音 语言 键盘 鼠标 打印 历史 收藏 图片 "
    "音乐 视频 文档 消息 通知 隐私 安全 备份 恢复 版本 检查 选项 高级 常规 窗口 标签 主题 "
    "时间 日期 账户 邮件 联系人 日历 相机 电池 存储 应用 工具 插件 字体 颜色 大小 格式"
).split()


@dataclass(frozen=True)
class Theme:
    name: str
    screen: Colour
    window: Colour
    text: Colour
    muted: Colour
    control: Colour
    border: Colour


LIGHT = Theme("light", (222, 226, 232), (250, 250, 250), (20, 20, 20), (90, 90, 96),
              (255, 255, 255), (150, 150, 156))  # fmt: skip
DARK = Theme("dark", (18, 18, 22), (36, 37, 41), (230, 230, 230), (170, 170, 176),
             (52, 53, 58), (96, 96, 104))  # fmt: skip
THEMES = (LIGHT, DARK)


@dataclass(frozen=True)
class TruthLine:
    """One printed line: its exact text, its box in pixels and its column (block) number."""

    text: str
    box: tuple[int, int, int, int]
    block: int


@dataclass
class Sample:
    """A rendered picture and its text lines in reading order."""

    name: str
    scene: str
    script: str  # "latin" or "cjk"
    image: Image.Image
    lines: list[TruthLine] = field(default_factory=list)


class _Canvas:
    """Draws text and remembers every line as truth, in the order it is drawn."""

    def __init__(self, sample: Sample, font: ImageFont.FreeTypeFont) -> None:
        self.sample = sample
        self.draw = ImageDraw.Draw(sample.image)
        self.font = font
        self.block = 0

    def text(self, xy: tuple[int, int], text: str, fill: Colour, size: int | None = None) -> int:
        """Draw one line at its top-left corner; returns its right edge."""
        font = self.font if size is None else self.font.font_variant(size=size)
        self.draw.text(xy, text, font=font, fill=fill)
        left, top, right, bottom = (round(v) for v in self.draw.textbbox(xy, text, font=font))
        self.sample.lines.append(TruthLine(text, (left, top, right, bottom), self.block))
        return right

    def box(self, xy: tuple[int, int, int, int], fill: Colour, outline: Colour) -> None:
        self.draw.rectangle(xy, fill=fill, outline=outline)


def font_path(family: str) -> Path | None:
    relative = {**LATIN_FONTS, **CJK_FONTS}[family]
    return next((d / relative for d in _FONT_DIRS if (d / relative).is_file()), None)


def available_fonts(script: str) -> list[str]:
    families = LATIN_FONTS if script == "latin" else CJK_FONTS
    return [family for family in families if font_path(family) is not None]


# --- text -----------------------------------------------------------------------------------------


def phrase(rng: random.Random, words: int) -> str:
    """A line of ``words`` words: mostly vocabulary, now and then a number or a contraction."""
    out: list[str] = []
    for _ in range(words):
        roll = rng.random()
        word = rng.choice(TOKENS if roll < 0.12 else CONTRACTIONS if roll < 0.2 else WORDS)
        out.append(word + (rng.choice(ATTACHED) if rng.random() < 0.08 else ""))
    out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


def zh_phrase(rng: random.Random, words: int) -> str:
    text = "".join(rng.choice(ZH_WORDS) for _ in range(words))
    return text + (rng.choice(("，", "。", "：", "")) if rng.random() < 0.3 else "")


def _text_for(script: str, rng: random.Random, words: int) -> str:
    return phrase(rng, words) if script == "latin" else zh_phrase(rng, max(2, words // 2))


# --- scenes ---------------------------------------------------------------------------------------


def _dialog(c: _Canvas, theme: Theme, rng: random.Random, size: int, script: str) -> None:
    left, top, width = 340, 200, 600
    c.box((left, top, left + width, top + 320), theme.window, theme.border)
    c.text((left + 24, top + 20), _text_for(script, rng, 3), theme.text, size + 4)
    for row in range(3):
        c.text((left + 24, top + 80 + row * round(size * 1.7)), _text_for(script, rng, 7),
               theme.text)  # fmt: skip
    labels = ("Save", "Don't Save", "Cancel") if script == "latin" else ("保存", "不保存", "取消")
    for index, label in enumerate(labels):
        x = left + 60 + index * 180
        c.box((x, top + 250, x + 140, top + 250 + size * 2 + 8), theme.control, theme.border)
        c.text((x + 20, top + 256 + size // 2), label, theme.text)


def _menu(c: _Canvas, theme: Theme, rng: random.Random, size: int, script: str) -> None:
    c.box((0, 0, 1280, size * 2 + 10), theme.window, theme.border)
    for index in range(5):
        c.text((20 + index * 140, 6 + size // 2), _text_for(script, rng, 1), theme.text)
    left, top, step = 160, size * 2 + 12, round(size * 2.2)
    c.box((left, top, left + 420, top + step * 11 + 16), theme.window, theme.border)
    for row in range(11):
        y = top + 10 + row * step
        c.text((left + 16, y), _text_for(script, rng, rng.randint(1, 3)), theme.text)
        c.text((left + 330, y), f"Ctrl+{chr(65 + rng.randrange(26))}", theme.muted)


def _form(c: _Canvas, theme: Theme, rng: random.Random, size: int, script: str) -> None:
    c.box((200, 100, 1080, 700), theme.window, theme.border)
    c.text((230, 120), _text_for(script, rng, 2), theme.text, size + 6)
    step = max(44, size * 3)
    colon = ":" if script == "latin" else "："  # Chinese text takes the full-width colon
    for row in range(9):
        y = 200 + row * step
        label = _text_for(script, rng, rng.randint(1, 2)).rstrip(",.:?!，。：")
        c.text((230, y), label + colon, theme.muted)
        c.box((520, y - 8, 1040, y + size + 10), theme.control, theme.border)
        c.text((532, y), _text_for(script, rng, rng.randint(1, 4)), theme.text)


def _columns(c: _Canvas, theme: Theme, rng: random.Random, size: int, script: str) -> None:
    c.box((20, 20, 1260, 780), theme.window, theme.border)
    c.text((60, 40), _text_for(script, rng, 4), theme.text, size + 8)
    rows = min(22, 600 // round(size * 1.6))
    for column, left in enumerate((60, 680)):
        c.block = column + 1
        for row in range(rows):
            c.text((left, 110 + row * round(size * 1.6)), _fitting(c, script, rng, 540),
                   theme.text)  # fmt: skip


def _sidebar(c: _Canvas, theme: Theme, rng: random.Random, size: int, script: str) -> None:
    c.box((0, 0, 240, 800), theme.window, theme.border)
    for row in range(14):
        c.text((24, 30 + row * round(size * 2.6)), _text_for(script, rng, rng.randint(1, 2)),
               theme.text)  # fmt: skip
    c.block = 1
    c.text((290, 30), _text_for(script, rng, 3), theme.text, size + 8)
    for row in range(min(24, 660 // round(size * 1.6))):
        c.text((290, 100 + row * round(size * 1.6)), _fitting(c, script, rng, 940), theme.text)


def _scroll(c: _Canvas, theme: Theme, rng: random.Random, size: int, script: str) -> None:
    """A full-page capture: sections of a heading and a paragraph down a 6000-pixel page."""
    y, step = 40, round(size * 1.6)
    while y < c.sample.image.height - 200:
        c.text((80, y), _text_for(script, rng, 4), theme.text, size + 8)
        y += step * 2 + 8
        for _ in range(rng.randint(4, 9)):
            c.text((80, y), _fitting(c, script, rng, 1100), theme.text)
            y += step
        y += step * 2


def _strip(c: _Canvas, theme: Theme, rng: random.Random, size: int, script: str) -> None:
    """A 60-pixel-wide toolbar strip: short labels one under the other."""
    for row in range(c.sample.image.height // (size * 4) - 1):
        c.text((6, 20 + row * size * 4), rng.choice(("OK", "42", "Go", "Up", "Tab", "Fn", "Del")),
               theme.text)  # fmt: skip


def _fitting(c: _Canvas, script: str, rng: random.Random, width: int) -> str:
    """The longest phrase (up to 14 words) that fits ``width`` pixels in the canvas's font."""
    text = phrase(rng, 14) if script == "latin" else zh_phrase(rng, 40)
    separator = " " if script == "latin" else ""
    parts = text.split(" ") if script == "latin" else list(text)
    while len(parts) > 1 and c.font.getlength(separator.join(parts)) > width:
        parts.pop()
    return separator.join(parts)


_SCENES = {
    "dialog": (_dialog, (1280, 800)),
    "menu": (_menu, (1280, 800)),
    "form": (_form, (1280, 800)),
    "columns": (_columns, (1280, 800)),
    "sidebar": (_sidebar, (1280, 800)),
    "scroll": (_scroll, (1280, 6000)),
    "strip": (_strip, (60, 6000)),
}
LATIN_SCENES = ("dialog", "menu", "form", "columns", "sidebar")
CJK_SCENES = ("dialog", "form", "columns")


def render(scene: str, *, family: str, size: int, theme: Theme, seed: int) -> Sample:
    """One sample: ``scene`` drawn in ``family`` at ``size`` px, its text chosen by ``seed``."""
    draw, canvas_size = _SCENES[scene]
    script = "latin" if family in LATIN_FONTS else "cjk"
    path = font_path(family)
    if path is None:
        raise FileNotFoundError(f"font {family!r} is not installed (see LATIN_FONTS/CJK_FONTS)")
    name = f"{scene}-{script}-{family.replace(' ', '')}-{size}px-{theme.name}"
    sample = Sample(name, scene, script, Image.new("RGB", canvas_size, theme.screen))
    draw(_Canvas(sample, ImageFont.truetype(str(path), size)), theme, random.Random(seed), size,
         script)  # fmt: skip
    return sample


def corpus(*, quick: bool = False) -> Iterator[Sample]:
    """The benchmark's samples; ``quick`` gives a handful that run in a few seconds."""
    for index, spec in enumerate(_plan(quick)):
        scene, family, size, theme = spec
        yield render(scene, family=family, size=size, theme=theme, seed=1000 + index)


def _plan(quick: bool) -> list[tuple[str, str, int, Theme]]:
    latin, cjk = available_fonts("latin"), available_fonts("cjk")
    if quick:
        return [("dialog", latin[0], 13, LIGHT), ("columns", latin[0], 14, DARK)] + (
            [("dialog", cjk[0], 15, LIGHT)] if cjk else []
        )
    sizes = (10, 12, 14, 16, 18)
    plan = [
        (scene, family, sizes[(i + j) % len(sizes)], THEMES[(i + j) % 2])
        for i, scene in enumerate(LATIN_SCENES)
        for j, family in enumerate(latin)
    ]
    plan += [(s, f, (14, 16)[i % 2], THEMES[i % 2]) for i, s in enumerate(CJK_SCENES) for f in cjk]
    plan += [("scroll", latin[0], 13, LIGHT), ("scroll", latin[-1], 15, DARK)]
    return [*plan, ("strip", latin[0], 12, LIGHT)]


def _main() -> None:  # pragma: no cover - a look at the corpus by eye
    out = Path("ocr-corpus")
    out.mkdir(exist_ok=True)
    for sample in corpus():
        sample.image.save(out / f"{sample.name}.png")
        (out / f"{sample.name}.txt").write_text("\n".join(ln.text for ln in sample.lines) + "\n")
    print(f"wrote the corpus to {out}/")


if __name__ == "__main__":  # pragma: no cover
    _main()
