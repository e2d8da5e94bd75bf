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
    ├── PublishError                a publisher could not write or post               exit 6
    └── HostAPIError                a code host's API (GitHub, GitLab) refused or failed a request
        ├── GitHubAPIError              (has .status, .method)     exit 2 when the token was refused
        └── GitLabAPIError              or lacks a permission (401/403), 4 when a read failed (the
                                        pull/merge request or a commit cannot be read), 6 when posting failed

The exit statuses are the contract of `mochi review` (see README): 0 ok, 1 findings at or above
--fail-on, 2 usage/configuration, 3 provider, 4 target, 5 empty change, 6 publishing.
"""

from __future__ import annotations


class MochiError(Exception):
    exit_code = 2

    def __init__(self, message: str) -> None:
        from mochi.urls import mask_credentials  # a password inside a URL never reaches a message

        message = mask_credentials(message)
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


_READS = frozenset({"GET", "HEAD"})


class HostAPIError(MochiError):
    """A code host's API request failed after its retries; `status` is the HTTP status (0: no answer).

    The exit status follows what failed: a refused token or a missing permission (401, or 403 that
    is not a rate limit) is a configuration problem (2); a failed read means the change cannot be
    read (4); a failed write means something could not be posted (6). `read` overrides the method
    for requests that read with POST (GraphQL queries).
    """

    service = "the code host"

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        method: str = "GET",
        read: bool | None = None,
        rate_limited: bool = False,
        errors: tuple[str, ...] = (),
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method.upper()
        self.errors = errors
        self.detail = detail  # the host's own `message`/`error` text
        self.rate_limited = rate_limited
        # a POST/PATCH that timed out or got a 5xx may have been applied: look before posting again
        self.maybe_applied = False
        self.read = self.method in _READS if read is None else read
        if status in (401, 403) and not rate_limited:
            self.exit_code = 2
        elif self.read:
            self.exit_code = 4
        else:
            self.exit_code = 6

    @property
    def auth(self) -> bool:
        """True when the token was refused or lacks a permission."""
        return self.exit_code == 2


class GitHubAPIError(HostAPIError):
    """A GitHub API request failed (see HostAPIError)."""

    service = "GitHub"


class GitLabAPIError(HostAPIError):
    """A GitLab API request failed (see HostAPIError)."""

    service = "GitLab"
