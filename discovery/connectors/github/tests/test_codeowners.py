import pytest

from discovery.connectors.github.codeowners import (
    CODEOWNERS_LOCATIONS, matching_rule, owners_for, parse_codeowners, pick_codeowners,
)

GITHUB_DOCS_EXAMPLE = """\
# This is a comment.
# Each line is a file pattern followed by one or more owners.

# These owners will be the default owners for everything in
# the repo. Unless a later match takes precedence,
# @global-owner1 and @global-owner2 will be requested for
# review when someone opens a pull request.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most
# precedence. When someone opens a pull request that only
# modifies JS files, only @js-owner and not the global
# owner(s) will be requested for a review.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer. They'll be
# used to look up users just like we do for commit author
# emails.
*.go docs@example.com

# Teams can be specified as code owners as well.
*.txt @octo-org/octocats

# In this example, @doctocat owns any files in the build/logs
# directory at the root of the repository and any of its
# subdirectories.
/build/logs/ @doctocat

# The `docs/*` pattern will match files like
# `docs/getting-started.md` but not further nested files like
# `docs/build-app/troubleshooting.md`.
docs/*  docs@example.com

# In this example, @octocat owns any file in an apps directory
# anywhere in your repository.
apps/ @octocat

# In this example, @doctocat owns any file in the `/docs`
# directory in the root of your repository and any of its
# subdirectories.
/docs/ @doctocat

# In this example, any change inside the `/scripts` directory
# will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# In this example, @octocat owns any file in a `/logs` directory such as
# `/build/logs`, `/scripts/logs`, and `/deeply/nested/logs`. Any changes
# in a `/logs` directory will require approval from @octocat.
**/logs @octocat

# In this example, @octocat owns any file in the `/apps`
# directory in the root of your repository except for the `/apps/github`
# subdirectory, as its owners are left empty. Without an owner, changes
# to `apps/github` can be made with the approval of any user who has
# write access to the repository.
/apps/ @octocat
/apps/github

# In this example, @octocat owns any file in the `/apps`
# directory in the root of your repository except for the `/apps/github`
# subdirectory, as this subdirectory has its own owner @doctocat
/apps/ @octocat
/apps/github @doctocat
"""


@pytest.fixture(scope="module")
def docs_example():
    return parse_codeowners(GITHUB_DOCS_EXAMPLE)


def test_github_docs_example_parses_without_warnings(docs_example):
    assert docs_example.warnings == []
    assert [r.pattern for r in docs_example.rules][:3] == ["*", "*.js", "*.go"]
    assert [r.order for r in docs_example.rules] == list(range(len(docs_example.rules)))
    js = docs_example.rules[1]
    assert (js.line, js.owners) == (14, ["@js-owner"])  # trailing comment dropped


@pytest.mark.parametrize("path,owners", [
    ("README.md", ["@global-owner1", "@global-owner2"]),
    ("src/app.js", ["@js-owner"]),
    ("main.go", ["docs@example.com"]),
    ("notes/a.txt", ["@octo-org/octocats"]),
    ("build/logs/x/y.log", ["@octocat"]),           # /build/logs/ then **/logs: last match wins
    ("docs/getting-started.md", ["@doctocat"]),      # /docs/ comes after docs/*
    ("docs/build-app/troubleshooting.md", ["@doctocat"]),
    ("scripts/deploy.sh", ["@doctocat", "@octocat"]),
    ("deeply/nested/logs/app.log", ["@octocat"]),
    ("apps/github/x.rb", ["@doctocat"]),
    ("apps/web/x.rb", ["@octocat"]),
    ("lib/apps/web/x.rb", ["@octocat"]),             # unanchored apps/ matches anywhere
])
def test_github_docs_example_ownership(docs_example, path, owners):
    assert owners_for(docs_example, path) == owners


def test_docs_star_does_not_reach_nested_files():
    parsed = parse_codeowners("docs/* @a\n")
    assert owners_for(parsed, "docs/getting-started.md") == ["@a"]
    assert owners_for(parsed, "docs/build-app/troubleshooting.md") == []


def test_rule_without_owners_unowns():
    parsed = parse_codeowners("* @org/all\n/vendor/\n")
    assert parsed.warnings == []
    assert owners_for(parsed, "vendor/lib.c") == []
    assert matching_rule(parsed, "vendor/lib.c").line == 2
    assert owners_for(parsed, "src/lib.c") == ["@org/all"]


def test_globs():
    parsed = parse_codeowners("*.js @js\n/docs/ @docs\napps/**/x @x\n**/logs @logs\n")
    assert owners_for(parsed, "a/b/c.js") == ["@js"]
    assert owners_for(parsed, "c.jsx") == []
    assert owners_for(parsed, "docs/a/b.md") == ["@docs"]
    assert owners_for(parsed, "src/docs/a.md") == []            # anchored at the root
    assert owners_for(parsed, "apps/x") == ["@x"]
    assert owners_for(parsed, "apps/a/b/x") == ["@x"]
    assert owners_for(parsed, "other/apps/a/x") == []
    assert owners_for(parsed, "logs/a") == ["@logs"]
    assert owners_for(parsed, "a/b/logs") == ["@logs"]
    assert owners_for(parsed, "/a/b/logs/c.log") == ["@logs"]   # leading slash tolerated


def test_escapes_and_comments():
    text = "\\#notes.md @hash   # a comment\nmy\\ file.txt @space\n  # indented comment\nfoo#bar @literal\n"
    parsed = parse_codeowners(text)
    assert parsed.warnings == []
    assert [r.pattern for r in parsed.rules] == ["\\#notes.md", "my\\ file.txt", "foo#bar"]
    assert owners_for(parsed, "#notes.md") == ["@hash"]
    assert owners_for(parsed, "sub/my file.txt") == ["@space"]  # escaped space keeps the pattern unanchored
    assert owners_for(parsed, "foo#bar") == ["@literal"]


