"""Pull a one-paragraph description out of a repository README.

Markdown goes through markdown-it-py (CommonMark plus tables), so setext headings, indented
code, HTML blocks, reference definitions and the rest are recognised the way GitHub renders
them; we only choose which paragraph is "real prose". reStructuredText and plain-text READMEs
get a small line-based reader: titles, directives, comments, literal blocks and field lists
are skipped and inline markup is stripped.

Prose is not always a summary. Real READMEs put other paragraphs first, and these are skipped
(``is_summary``): a label introducing what follows ("Releases:" before a badge row, "Example:"),
a line that is only links ("Docs: https://...", "See [the wiki](...) for more."), a donations or
sponsor blurb and a setup instruction ("To install, run ...", "Requires Python 3.11"); a status
notice ("This project is no longer maintained") is the summary only when nothing else follows. A
greeting ("Welcome to X!") before the sentence that says what the project is is dropped.

README text is tenant data: only a bounded prefix is read, paragraphs get their inline parse one
at a time until one is prose, and every pattern here is linear, so a huge or pathological README
costs a bounded amount of work (markdown-it is linear, but slow on hostile inline text).
"""
from __future__ import annotations

import posixpath
import re

from markdown_it import MarkdownIt

# Where GitHub looks for the README it shows, in its order, and the names it accepts
# (matched case-insensitively), preferring formats we read best.
README_DIRS = (".github/", "", "docs/")
README_NAMES = (
    "README.md", "README.markdown", "README.mdown", "README.mkd", "README.rst", "README.txt",
    "README.adoc", "README.asciidoc", "README.org", "README",
)

# Inline parsing is run per candidate paragraph (see first_paragraph), not over the whole document.
_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("inline")
# The summary is a paragraph near the top, clipped to ``limit``: reading more is wasted work.
MAX_SOURCE = 64 * 1024
MAX_PARAGRAPH = 8 * 1024
MAX_PARAGRAPHS = 200  # top-level paragraphs looked at before giving up (badge rows, link rows ...)
_MARKDOWN_EXT = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")

_WS = re.compile(r"\s+")
# One or more URLs: each whitespace-separated word must be a URL (the old (?:<?https?://\S+>?\s*)+
# let \S+ and the repeat split glued URLs every possible way: exponential).
_URL_ONLY = re.compile(r"^<?https?://\S+(?:\s+<?https?://\S+)*\s*$")
_EMOJI_CODE = re.compile(r"(?:(?<=\s)|^):[a-z0-9_+-]+:(?=[\s.,;!?)]|$)")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+(?=[.,;:!?](?:\s|$))")
_HAS_WORD = re.compile(r"[^\W\d_]{2,}")
_NAV_NOISE = re.compile(r"^[\s|•·/,\-–—:]*$")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")  # [^<>]: "<a<a<a..." must not rescan to the end from each "<"

# --- paragraphs that are prose but not the summary (is_summary); all anchored or single-pass ---
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_URL = re.compile(r"<?https?://\S+>?")
_LABEL_WORDS = 6          # "Releases:", "Build status:", "Example:": short and ending in a colon
_NOTICE_WORDS = 25        # a status notice is a sentence or two; a longer paragraph says more
# words that point at a link rather than describe ("See [the docs](..) for more.")
_POINTER_WORDS = frozenset("""see visit read check out go to head find more info information details here
    the a an our this for at on in and or of please also via docs documentation website site homepage home
    page wiki demo live changelog releases release download downloads latest guide api reference""".split())
