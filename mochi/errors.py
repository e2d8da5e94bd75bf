"""The MochiError tree. Every message says what to do about it.

    MochiError                      base; exit status 2 unless a subclass says otherwise
    ├── UsageError                  bad flags or arguments                           exit 2
    ├── ConfigError                 a bad .mochi.toml, environment value or template  exit 2
    ├── TargetError                 the thing to review cannot be read               exit 4
    │   ├── NotARepositoryError     --repo is not inside a git work tree
    │   ├── BadRefError             a ref that git cannot resolve
    │   └── EventError              a CI event payload that is unreadable or lacks a field
    ├── EmptyChangeError            nothing to review                                exit 5
    ├── DiffParseError              a diff that cannot be parsed                     exit 4
    ├── ProviderError               a model call failed                              exit 3
    │   ├── ProviderUnreachableError    the server cannot be reached / timed out
    │   ├── ModelNotFoundError          the model is not installed or not known
    │   ├── ProviderAuthError           a missing or rejected API key
    │   └── ProviderResponseError       an answer that is not a usable review
    └── PublishError                a publisher could not write or post               exit 6
        └── GitHubAPIError          the GitHub API refused or failed a request (has .status)

The exit statuses are the contract of `mochi review` (see README): 0 ok, 1 findings at or above
--fail-on, 2 usage/configuration, 3 provider, 4 target, 5 empty change, 6 publishing.
"""

from __future__ import annotations


class MochiError(Exception):
    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(MochiError):
    exit_code = 2


class ConfigError(MochiError):
    exit_code = 2


class TargetError(MochiError):
    exit_code = 4


class NotARepositoryError(TargetError):
    pass


class BadRefError(TargetError):
    pass


class EmptyChangeError(MochiError):
    exit_code = 5


class DiffParseError(MochiError):
    exit_code = 4


class ProviderError(MochiError):
    exit_code = 3
    # transient errors are retried with backoff before they surface
    transient = False


class ProviderUnreachableError(ProviderError):
    transient = True


class ModelNotFoundError(ProviderError):
    pass


class ProviderAuthError(ProviderError):
    pass


class ProviderResponseError(ProviderError):
    pass


class RateLimitedError(ProviderError):
    """429 or 5xx after the retries: the server is there but will not answer now."""

    transient = True


class PublishError(MochiError):
    exit_code = 6


# -- GitHub reviewer mode (issue 4)


class EventError(TargetError):
    """A CI event payload that cannot be parsed or lacks a field the review needs."""


class GitHubAPIError(PublishError):
    """A GitHub API request failed after its retries; `status` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, *, status: int = 0, errors: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors
