"""The pure rules of a listing walk: page judging, the item budget, re-check plans, look-ups."""

from __future__ import annotations

from typing import Any

import pytest

from galatea_async._page_rules import (
    MAX_EXCUSED_PAGES,
    UNBOUNDED,
    Lookup,
    Page,
    Step,
    excused_by_growth,
    fetches_to_start,
    judge_lookup,
    judge_page,
    plan_recheck,
    reach,
)


def page(ids: list[Any], *, count: int | None = 100, has_next: bool = True) -> Page:
    return Page(results=[{"id": i} for i in ids], count=count, has_next=has_next)


# --- judge_page ---------------------------------------------------------------


def test_a_page_with_one_new_id_is_progress() -> None:
    assert judge_page(page([1, 2]), page([2, 3]), {1, 2}) is Step.ITEMS


def test_the_same_page_again_under_the_same_count_ends_the_walk() -> None:
    assert judge_page(page([1, 2]), page([1, 2]), {1, 2}) is Step.END


def test_the_same_page_again_after_the_count_moved_is_a_shift_not_the_end() -> None:
    # 1 deleted, 1 created between the two answers: the count is back where it was.
    again = judge_page(page([1, 2]), page([1, 2]), {1, 2}, changed=True)
    assert again is Step.NO_PROGRESS


def test_the_same_ids_under_another_count_are_a_shift_not_the_end() -> None:
    # 100 orders created at the front between two page fetches repeat a whole page.
    shifted = judge_page(page([1, 2], count=100), page([1, 2], count=102), {1, 2})
    assert shifted is Step.NO_PROGRESS


def test_a_page_of_known_ids_that_is_not_the_previous_one_is_no_progress() -> None:
    assert judge_page(page([3, 4]), page([1, 2]), {1, 2, 3, 4}) is Step.NO_PROGRESS


@pytest.mark.parametrize("next_page", [None, page([])])
def test_a_missing_or_empty_page_ends_the_walk(next_page: Page | None) -> None:
    assert judge_page(page([1]), next_page, {1}) is Step.END


def test_items_without_an_id_count_as_new() -> None:
    assert judge_page(page([1]), Page([{"name": "x"}], 5, True), {1}) is Step.ITEMS


# --- fetches_to_start ---------------------------------------------------------


def test_requests_fill_the_concurrency_while_the_budget_allows() -> None:
    start = fetches_to_start(items_ahead=3200, held=0, in_flight=0, page_items=100, concurrent=16)
    assert start == 16


def test_held_and_expected_items_stay_within_the_budget() -> None:
    # 30 pages' worth held, one in flight: room for one more page of 100.
    start = fetches_to_start(
        items_ahead=3200, held=3000, in_flight=1, page_items=100, concurrent=16
    )
    assert start == 1
    full = fetches_to_start(items_ahead=3200, held=3100, in_flight=1, page_items=100, concurrent=16)
    assert full == 0


def test_pages_larger_than_asked_shrink_the_window_to_one_request() -> None:
    # A server sending 8,000 items a page: the budget of 3,200 items fits none ahead.
    start = fetches_to_start(items_ahead=3200, held=0, in_flight=0, page_items=8000, concurrent=16)
    assert start == 1
    held = fetches_to_start(
        items_ahead=3200, held=8000, in_flight=0, page_items=8000, concurrent=16
    )
    assert held == 0


def test_no_request_starts_beyond_the_concurrency() -> None:
    assert (
        fetches_to_start(items_ahead=10**9, held=0, in_flight=16, page_items=1, concurrent=16) == 0
    )


# --- plan_recheck (what a walk guarantees) --------------------------------------------------


def recheck(
    page_states: dict[int, int], counts: list[int | None], *, page_size: int, limit: int | None
) -> list[int]:
    return plan_recheck(page_states, counts, page_size=page_size, limit=limit, max_pages=10**6)


def test_nothing_is_fetched_again_when_one_state_answered_every_page() -> None:
    states = dict.fromkeys(range(1, 11), 0)
    assert recheck(states, [1000], page_size=100, limit=None) == []


def test_reach_adds_creations_and_deletions_apart() -> None:
    assert reach([1000, 999, 1001], 0) == (2, 1)
    assert reach([1000, 999, 1001], 1) == (2, 0)
    assert reach([1000, 999, 1001], 2) == (0, 0)


def test_a_deletion_between_two_pages_fetches_the_earlier_page_again() -> None:
    # Pages 1-5 answered with 1,000 items, pages 6-10 after one was deleted: the item that
    # was first on page 6 may now be last on page 5, which was answered before.
    states = {**dict.fromkeys(range(1, 6), 0), **dict.fromkeys(range(6, 11), 1)}
    assert recheck(states, [1000, 999], page_size=100, limit=None) == [5]


