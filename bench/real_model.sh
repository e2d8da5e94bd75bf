#!/usr/bin/env bash
# bench/real_model.sh: the demo review against a REAL small model on this CPU, with its figures.
#
#   bench/real_model.sh                 # SmolLM2-135M behind llama.cpp, JSON-schema grammar on
#   NO_GRAMMAR=1 bench/real_model.sh    # free-text answers (exercises answer repair)
#   URL=http://127.0.0.1:8080/v1 MODEL=x bench/real_model.sh   # a server that is already running
#
# Starts ../shared/scripts/real-llm/serve.sh (set-up ~2 min the first time), reviews the demo
# (examples/demo/make-demo.sh) with default settings except the provider and URL, prints wall
# time, calls, tokens, findings and what the review must never show (tests/real_model/checks.py),
# then runs the real-model test tier (pytest -m real_model) against the same server.
set -euo pipefail
cd "$(dirname "$0")/.."
python=python3
[ -x .venv/bin/python ] && python=.venv/bin/python
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; pkill -f "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
if [ -z "${URL:-}" ]; then
  serve=${SERVE:-../shared/scripts/real-llm/serve.sh}
  PORT=0 NO_GRAMMAR="${NO_GRAMMAR:-0}" "$serve" > "$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do grep -q '^LISTENING' "$work/server.log" && break; sleep 1; done
  line=$(grep '^LISTENING' "$work/server.log") || { cat "$work/server.log" >&2; exit 1; }
  port=$(echo "$line" | awk '{print $2}')
  MODEL=${MODEL:-$(echo "$line" | sed -E 's/.*model=([^ ]+).*/\1/')}
  URL=http://127.0.0.1:$port/v1
fi
bash examples/demo/make-demo.sh "$work/demo" >/dev/null
start=$(date +%s.%N)
set +e
env MOCHI_PROVIDER=openai OPENAI_BASE_URL="$URL" OPENAI_API_KEY=none MOCHI_MODEL="$MODEL" \
  MOCHI_DATA_DIR="$work/data" "$python" -m mochi review --repo "$work/demo" --format json --no-record \
  > "$work/review.json" 2> "$work/review.err"
status=$?
set -e
end=$(date +%s.%N)
"$python" - "$work/review.json" "$work/demo" "$status" "$start" "$end" "${NO_GRAMMAR:-0}" <<'PY'
import json
import sys
from pathlib import Path

sys.path.insert(0, ".")
from tests.real_model.checks import problems  # noqa: E402

path, checkout, status, start, end, free = sys.argv[1:]
print(f"exit status {status}; wall {float(end) - float(start):.0f} s; grammar {'off' if free == '1' else 'on'}")
try:
    doc = json.loads(Path(path).read_text())
except ValueError:
    print("no JSON review on stdout")
    sys.exit(1)
s = doc["stats"]
print(f"calls {s['llm_calls']}, prompt tokens {s['prompt_tokens']:,}, completion tokens {s['completion_tokens']:,}, "
      f"chunks {doc['chunks']}, findings {len(doc['findings'])} "
      f"({sum(1 for f in doc['findings'] if f['source'].startswith('llm:') or '+llm:' in f['source'])} from the model)")
for notice in doc["notices"]:
    print(f"notice: {notice}")
for p in problems(doc, Path(checkout)):
    print(f"PROBLEM: {p}")
PY
tail -3 "$work/review.err" >&2
MOCHI_REAL_MODEL_URL="$URL" MOCHI_REAL_MODEL="$MODEL" "$python" -m pytest -q -m real_model tests/real_model -p no:cacheprovider
