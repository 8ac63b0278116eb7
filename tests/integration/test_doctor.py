"""`safepip --safepip-doctor` on real throwaway virtualenvs, asking their real pip."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from tests.support.envs import run, venv_python

from safepip.errors import ExitCode

pytestmark = pytest.mark.integration


def doctor_json(safepip, env, *args: str) -> tuple[int, dict]:
    result = safepip("--safepip-doctor", "--json", *args, env=env)
    return result.returncode, json.loads(result.stdout)


def warnings(data: dict) -> dict[str, dict]:
    return {f["code"]: f for f in data["findings"] if f["severity"] == "warning"}


def test_a_clean_environment(target_venv, safepip_env, safepip):
    # A fresh virtualenv's pip (virtualenv's bundled one), no config files, a cache of its own.
    result = safepip("--safepip-doctor", env=safepip_env)
    assert result.returncode == ExitCode.OK, result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == f"safepip doctor: the pip of {target_venv} (chosen by VIRTUAL_ENV)"
    assert f"virtual environment {target_venv.parent.parent}" in lines[1]
    assert f"pip's cache: {safepip_env['PIP_CACHE_DIR']}" in result.stdout
    assert lines[-1] == "Nothing found that could cause or worsen hash mismatches."


def test_a_pip_conf_inside_the_environment(target_venv, safepip_env, safepip, tmp_path):
    env = dict(safepip_env)
    del env["PIP_CONFIG_FILE"]  # let pip read config files again...
    env["XDG_CONFIG_DIRS"] = str(tmp_path / "no-global-config")  # ...but not this machine's
    site = target_venv.parent.parent / ("pip.ini" if os.name == "nt" else "pip.conf")
    site.write_text(
        "[global]\nextra-index-url = http://127.0.0.1:9/simple\nno-cache-dir = false\n"
        "[install]\ntrusted-host = 127.0.0.1\n"
    )
    code, data = doctor_json(safepip, env)
    assert code == ExitCode.DOCTOR_FINDINGS
    found = warnings(data)
    assert {"site-config", "several-indexes", "plain-http", "cache-disabled"} <= set(found)
    assert str(site) in found["site-config"]["message"]
    assert "pip treats any value of no-cache-dir as on" in found["cache-disabled"]["message"]
    assert "trusted-host 127.0.0.1" in found["plain-http"]["message"]
    notes = [f["message"] for f in data["findings"] if f["code"] == "index"]
    # (/etc/pip.conf is still read here, and may add lines of its own on another machine.)
    assert f"extra-index-url = http://127.0.0.1:9/simple (from {site}, [global])" in notes
    # The same, as text a person reads: each warning with its fix.
    text = safepip("--safepip-doctor", env=env).stdout
    assert "warning: the environment carries its own pip configuration" in text
    assert "  fix: review it" in text


def test_ca_bundle_variables_are_named(target_venv, safepip_env, safepip, tmp_path):
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text("")
    code, data = doctor_json(safepip, {**safepip_env, "REQUESTS_CA_BUNDLE": str(bundle)})
    assert code == ExitCode.DOCTOR_FINDINGS
    message = warnings(data)["ca-bundle-override"]["message"]
    assert message.startswith(f"REQUESTS_CA_BUNDLE={bundle} is set") and "--cert" in message


def test_another_python_by_option_is_looked_at_as_pip_runs_there(target_venv, safepip_env, safepip, tmp_path):
    # pip's --python runs the chosen pip's code under that interpreter, which needs no pip of its own.
    bare = tmp_path / "bare"
    made = run([sys.executable, "-m", "venv", "--without-pip", bare], env=safepip_env)
    assert made.returncode == 0, made.stderr
    (bare / ("pip.ini" if os.name == "nt" else "pip.conf")).write_text("[global]\nretries = 1\n")
    python = venv_python(bare)
    result = safepip("--safepip-doctor", "--python", bare, env=safepip_env)
    assert result.returncode == ExitCode.DOCTOR_FINDINGS, result.stdout + result.stderr
    assert f"the pip of {target_venv} (chosen by VIRTUAL_ENV)" in result.stdout
    assert f"runs its code under {python} (pip's --python)" in result.stdout
    text = " ".join(result.stdout.split())  # wrapped at 100 columns
    assert f"virtual environment {bare}" in text and "has no pip" not in text
    # The environment pip installs into is the one whose own pip.conf counts.
    assert f"the environment carries its own pip configuration, {bare}" in text


def test_no_such_interpreter(safepip_env, safepip, tmp_path):
    result = safepip("--safepip-doctor", "--python", tmp_path / "nowhere" / "python", env=safepip_env)
    assert result.returncode == ExitCode.TARGET_UNUSABLE
    assert result.stderr.startswith("safepip: error: --python ")


def test_a_cache_with_entries_of_another_owner_is_found(target_venv, safepip_env, safepip):
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user")
    cache = Path(safepip_env["PIP_CACHE_DIR"])
    entry = cache / "http-v2" / "a" / "entry.body"
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"x")
    os.chown(entry, 65534, 65534)
    code, data = doctor_json(safepip, safepip_env)
    assert code == ExitCode.DOCTOR_FINDINGS
    assert "1 of its files belong to another user" in warnings(data)["cache-not-yours"]["message"]


def test_ca_bundle_variables_naming_pips_own_cert_are_no_finding(target_venv, safepip_env, safepip, tmp_path):
    cert = tmp_path / "ca.pem"
    cert.write_text("")
    env = {**safepip_env, "PIP_CERT": str(cert), "REQUESTS_CA_BUNDLE": str(cert), "CURL_CA_BUNDLE": str(cert)}
    code, data = doctor_json(safepip, env)
    assert code == ExitCode.OK, data
    assert "ca-bundle-override" not in warnings(data)
    other = tmp_path / "corporate.pem"
    other.write_text("")
    code, data = doctor_json(safepip, {**env, "REQUESTS_CA_BUNDLE": str(other)})
    assert code == ExitCode.DOCTOR_FINDINGS
    assert [f["code"] for f in data["findings"] if f["severity"] == "warning"] == ["ca-bundle-override"]


def test_settings_are_shown_where_they_really_are_with_pip_23_2(
    venv_with_pip, safepip_env, safepip, tmp_path
):
    # pip 23.2.1's `pip config debug` lists the keys of every global file under each of them.
    python = venv_with_pip("23.2.1")
    first, second = tmp_path / "xdg-a", tmp_path / "xdg-b"
    for folder, line in (
        (first, "find-links = /opt/first\n"),
        (second, "extra-index-url = http://127.0.0.1:9/s\n"),
    ):
        (folder / "pip").mkdir(parents=True)
        (folder / "pip" / "pip.conf").write_text("[global]\n" + line)
    env = {**safepip_env, "VIRTUAL_ENV": str(python.parent.parent), "XDG_CONFIG_DIRS": f"{first}:{second}"}
    del env["PIP_CONFIG_FILE"]
    _code, data = doctor_json(safepip, env)
    notes = [f["message"] for f in data["findings"] if f["code"] == "index"]
    assert f"find-links = /opt/first (from {first / 'pip' / 'pip.conf'}, [global])" in notes
    assert f"extra-index-url = http://127.0.0.1:9/s (from {second / 'pip' / 'pip.conf'}, [global])" in notes
    assert len([n for n in notes if n.startswith(("find-links", "extra-index-url"))]) == 2, notes


def test_doctor_never_prints_a_credential(target_venv, safepip_env, safepip, tmp_path):
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nextra-index-url = https://ci-user:s3cret@mirror.example.org/simple\n")
    env = {
        **safepip_env,
        "PIP_CONFIG_FILE": str(conf),
        "PIP_INDEX_URL": "https://t0ken@index.example.org/simple",
        "PIP_PROXY": "proxy-user:pr0xy@127.0.0.1:9",
        "HTTPS_PROXY": "http://env-user:hunter2@127.0.0.1:9",
    }
    for args in ((), ("--json",)):
        result = safepip("--safepip-doctor", *args, env=env)
        printed = result.stdout + result.stderr
        for secret in ("s3cret", "t0ken", "pr0xy", "hunter2"):
            assert secret not in printed, args
        assert "mirror.example.org" in printed and "****" in printed


@pytest.mark.parametrize("cache_headers", [True, False])
def test_an_index_pips_cache_cannot_keep_files_from(
    cache_headers, target_venv, safepip_env, safepip, tmp_path, wheels
):
    from tests.support.index import PackageIndex

    with PackageIndex(tmp_path / "plain-index", cache_headers=cache_headers) as served:
        served.add(wheels / "alpha-1.0-py3-none-any.whl")
        env = {**safepip_env, "PIP_INDEX_URL": served.url, "PIP_TRUSTED_HOST": "127.0.0.1"}
        code, data = doctor_json(safepip, env, "--check-index", "alpha")
        assert served.downloads("alpha-1.0-py3-none-any.whl") <= 1
    found = warnings(data)
    if cache_headers:
        assert "index-not-cached" not in found
        assert any(f["code"] == "index-cached" and "ETag" in f["message"] for f in data["findings"])
    else:
        assert code == ExitCode.DOCTOR_FINDINGS
        assert "no ETag, and no max-age or Expires" in found["index-not-cached"]["message"]
