"""Issue 12, item 3: ``--safepip-report PATH`` writes as a shell's ``>`` does, into what stands at PATH.

A regular file (or nothing) is replaced atomically; a device, FIFO or socket is written into and
stays what it is (a FIFO stands in for ``/dev/null`` here: replacing a real device would damage the
machine running the tests); a symbolic link is followed and stays a link; a directory is refused
with a clear warning, and the exit code stays pip's. pip's own stdout (``--report -``) is never
written into.

These tests use only the command line, so they also run against safepip before the fix.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from tests.support.wheels import pinned_requirements

pytestmark = [pytest.mark.security, pytest.mark.integration]

ALPHA = "alpha-1.0-py3-none-any.whl"
SCHEMA = "safepip-run/1"
posix_only = pytest.mark.skipif(os.name == "nt", reason="FIFOs and symbolic links as on POSIX")


@pytest.fixture
def install(tmp_path, target_venv, safepip_env, safepip, index, wheels):
    """``safepip install`` of alpha with a report at the path given; a clean run (exit 0)."""
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)

    def run(report: Path, *extra: str, env: dict[str, str] | None = None):
        args = ["--safepip-report", report, "install", *extra, *index.pip_args(), "-r", req]
        return safepip(*args, env=env or safepip_env)

    return run


def is_report(text: str) -> bool:
    return json.loads(text)["schema"] == SCHEMA


@posix_only
def test_a_fifo_is_written_into_and_stays_a_fifo(tmp_path, install):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    # The read end, open before safepip runs (non-blocking, so opening does not wait for a
    # writer): safepip's open for writing then finds a reader, as `> fifo` in a shell would.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = install(fifo)
        assert result.returncode == 0, result.stderr
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced by a file"
        received = b""
        while True:
            try:
                chunk = os.read(reader, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            received += chunk
    finally:
        os.close(reader)
    assert is_report(received.decode())


@posix_only
def test_a_symbolic_link_is_followed_and_stays_a_link(tmp_path, install):
    elsewhere = tmp_path / "reports" / "real.json"
    elsewhere.parent.mkdir()
    elsewhere.write_text("old\n")
    link = tmp_path / "report.json"
    link.symlink_to(elsewhere)
    result = install(link)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(elsewhere)
    assert is_report(elsewhere.read_text())


@posix_only
def test_a_dangling_link_creates_its_target_as_the_shell_does(tmp_path, install):
    target = tmp_path / "reports" / "new.json"
    target.parent.mkdir()
    link = tmp_path / "report.json"
    link.symlink_to(target)
    result = install(link)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and is_report(target.read_text())


def test_a_regular_file_is_replaced_whole_and_private(tmp_path, install):
    report = tmp_path / "report.json"
    report.write_text("an older report\n")
    os.chmod(report, 0o644)
    result = install(report)
    assert result.returncode == 0, result.stderr
    assert is_report(report.read_text())
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    # Nothing of the atomic write is left beside it.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".report.json")) == []


def test_a_directory_is_refused_clearly_and_the_exit_code_stays_pips(tmp_path, install):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep\n")
    result = install(folder)
    assert result.returncode == 0, result.stderr
    assert f"safepip: warning: cannot write the run report to {folder}: " in result.stderr
    assert "is a directory" in result.stderr.lower()
    assert folder.is_dir() and [p.name for p in folder.iterdir()] == ["keep.txt"]


def stdout_link(tmp_path: Path) -> Path:
    """A link to this process's stdout, as ``/dev/stdout`` is one.

    Never ``/dev/stdout`` itself: a safepip that replaces what stands at the path (the bug this
    file is about) would, run as root, replace the machine's own /dev/stdout.
    """
    link = tmp_path / "stdout"
    link.symlink_to("/dev/fd/1")
    return link


@posix_only
def test_the_report_goes_to_stdout_when_asked(tmp_path, install):
    # stdout is a pipe here: it is written into, never replaced.
    link = stdout_link(tmp_path)
    result = install(link)
    assert result.returncode == 0, result.stderr
    start = result.stdout.index('{\n  "schema"')
    assert is_report(result.stdout[start:])
    assert link.is_symlink()


@posix_only
def test_pips_own_report_on_stdout_is_never_mixed_with_safepips(tmp_path, install):
    # `pip install --report - -q` makes stdout one JSON document, pip's: a run report to stdout
    # would append a second one and break every reader of pip's. pip's output wins, and safepip
    # says on stderr why its report was not written.
    link = stdout_link(tmp_path)
    result = install(link, "-q", "--report", "-")
    assert result.returncode == 0, result.stderr
    pips = json.loads(result.stdout)
    assert "install" in pips and "schema" not in pips
    assert f"safepip: warning: the run report was not written to {link}" in result.stderr


def test_pips_own_report_file_is_never_overwritten(tmp_path, install):
    report = tmp_path / "pip-report.json"
    result = install(report, "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "install" in json.loads(report.read_text())
    assert f"safepip: warning: the run report was not written to {report}" in result.stderr


@pytest.mark.skipif(
    os.name == "nt" or not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root to plant a link owned by another user",
)
def test_a_link_another_user_planted_in_a_sticky_folder_is_refused_where_the_kernel_refuses_it(
    tmp_path, install
):
    # fs.protected_symlinks: in a sticky, world-writable folder (/tmp) a link is followed only
    # by its owner or the folder's. A shell's `>` obeys it; resolving the link by hand and
    # renaming over its target would not, and would overwrite the victim's file.
    try:
        protected = Path("/proc/sys/fs/protected_symlinks").read_text().strip() == "1"
    except OSError:
        protected = False
    if not protected:
        pytest.skip("fs.protected_symlinks is off on this machine: a shell follows such links too")
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = shared / "report.json"
    link.symlink_to(victim)
    os.lchown(link, 65534, 65534)
    result = install(link)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "precious\n"
    assert "safepip: warning: cannot write the run report" in result.stderr
    assert link.is_symlink()
