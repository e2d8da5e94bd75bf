"""Benchmark the weight of an install: the base venv and the container image.

    python bench/install_size.py [--no-image]

1. A fresh venv, `pip install .` (the base install: built-in checks, Ollama, the SQLite record):
   its size (`du -sh`), its distributions, then `mochi review --provider builtin` of the demo
   repository (must exit 0 and import no SQLAlchemy with --no-record) and `--provider openai`
   (must name the missing extra). Target: <= 120 MB.
2. The image (`podman build`, after `source ../shared/scripts/container-env.sh`): its size, the
   base image's, and what mochi's layers add. Target: <= 250 MB on python:3.11-slim. Here the base
   is a Debian stand-in built with debootstrap (python3 and git included), so the figure to compare
   is what mochi adds to its base.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def du_mb(path: Path) -> float:
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0]) / 1024


def base_venv(tmp: Path) -> None:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, str(ROOT)], check=True, capture_output=True)
    listed = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "list", "--format", "json"], capture_output=True, text=True
    )
    names = sorted(d["name"] for d in json.loads(listed.stdout))
    demo = tmp / "demo"
    subprocess.run([str(ROOT / "examples/demo/make-demo.sh"), str(demo)], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCHI_")}
    env.update(MOCHI_DATA_DIR=str(tmp / "data"), PYTHONPROFILEIMPORTTIME="1")
    mochi = str(venv / "bin/mochi")
    review = subprocess.run(
        [mochi, "review", "--provider", "builtin", "--no-record", "--format", "json"],
        cwd=demo, capture_output=True, text=True, env=env,
    )  # fmt: skip
    findings = len(json.loads(review.stdout)["findings"]) if review.returncode in (0, 1) else None
    sqlalchemy = "sqlalchemy" in review.stderr
    env.pop("PYTHONPROFILEIMPORTTIME")
    openai = subprocess.run(
        [mochi, "review", "--provider", "openai", "--no-record"],
        cwd=demo, capture_output=True, text=True, env={**env, "OPENAI_API_KEY": "sk-none"},
    )  # fmt: skip
    names_extra = "sonar-mochi[openai]" in openai.stderr
    size = du_mb(venv)
    print(f"base venv: {size:.0f} MB (target <= 120), {len(names)} distributions (pip included)")
    print(f"  mochi review --provider builtin: exit {review.returncode}, {findings} findings, "
          f"SQLAlchemy imported with --no-record: {'yes' if sqlalchemy else 'no'}")  # fmt: skip
    print(f"  mochi review --provider openai: exit {openai.returncode}, names the extra: {names_extra}")
    print(f"  {openai.stderr.strip().splitlines()[-1] if openai.stderr.strip() else ''}")


def image(tmp: Path) -> None:
    env_script = ROOT.parent / "shared/scripts/container-env.sh"
    if not env_script.exists() and not shutil.which("docker"):
        print("image: no podman set-up (../shared/scripts/container-env.sh) and no docker: skipped")
        return
    script = f"""
set -e
source {env_script} >/dev/null 2>&1
podman build -q -t mochi:size {ROOT} >/dev/null
podman image inspect mochi:size --format '{{{{.Size}}}}'
podman image inspect python:3.11-slim --format '{{{{.Size}}}}'
"""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"image: build failed:\n{out.stderr[-2000:]}")
        return
    total, base = (int(x) / 1e6 for x in out.stdout.split())
    print(f"image: {total:.0f} MB = base {base:.0f} MB + mochi's layers {total - base:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-image", action="store_true", help="skip the image build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base_venv(Path(tmp))
        if not args.no_image:
            image(Path(tmp))


if __name__ == "__main__":
    main()
