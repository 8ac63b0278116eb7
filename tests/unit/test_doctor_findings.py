"""The doctor's judgement, on plain data: pip versions with hash bugs, and what a probe found."""

from __future__ import annotations

import os

import pytest

from safepip.commands.doctor import (
    PipSetting,
    Probe,
    effective_settings,
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


def test_the_ca_bundle_variable_requests_reads_overrides_pips_cert(tmp_path):
    bundle = tmp_path / "corp.pem"
    bundle.write_text("")
    found = judge(
        healthy(), {"REQUESTS_CA_BUNDLE": str(bundle), "CURL_CA_BUNDLE": str(tmp_path / "gone.pem")}
    )
    # requests reads REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE: one variable is in effect, one finding.
    (message,) = [f.message for f in found if f.code == "ca-bundle-override"]
    assert message.startswith(f"REQUESTS_CA_BUNDLE={bundle} is set") and "--cert" in message
    assert "CURL_CA_BUNDLE is not read" in message
    (gone,) = [f.message for f in judge(healthy(), {"CURL_CA_BUNDLE": str(tmp_path / "gone.pem")})
               if f.code == "ca-bundle-override"]  # fmt: skip
    assert "(that file does not exist)" in gone


def test_ca_bundle_variables_naming_pips_own_cert_are_no_finding(tmp_path):
    cert = tmp_path / "ca.pem"
    cert.write_text("")
    link = tmp_path / "same.pem"
    link.symlink_to(cert)
    env = {"REQUESTS_CA_BUNDLE": str(cert), "CURL_CA_BUNDLE": str(link)}
    found = judge(healthy(cert=str(cert)), env)
    assert codes(found) == set()
    assert "ca-bundle-same-as-cert" in codes(found, "note")


def test_ca_bundle_variables_pip_does_not_read_are_no_finding(tmp_path):
    # With a proxy of pip's own (or --no-proxy-env) pip's session reads no variable at all.
    found = judge(healthy(reads_ca_variables=False), {"REQUESTS_CA_BUNDLE": str(tmp_path / "x.pem")})
    assert codes(found) == set() and "ca-bundle-ignored" in codes(found, "note")


def test_a_cache_with_files_of_another_user(tmp_path):
    found = judge(healthy(cache_dir=str(tmp_path), cache_files=3, cache_foreign_files=2), {})
    (finding,) = [f for f in found if f.code == "cache-not-yours"]
    assert "2 of its files belong to another user" in finding.message
    if os.name != "nt":
        assert finding.fix.startswith('sudo chown -R "$(id -u):$(id -g)"')


def test_no_pip_is_the_only_finding():
    assert [f.code for f in judge(healthy(pip=None), {"REQUESTS_CA_BUNDLE": "x"})] == ["no-pip"]


def config_file(path: str, kind: str = "global", **sections: dict[str, str]) -> dict:
    return {"kind": kind, "path": path, "exists": True, "sections": sections}


def test_each_setting_is_the_one_pip_uses_and_where_it_is_set():
    # What pip 23.2.1's `pip config debug` showed under BOTH global files: each file read alone.
    config = {
        "files": [
            config_file("/etc/xdg/pip/pip.conf", **{"global": {"constraint": "/etc/xdg/pip/c.txt"}}),
            config_file("/etc/pip.conf", **{"global": {"cert": "/etc/ssl/ca.pem"}}),
        ],
        "environment": [],
    }
    assert effective_settings(config) == [
        PipSetting("constraint", "/etc/xdg/pip/c.txt", "/etc/xdg/pip/pip.conf", "global"),
        PipSetting("cert", "/etc/ssl/ca.pem", "/etc/pip.conf", "global"),
    ]


def test_sections_then_files_then_variables_in_pips_order():
    config = {
        "files": [
            config_file("/etc/pip.conf", **{"install": {"retries": "7"}, "global": {"pypi-url": "https://a.example.org"}}),
            config_file("/home/u/.config/pip/pip.conf", "user", **{"global": {"retries": "3", "index_url": "https://b.example.org"}}),
            config_file("/env/pip.conf", "site", **{"global": {"timeout": "9"}}),
            config_file("/ci/pip.conf", "env", **{"global": {"timeout": ""}}),
        ],
        "environment": [["PIP_DEFAULT_TIMEOUT", "30"], ["PIP_PROXY", ""]],
    }  # fmt: skip
    found = {s.key: (s.value, s.origin, s.section) for s in effective_settings(config)}
    assert found == {
        # [install] in the lowest file beats [global] in a higher one, for `pip install`.
        "retries": ("7", "/etc/pip.conf", "install"),
        # pypi-url and index_url are spellings of --index-url: the later file wins.
        "index-url": ("https://b.example.org", "/home/u/.config/pip/pip.conf", "global"),
        # --default-timeout is --timeout; a variable beats every file, an empty one is ignored.
        "timeout": ("30", "environment PIP_DEFAULT_TIMEOUT", "global"),
    }


def test_settings_never_show_a_credential():
    config = {
        "files": [config_file("/etc/pip.conf", **{"global": {"index-url": "https://ci:s3cret@i.example.org/s"}})],
        "environment": [
            ["PIP_EXTRA_INDEX_URL", "https://tok3n@x.example.org/simple"],
            ["PIP_PROXY", "user:pa55@proxy.example.org:3128"],
        ],
    }  # fmt: skip
    found = effective_settings(config)
    text = repr(found) + repr(
        judge(healthy(settings=found), {"HTTPS_PROXY": "http://u:hunter2@p.example.org"})
    )
    for secret in ("s3cret", "tok3n", "pa55", "hunter2"):
        assert secret not in text
    assert "https://ci:****@i.example.org/s" in text and "user:****@proxy.example.org:3128" in text