_SETUP = re.compile(
    r"^(?:to (?:install|get started|start|run|use|build|set ?up|deploy|develop|contribute|test|configure)\b"
    r"|(?:first|then|next),? (?:install|run|clone|make sure)\b|install(?:ation)?\b|run(?:ning)? (?:the|this|it|with|`)"
    r"|clone (?:this|the|it|and|`)|make sure\b|before (?:you|using|running)\b|you (?:will )?(?:need|must|should)\b"
    r"|requires?\b|prerequisites?\b|getting started\b|quick ?start\b|build(?:ing)? (?:from source|locally)\b"
    r"|(?:pip|npm|yarn|pnpm|brew|go|cargo|gem|docker|make|git|helm|apt(?:-get)?) (?:install|add|get|run|pull|clone)\b)",
    re.I)
# a donations blurb names a way to give and asks for it ("Donation processing service" is a description)
_DONATION = re.compile(
    r"\b(?:donat(?:e|es|ed|ing|ion|ions)|sponsor(?:s|ed|ing|ship)?|patreon|ko-?fi|buy ?me ?a ?(?:coffee|beer|pizza)"
    r"|open ?collective|liberapay|paypal|backers?|patrons?|star(?:ring)? (?:this|the) (?:repo|repository|project))\b",
    re.I)
_APPEAL = re.compile(
    r"\b(?:consider|please|if you (?:like|love|find|enjoy|use|want|appreciate)|support(?:ing)? (?:me|us|this|the|my|our)"
    r"|appreciated?|help (?:me|us|keep|fund)|thank you|become a|buy ?me)\b", re.I)
_NOTICE = re.compile(
    r"^\W*(?:note|warning|important|caution|disclaimer|heads up|deprecated|deprecation|archived|unmaintained)\b"
    r"|\b(?:no longer (?:maintained|supported|under (?:active )?development)|(?:is|has been) "
    r"(?:deprecated|archived|unmaintained|moved|superseded)|work in progress|not (?:yet )?ready for production)\b",
    re.I)
_GREETING = re.compile(r"^\W*(?:welcome|hello|hi|hey|greetings|thanks for (?:stopping|visiting))\b[^.!?]{0,120}[.!?]+\s+",
                       re.I)


def is_summary(text: str, outside_links: str | None = None) -> bool:
    """Whether a prose paragraph can say what the project is (see the module's docstring).

    ``outside_links``: the paragraph's text outside its links (Markdown), to tell a link line."""
    words = _WORD.findall(text)
    if text.rstrip().endswith(":") and len(words) <= _LABEL_WORDS:
        return False  # a label for what follows
    if _SETUP.match(text) or (_DONATION.search(text) and _APPEAL.search(text)):
        return False
    outside = _URL.sub(" ", text if outside_links is None else outside_links)
    linked = (outside_links is not None and outside_links.strip() != text.strip()) or _URL.search(text)
    if linked and sum(1 for w in _WORD.findall(outside) if w.lower() not in _POINTER_WORDS) <= 1:
        return False  # links and a word or two of pointing: a link line
    return True


def is_notice(text: str) -> bool:
    """A short status notice ("Deprecated.", "This project is no longer maintained"): the summary only
    when the README says nothing else."""
    return _NOTICE.search(text) is not None and len(_WORD.findall(text)) <= _NOTICE_WORDS


def _drop_greeting(text: str) -> str:
    """The paragraph without a leading greeting sentence, when more follows it."""
    m = _GREETING.match(text)
    return text[m.end():] if m and _HAS_WORD.search(text[m.end():]) else text


def _clip(text: str, limit: int) -> str:
    text = _WS.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def _front_matter_end(lines: list[str]) -> int:
    """Index of the first line after a leading YAML (---) or TOML (+++) front matter block."""
    if not lines or lines[0].strip() not in ("---", "+++"):
        return 0
    fence = lines[0].strip()
    closers = ("---", "...") if fence == "---" else ("+++",)
    for i in range(1, min(len(lines), 200)):
        if lines[i].strip() in closers:
            return i + 1
    return 0


