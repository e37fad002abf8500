"""Match positions for highlighting, in Meilisearch's ``_matchesPosition`` shape: {field: [{start, length}]}.

Positions are character offsets into the field as returned. A query word matches where a word of the
field starts with it (prefix-as-you-type); a word with no such match in a name field (a typo) is
aligned fuzzily with RapidFuzz, so "paymnet" still highlights "paymen" in "payment-gateway".
"""
from __future__ import annotations

import re

from rapidfuzz import fuzz

from search.documents import fold, tokens

HIGHLIGHT_FIELDS = ("name", "display_name", "aliases", "team_name", "repo_name", "tags", "description", "services")
FUZZY_FIELDS = frozenset({"name", "display_name", "aliases"})
FUZZY_MIN_SCORE = 75.0
FUZZY_MIN_WORD = 4  # shorter words align with anything


class Highlighter:
    """Built once per query, applied to each returned document. ``fuzzy=False`` when the results matched
    the words as typed: a word found in another field then is not aligned with the name by similarity
    (which would mark a look-alike stretch)."""

    def __init__(self, query: str, fuzzy: bool = True):
        self.fuzzy = fuzzy
        self.words = sorted(set(tokens(query)), key=len, reverse=True)
        alternatives = "|".join(map(re.escape, self.words))
        self.pattern = re.compile(rf"(?<![0-9a-z])(?:{alternatives})") if self.words else None

    def _positions(self, value: str, fuzzy: bool) -> list[dict]:
        # Offsets must index the original string: fold only when it keeps the length (ASCII, most accents).
        text = value.lower() if value.isascii() else fold(value)
        if len(text) != len(value):
            text = value.lower()
        spans = {m.start(): m.end() - m.start() for m in self.pattern.finditer(text)}
        if fuzzy:
            for word in self.words:
                if len(word) >= FUZZY_MIN_WORD and not any(text.startswith(word, start) for start in spans):
                    aligned = fuzz.partial_ratio_alignment(word, text, score_cutoff=FUZZY_MIN_SCORE)
                    if aligned is not None and aligned.dest_end > aligned.dest_start:
                        start, length = aligned.dest_start, aligned.dest_end - aligned.dest_start
                        if length > spans.get(start, 0):
                            spans[start] = length
        return [{"start": start, "length": spans[start]} for start in sorted(spans)]

    def matches(self, doc: dict) -> dict:
        if self.pattern is None:
            return {}
        out: dict[str, list] = {}
        for field in HIGHLIGHT_FIELDS:
            value = doc.get(field)
            if not value:
                continue
            fuzzy = self.fuzzy and field in FUZZY_FIELDS
            if isinstance(value, list):
                spans = [{**span, "indices": [index]} for index, item in enumerate(value)
                         for span in self._positions(str(item), fuzzy)]
            else:
                spans = self._positions(str(value), fuzzy)
            if spans:
                out[field] = spans
        return out


def matches_position(doc: dict, query: str) -> dict:
    return Highlighter(query).matches(doc)
