"""The invitation letters as one PDF: an A4 page per household, to print and hand out.

Each page is in the household's language, with the Dutch text beneath it when that
language is not Dutch: the school, the children with their class and teacher, the visit
period, what a home visit is, a QR code with the household's personal link, and what to
do without a smartphone. With the server's public address (PUBLIC_URL) a second QR code
below the first opens the household's web page, for a family without Telegram; its address
is written out beneath the caption, and in the Dutch text too. The texts come from the
catalogs (`t._`), the dates from Babel.

fpdf2 draws the pages in the Noto fonts of Debian's fonts-noto-core package (Noto Sans,
Noto Naskh Arabic), found where Debian and fontconfig put them, embedded once, as subsets.
HarfBuzz shapes (`set_text_shaping`) every line that needs it: all Arabic (joined, right
to left, with fpdf2's bidi algorithm for the names and numbers inside), and any line with
a combining mark or a script beyond Latin, Greek and Cyrillic; see `shaping_direction`.
Lines are broken here, from word widths measured once per document: fpdf2's own
`multi_cell` shapes a paragraph again for every character it adds to a line, which is too
slow for a thousand letters. A page takes about 13 ms (bench/run.py); the bot renders in a
thread, so that its event loop goes on.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from babel.lists import format_list
from fpdf import FPDF
from PIL import Image

from bot.i18n import Catalogs, Translator
from bot.languages import LANGUAGE_NAMES, RTL_LANGUAGES, SOURCE_LANGUAGE
from bot.services.letters import Letter, LetterBatch
from bot.services.personal_links import deep_link

FONT_PACKAGE = "fonts-noto-core"
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path("~/.local/share/fonts"),
             Path("~/.fonts"))
LATIN_FONTS = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
ARABIC_FONTS = (("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"),
                ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"))


class FontsMissing(RuntimeError):
    """The Noto fonts are not installed; the message says which package to install."""


@dataclass(frozen=True)
class Fonts:
    sans: Path
    sans_bold: Path
    arabic: Path
    arabic_bold: Path


def _find(name: str, dirs: tuple[Path, ...]) -> Path | None:
    for directory in dirs:
        directory = directory.expanduser()
        for known in (directory / "truetype" / "noto" / name, directory / "noto" / name, directory / name):
            if known.is_file():
                return known
    for directory in dirs:
        directory = directory.expanduser()
        if directory.is_dir():
            for found in directory.rglob(name):
                if found.is_file():
                    return found
    return None


def find_fonts(dirs: tuple[Path, ...] | None = None) -> Fonts:
    """The Noto Sans and Noto Naskh Arabic (or Noto Sans Arabic) files, regular and bold, in
    `dirs` (default: FONT_DIRS, where Debian and fontconfig put fonts). Raises FontsMissing."""
    return _find_fonts(tuple(dirs) if dirs is not None else FONT_DIRS)


@lru_cache(maxsize=8)
def _find_fonts(dirs: tuple[Path, ...]) -> Fonts:
    sans = [_find(name, dirs) for name in LATIN_FONTS]
    for names in ARABIC_FONTS:
        arabic = [_find(name, dirs) for name in names]
        if all(arabic):
            break
    missing = [name for name, path in zip((*LATIN_FONTS, *ARABIC_FONTS[0]), (*sans, *arabic)) if path is None]
    if missing:
        raise FontsMissing(f"the fonts for the letters are not installed ({', '.join(missing)} not found "
                           f"under {', '.join(str(d) for d in dirs)}): install Debian's {FONT_PACKAGE} package "
                           f"(apt-get install {FONT_PACKAGE})")
    return Fonts(*sans, *arabic)


# -- the words ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LetterText:
    """A letter's texts in one language, in reading order."""

    title: str
    greeting: str
    period: str
    children: tuple[str, ...]
    about: str
    choose_heading: str
    choose: tuple[str, ...]  # how to answer: with the link, or without one
    web: str | None  # the caption of the web page's code; None when the letter has no web link
    no_smartphone: str
    regards: str
    signature: str


