"""The container action's entrypoint: GitHub's INPUT_* variables -> `mochi ci`.

GitHub passes every input declared in action.yml to the container as INPUT_<NAME> (upper-cased,
the default when the workflow does not set it). Inputs named after a mochi setting (provider,
model, ollama_host, fail_on, min_severity, include_design_patterns, include, exclude,
post_review, review_event, jira_url, database_url, ...) are read by mochi's settings as they
are, as INPUT_<SETTING>, below the ecosystem's own variables and MOCHI_*. This script
translates only the action's own inputs and then replaces itself with `python -m mochi ci`
(arguments given to the container are appended).

    pull_model   -> INPUT_PULL (the `pull` setting)
    json_output  -> --json-output PATH
    RUNNER_DEBUG=1 (re-run with debug logging) -> -vv
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class InputError(ValueError):
    """An action input with a value the action cannot use; the message names the input."""


def _flag(environ: Mapping[str, str], name: str) -> bool | None:
    raw = environ.get(f"INPUT_{name.upper()}", "").strip().lower()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise InputError(f"input {name} must be true or false, not {raw!r}")


def translate(environ: Mapping[str, str], argv: Sequence[str] = ()) -> tuple[dict[str, str], list[str]]:
    """The environment and the arguments for `mochi` that these action inputs mean."""
    env = dict(environ)
    args = ["ci"]
    pull = _flag(environ, "pull_model")
    if pull is not None:
        env["INPUT_PULL"] = "true" if pull else "false"
    json_output = environ.get("INPUT_JSON_OUTPUT", "").strip()
    if json_output:
        args += ["--json-output", json_output]
    if environ.get("RUNNER_DEBUG") == "1":
        args.append("-vv")
    args += list(argv)
    return env, args


def main() -> None:
    """Translate the inputs and exec `python -m mochi ci ...` (never returns)."""
    try:
        env, args = translate(os.environ, sys.argv[1:])
    except InputError as exc:
        # a workflow command, so GitHub shows it as an annotation on the step
        print(f"::error title=Sonar-Mochi::{exc}", flush=True)
        sys.exit(2)
    os.execve(sys.executable, [sys.executable, "-m", "mochi", *args], env)


if __name__ == "__main__":
    main()
