"""``NameClaims``: one item per final name in a batch, decided in batch order, not arrival order."""

from __future__ import annotations

from pathlib import Path

import anyio

from galatea_async._download._claims import NameClaims, item_tag

DEST = Path("/nonexistent/dest")
TAGS = [item_tag("SUMMARY_CHROMS", f"order/{n}") for n in range(3)]


async def claim(claims: NameClaims, index: int, name: str) -> Path:
    return await claims.claim(index, name, label="SUMMARY_CHROMS", key=f"order/{index}")


async def test_a_later_item_waits_for_the_earlier_ones_and_yields_the_name() -> None:
    claims = NameClaims([DEST, DEST])
    got: dict[int, Path] = {}

    async def later() -> None:
        got[1] = await claim(claims, 1, "Report.tsv")

    async with anyio.create_task_group() as group:
        group.start_soon(later)
        await anyio.wait_all_tasks_blocked()
        assert got == {}  # its answer came first, but item 0 decides first
        got[0] = await claim(claims, 0, "Report.tsv")
    assert got[0] == DEST / "Report.tsv"
    assert got[1] == DEST / f"Report.{TAGS[1]}.tsv"


async def test_an_item_that_ends_without_a_name_lets_the_next_one_claim() -> None:
    claims = NameClaims([DEST, DEST])
    claims.settle(0)  # failed before its answer
    assert await claim(claims, 1, "Report.tsv") == DEST / "Report.tsv"


async def test_a_name_is_decided_once_per_item() -> None:
    claims = NameClaims([DEST])
    assert await claim(claims, 0, "a.tsv") == DEST / "a.tsv"
    assert await claim(claims, 0, "renamed.tsv") == DEST / "a.tsv"


async def test_names_differing_only_in_case_or_normal_form_collide() -> None:
    claims = NameClaims([DEST, DEST, DEST])
    assert await claim(claims, 0, "résumé.tsv") == DEST / "résumé.tsv"
    nfd = await claim(claims, 1, "re\u0301sume\u0301.tsv")
    upper = await claim(claims, 2, "RÉSUMÉ.tsv")
    assert nfd.name == f"re\u0301sume\u0301.{TAGS[1]}.tsv"
    assert upper.name == f"RÉSUMÉ.{TAGS[2]}.tsv"


async def test_a_name_reserved_for_another_key_is_never_given_away() -> None:
    claims = NameClaims([DEST, DEST])
    claims.reserve(DEST / "Report.tsv", "order/kept")
    claims.reserve(DEST / "mine.tsv", "order/1")
    assert await claim(claims, 0, "Report.tsv") == DEST / f"Report.{TAGS[0]}.tsv"
    assert await claim(claims, 1, "mine.tsv") == DEST / "mine.tsv"  # its own journalled file


async def test_other_directories_do_not_wait_or_collide() -> None:
    other = Path("/nonexistent/other")
    claims = NameClaims([DEST, other])
    assert (
        await claims.claim(1, "Report.tsv", label="SUMMARY_CHROMS", key="b") == other / "Report.tsv"
    )
    assert await claim(claims, 0, "Report.tsv") == DEST / "Report.tsv"


async def test_a_distinct_name_that_is_taken_too_gets_a_counted_tag() -> None:
    claims = NameClaims([DEST, DEST, DEST])
    await claim(claims, 0, f"Report.{TAGS[2]}.tsv")
    await claim(claims, 1, "Report.tsv")
    assert await claim(claims, 2, "Report.tsv") == DEST / f"Report.{TAGS[2]}-2.tsv"


def test_a_tag_keeps_only_plain_characters_of_a_result_type_a_server_lists() -> None:
    assert item_tag("SUMMARY_CHROMS", "k").startswith("SUMMARY_CHROMS-")
    for hostile in ("../../x", "/abs", "\x1b]0;t\x07", "a" * 300, ""):
        tag = item_tag(hostile, "k")
        assert tag.rsplit("-", 1)[0].replace("_", "").replace("-", "").isalnum()
        assert len(tag) <= 49 and "/" not in tag and "." not in tag
    assert item_tag("X", "order/1") != item_tag("X", "order/2")