def _inline_text(children) -> tuple[str, str] | None:
    """(plain text, the part outside links) of a paragraph, or None when it is not prose (badges,
    images, link rows, a URL)."""
    parts: list[str] = []
    outside_links: list[str] = []
    link_depth = struck = 0
    for tok in children or []:
        if tok.type in ("s_open", "s_close"):
            struck = max(struck + (1 if tok.type == "s_open" else -1), 0)  # struck-out text is retracted
        elif struck:
            continue
        elif tok.type == "link_open":
            link_depth += 1
        elif tok.type == "link_close":
            link_depth = max(link_depth - 1, 0)
        elif tok.type in ("text", "text_special", "code_inline"):  # text_special: escapes, entities
            parts.append(tok.content)
            if not link_depth:
                outside_links.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            parts.append(" ")
            outside_links.append(" ")
        # images (badges) and inline HTML contribute nothing
    text = _EMOJI_CODE.sub("", _TAG.sub("", "".join(parts)))
    text = _SPACE_BEFORE_PUNCT.sub("", _WS.sub(" ", text)).strip()
    if not text or not _HAS_WORD.search(text) or _URL_ONLY.match(text):
        return None
    outside = "".join(outside_links)
    if _NAV_NOISE.match(outside):
        return None  # a row of links such as "[Docs](..) | [API](..)"
    return text, _EMOJI_CODE.sub("", _TAG.sub("", outside))


def first_paragraph(markdown: str | None, limit: int = 500) -> str | None:
    """The first real prose paragraph of a Markdown document, as plain text (at most ``limit`` chars)."""
    if not isinstance(markdown, str) or not markdown.strip():
        return None
    lines = _prefix(markdown.lstrip("\ufeff"), MAX_SOURCE).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    source = "\n".join(lines[_front_matter_end(lines):])
    env: dict = {}
    try:
        tokens = _MD.parse(source, env)
        seen = 0
        notice = None
        for i, tok in enumerate(tokens):
            # only top-level paragraphs: text in lists, quotes (admonitions) and tables is not a summary
            if tok.type == "paragraph_open" and tok.level == 0 and i + 1 < len(tokens):
                seen += 1
                if seen > MAX_PARAGRAPHS:
                    break
                children: list = []
                _MD.inline.parse(_prefix(tokens[i + 1].content, MAX_PARAGRAPH), _MD, env, children)
                found = _inline_text(children)
                if found and is_summary(*found):
                    if not is_notice(found[0]):
                        return _clip(_drop_greeting(found[0]), limit)
                    notice = notice or found[0]
    except Exception:  # markdown-it is total in practice; a README must never break discovery
        return None
    return _clip(notice, limit) if notice else None


