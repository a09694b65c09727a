"""The sans-I/O pieces of issue 13: the restart policy and the refused-batch bisection."""

from __future__ import annotations

from hub.core.outbox import REFUSAL_STREAK_LIMIT, Bisection
from hub.core.supervision import RestartPolicy


def test_restart_delay_doubles_while_a_task_keeps_failing() -> None:
    policy = RestartPolicy()
    policy.started("outbox", 0.0)
    delays = []
    for t in (1.0, 3.0, 7.0):
        delays.append(policy.failed("outbox", "boom", t, 0.5))
        policy.started("outbox", t + delays[-1])
    assert delays == [1.0, 2.0, 4.0]
    assert policy.tasks["outbox"].restarts == 3


def test_restart_delay_starts_over_after_a_stable_run() -> None:
    policy = RestartPolicy(stable_after=30.0)
    policy.started("menu", 0.0)
    policy.failed("menu", "a", 1.0, 0.5)
    policy.started("menu", 2.0)
    policy.failed("menu", "b", 3.0, 0.5)
    policy.started("menu", 5.0)
    assert policy.failed("menu", "c", 100.0, 0.5) == 1.0


def test_a_task_is_named_while_waiting_and_until_it_ran_stable() -> None:
    policy = RestartPolicy(stable_after=30.0)
    policy.started("outbox", 0.0)
    policy.started("menu", 0.0)
    assert policy.reasons(1.0) == []
    policy.failed("outbox", "OperationalError: disk I/O error", 5.0, 0.5)
    assert policy.reasons(5.5) == ["outbox restarting (1 restarts; last: OperationalError: "
                                   "disk I/O error)"]
    policy.started("outbox", 6.0)
    assert [r.name for r in policy.troubled(20.0)] == ["outbox"]
    assert policy.reasons(36.0) == []


def test_bisection_finds_the_one_refused_entry_and_sends_the_rest_in_order() -> None:
    bad = 37
    b = Bisection(100)
    sent: list[tuple[int, int]] = []
    set_aside = []
    while (front := b.front()) is not None:
        start, end = front
        if start <= bad < end:
            index = b.refused(413)
            if index is not None:
                set_aside.append(index)
        else:
            sent.append(front)
            b.accepted()
    assert set_aside == [bad]
    covered = sorted(i for s, e in sent for i in range(s, e))
    assert covered == [i for i in range(100) if i != bad]
    assert sent == sorted(sent)          # rev order: the cursor can move after each range


def test_bisection_stops_setting_aside_when_central_refuses_everything_with_400() -> None:
    b = Bisection(REFUSAL_STREAK_LIMIT + 3)
    aside = []
    while b.front() is not None:
        index = b.refused(400)
        if index is None and b.central_at_fault:
            break
        if index is not None:
            aside.append(index)
    assert len(aside) == REFUSAL_STREAK_LIMIT - 1
    assert b.front() is not None          # the next entry stays: retried later, not dropped


def test_bisection_always_sets_aside_an_order_too_large_alone() -> None:
    b = Bisection(REFUSAL_STREAK_LIMIT + 3)
    aside = []
    while b.front() is not None:
        index = b.refused(413)
        if index is not None:
            aside.append(index)
    assert aside == list(range(REFUSAL_STREAK_LIMIT + 3))