def letter_text(t: Translator, letter: Letter, batch: LetterBatch, *, school: str, phone: str | None) -> LetterText:
    iso = t.isolate
    names = format_list([iso(child.name) for child in letter.children], locale=t.babel_locale)
    children = []
    for child in letter.children:
        if child.teacher:
            children.append(t._("{child} zit in {class_name} bij {teacher}.").format(
                child=iso(child.name), class_name=iso(child.class_name), teacher=iso(child.teacher)))
        else:
            children.append(t._("{child} zit in {class_name}.").format(child=iso(child.name),
                                                                       class_name=iso(child.class_name)))
    if letter.token:
        choose = (t._("Scan de code met de camera van je telefoon, of typ de link over. Telegram opent dan, en je "
                      "kiest met een paar knoppen een dag en tijd die jullie past."),
                  _one_stop(t._("Deze link is alleen voor jullie gezin en werkt tot {date}.").format(
                      date=t.date(batch.links_valid_until))))
    elif letter.linked:
        choose = (t._("Jullie gebruiken Telegram al: de uitnodiging komt in jullie chat met de school."),)
    else:
        choose = (t._("Wil je het via Telegram regelen? Vraag de leerkracht om een persoonlijke link."),)
    if phone:
        no_smartphone = t._("Geen smartphone of geen Telegram? Zeg het tegen de leerkracht of bel de school: "
                            "{phone}. Dan maken we samen een afspraak.").format(phone=_ltr(t, _unbroken(phone)))
    else:
        no_smartphone = t._("Geen smartphone of geen Telegram? Zeg het tegen de leerkracht, dan maken we samen "
                            "een afspraak.")
    return LetterText(
        title=t._("Uitnodiging voor een huisbezoek"),
        greeting=t._("Beste ouders en verzorgers van {children},").format(children=names),
        period=t._("Van {first} tot en met {last} komen de leerkrachten van {school} graag bij alle gezinnen op "
                   "huisbezoek.").format(first=t.day(batch.first_day), last=t.day(batch.last_day),
                                         school=iso(school)),
        children=tuple(children),
        about=t._("Bij een huisbezoek leren we elkaar beter kennen, en we horen graag waar jullie als gezin trots "
                  "op zijn. Nee zeggen mag, en afspreken op school, in een park, in een café of telefonisch kan "
                  "ook."),
        choose_heading=t._("Kies zelf een moment"),
        choose=choose,
        web=t._("Geen Telegram? Open deze pagina in de browser van je telefoon:") if letter.web_link else None,
        no_smartphone=no_smartphone,
        regards=t._("Hartelijke groet,"),
        signature=t._("de leerkrachten van {school}").format(school=iso(school)),
    )


def _unbroken(text: str) -> str:
    """A phone number stays on one line."""
    return " ".join(text.split()).replace(" ", "\u00a0")


def _ltr(t: Translator, text: str) -> str:
    """A phone number or a code reads left to right, also inside Arabic."""
    return f"\u2066{text}\u2069" if t.language in RTL_LANGUAGES else text


_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


def _one_stop(text: str) -> str:
    """'... до 9 січня 2027 р..' ends with one full stop (a date can end with one)."""
    return _DOUBLE_STOP.sub(".", text)


def is_dutch(language: str) -> bool:
    return language.split("_")[0] == SOURCE_LANGUAGE


