"""Build the action's image with podman and run it the way GitHub's runner runs a container action.

    env = podman_environ()                 # None: podman is not installed here
    image = build_image(env)               # `podman build` (layer cache: seconds when nothing changed)
    step = run_action(env, image, workspace=..., event_name="pull_request", event={...},
                      inputs={"fail_on": "high"}, github_api_url=gh.url, repository="octo/app", tmp=tmp_path)
    step.returncode, step.outputs, step.summary, step.stdout

`run_action` follows actions/runner's ContainerActionHandler: every input declared in action.yml
becomes INPUT_<NAME> (its default unless given, `${{ github.token }}` evaluated to the token);
the workspace is mounted at /github/workspace (the working directory), the event payload at
/github/workflow/event.json, the file-command files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) under
/github/file_commands, HOME is /github/home, and RUNNER_TEMP keeps the runner's host path, as
GitHub leaves it. `--network host` stands in for the job network, so loopback fakes are
reachable at 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION_YML = ROOT / "action.yml"
CONTAINER_ENV = ROOT.parent / "shared" / "scripts" / "container-env.sh"
IMAGE_TAG = "mochi:test"
RUNNER_UID = 1001  # the uid that owns the workspace on GitHub's hosted runners
BUILD_TIMEOUT_S = 900  # the first build installs every dependency from PyPI
RUN_TIMEOUT_S = 180


def in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    """True under CI (CI=true), where a missing podman is a failure, not a skip."""
    return environ.get("CI", "").lower() in ("true", "1", "yes")


def podman_environ() -> dict[str, str] | None:
    """The environment podman needs here (container-env.sh's CONTAINERS_CONF), or None without podman
    or without that configuration (a clone with no ../shared beside it: this sandbox's podman cannot
    start containers with its default limits)."""
    if shutil.which("podman") is None:
        return None
    env = dict(os.environ)
    if not env.get("CONTAINERS_CONF") and not CONTAINER_ENV.is_file():
        return None
    if not env.get("CONTAINERS_CONF"):
        # Idempotent and about a second once the machine is prepared (.ci/run sources it first).
        proc = subprocess.run(
            [
                "bash",
                "-c",
                'source "$1" >&2 && printf %s "$CONTAINERS_CONF"',
                "container-env",
                str(CONTAINER_ENV),
            ],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{CONTAINER_ENV} failed:\n{proc.stderr[-3000:]}")
        env["CONTAINERS_CONF"] = proc.stdout.strip()
    return env


def build_image(env: Mapping[str, str], tmp: Path) -> str:
    """`podman build` the repository's Dockerfile; returns the image id (tagged IMAGE_TAG too).

    The id, not the tag, is what the tests run: another build of the same tag running at the same
    time (another checkout on this machine) cannot swap the image under them.
    """
    iidfile = tmp / "iid"
    proc = subprocess.run(
        ["podman", "build", "--iidfile", str(iidfile), "-t", IMAGE_TAG, str(ROOT)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"podman build failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-5000:]}"
        )
    return iidfile.read_text().strip()


def action_inputs(overrides: Mapping[str, str], *, token: str) -> dict[str, str]:
    """INPUT_* as the runner sets them: every declared input, its default unless overridden."""
    declared: dict[str, Any] = yaml.safe_load(ACTION_YML.read_text())["inputs"]
    unknown = set(overrides) - set(declared)
    if unknown:
        raise AssertionError(f"inputs not declared in action.yml: {sorted(unknown)}")
    env = {}
    for name, spec in declared.items():
        value = overrides.get(name, str(spec.get("default", "")))
        value = value.replace("${{ github.token }}", token)
        env[f"INPUT_{name.replace(' ', '_').upper()}"] = value
    return env


def parse_file_command(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT's format: `name=value` lines and `name<<DELIMITER` ... `DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        heredoc = re.match(r"^([^=<]+)<<(.+)$", line)
        if heredoc:
            name, delimiter = heredoc.groups()
            end = lines.index(delimiter, i)
            values[name] = "\n".join(lines[i:end])
            i = end + 1
        else:
            name, _, value = line.partition("=")
            values[name] = value
    return values


@dataclass(frozen=True)
class StepResult:
    """What a workflow step sees after the action ran."""

    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]  # GITHUB_OUTPUT, parsed
    summary: str  # GITHUB_STEP_SUMMARY


def run_action(
    env: Mapping[str, str],
    image: str,
    *,
    workspace: Path,
    event_name: str,
    event: Mapping[str, Any],
    inputs: Mapping[str, str],
    github_api_url: str,
    repository: str,
    tmp: Path,
    github_sha: str = "",
    token: str = "ghs_containertest0123456789",
    extra_env: Mapping[str, str] | None = None,
) -> StepResult:
    """Run the action's image once, as the runner would for one step (see the module docstring)."""
    workflow, file_commands, home = (
        tmp / "_github_workflow",
        tmp / "_runner_file_commands",
        tmp / "_github_home",
    )
    for d in (workflow, file_commands, home):
        d.mkdir(parents=True, exist_ok=True)
    (workflow / "event.json").write_text(json.dumps(event), encoding="utf-8")
    suffix = uuid.uuid4()
    output_name, summary_name = f"set_output_{suffix}", f"step_summary_{suffix}"
    (file_commands / output_name).write_text("")
    (file_commands / summary_name).write_text("")
    pr = event.get("pull_request") or {}
    variables = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": f"/github/file_commands/{output_name}",
        "GITHUB_STEP_SUMMARY": f"/github/file_commands/{summary_name}",
        "GITHUB_REPOSITORY": repository,
        "GITHUB_API_URL": github_api_url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_SHA": github_sha,  # for a pull request: the synthetic merge commit
        "GITHUB_REF": f"refs/pull/{pr['number']}/merge" if pr else "refs/heads/main",
        "GITHUB_RUN_ID": "1",
        "HOME": "/github/home",
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": "/home/runner/work/_temp",  # a host path: not mounted in the container
        **action_inputs(inputs, token=token),
        **(extra_env or {}),
    }
    cmd = ["podman", "run", "--rm", "--network", "host"]
    for name, value in variables.items():
        cmd += ["-e", f"{name}={value}"]
    cmd += [
        "-v", f"{home}:/github/home",
        "-v", f"{workflow}:/github/workflow",
        "-v", f"{file_commands}:/github/file_commands",
        "-v", f"{workspace}:/github/workspace",
        "-w", "/github/workspace",
        image,
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=dict(env), capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    return StepResult(
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        outputs=parse_file_command((file_commands / output_name).read_text(encoding="utf-8")),
        summary=(file_commands / summary_name).read_text(encoding="utf-8"),
    )


def run_image(
    env: Mapping[str, str], image: str, *args: str, workspace: Path, entrypoint: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`podman run` the image on a workspace (mounted at /github/workspace, the working directory)."""
    cmd = ["podman", "run", "--rm", "--network", "host", "-v", f"{workspace}:/github/workspace"]
    cmd += ["-w", "/github/workspace"]
    if entrypoint:
        cmd += ["--entrypoint", entrypoint]
    return subprocess.run(
        [*cmd, image, *args], env=dict(env), capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )


def chown_tree(path: Path, uid: int = RUNNER_UID) -> bool:
    """Give `path` to another uid, like the runner's workspace; False when not root (cannot)."""
    if os.geteuid() != 0:
        return False
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [*dirnames, *filenames]:
            os.lchown(os.path.join(dirpath, name), uid, uid)
    os.lchown(path, uid, uid)
    return True
