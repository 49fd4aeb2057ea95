"""Rebuild the bundled PDF fonts from Noto sources: static instances, subset to what answers use.

Not imported by the app; run by hand when the fonts need to change:

    python workshop/core/report/fonts/make_fonts.py NOTO_DIR NotoSansCJK-Regular.ttc

NOTO_DIR holds the variable Noto fonts (NotoSans[wght].ttf, NotoSansArabic[wght].ttf,
NotoSansHebrew[wght].ttf, NotoEmoji[wght].ttf and the SCRIPTS below), as published by the
Noto project; the .ttc is Noto Sans CJK Regular (Debian's fonts-noto-cjk ships it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable
from fontTools.varLib import instancer

HERE = Path(__file__).parent
CJK_SC = 2  # Simplified Chinese glyph forms: the face most CJK answers will be written for
# Scripts kept whole (every character, every shaping feature): small, and one of them for a
# language is no use without all its conjuncts and vowel signs.
SCRIPTS = ("Thai", "Devanagari", "Bengali", "Tamil")

# Latin with its extensions and Vietnamese, Greek, Cyrillic, punctuation and common symbols.
BODY = [(0x20, 0x24F), (0x250, 0x2FF), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x52F),
        (0x1AB0, 0x1AFF), (0x1C80, 0x1C8F), (0x1D00, 0x1DBF), (0x1E00, 0x1FFF),
        (0x2000, 0x206F), (0x2070, 0x209F), (0x20A0, 0x20CF), (0x2100, 0x218F),
        (0x2190, 0x21FF), (0x2C60, 0x2C7F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F),
        (0xA720, 0xA7FF), (0xFB00, 0xFB06), (0xFFFD, 0xFFFD)]


def codes(ranges):
    return {c for lo, hi in ranges for c in range(lo, hi + 1)}


def encodable(codec: str, lo: int, hi: int, first=b"", last=b"\xff\xff") -> set[int]:
    """Return the code points in [lo, hi] that a national character set holds as one 2-byte code.

    `first`..`last` narrows it to a level of the set (Big5's frequent hanzi). Two bytes only:
    Python's euc_kr also spells rare hangul as 8-byte jamo sequences, outside KS X 1001.
    """
    found = set()
    for c in range(lo, hi + 1):
        try:
            encoded = chr(c).encode(codec)
        except UnicodeEncodeError:
            continue
        if len(encoded) == 2 and first <= encoded <= last:
            found.add(c)
    return found


def cjk_codes() -> set[int]:
    """Choose the CJK characters people type every day: the national standard sets.

    GB 2312 (6,763 simplified hanzi), Big5's frequent level (5,401 traditional hanzi),
    JIS X 0208 (6,355 kanji) and KS X 1001 (2,350 hangul syllables), plus kana, jamo,
    CJK punctuation and full-width forms. Rarer characters get the PDF's note instead.
    """
    han = (encodable("gb2312", 0x4E00, 0x9FFF) | encodable("shift_jis", 0x4E00, 0x9FFF)
           | encodable("big5", 0x4E00, 0x9FFF, b"\xa4\x40", b"\xc6\x7e"))
    hangul = encodable("euc_kr", 0xAC00, 0xD7A3)
    other = codes([(0x1100, 0x11FF), (0x3000, 0x30FF), (0x3130, 0x318F), (0x31F0, 0x31FF),
                   (0xFF00, 0xFFEF)])
    return han | hangul | other


def save(font: TTFont, unicodes: set[int], name: str, *, layout=("*",)):
    options = subset.Options()
    options.layout_features = list(layout)
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["DSIG", "STAT", "MVAR", "HVAR", "VVAR", "gvar", "fvar", "avar"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    font.save(HERE / name)
    print(f"{name}: {(HERE / name).stat().st_size / 1024:.0f} KiB")


def quadratic(font: TTFont) -> TTFont:
    """Redraw a CFF font's outlines as TrueType quadratics (within 1/1000 em).

    fpdf2 embeds a CID-keyed CFF font with its own encoding CMap, which some text extractors
    (pypdf among them) read as a NUL before every character: copied CJK text came out as
    "这 个 工 作 坊". A TrueType font is embedded as Identity-H, like every other face here.
    """
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = font.getGlyphOrder(), {}
    for name in glyf.glyphOrder:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"], font["glyf"] = newTable("loca"), glyf
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion, maxp.maxZones = 0x00010000, 1
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    font.sfntVersion = "\0\1\0\0"
    return font


def static(path: Path, weight: int) -> TTFont:
    return instancer.instantiateVariableFont(TTFont(path), {"wght": weight}, static=True)


def main(noto: Path, cjk: Path):
    save(static(noto / "NotoSans[wght].ttf", 400), codes(BODY), "NotoSans-Regular.ttf")
    save(static(noto / "NotoSans[wght].ttf", 700), codes(BODY), "NotoSans-Bold.ttf")
    arabic = codes([(0x600, 0x6FF), (0x750, 0x77F), (0x8A0, 0x8FF), (0xFB50, 0xFDFF),
                    (0xFE70, 0xFEFF), (0x200C, 0x200F), (0x20, 0x40)])
    save(static(noto / "NotoSansArabic[wght].ttf", 400), arabic, "NotoSansArabic-Regular.ttf")
    hebrew = codes([(0x590, 0x5FF), (0xFB1D, 0xFB4F), (0x200C, 0x200F), (0x20, 0x40)])
    save(static(noto / "NotoSansHebrew[wght].ttf", 400), hebrew, "NotoSansHebrew-Regular.ttf")
    for script in SCRIPTS:
        face = static(noto / f"NotoSans{script}[wght].ttf", 400)
        save(face, set(face.getBestCmap()), f"NotoSans{script}-Regular.ttf")
    emoji = static(noto / "NotoEmoji[wght].ttf", 400)
    save(emoji, set(emoji.getBestCmap()), "NotoEmoji-Regular.ttf")
    # No layout features: they would pull in every region's variant glyphs (48,000 in all).
    save(TTCollection(cjk).fonts[CJK_SC], cjk_codes(), "NotoSansCJKsc-Regular.otf", layout=())
    cff = HERE / "NotoSansCJKsc-Regular.otf"
    quadratic(TTFont(cff)).save(HERE / "NotoSansCJKsc-Regular.ttf")
    cff.unlink()
    print(f"NotoSansCJKsc-Regular.ttf: {(HERE / 'NotoSansCJKsc-Regular.ttf').stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
