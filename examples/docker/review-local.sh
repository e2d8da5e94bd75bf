#!/usr/bin/env bash
# Review a local checkout with the Sonar-Mochi image: everything on the current branch that is not
# in its base yet. Extra arguments go to `mochi review` (e.g. --base develop --format markdown).
#
#   examples/docker/review-local.sh [CHECKOUT] [mochi review options...]
#
# OLLAMA_HOST defaults to the host's Ollama (host.docker.internal; podman: host.containers.internal).
set -euo pipefail

checkout="${1:-.}"
[ $# -gt 0 ] && shift
checkout="$(cd "$checkout" && pwd)"
image="${MOCHI_IMAGE:-ghcr.io/sonar-mochi/sonar-mochi:latest}"
engine="${CONTAINER_ENGINE:-docker}"

exec "$engine" run --rm -i \
  --add-host=host.docker.internal:host-gateway \
  -v "$checkout":/github/workspace \
  -w /github/workspace \
  -e OLLAMA_HOST="${OLLAMA_HOST:-http://host.docker.internal:11434}" \
  -e GIT_CONFIG_COUNT=1 -e GIT_CONFIG_KEY_0=safe.directory -e GIT_CONFIG_VALUE_0=/github/workspace \
  -e MOCHI_MODEL -e MOCHI_PROVIDER -e OPENAI_API_KEY -e ANTHROPIC_API_KEY -e NO_COLOR \
  --entrypoint mochi \
  "$image" review --repo /github/workspace "$@"
