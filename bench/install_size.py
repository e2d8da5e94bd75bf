"""Benchmark the weight of an install: the base venv and the container image.

    python bench/install_size.py [--no-image]

1. A fresh venv, `pip install .` (the base install: built-in checks, Ollama, the SQLite record):
   its size (`du -sh`), its distributions, then `mochi review --provider builtin` of the demo
   repository (must exit 0 and import no SQLAlchemy with --no-record) and `--provider openai`
   (must name the missing extra). Target: <= 120 MB.
2. The image (`podman build`, after `source ../shared/scripts/container-env.sh`): its size, the
   base image's, and what mochi's layers add. Target: <= 250 MB on python:3.11-slim, which cannot
   be pulled here (no registry): the base is a stand-in (STANDIN below: Debian's python3 and pip on
   a minimal bookworm, no git, no documentation), and the Dockerfile is built on it with
   `--build-arg PYTHON_IMAGE=`.
"""

from __future__ import annotations

import argparse
import json
import os
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


# The stand-in for python:3.11-slim that the image is measured on: the machine's Debian stand-in
# (container-env.sh: python3, venv and pip on a minimal bookworm, with git) without git and the Perl
# and libcurl that git brought, and without documentation, manuals and translations, as Debian's
# slim images are. Like python:3.11-slim it has python, pip and no git; it is built with
# --squash-all so that what it removed does not count.
STANDIN = """FROM docker.io/library/python:3.11-slim
RUN printf '%s\\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \\
        'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' \\
        'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/linda/*' \\
        'path-exclude /usr/share/locale/*' \\
        > /etc/dpkg/dpkg.cfg.d/docker \\
    && if command -v git >/dev/null; then apt-get purge -y -qq --auto-remove git git-man liberror-perl perl \\
        libperl5.36 perl-modules-5.36 libcurl3-gnutls libnghttp2-14 librtmp1 libssh2-1 libpsl5 \\
        libldap-2.5-0 libsasl2-2 libsasl2-modules-db libbrotli1 libgdbm-compat4 >/dev/null; fi \\
    && find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete \\
    && rm -rf /usr/share/man/* /usr/share/info/* /usr/share/locale/* /var/lib/apt/lists/* /var/cache/apt/*.bin
"""


def image(tmp: Path) -> None:
    env_script = ROOT.parent / "shared/scripts/container-env.sh"
    if not env_script.exists():
        print("image: no podman set-up (../shared/scripts/container-env.sh): skipped")
        return
    (tmp / "standin").mkdir()
    (tmp / "standin/Dockerfile").write_text(STANDIN)
    script = f"""
set -e
source {env_script} >/dev/null 2>&1
podman build -q --squash-all -t localhost/python-slim-standin:3.11 {tmp / "standin"} >/dev/null
podman build -q --build-arg PYTHON_IMAGE=localhost/python-slim-standin:3.11 -t mochi:size {ROOT} >/dev/null
podman image inspect mochi:size --format '{{{{.Size}}}}'
podman image inspect localhost/python-slim-standin:3.11 --format '{{{{.Size}}}}'
podman run --rm --network host --entrypoint mochi mochi:size --version
"""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"image: build failed:\n{out.stderr[-2000:]}")
        return
    lines = out.stdout.split()
    total, base = int(lines[0]) / 1e6, int(lines[1]) / 1e6
    verdict = "ok" if total <= 250 else "OVER"
    print(f"image: {total:.0f} MB (target <= 250: {verdict}) = the python:3.11-slim stand-in {base:.0f} MB "
          f"(python, pip, no git) + mochi's layers {total - base:.0f} MB (git, the venv, mochi); "
          f"it runs: {' '.join(lines[2:])}")  # fmt: skip


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
