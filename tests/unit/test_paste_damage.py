"""Every kind of paste damage, alone and together, on every captured pip output: the same records.

The damage is what real pastes show (tests/support/damage.py, tests/data/pasted/NOTES.md). Each kind
runs over all of tests/data/pip-outputs with parameters drawn from a seeded generator (so a failure
names the file and the parameters, and reruns the same); hypothesis draws combinations, in the order
they happen: the program that relayed pip's lines, the terminal, then the paste. Look-alikes stay at
no record under the same damage.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support import damage
from tests.support.corpus import CAPTURED, LOOKALIKES, as_printed, load

from safepip.logscan.mismatches import detect_text

Damage = Callable[[str, random.Random], str]


def _text(path) -> str:
    return damage.rendered("".join(load(path)[1]))


def _anchor_end(text: str) -> int:
    """The column where the head's first words end: a wrap before it leaves no head to find."""
    line = next((line for line in text.split("\n") if damage.HEAD_WORDS in line), "")
    return line.find(damage.HEAD_WORDS) + len(damage.HEAD_WORDS)


def _narrowest(text: str) -> int:
    """The narrowest terminal tried: 33 columns for pip beside a relay's label on each line."""
    line = next((line for line in text.split("\n") if damage.HEAD_WORDS in line), "")
    label = line.find("ERROR: THESE") if "ERROR: THESE" in line else line.find(damage.HEAD_WORDS)
    return min(max(40, label + 33), 260)


def _got_line(text: str) -> int:
    return next(i for i, line in enumerate([*text.split("\n"), "Got"]) if "Got" in line)


RELAYS: dict[str, Damage] = {
    "buildkit": lambda t, r: damage.buildkit(t, r.randint(1, 40), r.uniform(0.5, 300)),
    "buildkit-seconds": lambda t, r: damage.buildkit(t, start=r.uniform(0.5, 300), seconds_only=True),
    "ci-timestamps": lambda t, r: damage.ci_timestamps(t),
    "pipenv": lambda t, r: damage.pipenv(t),
    "gitlab": lambda t, r: damage.gitlab(t),
    "gitlab-split": lambda t, r: damage.gitlab(t, r.randint(1, 300)),
    "buildkite-times": lambda t, r: damage.buildkite_times(t),
    "jenkins": lambda t, r: damage.jenkins(t),
    "logger-on-head": lambda t, r: damage.logger_on_head(t),
}
TERMINALS: dict[str, Damage] = {
    # Any width that leaves pip 33 columns after a relay's label (40 without one), even one that cuts
    # pip's first words in two; narrower ones cut its own words ("Expe" / "cted") too.
    "hard-wrap": lambda t, r: damage.hard_wrap(t, r.randint(_narrowest(t), 260)),
    "hard-wrap-padded": lambda t, r: damage.hard_wrap(t, r.randint(_narrowest(t), 260), pad=True),
    # Gaps inside pip's first words leave no head to find: wider than them.
    "space-gaps": lambda t, r: damage.space_gaps(
        t, r.randint(min(max(40, _anchor_end(t) + 1), 200), 200), r.randint(2, 24)
    ),
    "left-cut": lambda t, r: damage.left_cut(t, r.randint(1, 4)),
}
PASTES: dict[str, Damage] = {
    "strip-indent": lambda t, r: damage.strip_indent(t),
    "strip-indent-but-one": lambda t, r: damage.strip_indent(t, keep=_got_line(t)),
    "collapse-spaces": lambda t, r: damage.collapse_spaces(t),
    "drop-blank-lines": lambda t, r: damage.drop_blank_lines(t),
    "extra-indent": lambda t, r: damage.extra_indent(t, r.randint(1, 8)),
    "viewer-gutter": lambda t, r: damage.viewer_gutter(t),
    "markdown-quote": lambda t, r: damage.markdown_quote(t),
    "backticks": lambda t, r: damage.backticks(t),
    "viewer-links": lambda t, r: damage.viewer_links(t),
    "join-lines": lambda t, r: damage.join_lines(t),
    "double-space": lambda t, r: damage.double_space(t),
    "html-escape": lambda t, r: damage.html_escape(t),
}
KINDS = {**RELAYS, **TERMINALS, **PASTES}

