"""Credentials are masked as pip masks them, wherever safepip could show them."""

from __future__ import annotations

import pytest

from safepip import redact


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("https://ci-user:s3cret@idx.example.org/simple/", "https://ci-user:****@idx.example.org/simple/"),
        ("https://ghp_token@idx.example.org/simple/", "https://****@idx.example.org/simple/"),
        ("https://user:p:a:ss@idx.example.org/", "https://user:****@idx.example.org/"),
        ("https://:pw@idx.example.org/", "https://****@idx.example.org/"),
        (
            "git+https://tok3n@git.example.org/org/repo.git@v1",
            "git+https://****@git.example.org/org/repo.git@v1",
        ),
        (
            "alpha @ https://u:p@files.example.org/alpha-1.0.whl",
            "alpha @ https://u:****@files.example.org/alpha-1.0.whl",
        ),
        (
            "--index-url=https://u:p@idx.example.org/simple",
            "--index-url=https://u:****@idx.example.org/simple",
        ),
        (
            "see https://a:b@x.example.org and http://c:d@y.example.org/",
            "see https://a:****@x.example.org and http://c:****@y.example.org/",
        ),
        (
            "https://idx.example.org/simple/ and user@example.org",
            "https://idx.example.org/simple/ and user@example.org",
        ),
        ("no url here", "no url here"),
    ],
)
def test_urls_in_any_text(given, shown):
    assert redact.text(given) == shown


def test_command_lines_and_proxies():
    line = ["install", "-i", "https://u:s3cret@idx.example.org/simple", "--proxy", "bob:hunter2@proxy:3128",
            "--proxy=http://bob:hunter2@proxy:3128", "git+https://tok@git.example.org/r.git"]  # fmt: skip
    shown = redact.argv(line)
    assert (
        "s3cret" not in " ".join(shown) and "hunter2" not in " ".join(shown) and "tok@" not in " ".join(shown)
    )
    assert shown == [
        "install", "-i", "https://u:****@idx.example.org/simple", "--proxy", "bob:****@proxy:3128",
        "--proxy=http://bob:****@proxy:3128", "git+https://****@git.example.org/r.git",
    ]  # fmt: skip


def test_an_abbreviated_proxy_option_and_a_bare_proxy_value():
    # optparse takes any unambiguous prefix: pip reads --prox as --proxy.
    shown = redact.argv(["install", "--prox", "bob:hunter2@proxy:3128", "--prox=bob:hunter2@proxy:3128"])
    assert shown == ["install", "--prox", "bob:****@proxy:3128", "--prox=bob:****@proxy:3128"]
    # Other options' values are left alone, even when they look like user:pass@host.
    assert redact.argv(["--pre", "alpha", "--progress-bar", "a:b@c"]) == [
        "--pre",
        "alpha",
        "--progress-bar",
        "a:b@c",
    ]


def test_masking_twice_changes_nothing():
    once = redact.argv(["-i", "https://u:s3cret@idx.example.org/", "--proxy", "bob:hunter2@proxy:3128"])
    assert redact.argv(once) == once
    assert redact.text(redact.text("https://tok@idx.example.org/")) == "https://****@idx.example.org/"


def test_records_are_masked_in_every_string_they_hold():
    record = {
        "command": ["install", "-i", "https://u:s3cret@idx.example.org/simple"],
        "evidence": [{"requirement": "alpha@ https://tok3n@files.example.org/a.whl", "line": 3}],
        "notes": ("see https://u:pw@x.example.org",),
        "count": 2,
        "none": None,
    }
    masked = redact.data(record)
    assert "s3cret" not in str(masked) and "tok3n" not in str(masked) and ":pw@" not in str(masked)
    assert masked["evidence"][0]["line"] == 3 and masked["count"] == 2 and masked["none"] is None
    assert isinstance(masked["notes"], tuple)
    assert record["command"][2] == "https://u:s3cret@idx.example.org/simple", "the input was changed"