# -- the page -------------------------------------------------------------------------------

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN, TOP, BOTTOM = 20.0, 16.0, 14.0
TEXT_W = PAGE_W - 2 * MARGIN
QR_SIZE, QR_GAP = 40.0, 5.0
WEB_QR_SIZE = 30.0  # the web page's code, below the Telegram one: a shorter link, fewer modules
PT = 25.4 / 72  # mm per point
INK, BLUE, GREY = (33, 33, 33), (22, 66, 128), (110, 110, 110)
BIDI_CONTROLS = frozenset({0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
ISOLATES = {"\u2068": 1, "\u2066": 1, "\u2067": 1, "\u2069": -1}
BIG, DUTCH = 1.0, 0.8  # the household's language, and the Dutch text beneath it
SCALES = (1.0, 0.94, 0.88, 0.82, 0.76, 0.7, 0.64, 0.58)


@dataclass(frozen=True)
class _Style:
    size: float  # points
    bold: bool = False
    color: tuple[int, int, int] = INK
    leading: float = 1.42  # line height as a multiple of the size
    before: float = 0.0  # space above, in mm (at full size)


SCHOOL = _Style(18, True, BLUE, 1.2)
TITLE = _Style(13.5, True, INK, 1.3, 1.0)
BODY = _Style(11, before=3.2)
CHILD = _Style(11, before=0.8)
HEADING = _Style(11.5, True, BLUE, 1.35, 5.0)
LINK = _Style(10, False, INK, 1.35, 1.6)
LABEL = _Style(9, True, GREY, 1.3, 0)
FOOTER = _Style(7.5, False, GREY, 1.2)


@dataclass(frozen=True)
class _Op:
    kind: str  # text, rule, image
    x: float
    y: float
    w: float
    h: float
    text: str = ""
    family: str = ""
    bold: bool = False
    size: float = 0.0
    color: tuple[int, int, int] = INK
    rtl: bool = False
    image: Image.Image | None = None


def _tokens(text: str) -> list[str]:
    """Words, keeping an isolated name or date (FSI ... PDI) whole."""
    words, current, depth = [], [], 0
    for char in text:
        depth = max(0, depth + ISOLATES.get(char, 0))
        if char == " " and depth == 0:
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


def shaping_direction(text: str, rtl: bool) -> str | None:
    """How HarfBuzz shapes a line: "rtl" for every line of a right-to-left text, "ltr" for a
    line with a letter whose glyph depends on its neighbours (Arabic, a combining mark, any
    script beyond Latin, Greek and Cyrillic), None for a line of precomposed Latin, Greek or
    Cyrillic letters: the font's character map gives the same glyphs, without HarfBuzz's
    per-glyph cost (a thousand letters would take twice as long), and without kerning."""
    if rtl:
        return "rtl"
    for char in text:
        code = ord(char)
        if code < 0x0300 or (0x0370 <= code < 0x0530) or (0x1E00 <= code < 0x2000) or (0x20A0 <= code < 0x2150):
            if code < 0x0080 or not unicodedata.category(char).startswith("M"):
                continue
        elif 0x2000 <= code < 0x2070 and code not in BIDI_CONTROLS:
            continue
        return "ltr"
    return None


class _Document:
    """One PDF, its fonts embedded once, word widths measured once."""

    def __init__(self, fonts: Fonts) -> None:
        pdf = FPDF(unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN, TOP, MARGIN)
        pdf.c_margin = 0
        pdf.add_font("sans", "", str(fonts.sans))
        pdf.add_font("sans", "B", str(fonts.sans_bold))
        pdf.add_font("arabic", "", str(fonts.arabic))
        pdf.add_font("arabic", "B", str(fonts.arabic_bold))
        pdf.set_fallback_fonts(["sans", "arabic"])
        pdf.set_creator("homevisit")
        self.pdf = pdf
        self._direction: str | None = None  # HarfBuzz off
        self._widths: dict[tuple[str, bool, str | None, str], float] = {}
        self._wrapped: dict[tuple, list[str]] = {}

    # -- measuring ---------------------------------------------------------------------
    def _shaping(self, direction: str | None) -> None:
        """HarfBuzz on, for a line of this direction; or off (None)."""
        if direction != self._direction:
            if direction is None:
                self.pdf.set_text_shaping(False)
            else:
                self.pdf.set_text_shaping(True, direction=direction)
            self._direction = direction

    def width(self, text: str, family: str, bold: bool, size: float, rtl: bool = False) -> float:
        """mm at `size` points; measured at 10 pt once per document and scaled."""
        direction = shaping_direction(text, rtl)
        key = (family, bold, direction, text)
        per_point = self._widths.get(key)
        if per_point is None:
            self._shaping(direction)
            self.pdf.set_font(family, "B" if bold else "", 10)
            per_point = self.pdf.get_string_width(text) / 10
            self._widths[key] = per_point
        return per_point * size

    def wrap(self, text: str, family: str, bold: bool, size: float, width: float, rtl: bool) -> list[str]:
        key = (text, family, bold, size, width, rtl)
        lines = self._wrapped.get(key)
        if lines is None:
            lines = self._wrapped[key] = self._wrap(text, family, bold, size, width, rtl)
        return lines

    def _wrap(self, text: str, family: str, bold: bool, size: float, width: float, rtl: bool) -> list[str]:
        lines: list[str] = []
        for part in text.split("\n"):
            space = self.width(" ", family, bold, size, rtl)
            line: list[str] = []
            used = 0.0
            for word in _tokens(part):
                w = self.width(word, family, bold, size, rtl)
                if w > width:  # a word longer than the line (a link, a long name): cut it
                    if line:
                        lines.append(" ".join(line))
                    pieces = self._cut(word, family, bold, size, width, rtl)
                    lines.extend(pieces[:-1])
                    line, used = [pieces[-1]], self.width(pieces[-1], family, bold, size, rtl)
                    continue
                if line and used + space + w > width:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                used += (space if line else 0.0) + w
                line.append(word)
            lines.append(" ".join(line))
        return lines

    def _cut(self, word: str, family: str, bold: bool, size: float, width: float, rtl: bool) -> list[str]:
        pieces, current = [], ""
        for char in word:
            if current and self.width(current + char, family, bold, size, rtl) > width:
                pieces.append(current)
                current = ""
            current += char
        return [*pieces, current]

    # -- drawing -----------------------------------------------------------------------
    def draw(self, ops: list[_Op]) -> None:
        pdf = self.pdf
        pdf.add_page()
        for op in ops:
            if op.kind == "text":
                self._shaping(shaping_direction(op.text, op.rtl))
                pdf.set_font(op.family, "B" if op.bold else "", op.size)
                pdf.set_text_color(*op.color)
                pdf.set_xy(op.x, op.y)
                pdf.cell(op.w, op.h, op.text, align="R" if op.rtl else "L")
            elif op.kind == "rule":
                pdf.set_draw_color(*op.color)
                pdf.set_line_width(op.h)
                pdf.line(op.x, op.y, op.x + op.w, op.y)
            elif op.kind == "image":
                pdf.image(op.image, x=op.x, y=op.y, w=op.w, h=op.h)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


class _Flow:
    """Lays out one page's text from the top down, at a scale, as drawing operations."""

    def __init__(self, doc: _Document, scale: float) -> None:
        self.doc = doc
        self.scale = scale
        self.ops: list[_Op] = []
        self.y = TOP

    def paragraph(self, text: str, style: _Style, *, rtl: bool, family: str, factor: float = BIG,
                  x: float = MARGIN, width: float = TEXT_W, first: bool = False) -> None:
        size = style.size * self.scale * factor
        if not first:
            self.y += style.before * self.scale * factor
        height = size * PT * style.leading
        for line in self.doc.wrap(unicodedata.normalize("NFC", text), family, style.bold, size, width, rtl):
            if line:
                self.ops.append(_Op("text", x, self.y, width, height, line, family, style.bold, size, style.color,
                                    rtl))
            self.y += height

    def link(self, link: str, x: float, width: float, rtl: bool, factor: float = BIG) -> None:
        """The link on one line, smaller if need be; left to right, at the line's start."""
        size = LINK.size * self.scale * factor
        size = min(size, width / self.doc.width(link, "sans", False, 1.0) * 0.98)
        self.y += LINK.before * self.scale * factor
        height = size * PT * LINK.leading
        used = self.doc.width(link, "sans", False, size)
        self.ops.append(_Op("text", x + width - used if rtl else x, self.y, used, height, link, "sans", False, size,
                            LINK.color, False))
        self.y += height

    def rule(self, color: tuple[int, int, int], thickness: float, before: float, after: float) -> None:
        self.y += before * self.scale
        self.ops.append(_Op("rule", MARGIN, self.y, TEXT_W, thickness, color=color))
        self.y += after * self.scale

    def section(self, text: LetterText, *, rtl: bool, family: str, factor: float, link: str | None,
                qr: Image.Image | None, header: bool, web_link: str | None = None,
                web_qr: Image.Image | None = None) -> None:
        """The letter in one language: the header, the text, and (once per page) the QR codes."""
        para = self.paragraph
        if header:
            para(text.title, TITLE, rtl=rtl, family=family, factor=factor)
        para(text.greeting, BODY, rtl=rtl, family=family, factor=factor)
        para(text.period, BODY, rtl=rtl, family=family, factor=factor)
        for number, child in enumerate(text.children):
            para(child, BODY if number == 0 else CHILD, rtl=rtl, family=family, factor=factor)
        para(text.about, BODY, rtl=rtl, family=family, factor=factor)
        para(text.choose_heading, HEADING, rtl=rtl, family=family, factor=factor)
        if qr is not None:
            # The code on the side where a line ends, the text beside it, the link below both.
            size = QR_SIZE * min(1.0, self.scale + 0.1)
            column = TEXT_W - size - QR_GAP
            x_text = MARGIN + size + QR_GAP if rtl else MARGIN
            x_code = MARGIN if rtl else MARGIN + TEXT_W - size
            top = self.y + 1.5 * self.scale
            self.ops.append(_Op("image", x_code, top, size, size, image=qr))
            self.y = top
            for number, extra in enumerate(text.choose):
                para(extra, CHILD if number else BODY, rtl=rtl, family=family, factor=factor, x=x_text,
                     width=column, first=number == 0)
            self.y = max(self.y, top + size)
            if link:
                self.link(link, MARGIN, TEXT_W, rtl)
        else:
            for number, extra in enumerate(text.choose):
                para(extra, CHILD if number else BODY, rtl=rtl, family=family, factor=factor, first=number == 0)
        if text.web and web_link and web_qr is not None:
            # The web page's code below the Telegram one, on its side; the caption and the address beside it.
            size = WEB_QR_SIZE * min(1.0, self.scale + 0.1)
            column = TEXT_W - size - QR_GAP
            x_text = MARGIN + size + QR_GAP if rtl else MARGIN
            x_code = MARGIN if rtl else MARGIN + TEXT_W - size
            top = self.y + 4.0 * self.scale  # apart from the Telegram link, which belongs to the code above
            self.ops.append(_Op("image", x_code, top, size, size, image=web_qr))
            self.y = top
            beside = len(self.ops)
            para(text.web, BODY, rtl=rtl, family=family, factor=factor, x=x_text, width=column, first=True)
            self.link(web_link, x_text, column, rtl, factor)
            down = max(0.0, (size - (self.y - top)) / 2)  # the caption and the address at the code's middle
            self.ops[beside:] = [replace(op, y=op.y + down) for op in self.ops[beside:]]
            self.y = max(self.y + down, top + size)
        elif text.web and web_link:  # the Dutch text beneath: the caption and the address, without the code
            para(text.web, BODY, rtl=rtl, family=family, factor=factor)
            self.link(web_link, MARGIN, TEXT_W, rtl, factor)
        para(text.no_smartphone, BODY, rtl=rtl, family=family, factor=factor)
        para(text.regards, BODY, rtl=rtl, family=family, factor=factor)
        para(text.signature, CHILD, rtl=rtl, family=family, factor=factor, first=True)


def qr_image(link: str, border: int = 4) -> Image.Image:
    """The link's QR code as a greyscale image, one pixel per module, with the quiet zone
    the standard asks for (four modules). The PDF scales it up without smoothing."""
    matrix = segno.make(link, error="m", micro=False).matrix
    modules = len(matrix)
    size = modules + 2 * border
    pixels = bytearray(b"\xff" * (size * size))
    for row_number, row in enumerate(matrix):
        start = (row_number + border) * size + border
        pixels[start:start + modules] = bytes(0 if dark else 255 for dark in row)
    return Image.frombytes("L", (size, size), bytes(pixels))


def _page(doc: _Document, letter: Letter, main: LetterText, dutch: LetterText | None, *, school: str,
          link: str | None, qr: Image.Image | None, web_qr: Image.Image | None) -> list[_Op]:
    rtl = letter.language in RTL_LANGUAGES
    family = "arabic" if letter.language == "ar" else "sans"
    limit = PAGE_H - BOTTOM - 5.0
    for scale in SCALES:
        flow = _Flow(doc, scale)
        flow.paragraph(school, SCHOOL, rtl=rtl, family=family, first=True)
        flow.section(main, rtl=rtl, family=family, factor=BIG, link=link, qr=qr, header=True,
                     web_link=letter.web_link, web_qr=web_qr)
        if dutch is not None:
            flow.rule(GREY, 0.2, 6.0, 3.0)
            flow.paragraph(LANGUAGE_NAMES[SOURCE_LANGUAGE], LABEL, rtl=False, family="sans", first=True)
            flow.section(dutch, rtl=False, family="sans", factor=DUTCH, link=None, qr=None, header=True,
                         web_link=letter.web_link)
        if flow.y <= limit:
            break
    classes = ", ".join(dict.fromkeys(child.class_name for child in letter.children))
    flow.y = PAGE_H - BOTTOM
    flow.paragraph(f"{letter.household} · {classes}", FOOTER, rtl=False, family="sans", first=True)
    return flow.ops


def render_letters(batch: LetterBatch, *, catalogs: Catalogs, tz: ZoneInfo, school: str, phone: str | None,
                   bot_username: str, fonts: Fonts | None = None) -> bytes:
    """The PDF: one A4 page per letter of the batch, in its order."""
    doc = _Document(fonts or find_fonts())
    dutch_t = catalogs.translator(SOURCE_LANGUAGE, tz)
    doc.pdf.set_title(dutch_t._("Uitnodiging voor een huisbezoek"))
    for letter in batch.letters:
        t = catalogs.translator(letter.language, tz)
        link = deep_link(bot_username, letter.token) if letter.token else None
        main = letter_text(t, letter, batch, school=school, phone=phone)
        dutch = None if is_dutch(letter.language) else letter_text(dutch_t, letter, batch, school=school,
                                                                    phone=phone)
        doc.draw(_page(doc, letter, main, dutch, school=school, link=link, qr=qr_image(link) if link else None,
                       web_qr=qr_image(letter.web_link) if letter.web_link else None))
    return doc.output()
