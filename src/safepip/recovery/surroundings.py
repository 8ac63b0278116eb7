"""What the ladder learns about its surroundings, once, at the first mismatch: where pip's cache is
and whether safepip may change it, the target environment (its prefix and pip version), and what the
index publishes for the releases the command pins (for the check of the cache, and to tell a stale
pin from damaged bytes).

All three are asked at once, side by side (helper processes), as soon as pip has reported a
mismatch; each answer is read when it is first needed.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

from safepip.errors import TargetUnusable
from safepip.pip import index, probes
from safepip.records import Mismatch
from safepip.recovery.job import Job
from safepip.recovery.planner import Context


class Surroundings:
    def __init__(
        self, job: Job, *, ask_pinned: bool = True, pinned_probe: probes.Helper | None = None
    ) -> None:
        self.job = job
        #: Whether to ask pip about the command's pinned requirements (safepip verify-cache
        #: without requirements has none).
        self._ask_pinned = ask_pinned
        self._cache_probe: probes.Helper | None = None
        self._facts_probe: probes.Helper | None = None
        #: The question about every release the command pins (pip/index.py), once started (by
        #: early.py, the moment pip failed, or by `start`).
        self._pinned_probe: probes.Helper | None = pinned_probe
        self._pinned: index.IndexFacts | None = None
        self._pinned_known = False
        self._started = False
        self._cache_dir: Path | None = None
        self._cache_known = False
        self.cache_usable = True
        self._facts: probes.Facts | None = None
        self._facts_known = False
        self._context: Context | None = None
        #: What the index publishes per release, asked once: {(name, version): files or None}.
        self._releases: dict[tuple[str, str], list[index.PublishedFile] | None] = {}
        #: What safepip noticed about them, for the verdict.
        self.notes: list[str] = []

    # -- asked at the first mismatch --------------------------------------------------------------

    def start(self) -> None:
        """Start the probes of pip's cache, of the target environment and of what the index
        publishes for the pinned releases, side by side."""
        if self._started:
            return
        self._started = True
        python, env = self.job.target.python, self.job.env
        if self._pinned_probe is None and self._ask_pinned and not self.job.line.no_cache_dir:
            try:
                self._pinned_probe = index.start(python, self.job.line, env, index.EVERY_PINNED)
            except (OSError, ValueError):
                self._pinned_probe = None
        command = probes.cache_dir_command(python, self.job.line)
        try:
            self._cache_probe = probes.Helper(command, env) if command else None
        except (OSError, ValueError):
            self._cache_probe = None
        if self._pinned_probe is None:  # else that probe answers for the target too
            self._start_facts()

    def _start_facts(self) -> None:
        try:
            self._facts_probe = probes.start_facts(self.job.target.python, self.job.env)
        except (OSError, ValueError):
            self._facts_probe = None

    def stop(self) -> None:
        """Stop any probe still running (the run ends without needing its answer)."""
        for probe in (self._cache_probe, self._facts_probe, self._pinned_probe):
            if probe is not None:
                probe.cancel()

    def cache_dir(self) -> Path | None:
        """pip's cache directory, when safepip knows it; `cache_usable` says whether it may change it."""
        if not self._cache_known:
            self._cache_known = True
            self.start()
            found = None
            if self._cache_probe is not None:
                try:
                    found = probes.read_cache_dir(self._cache_probe.result())
                except (OSError, ValueError, subprocess.TimeoutExpired):
                    found = None
            self._cache_dir = found
            if found is None or not found.is_dir() or not os.access(found, os.W_OK):
                self.cache_usable = False
        return self._cache_dir

    def facts(self) -> probes.Facts | None:
        """The target environment, as the probe saw it (None when it could not tell)."""
        if not self._facts_known:
            self._facts_known = True
            self.start()
            pinned = self.pinned_facts() if self._pinned_probe is not None else None
            if pinned is not None and pinned.environment is not None:
                self._facts = probes.facts_from(self.job.target.python, pinned.environment)
                return self._facts
            if self._facts_probe is None:
                self._start_facts()  # the index probe could not answer: ask the target itself
            if self._facts_probe is not None:
                try:
                    self._facts = probes.read_facts(self.job.target.python, self._facts_probe)
                except TargetUnusable:
                    self._facts = None
        return self._facts

    def context(self) -> Context:
        """What the planner needs to know about the surroundings."""
        if self._context is None:
            self.cache_dir()
            line = self.job.line
            self._context = Context(
                venv_allowed=self.job.settings.venv_rung,
                user_no_cache=line.no_cache_dir,
                cache_usable=self.cache_usable,
                venv_could_differ=self._venv_could_differ(),
                can_steer=not line.values("--only-binary"),
            )
        elif self._context.cache_usable != self.cache_usable:
            self._context = replace(self._context, cache_usable=self.cache_usable)
        return self._context

    def _venv_could_differ(self) -> bool:
        """Whether a fresh environment would fetch differently from the target one.

        It does when the target carries its own pip configuration file (site config, which can
        point pip at another index) or a pip older than 24.2, whose hash comparison has bugs.
        """
        found = self.facts()
        if found is None:
            return False
        if found.site_configs:
            self.notes.append(f"the target environment has its own pip configuration in {found.prefix}")
            return True
        version = found.pip_version
        return version is not None and version < probes.CASE_INSENSITIVE_HASHES

    def cut_short_note(self) -> str | None:
        """Why repeated wrong bytes may be a cut-short download, when the target's pip cannot tell.

        pip before 25.1 hashes whatever part of a file arrived: a server or proxy that cuts the file
        at the same byte every time then looks exactly like a mirror serving other bytes.
        """
        found = self.facts()
        version = found.pip_version if found else None
        if version is None or version >= probes.REPORTS_INCOMPLETE_DOWNLOADS:
            return None
        return (
            f"pip {version} (in the target environment) cannot tell a download cut "
            "short from wrong bytes: a server or proxy that cuts the file at the same point every "
            "time looks just like this. pip 25.1 and newer report that as incomplete-download."
        )

    # -- the index --------------------------------------------------------------------------------

    def pinned_facts(self) -> index.IndexFacts | None:
        """The command's pinned requirements and every file of their releases, as pip answered;
        None when it could not."""
        if not self._pinned_known:
            self._pinned_known = True
            self.start()
            self._pinned = index.answer(self._pinned_probe) if self._pinned_probe is not None else None
        return self._pinned

    def with_index_facts(self, records: list[Mismatch]) -> list[Mismatch]:
        """`records`, each with what the index publishes where pip's report left that out or it matters.

        Asked only when it can change the decision: pip printed no comparable hash of the index's
        (a JSON index), or the bytes are exactly the published file (a stale pin, unless the lock
        names another file of the release). One question to pip for all the releases not asked
        about before.
        """
        needed = [r for r in records if self._needs_index_facts(r)]
        missing: list[tuple[str, str]] = []
        for record in needed:
            key = (record.name or "", record.version or "")
            if key not in self._releases and key not in missing:
                missing.append(key)
        pinned = self.pinned_facts() if missing else None
        if pinned is not None:
            for key in list(missing):
                files = pinned.release(*key)
                if files:
                    self._releases[key] = list(files)
                    missing.remove(key)
        if missing:
            facts = index.ask(self.job.target.python, self.job.line, self.job.env, missing)
            for key in missing:
                self._releases[key] = list(facts.release(*key)) if facts else None
        return [self._with_facts(r) if r in needed else r for r in records]

    @staticmethod
    def _needs_index_facts(record: Mismatch) -> bool:
        if not record.name or not record.version or record.locked_file:
            return False
        stale_looking = (
            record.published_comparable and record.got.lower() == (record.published_hash or "").lower()
        )
        return not record.published_comparable or stale_looking

    def _with_facts(self, record: Mismatch) -> Mismatch:
        files = self._releases.get((record.name or "", record.version or ""))
        if not files:
            return record
        this = index.find(files, record.url, record.filename)
        changes: dict[str, object] = {}
        if not record.published_comparable and this is not None and record.algorithm in this.hashes:
            changes.update(
                published_hash=this.hashes[record.algorithm],
                published_algorithm=record.algorithm,
                published_asked=True,
            )
        pinned = {digest.lower() for digest in record.expected}
        for other in files:
            if other is not this and other.hashes.get(record.algorithm) in pinned:
                changes["locked_file"] = other.filename
                break
        return replace(record, **changes) if changes else record  # type: ignore[arg-type]
