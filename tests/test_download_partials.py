"""Partials kept for the next run: their names, their sidecars, and which ones are trusted or
cleaned (real files, links and FIFOs; no network)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from galatea_async._download._order_folders import read_order_folder
from galatea_async._download._partials import (
    MAX_SIDECAR_BYTES,
    STALE_AFTER_SECONDS,
    Coverage,
    PartialValidators,
    continues_partial,
    find_partial,
    open_partial,
    read_sidecar,
    resumable_name,
    sidecar_of,
    validators_for,
    write_sidecar,
)
from galatea_async._download._ranges import BodyInfo, describe_response

ORDER = "0b1c2d3e-0000-4000-8000-000000000001"
ITEM = "3f1c0d2e-0000-4000-8000-000000000001_SUMMARY_CHROMS.tsv"
RECORDED = PartialValidators(item=ITEM, size=1000, validator='"v1"')


def kept_partial(folder: Path, size: int = 400) -> Path:
    partial = folder / resumable_name(ITEM)
    partial.write_bytes(b"x" * size)
    write_sidecar(partial, RECORDED)
    return partial


def test_the_partial_name_is_the_same_every_run_and_of_the_temporary_pattern() -> None:
    assert resumable_name(ITEM) == resumable_name(ITEM)
    assert resumable_name(ITEM) != resumable_name(ITEM.replace("SUMMARY", "DETAILED"))
    assert resumable_name(ITEM).startswith(f".{ITEM}.") and resumable_name(ITEM).endswith(".part")
    assert len(resumable_name("é" * 400).encode()) < 255


def test_a_kept_partial_with_its_sidecar_is_found(tmp_path: Path) -> None:
    partial = kept_partial(tmp_path)
    found = find_partial(tmp_path, ITEM)
    assert found is not None
    assert (found.path, found.size, found.validators) == (partial, 400, RECORDED)
    assert sidecar_of(partial).stat().st_mode & 0o777 == 0o600


def tamper_symlink(sidecar: Path) -> None:
    elsewhere = sidecar.parent.parent / "elsewhere.json"
    elsewhere.write_bytes(sidecar.read_bytes())
    sidecar.unlink()
    sidecar.symlink_to(elsewhere)


def tamper_fifo(sidecar: Path) -> None:
    sidecar.unlink()
    os.mkfifo(sidecar)


def tamper_huge(sidecar: Path) -> None:
    sidecar.write_bytes(sidecar.read_bytes()[:-1] + b" " * MAX_SIDECAR_BYTES + b"}")


def tamper_garbage(sidecar: Path) -> None:
    sidecar.write_bytes(b"\xff\x00 not json")


def tamper_other_item(sidecar: Path) -> None:
    value = json.loads(sidecar.read_bytes())
    value["item"] = "another-order_SUMMARY_CHROMS.tsv"
    sidecar.write_text(json.dumps(value))


def tamper_wrong_types(sidecar: Path) -> None:
    value = json.loads(sidecar.read_bytes())
    value["size"] = True
    sidecar.write_text(json.dumps(value))


def tamper_missing(sidecar: Path) -> None:
    sidecar.unlink()


def tamper_directory(sidecar: Path) -> None:
    sidecar.unlink()
    sidecar.mkdir()


@pytest.mark.parametrize(
    "tamper",
    [
        tamper_symlink,
        tamper_fifo,
        tamper_huge,
        tamper_garbage,
        tamper_other_item,
        tamper_wrong_types,
        tamper_missing,
        tamper_directory,
    ],
    ids=lambda f: f.__name__.removeprefix("tamper_"),
)
def test_a_tampered_sidecar_is_not_trusted_and_its_partial_goes(
    tmp_path: Path, tamper: Callable[[Path], None]
) -> None:
    folder = tmp_path / "order"
    folder.mkdir()
    partial = kept_partial(folder)
    tamper(sidecar_of(partial))
    if tamper is not tamper_other_item:  # well formed, but another item's
        assert read_sidecar(partial) is None  # a FIFO returns at once: never a blocking read
    assert find_partial(folder, ITEM) is None
    assert not partial.exists()


def test_a_partial_as_long_as_the_file_or_stale_or_a_link_is_not_trusted(tmp_path: Path) -> None:
    partial = kept_partial(tmp_path, size=1000)
    assert find_partial(tmp_path, ITEM) is None
    partial = kept_partial(tmp_path)
    old = time.time() - STALE_AFTER_SECONDS - 60
    os.utime(partial, (old, old))
    assert find_partial(tmp_path, ITEM) is None
    outside = tmp_path.parent / "outside.bin"
    outside.write_bytes(b"y" * 10)
    write_sidecar(tmp_path / resumable_name(ITEM), RECORDED)
    (tmp_path / resumable_name(ITEM)).symlink_to(outside)
    assert find_partial(tmp_path, ITEM) is None
    assert outside.read_bytes() == b"y" * 10


def test_cleanup_keeps_fresh_partials_with_valid_sidecars_only(tmp_path: Path) -> None:
    folder = tmp_path / ORDER
    folder.mkdir()
    fresh = kept_partial(folder)
    stale_item = ITEM.replace("SUMMARY", "DETAILED")
    stale = folder / resumable_name(stale_item)
    stale.write_bytes(b"old")
    write_sidecar(stale, PartialValidators(item=stale_item, size=10, validator='"v"'))
    old = time.time() - STALE_AFTER_SECONDS - 60
    os.utime(stale, (old, old))
    (folder / ".r.tsv.0123456789ab.part").write_bytes(b"a killed run's, no sidecar")
    (folder / ".gone.tsv.0123456789ab.part.json").write_bytes(b"{}")  # its partial is gone
    read_order_folder(tmp_path, ORDER, time.time())
    assert sorted(p.name for p in folder.iterdir()) == sorted([fresh.name, sidecar_of(fresh).name])


def test_only_a_resumable_answer_gives_validators() -> None:
    whole = {"content-length": "1000", "accept-ranges": "bytes", "etag": '"v1"'}
    assert validators_for(ITEM, describe_response(200, whole)) == RECORDED
    for missing in ("accept-ranges", "etag", "content-length"):
        answer = describe_response(200, {k: v for k, v in whole.items() if k != missing})
        assert validators_for(ITEM, answer) is None
    encoded = describe_response(200, {**whole, "content-encoding": "gzip"})
    assert validators_for(ITEM, encoded) is None


def test_only_the_rest_of_the_same_version_continues_a_partial() -> None:
    def rest(first: int, total: int, etag: str = '"v1"') -> BodyInfo:
        return describe_response(
            206, {"content-range": f"bytes {first}-{total - 1}/{total}", "etag": etag}
        )

    assert continues_partial(rest(400, 1000), RECORDED, 400)
    assert not continues_partial(rest(300, 1000), RECORDED, 400)
    assert not continues_partial(rest(400, 1001), RECORDED, 400)
    assert not continues_partial(rest(400, 1000, '"v2"'), RECORDED, 400)
    whole = describe_response(200, {"content-length": "1000", "etag": '"v1"'})
    assert not continues_partial(whole, RECORDED, 400)


def test_coverage_keeps_only_the_gapless_prefix() -> None:
    coverage = Coverage()
    coverage.add(600, 1000)  # a part from the back
    assert coverage.prefix == 0
    coverage.add(0, 200)
    coverage.add(200, 300)
    assert coverage.prefix == 300
    coverage.add(300, 600)
    assert coverage.prefix == 1000
    coverage.clip(250)
    assert coverage.prefix == 250
    assert Coverage(400).prefix == 400


@pytest.mark.parametrize("result_type", ["X/../../../elsewhere", "/abs", "a\\b", "..", "\x1b[2J"])
def test_a_partial_name_is_one_plain_component_whatever_the_result_type(result_type: str) -> None:
    name = resumable_name(f"3f1c0d2e-0000-4000-8000-000000000001_{result_type}")
    assert "/" not in name and "\\" not in name and "\x1b" not in name
    assert name.startswith(".") and name.endswith(".part") and name not in (".", "..")


def test_a_result_type_with_separators_never_reaches_a_file_outside_the_order_folder(
    tmp_path: Path,
) -> None:
    order_folder = tmp_path / "dest" / "order"
    order_folder.mkdir(parents=True)
    item = "3f1c0d2e-0000-4000-8000-000000000001_X/../../../victim"
    victim = tmp_path / "victim"
    victim.write_bytes(b"the user's own file")
    assert find_partial(order_folder, item) is None
    assert victim.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["dest", "order", "victim"]


def test_a_hard_linked_partial_is_not_trusted_and_nothing_is_written_through_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "order"
    folder.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"ORIGINAL")
    partial = folder / resumable_name(ITEM)
    os.link(outside, partial)  # the partial's name is a second name of a file outside
    write_sidecar(partial, PartialValidators(item=ITEM, size=1000, validator='"v1"'))
    assert find_partial(folder, ITEM) is None
    assert not partial.exists()  # the untrusted name is removed, never written through
    assert outside.read_bytes() == b"ORIGINAL"


def test_resuming_onto_a_partial_that_became_a_hard_link_is_refused(tmp_path: Path) -> None:
    partial = kept_partial(tmp_path)
    outside = tmp_path / "outside.txt"
    os.link(partial, outside)
    with pytest.raises(FileNotFoundError):
        open_partial(partial, RECORDED, 100)
    assert outside.read_bytes() == b"x" * 400