def test_pages_answered_out_of_order_around_an_insertion_are_fetched_again() -> None:
    # Page 5 answered first, then an insertion, then page 4: the last item of old page 4
    # moved onto page 5, which had been answered before it got there.
    states = {1: 0, 2: 0, 3: 0, 5: 0, 4: 1, 6: 1}
    again = recheck(states, [600, 601], page_size=100, limit=None)
    assert 5 in again
    assert 4 not in again  # answered in the newest state


def test_a_deletion_larger_than_a_page_reaches_further_back() -> None:
    # 150 deleted between pages 5 and 6: what page 6 held may now sit on page 4 or 5.
    states = {**dict.fromkeys(range(1, 6), 0), **dict.fromkeys(range(6, 11), 1)}
    assert recheck(states, [1150, 1000], page_size=100, limit=None) == [4, 5]


def test_pages_the_newest_count_adds_are_fetched() -> None:
    # 150 created before page 10 was answered: items only moved back, onto pages answered
    # later or never; pages 11 and 12 are new.
    states = {**dict.fromkeys(range(1, 10), 0), 10: 1}
    again = recheck(states, [1000, 1150], page_size=100, limit=None)
    assert again == [11, 12]


def test_limit_bounds_the_pages_fetched_again() -> None:
    states = {1: 0, 2: 1}
    assert recheck(states, [1500, 1000], page_size=100, limit=None) == [1, *range(3, 11)]
    assert recheck(states, [1500, 1000], page_size=100, limit=150) == [1]


# --- judge_lookup -------------------------------------------------------------


def _matches(wanted: str) -> Any:
    return lambda item: wanted in (item.get("id"), item.get("src_file_id"))


def test_a_look_up_finds_the_object_by_id() -> None:
    found = judge_lookup(page(["a", "b"], count=2, has_next=False), "b", _matches("b"))
    assert found is Lookup.FOUND


def test_an_empty_filtered_page_is_a_plain_miss() -> None:
    assert judge_lookup(page([], count=0, has_next=False), "x", _matches("x")) is Lookup.MISSING


def test_items_that_do_not_match_the_filter_mean_the_server_ignored_it() -> None:
    ignored = judge_lookup(page(["a", "b"], count=2, has_next=False), "x", _matches("x"))
    assert ignored is Lookup.FILTER_IGNORED


def test_a_page_without_the_object_while_more_exist_means_the_filter_was_ignored() -> None:
    items = Page([{"id": "o1", "src_file_id": "x"}], count=5000, has_next=True)
    assert judge_lookup(items, "x", _matches("x")) is Lookup.FILTER_IGNORED


def test_matching_items_without_the_object_on_the_only_page_are_a_plain_miss() -> None:
    # filter= also matches source file ids: orders of a file are an honest answer.
    items = Page([{"id": "o1", "src_file_id": "x"}], count=1, has_next=False)
    assert judge_lookup(items, "x", _matches("x")) is Lookup.MISSING


def test_a_state_of_unknown_count_makes_the_reach_unbounded() -> None:
    assert reach([19, 18, None, 18], 1) == (UNBOUNDED, UNBOUNDED)
    assert reach([19, 18, None, 18], 3) == (0, 0)


def test_an_unknown_newest_count_is_learnt_from_page_1_first() -> None:
    assert recheck({1: 0, 2: 1}, [19, 18, None], page_size=6, limit=None) == [1]


def test_pages_read_before_a_count_a_404_hid_are_all_read_again() -> None:
    # Pages 1-2 read at 19 and 18, page 3 a 404 (None), page 1 read again at 18.
    again = recheck({1: 3, 2: 1}, [19, 18, None, 18], page_size=6, limit=None)
    assert again == [2, 3]


def test_growth_excuses_pages_without_news_up_to_a_bound() -> None:
    assert not excused_by_growth([100, 100], excused=0, page_size=10)
    assert excused_by_growth([100, 130], excused=2, page_size=10)
    assert not excused_by_growth([100, 130], excused=3, page_size=10)
    assert not excused_by_growth([100, None, 10**9], excused=0, page_size=10)
    assert not excused_by_growth([0, 10**9], excused=MAX_EXCUSED_PAGES, page_size=10)


def test_a_runaway_count_plans_no_more_pages_than_allowed() -> None:
    # A server claiming 10^9 items after a 404: not 2 x 10^8 pages, just the first few.
    again = plan_recheck({1: 2, 2: 0, 3: 0}, [10**9, None, 10**9], page_size=5, limit=None,
                         max_pages=3)  # fmt: skip
    assert again == [2, 3, 4]