def _prefix(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at whitespace (a word is never cut in two)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    return head[:max(head.rfind("\n"), head.rfind(" "), head.rfind("\t"), 0)]


# --- reStructuredText and plain text -------------------------------------------------------
_RST_ADORNMENT = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1{2,}\s*$")
_RST_EXPLICIT = re.compile(r"^\.\.(\s|$)")
_RST_FIELD = re.compile(r"^:[^:\s][^:]*:(\s|$)")
_RST_ROLE = re.compile(r":[A-Za-z0-9_.+-]+:`([^`]*)`")
# Linear forms: the text before "<" is stripped in code, not by a lazy [^`<]*? racing \s* (quadratic
# on a long run of spaces), and the target stops at a backtick instead of rescanning to the end.
_RST_LINK = re.compile(r"`([^`<]*)<[^>`]*>`_{1,2}")
_RST_REF = re.compile(r"`([^`]+)`_{1,2}")
_RST_LITERAL = re.compile(r"``([^`]*)``")
_RST_EMPH = re.compile(r"\*{1,2}([^*]+)\*{1,2}")
_RST_SUBST = re.compile(r"\|[^|\s][^|]*\|_{0,2}")
# Bounded: every word start after a "-" is a start, and an unbounded [\w-]* rescans the whole
# "a-a-a-..." run from each of them.
_RST_BARE_REF = re.compile(r"\b([A-Za-z0-9][\w-]{0,127})__?(?=\W|$)")
_RST_TABLE = re.compile(r"^(?:\+[-=+]+|=+(?: +=+)+)\s*$")
_LIST_ITEM = re.compile(r"^(?:[-*+•]|\d+[.)]|#\.)\s")


def _rst_inline(text: str) -> str:
    text = _RST_SUBST.sub("", text)
    text = _RST_LINK.sub(lambda m: m.group(1).rstrip(), text)
    text = _RST_ROLE.sub(r"\1", text)
    text = _RST_LITERAL.sub(r"\1", text)
    text = _RST_REF.sub(r"\1", text)
    text = _RST_EMPH.sub(r"\1", text)
    text = _RST_BARE_REF.sub(r"\1", text)
    return text


def _blocks(text: str) -> list[list[str]]:
    """Blank-line separated blocks of lines."""
    blocks, cur = [], []
    for line in text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    return blocks


def first_paragraph_rst(text: str | None, limit: int = 500, *, plain: bool = False) -> str | None:
    """First prose paragraph of a reStructuredText (or, with ``plain``, a plain-text) README."""
    if not isinstance(text, str) or not text.strip():
        return None
    blocks = _blocks(_prefix(text, MAX_SOURCE))
    literal_next = False
    notice = None
    for index, block in enumerate(blocks):
        indented = block[0][:1] in (" ", "\t")
        if literal_next and indented:
            continue  # body of a literal block ("::") or a directive
        literal_next = False
        if indented:
            continue  # block quote or a directive body
        # drop a title with its over/underline; text may follow the underline without a blank line
        adorned = [i for i, ln in enumerate(block[:3]) if _RST_ADORNMENT.match(ln.strip())]
        lines = block[adorned[-1] + 1:] if adorned else block
        if not lines:
            continue
        if _RST_EXPLICIT.match(lines[0]) or _RST_FIELD.match(lines[0]):
            literal_next = True
            continue
        if _RST_TABLE.match(lines[0]) or _LIST_ITEM.match(lines[0]):
            continue
        if lines[-1].endswith("::"):
            literal_next = True
        if plain and index == 0 and len(lines) == 1 and len(blocks) > 1 and len(lines[0]) <= 60 \
                and not lines[0].rstrip().endswith((".", "!", "?", ":")):
            continue  # a bare first line of a plain README is its title
        raw = _prefix(" ".join(ln.strip() for ln in lines), MAX_PARAGRAPH)
        if raw.endswith("::"):
            raw = raw[:-1]
        candidate = raw if plain else _rst_inline(raw)
        candidate = _WS.sub(" ", candidate).strip()
        if candidate and _HAS_WORD.search(candidate) and not _URL_ONLY.match(candidate) and is_summary(candidate):
            if not is_notice(candidate):
                return _clip(_drop_greeting(candidate), limit)
            notice = notice or candidate
    return _clip(notice, limit) if notice else None


def readme_description(path: str | None, text: str | None, limit: int = 500) -> str | None:
    """First paragraph of a README, read according to its file name."""
    if not text:
        return None
    name = posixpath.basename(path or "").lower()
    if name.endswith(_MARKDOWN_EXT):
        return first_paragraph(text, limit)
    if name.endswith((".rst", ".rest")):
        return first_paragraph_rst(text, limit)
    return first_paragraph_rst(text, limit, plain=True)


def pick_readme(files: dict[str, str | None]) -> tuple[str | None, str | None]:
    """The README GitHub would show: first directory in README_DIRS, then first name in README_NAMES.

    Names match case-insensitively (GitHub shows ``readme.md`` too)."""
    by_lower: dict[str, str] = {}
    for path in files:
        by_lower.setdefault(path.lower(), path)
    for directory in README_DIRS:
        for name in README_NAMES:
            path = by_lower.get((directory + name).lower())
            if path is not None:
                return path, files[path]
    return None, None
