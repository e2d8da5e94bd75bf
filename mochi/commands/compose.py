"""The composition root: every command builds its checkout, settings, store and provider here.

One place reads the settings (defaults < .mochi.toml < environment < flags), opens the record
(the stored default model, Jira integration and templates, and the recorder), and hands out the
provider builder and the CI's log, so `mochi review`, `mochi prompt`, `mochi review --pr`,
`mochi ci` and the record's commands all see the same configuration the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mochi.commands.runtime import in_ci as _in_ci
from mochi.commands.runtime import progress
from mochi.errors import UsageError

if TYPE_CHECKING:
    from mochi.diff.git import Git
    from mochi.platforms.github.actions import Actions
    from mochi.platforms.github.adapter import GitHubContext
    from mochi.platforms.github.client import GitHubClient
    from mochi.platforms.gitlab.adapter import GitLabContext
    from mochi.platforms.gitlab.client import GitLabClient
    from mochi.platforms.hosted import HostedDeps, Output, WorkflowLog
    from mochi.providers.breaker import BreakerRegistry
    from mochi.settings import Settings
    from mochi.store.session import ReviewStore


def build_provider(settings: Settings, breakers: BreakerRegistry | None = None) -> Any:
    """The provider chain the settings name (imported when a review needs it), its circuit breakers
    from `breakers` (default: the process's, mochi.providers.breaker.PROCESS_BREAKERS)."""
    from mochi.providers.registry import build_provider_chain

    return build_provider_chain(settings, progress=progress, breakers=breakers)


def open_git(path: Path) -> Git | None:
    """The checkout at `path`, or None (a diff file, or a hosted change read through the API)."""
    from mochi.diff.git import Git
    from mochi.errors import NotARepositoryError

    try:
        return Git(path)
    except NotARepositoryError:
        return None


def repository_root(path: Path | None) -> tuple[Git | None, Path]:
    """The checkout containing `path` (default: the current directory) and its top level."""
    start = path or Path.cwd()
    git = open_git(start)
    return git, Path(git.toplevel()) if git is not None else start


def load_settings(
    environ: Mapping[str, str],
    flags: Mapping[str, Any],
    root: Path,
    config_path: Path | None = None,
    *,
    trust_file: bool = True,
) -> tuple[Settings, dict[str, str]]:
    """The Settings and where each value came from; `config_path` (--config) must exist.
    `trust_file` False: the file is a change's own (see mochi.settings.LOCATION_KEYS)."""
    from mochi.settings import CONFIG_FILE, load

    if config_path is not None and not config_path.is_file():
        raise UsageError(f"--config {config_path}: no such file")
    return load(environ, flags, config_path or root / CONFIG_FILE, trust_file=trust_file)


def workflow_log(environ: Mapping[str, str]) -> tuple[WorkflowLog, Actions | None]:
    """GitHub Actions' workflow commands when GITHUB_ACTIONS=true; plain progress lines elsewhere."""
    from mochi.platforms.hosted import PlainLog

    if environ.get("GITHUB_ACTIONS", "").lower() != "true":
        return PlainLog(progress), None
    from mochi.commands.runtime import command_stream
    from mochi.platforms.github.actions import Actions

    output, summary = environ.get("GITHUB_OUTPUT"), environ.get("GITHUB_STEP_SUMMARY")
    actions = Actions(
        command_stream(),
        output_path=Path(output) if output else None,
        summary_path=Path(summary) if summary else None,
    )
    return actions, actions


@dataclass
class Composed:
    """What a review needs besides its target: the checkout, the settings, the record."""

    settings: Settings
    origin: dict[str, str]
    store: ReviewStore
    git: Git | None
    root: Path
    environ: Mapping[str, str] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def in_ci(self) -> bool:
        """True inside a CI job."""
        return _in_ci(self.environ)

    def github(
        self,
        client: GitHubClient,
        repo: str,
        actions: Actions | None,
        *,
        check_run: bool,
        trusted_base: bool = False,
    ) -> GitHubContext:
        """Where a GitHub review of this run reads and posts."""
        from mochi.platforms.github.adapter import GitHubContext

        return GitHubContext(
            client=client,
            repo=repo,
            git=self.git,
            root=self.root,
            settings=self.settings,
            stdout=sys.stdout,
            actions=actions,
            progress=progress,
            dry_run=self.dry_run,
            check_run=check_run,
            trusted_base=trusted_base,
        )

    def gitlab(self, client: GitLabClient | None, project_id: str) -> GitLabContext:
        """Where a GitLab review of this run reads and posts."""
        from mochi.platforms.gitlab.adapter import GitLabContext

        return GitLabContext(
            client=client,
            project_id=project_id,
            git=self.git,
            root=self.root,
            settings=self.settings,
            progress=progress,
            dry_run=self.dry_run,
        )

    def deps(
        self,
        log: WorkflowLog,
        outputs: list[Output],
        *,
        repository: str,
        actions: Actions | None = None,
        templates_root: Path | None = None,
    ) -> HostedDeps:
        """HostedDeps for a hosted review; the Actions finisher joins inside GitHub Actions."""
        from mochi.platforms.hosted import HostedDeps

        finishers = []
        if actions is not None:
            from mochi.platforms.github.actions import ActionsFinisher

            finishers.append(ActionsFinisher(actions))
        return HostedDeps(
            settings=self.settings,
            git=self.git,
            root=self.root,
            build_provider=build_provider,
            progress=progress,
            stdout=sys.stdout,
            log=log,
            outputs=outputs,
            finishers=finishers,
            templates=self.store.templates,
            templates_root=templates_root,
            recorder=self.store.recorder,
            repository=repository,
        )


def compose(
    environ: Mapping[str, str],
    flags: Mapping[str, Any],
    *,
    git: Git | None,
    root: Path,
    in_ci: bool | None = None,
    config_path: Path | None = None,
    record: bool = True,
    dry_run: bool = False,
    resume_id: int | None = None,
    trust_file: bool | None = None,
    read_file: bool = True,
) -> Composed:
    """Settings from every layer, then the record's contributions (see mochi.store.session): once.

    `in_ci` (default: from the environment) keeps the record off in CI without a database URL;
    `record` False reads the stored default model and templates but records nothing. `trust_file`
    (default: outside CI) honours the `.mochi.toml`'s LOCATION_KEYS: in CI it is the change's own;
    `read_file` False reads none (pull_request_target reads the base branch's instead).
    """
    from mochi.store.session import open_for_review

    ci = _in_ci(environ) if in_ci is None else in_ci
    trusted = (not ci) if trust_file is None else trust_file
    if read_file:
        settings, origin = load_settings(environ, flags, root, config_path, trust_file=trusted)
    else:
        from mochi.settings import load

        settings, origin = load(environ, flags, None)
    store = open_for_review(settings, origin, in_ci=ci, record=record and not dry_run, resume_id=resume_id)
    return Composed(
        settings=store.settings,
        origin=store.origin,
        store=store,
        git=git,
        root=root,
        environ=environ,
        dry_run=dry_run,
    )
