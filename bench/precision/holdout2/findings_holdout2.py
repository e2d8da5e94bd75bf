"""../findings.py on the second held-out sample: the same options, with this directory's cases and labels.

python bench/precision/holdout2/findings_holdout2.py --summary-only
python bench/precision/holdout2/findings_holdout2.py --all-rules --unlabelled-only
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import findings  # noqa: E402

_load_cases, _load_labels = findings.load_cases, findings.load_labels
findings.load_cases = lambda path=HERE / "cases.jsonl.gz": _load_cases(path)
findings.load_labels = lambda path=HERE / "labels.jsonl": _load_labels(path)

if __name__ == "__main__":
    findings.main()
