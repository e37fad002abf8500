"""Line numbers of what was found in a file's text (targets and warnings keep their line)."""
from __future__ import annotations

import bisect
import re


def line_of(text: str, pattern: str, default: int = 1) -> int:
    """1-based line of the first match of ``pattern`` (multiline), else ``default``."""
    m = re.search(pattern, text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else default


class Lines:
    """1-based line of an offset in ``text``, by bisection (no rescans from the start per lookup)."""

    def __init__(self, text: str):
        self.starts = [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) + 1
