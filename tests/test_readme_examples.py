"""Every ```python block of README.md and docs/**/*.md runs, against a served demo emulator.

The blocks of one file run in order in one namespace (top-level ``await`` allowed), each as
its own test whose id names the file and the line of its opening fence (``README.md:9``).
``GALATEA_API_KEY`` and ``GALATEA_BASE_URL`` point at a fresh ``Emulator.demo()`` served over
TCP on 127.0.0.1 for each file, ``api_key="..."`` becomes the emulator's key, and the working
directory is a temporary one holding ``sample.txt.zip`` (a genotype file, for the upload
examples). The emulator's clock runs a million times faster than real time, so a block that
waits for validation or an order finds it done at its first poll.

A block preceded by ``<!-- not-run: the reason -->`` is skipped (the reason is required);
fences other than ``python``/``py`` (``sh``, ``text``, ``toml``...) never run.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from galatea_async import AsyncGalatea
from galatea_async.emulator import Emulator
from galatea_async.emulator._content import genotype_file

ROOT = Path(__file__).resolve().parents[1]
PYTHON_FENCES = frozenset({"python", "py"})
# The emulator's time runs this much faster than the clock on the wall.
TIME_SCALE = 1_000_000.0

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)")
_NOT_RUN = re.compile(r"^\s*<!--\s*not-run\b:?\s*(?P<reason>.*?)\s*-->\s*$")
_API_KEY_PLACEHOLDER = re.compile(r"""api_key=(["'])\.\.\.\1""")


@attrs.frozen
class Block:
    """One fenced code block of a Markdown file."""

    path: str  # relative to the repository, for the test id
    line: int  # 1-based line of the opening fence
    language: str
    source: str
    # None: runs. Otherwise the reason given by ``<!-- not-run: reason -->`` ("" when none).
    not_run: str | None

    @property
    def runs(self) -> bool:
        return self.language in PYTHON_FENCES and self.not_run is None


def extract_blocks(text: str, path: str) -> list[Block]:
    """The fenced code blocks of Markdown ``text``, in order, with their not-run markers."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            line = lines[end]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            end += 1
        blocks.append(
            Block(
                path=path,
                line=index + 1,
                language=opening["info"].lower(),
                source="\n".join(body) + "\n",
                not_run=_not_run_reason(lines[:index]),
            )
        )
        index = end + 1
    return blocks


def _not_run_reason(before: list[str]) -> str | None:
    """The reason of a ``<!-- not-run: ... -->`` marker on the last non-blank line before."""
    for line in reversed(before):
        if line.strip():
            marker = _NOT_RUN.match(line)
            return None if marker is None else marker["reason"]
    return None


def documentation_files() -> list[Path]:
    """README.md and every Markdown file under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _python_blocks() -> list[Block]:
    found = []
    for file in documentation_files():
        relative = file.relative_to(ROOT).as_posix()
        found += [
            block
            for block in extract_blocks(file.read_text(encoding="utf-8"), relative)
            if block.language in PYTHON_FENCES
        ]
    return found


BLOCKS = _python_blocks()


@attrs.define
class FileRun:
    """The state shared by the blocks of one Markdown file: namespace, loop, emulator."""

    emulator: Emulator
    base_url: str
    workdir: Path
    loop: asyncio.AbstractEventLoop
    namespace: dict[str, Any]
    failed_at: str | None = None

    def run(self, block: Block) -> None:
        source = _API_KEY_PLACEHOLDER.sub(f'api_key="{self.emulator.api_key}"', block.source)
        # Blank lines keep the traceback's line numbers those of the Markdown file.
        padded = "\n" * block.line + source
        code = compile(
            padded, f"{block.path}:{block.line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        if code.co_flags & inspect.CO_COROUTINE:
            self.loop.run_until_complete(eval(code, self.namespace))
        else:
            exec(code, self.namespace)

    def close(self) -> None:
        """Close the clients a file's blocks left open, then the loop."""
        clients = [v for v in self.namespace.values() if isinstance(v, AsyncGalatea)]
        for client in clients:
            self.loop.run_until_complete(client.aclose())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


@attrs.define
class FileRuns:
    """One :class:`FileRun` a Markdown file, started when its first block runs."""

    portal: BlockingPortal
    stack: contextlib.ExitStack
    tmp_path_factory: pytest.TempPathFactory
    runs: dict[str, FileRun] = attrs.field(factory=dict)

    def for_file(self, path: str) -> FileRun:
        if path not in self.runs:
            emulator = Emulator.demo(time_scale=TIME_SCALE)
            base_url = self.stack.enter_context(
                self.portal.wrap_async_context_manager(emulator.serve(port=0))
            )
            workdir = self.tmp_path_factory.mktemp(re.sub(r"\W", "_", path))
            with zipfile.ZipFile(workdir / "sample.txt.zip", "w") as archive:
                archive.writestr("sample.txt", genotype_file("readme").read())
            loop = asyncio.new_event_loop()
            self.stack.callback(self._close, path)
            self.runs[path] = FileRun(emulator, base_url, workdir, loop, {"__name__": "__readme__"})
        return self.runs[path]

    def _close(self, path: str) -> None:
        self.runs.pop(path).close()


@pytest.fixture(scope="module")
def file_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileRuns]:
    with start_blocking_portal() as portal, contextlib.ExitStack() as stack:
        yield FileRuns(portal, stack, tmp_path_factory)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.path}:{b.line}" for b in BLOCKS])
def test_documentation_block_runs(
    block: Block, file_runs: FileRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    if block.not_run is not None:
        assert block.not_run, (
            f"{block.path}:{block.line}: say why the block does not run: "
            "<!-- not-run: the reason -->"
        )
        pytest.skip(f"not run: {block.not_run}")
    run = file_runs.for_file(block.path)
    if run.failed_at is not None:
        pytest.skip(f"an earlier block of {block.path} failed ({run.failed_at})")
    monkeypatch.setenv("GALATEA_API_KEY", run.emulator.api_key)
    monkeypatch.setenv("GALATEA_BASE_URL", run.base_url)
    monkeypatch.chdir(run.workdir)
    run.failed_at = f"{block.path}:{block.line}"
    run.run(block)
    run.failed_at = None


# The extractor itself.

SAMPLE = """\
Intro.

```python
x = 1
```

<!-- not-run: needs an SFTP server -->
```python
connect()
```

```sh
rm -rf /
```

<!-- not-run -->

```py
    y = x + 1
```

- a list item:

  ````python
  z = 3
  ````
"""


def test_extract_blocks_finds_fences_their_lines_and_not_run_reasons() -> None:
    blocks = extract_blocks(SAMPLE, "doc.md")
    assert [(b.line, b.language, b.not_run) for b in blocks] == [
        (3, "python", None),
        (8, "python", "needs an SFTP server"),
        (12, "sh", None),
        (18, "py", ""),
        (24, "python", None),
    ]
    assert blocks[0].source == "x = 1\n"
    assert blocks[3].source == "    y = x + 1\n"
    assert blocks[4].source == "z = 3\n"
    assert [b.runs for b in blocks] == [True, False, False, False, True]


def test_the_readme_has_runnable_python_blocks() -> None:
    readme = [b for b in BLOCKS if b.path == "README.md"]
    assert sum(b.runs for b in readme) >= 5
    assert all(b.not_run for b in readme if b.not_run is not None)
