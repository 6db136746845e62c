"""The documentation site builds with ``mkdocs build --strict`` (a broken link or reference fails)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-4000:]
    assert (tmp_path / "reference" / "client" / "index.html").is_file()
    cli_page = (tmp_path / "cli" / "index.html").read_text(encoding="utf-8")
    assert "download-all" in cli_page  # generated from the click commands themselves


def test_the_reference_shows_every_public_name() -> None:
    import galatea_async
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