# Combinations that destroy what tells the pieces apart, so no reader could undo them: a chat join
# of wrapped lines turns every wrap into a space (a gap of unknown width); collapsed or stripped
# spaces move a wrap's gaps, and so do labels of different lengths on the head's line and the others
# (a logger's before a log file's timestamps); a label that is not one of the known ones (or one a
# window cut, or a quote's marker) is text of the entry inside a joined paragraph; a window's cut
# takes a label's first characters, as many as its width varies (BuildKit's seconds grow a digit).
_EXCLUSIVE = {
    "join-lines": {
        "hard-wrap",
        "hard-wrap-padded",
        "space-gaps",
        "buildkit-seconds",
        "logger-on-head",
        "left-cut",
        "markdown-quote",
        "gitlab",
        "gitlab-split",
        "jenkins",
    },
    # GitLab's "+" joins a line to the one before it, which a terminal's wrap or a paste's blank
    # line is not; collapsed spaces merge its flag with pip's indentation on one piece only.
    "gitlab-split": {*TERMINALS, "double-space", "collapse-spaces"},
    # After a window's cut, indentation is the only measure of how much it took from an entry.
    "left-cut": {*RELAYS, "strip-indent", "strip-indent-but-one", "collapse-spaces", "viewer-gutter"},
    "logger-on-head": {"space-gaps"},
    "collapse-spaces": {"space-gaps"},
    "strip-indent": {"space-gaps"},
    "strip-indent-but-one": {"space-gaps"},
    "viewer-gutter": {"space-gaps", "join-lines"},
}


def _compatible(names: list[str]) -> bool:
    return not any(other in names for name in names for other in _EXCLUSIVE.get(name, ()))


def _expected(path) -> list[dict]:
    return load(path)[0]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_of_damage_on_every_captured_output(kind):
    rng = random.Random(kind)
    for path in CAPTURED:
        text = KINDS[kind](_text(path), rng)
        assert as_printed(detect_text(text)) == _expected(path), (path.name, text)


@st.composite
def _damages(draw: st.DrawFn) -> list[str]:
    """Names of damage kinds, in the order they happen: a relay, a terminal, then the paste."""
    relay = draw(st.sampled_from([None, *sorted(RELAYS)]))
    terminal = draw(st.sampled_from([None, *sorted(TERMINALS)]))
    pastes = draw(st.permutations(sorted(PASTES)))[: draw(st.integers(0, 4))]
    names: list[str] = []
    for name in (relay, terminal, *pastes):
        if name and _compatible([*names, name]):
            names.append(name)
    return names


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(CAPTURED), _damages(), st.integers(0, 2**32 - 1))
def test_damage_combined_on_captured_outputs_gives_the_same_records(path, names, seed):
    rng = random.Random(seed)
    text = _text(path)
    for name in names:
        text = KINDS[name](text, rng)
    assert as_printed(detect_text(text)) == _expected(path), (names, text)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_lookalikes_stay_lookalikes_under_damage(kind):
    rng = random.Random(kind)
    for path in LOOKALIKES:
        text = KINDS[kind](damage.rendered("".join(load(path)[1])), rng)
        assert detect_text(text) == [], path.name


@st.composite
def _any_damages(draw: st.DrawFn) -> list[str]:
    """Any kinds in any order, those no reader could undo too; each once, and one terminal (a
    terminal wraps, pastes its wrap as spaces or shows a cut window, not several of them)."""
    names = draw(st.lists(st.sampled_from(sorted(KINDS)), max_size=6, unique=True))
    terminals = [name for name in names if name in TERMINALS]
    return [name for name in names if name not in TERMINALS or name == terminals[0]]


def _consistent(found: dict, expected: list[dict]) -> bool:
    """Whether a record found says nothing the output did not: its digests are a record's, and its
    name, version and URL are that record's or unknown."""
    return any(
        found["expected"] == want["expected"]
        and found["got"] == want["got"]
        and all(found[key] in (want[key], None) for key in ("name", "version", "url"))
        for want in expected
    )


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CAPTURED), _any_damages(), st.integers(0, 2**32 - 1))
def test_damage_no_reader_could_undo_loses_records_but_never_invents_one(path, names, seed):
    rng = random.Random(seed)
    text = _text(path)
    for name in names:
        text = KINDS[name](text, rng)
    expected = _expected(path)
    for found in as_printed(detect_text(text)):
        assert _consistent(found, expected), (names, found, text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(LOOKALIKES), _any_damages(), st.integers(0, 2**32 - 1))
def test_lookalikes_stay_lookalikes_under_any_damage(path, names, seed):
    rng = random.Random(seed)
    text = damage.rendered("".join(load(path)[1]))
    for name in names:
        text = KINDS[name](text, rng)
    assert detect_text(text) == [], (names, path.name)