def test_invalid_lines_are_warnings_and_skipped():
    text = "\n".join([
        "* @org/all",
        "!secret.txt @neg",           # 2 negation
        "[abc].txt @range",           # 3 character range
        "*.md docs-team",             # 4 owner without @
        "*.py @bad/owner/extra",      # 5 owner with two slashes
        "*.rb @ok trailing\\",        # 6 dangling escape
        "[Section]",                  # 7 a GitLab section header is not GitHub syntax
        "*.go @go-team",              # 8 valid
        "*.c @org/",                  # 9 empty team
    ])
    parsed = parse_codeowners(text)
    assert [w["line"] for w in parsed.warnings] == [2, 3, 4, 5, 6, 7, 9]
    assert "negation" in parsed.warnings[0]["reason"]
    assert "character ranges" in parsed.warnings[1]["reason"]
    assert "docs-team" in parsed.warnings[2]["reason"]
    assert [r.line for r in parsed.rules] == [1, 8]
    assert [r.order for r in parsed.rules] == [0, 1]
    assert owners_for(parsed, "secret.txt") == ["@org/all"]


def test_escaped_brackets_and_bang_are_literal():
    parsed = parse_codeowners("\\!important.txt @a\nfile\\[1\\].txt @b\n")
    assert parsed.warnings == []
    assert owners_for(parsed, "!important.txt") == ["@a"]
    assert owners_for(parsed, "file[1].txt") == ["@b"]


@pytest.mark.parametrize("text", ["", None, "\n\n", "# only comments\n   \n"])
def test_empty(text):
    parsed = parse_codeowners(text)
    assert parsed.rules == [] and parsed.warnings == []
    assert owners_for(parsed, "anything") == []


def test_crlf_and_bom():
    parsed = parse_codeowners("\ufeff# comment\r\n* @org/a\r\n*.js @org/js\r\n")
    assert parsed.warnings == []
    assert [(r.line, r.pattern, r.owners) for r in parsed.rules] == [(2, "*", ["@org/a"]), (3, "*.js", ["@org/js"])]
    assert owners_for(parsed, "x.js") == ["@org/js"]


def test_emails_and_mixed_owners():
    parsed = parse_codeowners("* @org/team @user first.last+tag@example.co.uk\n*.x not-an-email@\n")
    assert parsed.rules[0].owners == ["@org/team", "@user", "first.last+tag@example.co.uk"]
    assert [w["line"] for w in parsed.warnings] == [2]


def test_garbage_never_raises():
    junk = "\x00\x01 @@ \\\\ [[[ ]]] ** / // \t\t@a\n" * 50 + "\u2028\u00e9 @é\n"
    parsed = parse_codeowners(junk)
    assert isinstance(parsed.warnings, list)
    owners_for(parsed, "x")


def test_pick_codeowners_follows_github_precedence():
    assert CODEOWNERS_LOCATIONS == (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
    all_three = {"docs/CODEOWNERS": "d", "CODEOWNERS": "r", ".github/CODEOWNERS": "g"}
    assert pick_codeowners(all_three) == (".github/CODEOWNERS", "g")
    assert pick_codeowners({"docs/CODEOWNERS": "d", "CODEOWNERS": "r"}) == ("CODEOWNERS", "r")
    assert pick_codeowners({"docs/CODEOWNERS": "d"}) == ("docs/CODEOWNERS", "d")
    assert pick_codeowners({"src/CODEOWNERS": "x", "codeowners": "y"}) == (None, None)
    # an unreadable file still shadows later locations, as it does on GitHub
    assert pick_codeowners({".github/CODEOWNERS": None, "CODEOWNERS": "r"}) == (".github/CODEOWNERS", None)


def test_glob_matches_exactly_what_path_to_regex_matches():
    """The automaton is a port of codeowners.path_to_regex: same answer on every pattern/path pair."""
    import random

    from codeowners import path_to_regex

    from discovery.connectors.github.codeowners import Glob, _pattern_error

    rng = random.Random(7)
    pattern_parts = ["a", "b", "/", "*", "**", "?", "\\", ".", " "]
    path_parts = ["a", "b", "/", ".", " ", "*"]
    checked = 0
    for _ in range(6000):
        pattern = "".join(rng.choice(pattern_parts) for _ in range(rng.randint(1, 7)))
        if _pattern_error(pattern):
            continue
        regex, glob = path_to_regex(pattern), Glob(pattern)
        for _ in range(5):
            path = "".join(rng.choice(path_parts) for _ in range(rng.randint(0, 9)))
            assert glob.search(path) == (regex.search(path) is not None), (pattern, path)
            checked += 1
    assert checked > 10000


def test_wildcard_heavy_patterns_match_in_linear_time():
    import time

    parsed = parse_codeowners("*a" * 40 + "*b @stars\n" + "**/" * 60 + "z @dirs\n" + "a/**/" * 50 + "c @mid\n")
    start = time.process_time()
    assert owners_for(parsed, "a" * 500) == []
    assert owners_for(parsed, "/".join(["a"] * 200)) == []
    assert owners_for(parsed, "q/" * 100 + "z") == ["@dirs"]
    assert owners_for(parsed, "a/" * 60 + "c") == ["@mid"]
    assert time.process_time() - start < 1.0


def test_overlong_pattern_is_a_warning():
    parsed = parse_codeowners("x" * 5000 + " @a\n*.md @b\n")
    assert [w["line"] for w in parsed.warnings] == [1] and "longer than" in parsed.warnings[0]["reason"]
    assert [r.pattern for r in parsed.rules] == ["*.md"]
