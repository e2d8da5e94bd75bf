"""Which CI system this process runs under, from its environment (passed in, never read here)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class CIPlatform(StrEnum):
    GITHUB = "github"  # GitHub Actions
    GITLAB = "gitlab"  # GitLab CI/CD
    JENKINS = "jenkins"  # Jenkins (a multibranch pipeline when CHANGE_ID is set)
    LOCAL = "local"  # none of them: a developer's machine or an unknown CI


def detect_platform(environ: Mapping[str, str]) -> CIPlatform:
    """The CI platform named by the variables each one sets in every job.

    GitHub Actions sets GITHUB_ACTIONS=true, GitLab sets GITLAB_CI=true, Jenkins sets JENKINS_URL
    (and BUILD_TAG "jenkins-..."). The checks are ordered so a GitLab or Jenkins job that happens to
    export a GitHub variable is still recognised by its own.
    """
    if environ.get("GITLAB_CI", "").lower() == "true":
        return CIPlatform.GITLAB
    if environ.get("JENKINS_URL") or environ.get("BUILD_TAG", "").startswith("jenkins-"):
        return CIPlatform.JENKINS
    if environ.get("GITHUB_ACTIONS", "").lower() == "true":
        return CIPlatform.GITHUB
    return CIPlatform.LOCAL
