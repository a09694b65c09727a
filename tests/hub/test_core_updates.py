"""The update state machine (hub/core/updates.py): window, open orders, retries, rollback.

Pure functions fed an injected clock; no files, no processes, no event loop.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from hub.core import updates as u
from hub.core.updates import State, Target, UpdateRecord, Window
from outlet_protocol.releases import UPDATE_STATES

NIGHT = datetime(2026, 12, 1, 3, 0)      # inside the default 02:00-05:00 window
LUNCH = datetime(2026, 12, 1, 12, 30)
WINDOW = Window.parse(u.DEFAULT_WINDOW)


def downloaded(version: str = "2.0", force: bool = False) -> UpdateRecord:
    rec = u.on_target(UpdateRecord("1.0"), Target(version, generation=1, force=force))
    return u.downloaded(rec)


def test_window_contains_its_start_but_not_its_end() -> None:
    assert WINDOW.contains(datetime(2026, 1, 1, 2, 0))
    assert WINDOW.contains(datetime(2026, 1, 1, 4, 59))
    assert not WINDOW.contains(datetime(2026, 1, 1, 5, 0))
    assert not WINDOW.contains(datetime(2026, 1, 1, 1, 59))


def test_window_may_wrap_past_midnight() -> None:
    w = Window.parse("23:30-01:00")
    assert w.contains(datetime(2026, 1, 1, 23, 45))
    assert w.contains(datetime(2026, 1, 1, 0, 30))
    assert not w.contains(datetime(2026, 1, 1, 1, 0))
    assert not w.contains(datetime(2026, 1, 1, 12, 0))


@pytest.mark.parametrize("text", ["2-5", "02:00", "25:00-01:00", "02:00-02:00", "02:60-03:00"])
def test_bad_window_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="update window"):
        Window.parse(text)


def test_target_starts_a_download() -> None:
    rec = u.on_target(UpdateRecord("1.0"), Target("2.0", generation=1))
    assert (rec.state, rec.target, rec.generation) == (State.DOWNLOADING, "2.0", 1)
    assert u.may_download(rec, now=0.0)


def test_target_equal_to_current_changes_nothing() -> None:
    rec = UpdateRecord("1.0")
    assert u.on_target(rec, Target("1.0")) == rec
    assert u.on_target(rec, None) == rec


def test_a_withdrawn_rollout_drops_what_has_not_started_installing() -> None:
    waiting = u.install_decision(downloaded(), 0.0, LUNCH, WINDOW, open_orders=0)
    assert u.on_target(waiting, None).state == State.IDLE
    assert u.on_target(u.on_target(UpdateRecord("1.0"), Target("2.0")), None).state == State.IDLE
    installing = replace(downloaded(), state=State.INSTALLING)
    assert u.on_target(installing, None) == installing


def test_download_failures_back_off_and_keep_trying() -> None:
    rec = u.on_target(UpdateRecord("1.0"), Target("2.0"))
    first = u.download_failed(rec, "connection reset", now=100.0, rand=0.5)
    second = u.download_failed(first, "connection reset", now=200.0, rand=0.5)
    assert first.state == second.state == State.DOWNLOADING
    assert not u.may_download(first, now=100.0)
    assert second.retry_at - 200.0 > first.retry_at - 100.0
    assert u.may_download(second, now=second.retry_at)


def test_a_bad_signature_fails_the_release_without_retry() -> None:
    rec = u.download_refused(u.on_target(UpdateRecord("1.0"), Target("2.0", 1)), "bad signature")
    assert rec.state == State.FAILED
    assert u.on_target(rec, Target("2.0", 1)) == rec
    assert u.on_target(rec, Target("2.0", 2)).state == State.DOWNLOADING


def test_outside_the_window_it_waits() -> None:
    rec = u.install_decision(downloaded(), 0.0, LUNCH, WINDOW, open_orders=0)
    assert rec.state == State.WAITING_WINDOW


def test_inside_the_window_with_clear_kitchens_it_installs() -> None:
    rec = u.install_decision(downloaded(), 0.0, NIGHT, WINDOW, open_orders=0)
    assert rec.state == State.INSTALLING


def test_an_open_order_holds_the_install_even_inside_the_window() -> None:
    rec = u.install_decision(downloaded(), 0.0, NIGHT, WINDOW, open_orders=2)
    assert rec.state == State.WAITING_WINDOW
    assert "2 order(s) open" in rec.last_error
    assert u.install_decision(rec, 1.0, NIGHT, WINDOW, open_orders=0).state == State.INSTALLING


def test_forced_install_ignores_window_and_open_orders() -> None:
    rec = u.install_decision(downloaded(force=True), 0.0, LUNCH, WINDOW, open_orders=5)
    assert rec.state == State.INSTALLING


def test_force_can_arrive_while_waiting() -> None:
    waiting = u.install_decision(downloaded(), 0.0, LUNCH, WINDOW, open_orders=0)
    forced = u.on_target(waiting, Target("2.0", generation=1, force=True))
    assert u.install_decision(forced, 0.0, LUNCH, WINDOW, 3).state == State.INSTALLING


def test_install_failures_retry_later_then_fail() -> None:
    rec = replace(downloaded(), state=State.INSTALLING)
    once = u.install_failed(rec, "disk full", now=10.0, rand=0.0)
    assert once.state == State.DOWNLOADED
    assert u.install_decision(once, 11.0, NIGHT, WINDOW, 0).state == State.DOWNLOADED
    assert u.install_decision(once, once.retry_at, NIGHT, WINDOW, 0).state == State.INSTALLING
    rec = once
    for _ in range(u.MAX_INSTALL_ATTEMPTS - 1):
        rec = u.install_failed(replace(rec, state=State.INSTALLING), "disk full", 10.0, 0.0)
    assert rec.state == State.FAILED


def test_switch_gives_the_new_version_its_deadline() -> None:
    rec = u.switched(replace(downloaded(), state=State.INSTALLING), now=1000.0)
    assert (rec.state, rec.current, rec.previous) == (State.VERIFYING, "2.0", "1.0")
    assert rec.deadline == 1000.0 + u.VERIFY_SECONDS


def test_third_crash_rolls_back_and_refuses_the_release() -> None:
    rec = u.switched(replace(downloaded(), state=State.INSTALLING), now=0.0)
    for _ in range(u.MAX_CRASHES):
        decision = u.before_start(rec, now=1.0)
        assert not decision.rollback
        rec = decision.record
    decision = u.before_start(rec, now=2.0)
    assert decision.rollback
    back = decision.record
    assert (back.state, back.current, back.previous) == (State.ROLLED_BACK, "1.0", "2.0")
    assert "stopped 3 times" in back.last_error
    assert back.refused == {"2.0": 1}


def test_missing_the_deadline_rolls_back() -> None:
    rec = u.switched(replace(downloaded(), state=State.INSTALLING), now=0.0)
    rec = u.before_start(rec, now=1.0).record
    assert not u.verify_timed_out(rec, now=u.VERIFY_SECONDS - 1)
    assert u.verify_timed_out(rec, now=u.VERIFY_SECONDS)
    assert u.before_start(rec, now=u.VERIFY_SECONDS + 1).rollback


def test_verified_is_done_and_later_starts_are_not_counted() -> None:
    rec = u.switched(replace(downloaded(), state=State.INSTALLING), now=0.0)
    done = u.verified(u.before_start(rec, 1.0).record)
    assert (done.state, done.current, done.previous) == (State.DONE, "2.0", "1.0")
    assert u.before_start(done, 500.0) == u.GuardDecision(done, False)


def test_a_rolled_back_release_is_not_retried_until_told() -> None:
    rec = u.switched(replace(downloaded(), state=State.INSTALLING), now=0.0)
    back = u.rolled_back(rec, "health never ok")
    assert u.on_target(back, Target("2.0", generation=1)) == back
    assert u.on_target(back, Target("2.0", generation=1, force=True)) == back
    again = u.on_target(back, Target("2.0", generation=2))
    assert again.state == State.DOWNLOADING
    assert "2.0" not in again.refused


def test_a_new_target_does_not_interrupt_installing_or_verification() -> None:
    installing = replace(downloaded(), state=State.INSTALLING)
    assert u.on_target(installing, Target("3.0", generation=2)) == installing
    rec = u.switched(installing, now=0.0)
    assert u.on_target(rec, Target("3.0", generation=2)) == rec


def test_record_round_trips_through_json_and_survives_garbage() -> None:
    rec = u.rolled_back(u.switched(replace(downloaded(), state=State.INSTALLING), 0.0), "x")
    assert UpdateRecord.from_json(rec.to_json(), "zzz") == rec
    assert UpdateRecord.from_json({"state": "exploded"}, "1.0") == UpdateRecord("1.0")
    assert UpdateRecord.from_json([1, 2], "1.0") == UpdateRecord("1.0")


@pytest.mark.parametrize("raw", [None, {}, {"version": "../etc"}, {"version": "2.0", "sha256": "ab"},
                                 {"version": "2.0", "generation": -1},
                                 {"version": "2.0", "generation": True}])
def test_malformed_targets_are_ignored(raw: object) -> None:
    assert u.parse_target(raw) is None


def test_target_parses_force_only_when_true() -> None:
    t = u.parse_target({"version": "2.0", "generation": 3, "force": "yes"})
    assert t == Target("2.0", 3, False)


def test_states_are_the_wire_states() -> None:
    assert tuple(str(s) for s in State) == UPDATE_STATES
