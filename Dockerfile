# Sonar-Mochi as a GitHub container action (see action.yml), or `docker run` against a checkout:
#
#   docker build -t mochi .
#   docker run --rm -v "$PWD:/github/workspace" -w /github/workspace --entrypoint mochi mochi review
#
# Two stages. `build` builds mochi's wheel with hatchling and unpacks it into /opt/mochi, and
# installs the dependencies (binary wheels only, read from pyproject.toml) into the venv /opt/venv,
# with their shared libraries stripped of symbols (16 MB) and pip removed. The final stage adds git
# and copies the two directories in: no pip, no build tools, no caches, no sources. The dependency
# layer depends on pyproject.toml alone and the mochi layer is a few hundred kilobytes, so a code
# change rebuilds in seconds. Both stages start from the same image, so the venv's python is where
# it was built. `python3 -m venv` and the venv's own python work with both the official
# python:3.11-slim image (python at /usr/local/bin) and a Debian-based stand-in (python at /usr/bin).
# PYTHON_IMAGE: the base of both stages (a mirror of python:3.11-slim, or a stand-in that
# bench/install_size.py measures the image on).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends binutils >/dev/null \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml ./

# The dependencies, from pyproject.toml alone: rebuilt only when it changes. Installed without
# .pyc files (--no-compile): 61 MB less to build and pull on every run, for 0.1 s more start-up
# (0.4 s with the openai provider, 0.8 s with anthropic, whose modules are compiled as they load;
# bench/install_size.py). mochi itself is compiled. The image is what CI runs, where any provider
# or a PostgreSQL record may be configured: the base dependencies and every extra but dev (what
# `sonar-mochi[all]` installs). mochi.pth puts /opt/mochi on the venv's sys.path;
# /opt/venv/bin/mochi is the console script.
# EXTRAS: the extras installed (docker-compose.yml adds `server` and `queue` for `mochi serve`).
ARG EXTRAS="openai anthropic postgres secrets"
# psycopg without its [binary] wheel: the final stage's Debian libpq5 (1 MB, beside the Kerberos and
# LDAP libraries git's libcurl brings anyway) instead of the 11 MB of libraries that wheel bundles.
RUN python3 -c 'import os, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
extras = p["optional-dependencies"]; \
wanted = p["dependencies"] + [r for name in os.environ["EXTRAS"].split() for r in extras[name]]; \
print("\n".join(r.replace("psycopg[binary,pool]", "psycopg[pool]").replace("psycopg[binary]", "psycopg") for r in wanted))' \
        > /tmp/requirements.txt \
    && python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install -q --no-compile --only-binary=:all: -r /tmp/requirements.txt \
    && /opt/venv/bin/pip uninstall -q -y pip setuptools \
    && find /opt/venv -name '*.so*' -type f -exec strip --strip-unneeded {} + \
    && echo /opt/mochi > "$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/mochi.pth" \
    && printf '#!/opt/venv/bin/python\nimport sys\nfrom mochi.cli import main\nsys.exit(main())\n' \
        > /opt/venv/bin/mochi \
    && chmod 755 /opt/venv/bin/mochi

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


FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="Sonar-Mochi" \
      org.opencontainers.image.description="AI code reviewer: GitHub container action and CLI" \
      org.opencontainers.image.licenses="Apache-2.0"

# mochi reads diffs with the git CLI. git is installed without what mochi never runs, left out by
# dpkg's own path-exclude (the mechanism Debian's slim images use for manuals): translations and
# manuals; the servers and mail/HTTP-push helpers (git-daemon, git-http-backend, git-imap-send,
# git-shell, scalar, gitweb, the gettext helper of git's shell scripts); and the Perl library and modules git's package pulls in for the
# scripts of git-svn and git-send-email, which are other packages (47 MB; /usr/bin/perl, of the
# essential perl-base, stays and needs neither). git-remote-http stays for `git fetch` in a job.
# libpq5: the PostgreSQL client library psycopg loads (see the build stage).
# GitHub runs container actions as root on a workspace that another uid owns (the runner's), which
# git refuses without safe.directory.
RUN if ! command -v git >/dev/null; then \
        printf '%s\n' \
            'path-exclude /usr/share/doc/*' 'path-exclude /usr/share/man/*' 'path-exclude /usr/share/locale/*' \
            'path-exclude /usr/lib/git-core/git-daemon' 'path-exclude /usr/lib/git-core/git-http-backend' \
            'path-exclude /usr/lib/git-core/git-http-push' 'path-exclude /usr/lib/git-core/git-http-fetch' \
            'path-exclude /usr/lib/git-core/git-imap-send' 'path-exclude /usr/lib/git-core/git-shell' \
            'path-exclude /usr/bin/git-shell' 'path-exclude /usr/lib/git-core/scalar' 'path-exclude /usr/bin/scalar' \
            'path-exclude /usr/lib/git-core/git-sh-i18n--envsubst' \
            'path-exclude /usr/share/gitweb/*' \
            'path-exclude /usr/share/perl/*' 'path-exclude /usr/lib/*/perl/5.*' 'path-exclude /usr/lib/*/libperl.so*' \
            > /etc/dpkg/dpkg.cfg.d/mochi-git \
        && apt-get update -qq \
        && apt-get install -y -qq --no-install-recommends git ca-certificates libpq5 >/dev/null \
        && apt-get clean \
        && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; \
    elif ! ldconfig -p | grep -q libpq.so.5; then \
        apt-get update -qq \
        && apt-get install -y -qq --no-install-recommends libpq5 >/dev/null \
        && apt-get clean && rm -rf /var/lib/apt/lists/*; \
    fi \
    && git config --system --add safe.directory '*'

COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/mochi /opt/mochi
COPY entrypoint.py /entrypoint.py
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
ENTRYPOINT ["/opt/venv/bin/python", "/entrypoint.py"]
