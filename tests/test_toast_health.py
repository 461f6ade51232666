"""ToastHealth: a broken toast is given up after the cap, a dead notification system is not."""

from __future__ import annotations

from bato_desktop.ui.toast_health import Attempt, ToastHealth, Verdict


def ok(*ids: int) -> Attempt:
    return Attempt(ids, True)


def bad(*ids: int) -> Attempt:
    return Attempt(ids, False)


def test_failures_count_only_next_to_a_success() -> None:
    health = ToastHealth()
    assert health.record([ok(1), bad(2)], 0).given_up == ()
    assert health.record([ok(3), bad(2)], 10).given_up == ()
    verdict = health.record([ok(4), bad(2)], 20)
    assert verdict.given_up == (2,) and not verdict.outage_started


def test_a_success_clears_a_rows_count() -> None:
    health = ToastHealth()
    health.record([ok(1), bad(2)], 0)
    health.record([ok(3), bad(2)], 1)
    health.record([ok(2)], 2)  # shown at last
    assert health.failures.counts == {}


def test_first_failure_right_after_a_success_counts_then_it_is_an_outage() -> None:
    health = ToastHealth()
    health.record([ok(1)], 0)
    assert health.record([bad(2)], 5) == Verdict()  # counted, no outage
    assert health.failures.counts == {2: 1}
    verdict = health.record([bad(2), bad(3)], 10)
    assert verdict.outage_started and verdict.retry_in == 30 and verdict.given_up == ()
    assert health.failures.counts == {2: 1}  # nothing counted during the outage


def test_a_stale_success_is_no_evidence() -> None:
    health = ToastHealth()
    health.record([ok(1)], 0)
    assert health.record([bad(2)], 61).outage_started


def test_outage_backs_off_and_ends_with_a_success() -> None:
    health = ToastHealth()
    assert health.record([bad(1)], 0).retry_in == 30
    assert not health.may_try(29) and health.may_try(30)
    assert health.record([bad(1)], 30).retry_in == 60
    assert health.record([bad(1)], 90).retry_in == 120
    assert health.record([bad(1)], 210).retry_in == 240
    assert health.record([bad(1)], 450).retry_in == 300
    assert health.record([bad(1)], 750).retry_in == 300
    verdict = health.record([ok(1)], 1050)
    assert verdict.outage_ended and not health.in_outage and health.may_try(1050)
    assert health.record([bad(2)], 1060).retry_in is None  # right after a success: counted
