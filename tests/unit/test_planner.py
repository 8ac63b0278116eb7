"""Every decision of the ladder, on plain data: which rung next, or which refusal."""

from __future__ import annotations

from dataclasses import replace

from safepip.errors import ExitCode
from safepip.records import Attempt, Mismatch, Outcome, Rung, Verdict
from safepip.recovery.classify import causes
from safepip.recovery.planner import Context, next_step

PIN = "a" * 64
BAD = "b" * 64
URL = "https://files.example.org/alpha-1.0-py3-none-any.whl"


def mismatch(got: str = BAD, *, cached: bool | None = False, published: str | None = PIN) -> Mismatch:
    return Mismatch(
        name="alpha",
        version="1.0",
        url=URL + (f"#sha256={published}" if published else ""),
        expected=(PIN,),
        got=got,
        algorithm="sha256",
        from_cache=cached,
        published_hash=published,
        published_algorithm="sha256" if published else None,
    )


def attempt(
    rung: Rung, *records: Mismatch, code: int = 1, bypass: bool = False, venv: bool = False
) -> Attempt:
    return Attempt(
        rung,
        0 if not records and code == 0 else code,
        1.0,
        records,
        cache_bypassed=bypass or rung is not Rung.PIP,
        in_fresh_venv=venv,
    )


def decide(history: list[Attempt], context: Context):
    """The planner's decision, each attempt's causes computed as the ladder records them."""
    recorded: list[Attempt] = []
    for made in history:
        recorded.append(replace(made, causes=causes(made.mismatches, recorded)))
    return next_step(recorded, context)


def test_success_first_time_is_ok_and_non_mismatch_failures_pass_through():
    assert decide([attempt(Rung.PIP, code=0)], Context()) == Verdict(Outcome.OK, 0)
    verdict = decide([attempt(Rung.PIP, code=23)], Context())
    assert verdict == Verdict(Outcome.PIP_FAILED, 23)


def test_cache_corruption_evicts_first_and_recovers_in_two_runs():
    history = [attempt(Rung.PIP, mismatch(cached=True))]
    assert decide(history, Context()) is Rung.EVICT
    history.append(attempt(Rung.EVICT, code=0))
    assert decide(history, Context()).outcome is Outcome.RECOVERED


def test_flaky_transit_climbs_to_no_cache_then_venv_then_gives_up():
    history = [attempt(Rung.PIP, mismatch("1" * 64))]
    assert decide(history, Context()) is Rung.EVICT
    history.append(attempt(Rung.EVICT, mismatch("2" * 64)))
    assert decide(history, Context()) is Rung.NO_CACHE
    history.append(attempt(Rung.NO_CACHE, mismatch("3" * 64)))
    assert decide(history, Context()) is Rung.FRESH_VENV
    history.append(attempt(Rung.FRESH_VENV, mismatch("4" * 64), venv=True))
    verdict = decide(history, Context())
    assert verdict.outcome is Outcome.NOT_RECOVERED and verdict.exit_code == ExitCode.NOT_RECOVERED


def test_same_wrong_bytes_twice_fresh_is_refused_as_possible_tampering():
    history = [attempt(Rung.PIP, mismatch()), attempt(Rung.EVICT, mismatch())]
    verdict = decide(history, Context())
    assert verdict.outcome is Outcome.TAMPERING and verdict.exit_code == ExitCode.TAMPERING_SUSPECTED
    assert verdict.evidence[0].got == BAD


def test_same_bytes_from_cache_then_fresh_is_not_yet_tampering():
    history = [attempt(Rung.PIP, mismatch(cached=True)), attempt(Rung.EVICT, mismatch())]
    assert decide(history, Context()) is Rung.NO_CACHE


def test_repeated_bytes_go_to_the_venv_when_the_target_could_be_the_cause():
    history = [attempt(Rung.PIP, mismatch()), attempt(Rung.EVICT, mismatch())]
    assert decide(history, Context(venv_could_differ=True)) is Rung.FRESH_VENV
    history.append(attempt(Rung.FRESH_VENV, mismatch(), venv=True))
    assert decide(history, Context(venv_could_differ=True)).outcome is Outcome.TAMPERING


def test_stale_pin_fails_at_once_without_retries():
    stale = mismatch(got=BAD, published=BAD)
    verdict = decide([attempt(Rung.PIP, stale)], Context())
    assert verdict.outcome is Outcome.STALE_PIN and verdict.exit_code == ExitCode.STALE_PIN


def test_published_hash_seen_earlier_is_used_later():
    history = [attempt(Rung.PIP, mismatch("1" * 64, published=PIN))]
    history.append(attempt(Rung.EVICT, mismatch(PIN.replace("a", "c"), published=None)))
    assert decide(history, Context()) is Rung.NO_CACHE


def test_user_no_cache_dir_means_plain_retries_with_backoff():
    context = Context(user_no_cache=True)
    history = [attempt(Rung.PIP, mismatch("1" * 64), bypass=True)]
    assert decide(history, context) is Rung.EVICT or decide(history, context) is Rung.RETRY
    history.append(attempt(Rung.RETRY, mismatch("2" * 64)))
    assert decide(history, context) is Rung.RETRY
    history.append(attempt(Rung.RETRY, mismatch("3" * 64)))
    assert decide(history, context) is Rung.FRESH_VENV


