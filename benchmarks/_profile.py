"""Sample a client under py-spy and summarise where its time goes.

`run.py --profile` runs each galatea_async run under `py-spy record --format raw` (collapsed
stacks, one "frame;frame;... count" line each) and prints the top functions by own and by
inclusive samples. py-spy is optional: `.venv/bin/pip install py-spy`.
"""

from __future__ import annotations

import collections
import shutil
import sys
from pathlib import Path

RATE = 200  # samples a second: fine enough for runs of a second or more, light on the client


def py_spy() -> str | None:
    """Return the py-spy executable beside this interpreter or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def wrap(command: list[str], output: Path) -> list[str]:
    """Return `command` run under py-spy, writing collapsed stacks to `output`."""
    spy = py_spy()
    if spy is None:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return [spy, "record", "--rate", str(RATE), "--format", "raw", "--nonblocking",
            "--threads", "--output", str(output), "--", *command]  # fmt: skip


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py)"; the line spreads one
    # function over many keys.
    name, _, where = frame.partition(" (")
    module = where.rsplit("/", 1)[-1].split(":", 1)[0]
    return f"{name} ({module})" if module else name


def summarise(path: Path, top: int = 25) -> str:
    """Return the top functions of a collapsed-stack file by own and inclusive share."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return f"{path.name}: no samples"
    lines = [f"{path.name}: {total} samples", "  own%  incl%  function"]
    for frame, count in own.most_common(top):
        lines.append(f"  {100 * count / total:5.1f} {100 * inclusive[frame] / total:5.1f}  {frame}")
    return "\n".join(lines)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(summarise(Path(name)))
