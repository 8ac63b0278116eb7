"""What the ladder learns about its surroundings, once, at the first mismatch: where pip's cache is
and whether safepip may change it, the target environment (its prefix and pip version), and what the
index publishes for the releases the command pins (for the check of the cache, and to tell a stale
pin from damaged bytes).

The first two come from one probe (pip/probes.py); the third is pip's own answer about the index
(pip/index.py), started the moment pip failed (recovery/early.py) or with the probe. They run side
by side, and each answer is read when it is first needed.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from safepip.errors import TargetUnusable
from safepip.output import console
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
        #: The question about every release the command pins (pip/index.py), once started (by
        #: early.py, the moment pip failed, or by `start`).
        self._pinned_probe: probes.Helper | None = pinned_probe
        self._pinned: index.IndexFacts | None = None
        self._pinned_known = False
        self._probe: probes.Probe | None = None
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
        """Start the probe of the target (its environment, and what its pip makes of the command
        line) and, unless it runs already, the question about the pinned releases."""
        if self._started:
            return
        self._started = True
        line = self.job.line
        if self._pinned_probe is None and self._ask_pinned and not line.no_cache_dir:
            self._pinned_probe = index.start(self.job.target.python, line, self.job.env, index.EVERY_PINNED)
        try:
            self._probe = probes.Probe(self.job.target.python, self.job.env, probes.request(line))
        except (OSError, ValueError):
            self._probe = None

    def stop(self) -> None:
        """Stop the probes still running (the run ends without needing their answers)."""
        if self._probe is not None:
            self._probe.cancel()
        if self._pinned_probe is not None:
            self._pinned_probe.cancel()

    def cache_dir(self) -> Path | None:
        """pip's cache directory, when safepip knows it; `cache_usable` says whether it may change it.

        It is the one pip's own parser gives for the user's command line, with pip's configuration
        and variables, whatever pip's verbosity.
        """
        if not self._cache_known:
            self._cache_known = True
            found = self.facts()
            options = found.options if found else None
            self._cache_dir = options.cache_dir if options else None
            if (
                self._cache_dir is None
                or not self._cache_dir.is_dir()
                or not os.access(self._cache_dir, os.W_OK)
            ):
                self.cache_usable = False
        return self._cache_dir

    @property
    def cache_disabled(self) -> bool:
        """Whether pip itself runs without its cache (``--no-cache-dir``, its variable, its key)."""
        found = self.facts()
        return self.job.line.no_cache_dir or bool(found and found.options and found.options.cache_disabled)

    @property
    def release_notice_possible(self) -> bool:
        """Whether a pip run of this command may print pip's "new release available" notice.

        The first run shows it as plain pip would; safepip keeps the runs after it from repeating
        it (and from asking the index again) with ``--disable-pip-version-check``, unless pip's
        own options already say so (pip skips the notice then, and with ``--no-index``).
        """
        if "--disable-pip-version-check" in self.job.line.flags or "--no-index" in self.job.line.flags:
            return False
        found = self.facts()
        more = found.options.more if found and found.options else {}
        return not (more.get("disable_pip_version_check") or more.get("no_index"))

    def facts(self) -> probes.Facts | None:
        """The target environment, as the probe saw it (None when it could not tell)."""
        if not self._facts_known:
            self._facts_known = True
            self.start()
            if self._probe is not None:
                try:
                    self._facts = self._probe.facts()
                except (TargetUnusable, OSError, ValueError):
                    self._facts = None
            options = self._facts.options if self._facts else None
            if options is not None:
                # pip's verbosity with its config files too (``quiet = 1``), for safepip's lines
                # from here on: the normal path could only count the command line and variables.
                no_color = "--no-color" in self.job.line.flags or bool(options.more.get("no_color"))
                console.configure(verbosity=options.verbosity, no_color=no_color)
        return self._facts

    def context(self) -> Context:
        """What the planner needs to know about the surroundings."""
        if self._context is None:
            self.cache_dir()
            line = self.job.line
            self._context = Context(
                venv_allowed=self.job.settings.venv_rung,
                user_no_cache=self.cache_disabled,
                cache_usable=self.cache_usable,
                venv_could_differ=self._venv_could_differ(),
                can_steer=not line.values("--only-binary"),
                venv_ok=self.job.settings.venv_ok,
            )
        elif self._context.cache_usable != self.cache_usable:
            self._context = replace(self._context, cache_usable=self.cache_usable)
        return self._context

    def _venv_could_differ(self) -> bool:
        """Whether a fresh pip would fetch differently from the target's: its pip is older than 24.2,
        whose hash comparison has bugs.

        Its configuration is no reason: the fresh pip runs with exactly the target's (site
        ``pip.conf`` included), so a mirror configured there is the user's choice, and
        `site_config_note` says so when it matters.
        """
        found = self.facts()
        version = found.pip_version if found else None
        return version is not None and version < probes.CASE_INSENSITIVE_HASHES

    def site_config_note(self) -> str | None:
        """For a refusal: the target's own pip configuration, which every pip run there obeys."""
        found = self.facts()
        if found is None or not found.site_configs:
            return None
        names = ", ".join(str(path) for path in found.site_configs)
        return (
            f"the target environment has its own pip configuration ({names}); every pip run there, "
            "safepip's fresh one included, uses it. If it names the index or mirror that served these "
            "bytes, fix it there (safepip doctor shows what it sets)."
        )

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
        return index.with_release(record, self._releases.get((record.name or "", record.version or "")) or [])