def test_unusable_cache_skips_straight_to_no_cache_dir():
    history = [attempt(Rung.PIP, mismatch(cached=True))]
    assert decide(history, Context(cache_usable=False)) is Rung.NO_CACHE


def test_venv_rung_can_be_switched_off():
    context = Context(venv_allowed=False)
    history = [
        attempt(Rung.PIP, mismatch("1" * 64)),
        attempt(Rung.EVICT, mismatch("2" * 64)),
        attempt(Rung.NO_CACHE, mismatch("3" * 64)),
    ]
    assert decide(history, context).outcome is Outcome.NOT_RECOVERED


def test_pip_case_bug_goes_to_a_fresh_venv_only():
    buggy = mismatch(got=PIN.upper())
    assert decide([attempt(Rung.PIP, buggy)], Context()) is Rung.FRESH_VENV
    verdict = decide([attempt(Rung.PIP, buggy)], Context(venv_allowed=False))
    assert verdict.outcome is Outcome.NOT_RECOVERED and verdict.detail == "pip-case-bug"


def test_interrupt_stops_everything():
    interrupted = replace(attempt(Rung.PIP, mismatch()), interrupted=True)
    assert decide([interrupted], Context()).exit_code == ExitCode.INTERRUPTED


def test_failure_of_another_kind_during_recovery_passes_pips_code():
    history = [attempt(Rung.PIP, mismatch(cached=True)), attempt(Rung.EVICT, code=2)]
    assert decide(history, Context()) == Verdict(Outcome.PIP_FAILED, 2)


def test_a_lock_naming_the_sdist_steers_pip_there_once():
    chose_wheel = replace(mismatch(got=BAD, published=BAD), locked_file="alpha-1.0.tar.gz")
    assert decide([attempt(Rung.PIP, chose_wheel)], Context()) is Rung.STEER
    history = [attempt(Rung.PIP, chose_wheel), attempt(Rung.STEER, chose_wheel)]
    verdict = decide(history, Context())
    assert verdict.outcome is Outcome.STALE_PIN and verdict.detail == "other-file"


def test_a_lock_naming_another_wheel_tries_a_current_pip_or_refuses():
    other_wheel = replace(mismatch(got=BAD, published=BAD), locked_file="alpha-1.0-py3-none-win32.whl")
    assert decide([attempt(Rung.PIP, other_wheel)], Context(venv_could_differ=True)) is Rung.FRESH_VENV
    verdict = decide([attempt(Rung.PIP, other_wheel)], Context())
    assert verdict.exit_code == ExitCode.STALE_PIN


def test_no_steering_when_the_user_asked_for_wheels_only():
    chose_wheel = replace(mismatch(got=BAD, published=BAD), locked_file="alpha-1.0.tar.gz")
    verdict = decide([attempt(Rung.PIP, chose_wheel)], Context(can_steer=False))
    assert verdict.exit_code == ExitCode.STALE_PIN


def test_packages_that_went_into_a_fresh_venv_are_no_plain_success():
    # Done, but not where the user asked: exit 25, unless the user opted into 0 (venv-ok).
    buggy = mismatch(got=PIN.upper())
    into = replace(attempt(Rung.FRESH_VENV, code=0, venv=True), into_fresh_venv=True)
    history = [attempt(Rung.PIP, buggy), into]
    assert decide(history, Context()) == Verdict(Outcome.IN_FRESH_VENV, ExitCode.INSTALLED_IN_FRESH_VENV)
    assert decide(history, Context(venv_ok=True)) == Verdict(Outcome.IN_FRESH_VENV, ExitCode.OK)
    # A fresh pip that installed into the target (pip's --python) recovered, plainly.
    history = [attempt(Rung.PIP, buggy), attempt(Rung.FRESH_VENV, code=0, venv=True)]
    assert decide(history, Context()) == Verdict(Outcome.RECOVERED, ExitCode.OK)


def test_a_fresh_venv_that_could_not_run_pip_is_not_taken_for_a_download():
    # It repeats the last run's mismatches for the evidence: they are no second fresh download, so
    # no "same wrong bytes twice" (tampering) may be read into them.
    history = [
        attempt(Rung.PIP, mismatch("1" * 64)),
        attempt(Rung.EVICT, mismatch("2" * 64)),
        attempt(Rung.NO_CACHE, mismatch("3" * 64)),
    ]
    not_run = Attempt(Rung.FRESH_VENV, 22, 0.0, history[-1].mismatches, in_fresh_venv=True, ran=False)
    verdict = decide([*history, not_run], Context())
    assert verdict.outcome is Outcome.NOT_RECOVERED and verdict.detail == "rung-unusable"


def test_a_pip_conf_in_the_target_no_longer_sends_pip_to_a_fresh_venv():
    # The fresh pip runs with the target's configuration: only an old pip makes it differ.
    repeated = [attempt(Rung.PIP, mismatch()), attempt(Rung.EVICT, mismatch())]
    assert decide(repeated, Context()).outcome is Outcome.TAMPERING
    assert decide(repeated, Context(venv_could_differ=True)) is Rung.FRESH_VENV
