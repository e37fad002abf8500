import pytest

from discovery.connectors.github.readme import (
    README_NAMES, first_paragraph, first_paragraph_rst, pick_readme, readme_description,
)


def test_sample_readme_with_badges():
    text = (
        "# Audit Sync Web\n\n"
        "[![build](https://ci.example.test/audit-sync-web/badge.svg)](https://ci.example.test/audit-sync-web)\n"
        "![coverage](https://img.shields.io/badge/coverage-75%25-green)\n\n"
        "Web front end that handles audit operations for the globex platform.\n\n"
        "## Running locally\n\n```\nmake dev\n```\n"
    )
    assert first_paragraph(text) == "Web front end that handles audit operations for the globex platform."


def test_skips_everything_that_is_not_prose():
    text = """---
title: front matter
description: not this
---

Payments API
============

<p align="center"><img src="logo.png" alt="logo"></p>

<!-- a comment
spanning lines -->

[Docs](https://docs) | [API](https://api) · [Status](https://status)

| col | col |
|-----|-----|
| a   | b   |

    indented code block

```bash
fenced code
```

***

[ref]: https://example.com/ref

https://example.com/just-a-url

> [!NOTE]
> An admonition is not the summary.

- a list item is not either

The **payments** API settles [card](https://x) payments with `stripe` and
*retries* ~~never~~ <b>forever</b> :rocket:.

Second paragraph.
"""
    assert first_paragraph(text) == (
        "The payments API settles card payments with stripe and retries forever."
    )


def test_setext_heading_and_html_heading():
    assert first_paragraph("Title\n-----\nBody text here.\n") == "Body text here."
    assert first_paragraph("<h1 align=center>Title</h1>\n\nBody.\n") == "Body."


@pytest.mark.parametrize("text", [
    "", None, "   \n\n", "# Only\n## Headings\n### Here\n", "```\ncode only\n```\n",
    "[![badge](a.svg)](b)\n", "<div>\n<img src=x>\n</div>\n", "---\n", "\ufeff",
])
def test_nothing_to_say(text):
    assert first_paragraph(text) is None


def test_limit_cuts_at_a_word_boundary():
    text = "word " * 300
    out = first_paragraph(text, limit=50)
    assert len(out) <= 50 and out.endswith("…") and "wor…" not in out


def test_crlf_and_bom():
    assert first_paragraph("\ufeff# T\r\n\r\nLine one\r\nline two.\r\n") == "Line one line two."


def test_lazy_paragraph_is_not_code():
    # four-space indented lines after a paragraph line are a continuation, not code
    assert first_paragraph("Intro line\n    continued.\n") == "Intro line continued."


def test_rst():
    text = """.. image:: https://img.shields.io/badge/x.svg
   :target: https://ci

==========
 Project
==========

:Author: someone

.. note:: directive body

   indented

Example::

    literal block

Handles *payments* via ``stripe`` and `the docs <https://docs>`_ with :code:`roles`.
"""
    # "Example::" is a label for the literal block after it, not what the project is
    assert first_paragraph_rst(text) == "Handles payments via stripe and the docs with roles."
    text2 = text.replace("Example::\n\n    literal block\n\n", "")
    assert first_paragraph_rst(text2) == "Handles payments via stripe and the docs with roles."


def test_plain_text_readme_skips_its_title_line():
    assert readme_description("README", "my-tool\n\nA tool that does things.\n") == "A tool that does things."
    assert readme_description("README.txt", "Title\n=====\n\nBody.\n") == "Body."
    assert readme_description("README.rst", "=====\nTitle\n=====\nBody right below.\n\nMore.\n") == "Body right below."
    assert readme_description("README.rst", "Title\n-----\n\n----\n\nAfter a transition.\n") == "After a transition."
    assert readme_description("README.txt", "One paragraph only\n") == "One paragraph only"


def test_readme_description_dispatches_on_name():
    md = "# T\n\nBody *md*.\n"
    assert readme_description("docs/README.md", md) == "Body md."
    assert readme_description("README.rst", "Title\n=====\n\nBody *rst*.\n") == "Body rst."
    assert readme_description(None, None) is None


def test_pick_readme_order():
    assert README_NAMES[0] == "README.md"
    files = {"docs/README.md": "d", "README.rst": "r", "readme.md": "m", "src/README.md": "s"}
    assert pick_readme(files) == ("readme.md", "m")
    assert pick_readme({**files, ".github/README.md": "g"}) == (".github/README.md", "g")
    assert pick_readme({"docs/README.md": "d", "README": "plain"}) == ("README", "plain")
    assert pick_readme({"docs/readme.MD": "d"}) == ("docs/readme.MD", "d")
    assert pick_readme({"src/README.md": "x"}) == (None, None)


@pytest.mark.parametrize("name,text", [
    ("README.md", "http://example.com/a" * 40 + " trailing words"),   # glued URLs: was exponential
    ("README.md", "<a" * 60_000),                                      # tag-like text: was quadratic
    ("README.md", "*a **a " * 20_000 + "b" + " a** a*" * 20_000),     # markdown-it: linear but slow
    ("README.md", "[ a_" * 60_000),
    ("README.md", "`x`\n\n" * 50_000),                                 # many paragraphs, none prose
    ("README.rst", "` " + " " * 100_000 + "x"),                        # link text racing \s*
    ("README.rst", "a-" * 100_000 + "x"),                              # bare refs after every "-"
    ("README.rst", "`a<" * 60_000),
])
def test_hostile_readmes_are_read_in_bounded_time(name, text):
    import time

    # A guard against catastrophic patterns (exponential or quadratic on these inputs: minutes), not a speed
    # figure: a loaded CI machine took 1.05 s of CPU for a case that takes 0.3 s here, so the bound is loose.
    start = time.process_time()
    readme_description(name, text)
    assert time.process_time() - start < 5.0


def test_only_a_prefix_is_read_but_a_long_first_paragraph_still_counts():
    long = "# Title\n\n" + "word " * 30_000 + "\n\nSecond."
    assert readme_description("README.md", long).startswith("word word")
    assert readme_description("README.rst", "Title\n=====\n\n" + "word " * 30_000).startswith("word word")
    assert first_paragraph("http://a.example http://b.example") is None
    assert first_paragraph("Use \\*stars\\* &amp; entities.") == "Use *stars* & entities."
