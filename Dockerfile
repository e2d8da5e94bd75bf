# Sonar-Mochi as a GitHub container action (see action.yml), or `docker run` against a checkout:
#
#   docker build -t mochi .
#   docker run --rm -v "$PWD:/github/workspace" -w /github/workspace --entrypoint mochi mochi review
#
# Two stages. `build` builds mochi's wheel with hatchling and unpacks it into /opt/mochi. The
# final stage installs the dependencies (binary wheels only, read from pyproject.toml) into the
# venv /opt/venv, removes pip from it in the same layer, and copies /opt/mochi in: no pip, no
# build tools, no caches, no sources. The dependency layer depends on pyproject.toml alone and the
# mochi layer is a few hundred kilobytes, so a code change rebuilds in seconds.
# `python3 -m venv` and the venv's own python work with both the official python:3.11-slim image
# (python at /usr/local/bin) and a Debian-based stand-in (python at /usr/bin).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml ./
RUN python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' \
        > /tmp/build-requires.txt \
    && python3 -m venv /opt/build \
    && /opt/build/bin/pip install -q -r /tmp/build-requires.txt
COPY README.md ./
COPY mochi ./mochi
# The PEP 517 hook directly (pip wheel takes seconds longer). A pure-Python wheel's contents are
# the package itself: unpack it and compile it for this python.
RUN /opt/build/bin/python -c 'from hatchling.build import build_wheel; build_wheel("/tmp/dist")' \
    && python3 -m zipfile -e /tmp/dist/*.whl /opt/mochi \
    && python3 -m compileall -q /opt/mochi


FROM python:3.11-slim
LABEL org.opencontainers.image.title="Sonar-Mochi" \
      org.opencontainers.image.description="AI code reviewer: GitHub container action and CLI" \
      org.opencontainers.image.licenses="Apache-2.0"

# mochi reads diffs with the git CLI. GitHub runs container actions as root on a workspace that
# another uid owns (the runner's), which git refuses without safe.directory.
RUN if ! command -v git >/dev/null; then \
        apt-get update -qq \
        && apt-get install -y -qq --no-install-recommends git ca-certificates >/dev/null \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && git config --system --add safe.directory '*'

# The dependencies, from pyproject.toml alone: rebuilt only when it changes. Installed without
# .pyc files (--no-compile): 61 MB less to build and pull on every run, for 0.1 s more start-up
# (0.4 s with the openai provider, 0.8 s with anthropic, whose modules are compiled as they load;
# bench/install_size.py). mochi itself is compiled. The image is what CI
# runs, where any provider or a PostgreSQL record may be configured: the base dependencies and every
# extra but dev (what `sonar-mochi[all]` installs). mochi.pth puts
# /opt/mochi on the venv's sys.path; /opt/venv/bin/mochi is the console script.
# EXTRAS: the extras installed (docker-compose.yml adds `server` for `mochi serve`).
ARG EXTRAS="openai anthropic postgres secrets"
COPY pyproject.toml /tmp/pyproject.toml
RUN python3 -c 'import os, tomllib; p = tomllib.load(open("/tmp/pyproject.toml", "rb"))["project"]; \
extras = p["optional-dependencies"]; \
print("\n".join(p["dependencies"] + [r for name in os.environ["EXTRAS"].split() for r in extras[name]]))' \
        > /tmp/requirements.txt \
    && python3 -m venv /opt/venv \
    && PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 /opt/venv/bin/pip install -q --no-compile --only-binary=:all: -r /tmp/requirements.txt \
    && /opt/venv/bin/pip uninstall -q -y pip setuptools \
    && echo /opt/mochi > "$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/mochi.pth" \
    && printf '#!/opt/venv/bin/python\nimport sys\nfrom mochi.cli import main\nsys.exit(main())\n' \
        > /opt/venv/bin/mochi \
    && chmod 755 /opt/venv/bin/mochi \
    && rm -f /tmp/pyproject.toml /tmp/requirements.txt

COPY --from=build /opt/mochi /opt/mochi
COPY entrypoint.py /entrypoint.py
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
ENTRYPOINT ["/opt/venv/bin/python", "/entrypoint.py"]
