"""Jenkins multibranch builds: what Jenkins adds to the change's own platform's review.

Jenkins only picks the adapter (mochi.commands.ci: a GitLab merge request with discussions, the
summary note and Code Quality, or a GitHub pull request with one review and the sticky summary, no
check run, which needs a GitHub App token Jenkins credentials rarely are) and adds the JUnit report
for Jenkins' `junit` step, rendered from the review itself. The head is always the one the
platform's API reports, never GIT_COMMIT, which in a "merge with target" build is a merge commit
that exists only on the agent.
"""

from __future__ import annotations

from pathlib import Path

from mochi.events.jenkins import JenkinsChange
from mochi.platforms.hosted import Output
from mochi.platforms.outputs import in_workspace, report_file
from mochi.settings import Settings


def junit_output(settings: Settings, root: Path) -> list[Output]:
    """The JUnit report, when `junit_report` names a file inside the workspace."""
    name = settings.junit_report
    return [report_file("junit", in_workspace(root, name, "junit_report"))] if name else []


def head_note(change: JenkinsChange) -> str:
    """Why the reviewed head is not GIT_COMMIT."""
    return (
        f"{change.platform} change #{change.number}: the head comes from the API, not GIT_COMMIT "
        f"{change.git_commit[:12]} (a merge build's commit exists only on this agent)"
    )
