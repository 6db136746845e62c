"""The documentation site builds with ``mkdocs build --strict``, and its reference is complete.

One build for the module. The reference must show every field of every public attrs class
(name, type, meaning), every member of every public enum, the default of every option of
``RetryPolicy`` and ``TransferOptions``, no private name, and ``results.stream`` as the async
context manager it is.
"""

from __future__ import annotations

import enum
import html
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

import galatea_async

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = (galatea_async.RetryPolicy, galatea_async.TransferOptions)
# Where each public class of the reference is shown.
MODELS_PAGE = Path("reference/models/index.html")
CLIENT_PAGE = Path("reference/client/index.html")
WEBHOOKS_PAGE = Path("reference/webhooks/index.html")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-4000:]
    return out


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def section_of(page: str, object_path: str) -> str:
    """The HTML of one documented object: from its heading to the next heading of its level."""
    start = page.find(f'id="{object_path}"')
    assert start != -1, f"{object_path} is not on the page"
    level = page.rfind("<h", 0, start)
    tag = page[level + 1 : level + 3]  # "h2"
    end = page.find(f"<{tag} ", start)
    return page[start : end if end != -1 else len(page)]


def documented_rows(section: str) -> dict[str, list[str]]:
    """The rows of a section's docstring tables: name -> [type, description, (default)]."""
    rows: dict[str, list[str]] = {}
    for row in section.split('<tr class="doc-section-item">')[1:]:
        cells = [_text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.DOTALL)]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def _public(predicate: Callable[[type], bool]) -> list[tuple[str, type]]:
    """The public classes that fit ``predicate``, each with its path in the reference."""
    found = []
    for module in (galatea_async, galatea_async.webhooks):
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and predicate(value):
                found.append((f"{module.__name__}.{name}", value))
    return found


def _page_of(cls: type) -> Path:
    if cls in OPTIONS:
        return CLIENT_PAGE
    return WEBHOOKS_PAGE if cls.__module__ == "galatea_async.webhooks" else MODELS_PAGE


@pytest.mark.slow
def test_the_site_builds_strictly(site: Path) -> None:
    assert (site / CLIENT_PAGE).is_file()
    cli_page = (site / "cli" / "index.html").read_text(encoding="utf-8")
    assert "download-all" in cli_page  # generated from the click commands themselves


def test_the_reference_shows_every_public_name() -> None:
    from galatea_async import errors

    reference = "".join(
        page.read_text(encoding="utf-8") for page in (ROOT / "docs" / "reference").glob("*.md")
    )
    shown = set(re.findall(r"^::: (\S+)", reference, re.MULTILINE))
    whole_modules = {"webhooks": "galatea_async.webhooks", "__version__": None}
    missing = [
        name
        for name in galatea_async.__all__
        if f"galatea_async.{name}" not in shown
        and not (name in errors.__all__ and "galatea_async.errors" in shown)
        and not (name in whole_modules and whole_modules[name] in shown | {None})
    ]
    assert missing == [], f"add these to a page of docs/reference/: {missing}"


def test_every_field_of_a_public_attrs_class_has_its_type_and_meaning(site: Path) -> None:
    undocumented = []
    for path, cls in _public(attrs.has):
        page = (site / _page_of(cls)).read_text(encoding="utf-8")
        rows = documented_rows(section_of(page, path))
        for field in attrs.fields(cls):
            cells = rows.get(field.alias or field.name)
            if cells is None or len(cells) < 2 or not cells[0] or not cells[1]:
                undocumented.append(f"{cls.__name__}.{field.name}")
    assert undocumented == [], f"document these in the class docstring: {undocumented}"


def test_every_member_of_a_public_enum_is_explained(site: Path) -> None:
    unexplained = []
    for path, cls in _public(lambda value: issubclass(value, enum.Enum)):
        page = (site / MODELS_PAGE).read_text(encoding="utf-8")
        rows = documented_rows(section_of(page, path))
        unexplained += [
            f"{cls.__name__}.{member.name}"
            for member in cls
            if len(rows.get(member.name, [])) < 2 or not rows[member.name][1]
        ]
    assert unexplained == [], f"add a :cvar line to the enum's docstring: {unexplained}"


@pytest.mark.parametrize("options", OPTIONS, ids=lambda cls: cls.__name__)
def test_every_option_shows_its_default(site: Path, options: type) -> None:
    page = (site / CLIENT_PAGE).read_text(encoding="utf-8")
    section = section_of(page, f"galatea_async.{options.__name__}")
    rows = documented_rows(section)
    shown = {name: cells[-1] for name, cells in rows.items() if len(cells) == 3}
    expected = {field.name: repr(field.default) for field in attrs.fields(options)}
    assert {name: shown.get(name) for name in expected} == expected
    signature = _text(section.split('class="doc doc-contents', 1)[0])
    assert all(f"{name}: " in signature for name in expected), signature


def test_the_reference_shows_no_private_name(site: Path) -> None:
    found = {}
    for page in (site / "reference").rglob("*.html"):
        text = _text(page.read_text(encoding="utf-8"))
        names = set(re.findall(r"(?<![\w/.])_[A-Z]\w*", text))
        if names:
            found[page.parent.name] = sorted(names)
    assert found == {}


def test_results_stream_is_shown_as_an_async_context_manager(site: Path) -> None:
    page = (site / CLIENT_PAGE).read_text(encoding="utf-8")
    heading_and_signature = section_of(
        page, "galatea_async.resources.results.ResultsResource.stream"
    ).split('class="doc doc-contents', 1)[0]
    labels = re.findall(r'class="doc doc-label doc-label-([\w-]+)"', heading_and_signature)
    assert labels == ["async-context-manager"]
    assert "AbstractAsyncContextManager[StreamedDownload]" in _text(heading_and_signature)
