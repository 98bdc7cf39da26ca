"""README.md and docs/ stand alone: every file they link to or name is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])
PACKAGE = REPO / "src" / "signflow"

FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE = re.compile(r"`([^`\n]+)`")
# Repository files: a path with a directory, or a Markdown page or Python module by name
# (names of other files, `manifest.json` in a backup say, need not be the repository's).
FILE_LIKE = re.compile(
    r"^([\w.\-]+/[\w.\-/]+\.(md|py|toml|json|sh|cfg|txt|ya?ml|lock|ini)|[\w.\-]+\.(md|py))$"
)
REPO_DIRS = ("src/", "tests/", "docs/", "scripts/", "migrations/", "bench/", ".ci/")
# Where the rest of the world keeps files a clone does not have.
OUTSIDE = ("shared/", "decisions/", "spec/", "../")
PLACEHOLDER = re.compile(r"[<>{}*…$]|\.\.\.")
# What a run creates (named in a .gitignore): a page may name it, a fresh clone lacks it.
GENERATED = tuple(
    str((ignore.parent / line.strip().rstrip("/")).relative_to(REPO))
    for ignore in [REPO / ".gitignore", *(REPO / "tests").rglob(".gitignore")]
    if "node_modules" not in ignore.parts
    for line in ignore.read_text().splitlines()
    if line.strip() and not line.startswith("#") and "*" not in line
)


def references(page: Path) -> list[tuple[str, str]]:
    """(kind, target) of every link and every file-like code span outside code blocks."""
    text = FENCED.sub("", page.read_text())
    found = [("link", target) for target in LINK.findall(text)]
    for span in CODE.findall(text):
        span = span.split("::", 1)[0].strip()
        if PLACEHOLDER.search(span) or " " in span or span.startswith("/"):  # "/": a URL path
            continue
        if FILE_LIKE.match(span) or span.startswith(REPO_DIRS + OUTSIDE):
            found.append(("path", span))
    return found


def exists(page: Path, kind: str, target: str) -> bool:
    if kind == "link":
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            return True  # a web address or an anchor on the same page
        return (page.parent / target.split("#", 1)[0]).exists()
    if target.startswith(OUTSIDE):
        return False
    if any(target.rstrip("/") == made or target.startswith(made + "/") for made in GENERATED):
        return True
    bases = [page.parent, REPO, PACKAGE, REPO / "tests"]
    if any((base / target).exists() for base in bases):
        return True
    # A file named alone (`sealing.py`, `test_worker.py`): somewhere in the code or tests.
    return "/" not in target and any(
        any(root.rglob(target)) for root in (PACKAGE, REPO / "tests", REPO / "bench")
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_reference_is_in_the_repository(page: Path):
    missing = [
        f"{kind} {target}" for kind, target in references(page) if not exists(page, kind, target)
    ]
    assert missing == [], f"{page.relative_to(REPO)} refers to files the repository lacks"


def test_the_checker_finds_what_is_missing(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text(
        "See `shared/DESIGN.md`, [the spec](spec/webhooks.md), `decisions/`, "
        "`src/signflow/nowhere.py` and [a section](#here).\n"
        "```sh\nignored `shared/in-a-block.md`\n```\n"
    )
    missing = [ref for ref in references(page) if not exists(page, *ref)]
    assert missing == [
        ("link", "spec/webhooks.md"),
        ("path", "shared/DESIGN.md"),
        ("path", "decisions/"),
        ("path", "src/signflow/nowhere.py"),
    ]
