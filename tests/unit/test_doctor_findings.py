"""The doctor's judgement, on plain data: pip versions with hash bugs, and what a probe found."""

from __future__ import annotations

import os

import pytest

from safepip.commands.doctor import (
    PipSetting,
    Probe,
    _parse_config_debug,
    _parse_config_list,
    judge,
    pip_version_findings,
)


def codes(findings, severity="warning"):
    return {f.code for f in findings if f.severity == severity}


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("26.0.1", set()),
        ("24.2", set()),
        ("24.1.2", {"pip-case-sensitive-hashes"}),
        ("22.3", {"pip-case-sensitive-hashes", "pip-22.3-hash-regression"}),
        ("22.3.1", {"pip-case-sensitive-hashes", "pip-22.3-hash-regression"}),
        ("22.2.2", {"pip-case-sensitive-hashes"}),
        ("23.0", {"pip-case-sensitive-hashes"}),
        ("24.2.dev0", {"pip-case-sensitive-hashes"}),
        ("not a version", set()),
    ],
)
def test_pip_versions_with_known_hash_bugs(version, expected):
    found = pip_version_findings(version, "/env/bin/python")
    assert codes(found) == expected
    assert all(f.fix == '/env/bin/python -m pip install --upgrade "pip>=24.2"' for f in found)


def test_a_pip_without_the_cache_command_is_a_note():
    assert codes(pip_version_findings("20.0.2"), "note") == {"pip-without-cache-command"}


def healthy(**changes) -> Probe:
    probe = Probe(
        python="/env/bin/python",
        reason="VIRTUAL_ENV",
        version="3.12.1",
        prefix="/env",
        base_prefix="/usr",
        euid=1000,
        pip="25.0",
    )
    for key, value in changes.items():
        setattr(probe, key, value)
    return probe


def test_a_healthy_environment_has_no_warnings():
    assert codes(judge(healthy(), {})) == set()


def test_root_into_the_system_python():
    assert "root-system-python" in codes(judge(healthy(euid=0, prefix="/usr"), {}))
    assert "root-system-python" not in codes(judge(healthy(euid=0), {}))  # root, but in a virtualenv
    assert "root-system-python" not in codes(judge(healthy(euid=None, prefix="/usr"), {}))  # Windows


def test_a_site_config_inside_the_environment():
    found = judge(healthy(site_configs=["/env/pip.conf"]), {})
    (finding,) = [f for f in found if f.code == "site-config"]
    assert "/env/pip.conf" in finding.message and "--site list" in finding.fix


def test_no_cache_dir_is_a_note_unless_its_value_says_the_opposite():
    on = PipSetting("no-cache-dir", "true", "/etc/pip.conf")
    assert codes(judge(healthy(settings=[on], cache_disabled=True), {}), "note") >= {"cache-disabled"}
    off = PipSetting("no-cache-dir", "0", "environment PIP_NO_CACHE_DIR")
    found = judge(healthy(settings=[off], cache_disabled=True), {})
    assert "cache-disabled" in codes(found)
    assert "pip treats any value of no-cache-dir as on" in next(
        f.message for f in found if f.code == "cache-disabled"
    )


def test_indexes_and_mirrors():
    index = PipSetting("index-url", "https://mirror.example.org/simple", "/etc/pip.conf")
    extra = PipSetting(
        "extra-index-url", "http://pypi.internal.example.org/simple", "environment PIP_EXTRA_INDEX_URL"
    )
    found = judge(healthy(settings=[index, extra]), {})
    assert codes(found) == {"several-indexes", "plain-http"}
    notes = [f.message for f in found if f.code == "index"]
    assert notes == [
        "index-url = https://mirror.example.org/simple (from /etc/pip.conf, [global])",
        "extra-index-url = http://pypi.internal.example.org/simple (from environment PIP_EXTRA_INDEX_URL)",
    ]
    trusted = PipSetting("trusted-host", "mirror.example.org", "/env/pip.conf", "install")
    assert codes(judge(healthy(settings=[index, trusted]), {})) == {"plain-http"}


def test_ca_bundle_variables_override_pips_cert(tmp_path):
    bundle = tmp_path / "corp.pem"
    bundle.write_text("")
    found = judge(
        healthy(), {"REQUESTS_CA_BUNDLE": str(bundle), "CURL_CA_BUNDLE": str(tmp_path / "gone.pem")}
    )
    messages = [f.message for f in found if f.code == "ca-bundle-override"]
    assert len(messages) == 2
    assert messages[0].startswith(f"REQUESTS_CA_BUNDLE={bundle} is set") and "--cert" in messages[0]
    assert "(that file does not exist)" in messages[1]


def test_a_cache_with_files_of_another_user(tmp_path):
    found = judge(healthy(cache_dir=str(tmp_path), cache_files=3, cache_foreign_files=2), {})
    (finding,) = [f for f in found if f.code == "cache-not-yours"]
    assert "2 of its files belong to another user" in finding.message
    if os.name != "nt":
        assert finding.fix.startswith('sudo chown -R "$(id -u):$(id -g)"')


def test_no_pip_is_the_only_finding():
    assert [f.code for f in judge(healthy(pip=None), {"REQUESTS_CA_BUNDLE": "x"})] == ["no-pip"]


def test_reading_pip_config_debug():
    text = (
        "env_var:\n  PIP_CERT='/x.pem'\nenv:\nglobal:\n  /etc/xdg/pip/pip.conf, exists: False\n"
        "  /etc/pip.conf, exists: True\n    global.index-url: https://mirror.example.org/simple\n"
        "site:\n  /env/pip.conf, exists: True\n    install.trusted-host: mirror.example.org\n"
        "user:\n  /home/u/.config/pip/pip.conf, exists: False\n"
    )
    assert _parse_config_debug(text) == [
        PipSetting("index-url", "https://mirror.example.org/simple", "/etc/pip.conf", "global"),
        PipSetting("trusted-host", "mirror.example.org", "/env/pip.conf", "install"),
    ]


def test_reading_pip_config_list():
    text = "global.index-url='https://mirror.example.org/simple'\n:env:.cert='/x.pem'\n"
    assert _parse_config_list(text) == [
        PipSetting("index-url", "https://mirror.example.org/simple", "a pip configuration file", "global")
    ]
