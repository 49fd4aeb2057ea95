"""Mixed-direction lines in visual order: fpdf2 resolves every bidi level but orders only two.

fpdf2 splits a paragraph by direction alone, so a number inside Hebrew inside an English line
(level 2) joins the English after it and prints on the wrong side. Here each run keeps its
level, and each line is reordered by rule L2 of the Unicode bidi algorithm (UAX #9).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from fpdf.bidi import BidiParagraph
from fpdf.enums import TextDirection
from fpdf.line_break import TextLine


@contextmanager
def deep_enough(text: str):
    """Let fpdf2's bidi resolution recurse once per character of a run of neutral ones.

    `fpdf.bidi` looks for the next strong character by recursion, one call per neutral
    character (punctuation, spaces, emoji): a free-text answer of 1,000 such characters passed
    Python's default limit of 1,000 frames, and one answer made the whole PDF fail. Python 3.11
    keeps Python-to-Python calls off the C stack, so a deeper limit costs only frames.
    """
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, 2 * len(text) + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def level_runs(text: str, base: TextDirection) -> list[tuple[str, int]]:
    """Split a paragraph into its runs of one embedding level, in reading order."""
    with deep_enough(text):
        paragraph = BidiParagraph(text=text, base_direction=base, preserve_bn_chars=True)
        characters = paragraph.get_characters_with_embedding_level()
    runs: list[tuple[list[str], int]] = []
    for char in characters:
        if runs and runs[-1][1] == char.embedding_level:
            runs[-1][0].append(char.character)
        else:
            runs.append(([char.character], char.embedding_level))
    return [("".join(chars), level) for chars, level in runs]


def visual_order(items: list, levels: list[int]) -> list:
    """Reverse every stretch at or above each level, from the highest to the lowest odd one."""
    items, levels = list(items), list(levels)
    odd = [level for level in levels if level % 2]
    if not odd:
        return items
    for level in range(max(levels), min(odd) - 1, -1):
        i = 0
        while i < len(items):
            if levels[i] < level:
                i += 1
                continue
            j = i
            while j < len(items) and levels[j] >= level:
                j += 1
            items[i:j], levels[i:j] = items[i:j][::-1], levels[i:j][::-1]
            i = j
    return items


def level_of(fragment) -> int | None:
    return (fragment.text_shaping_parameters or {}).get("bidi_level")


class VisualLine(TextLine):
    """A laid-out line whose fragments, each shaped in its own direction, are placed by level."""

    __slots__ = ()

    def get_ordered_fragments(self):
        levels = [level_of(fragment) for fragment in self.fragments]
        if not self.fragments or None in levels:
            return super().get_ordered_fragments()
        return visual_order(self.fragments, levels)
