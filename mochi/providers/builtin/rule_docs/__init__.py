"""DOCS: what each built-in rule is about, why it matters, and a wrong and a right example.

Pure data for SARIF (shortDescription, help), `mochi rules` and the README. The examples are
proven: tests/providers/builtin/test_rule_docs.py adds `wrong` as a new file at `example_path`
and expects the rule to report it, and does the same with `right` and expects silence.

The fake credentials in the secrets examples are assembled from pieces (values.py), so that this file
itself holds no string a secret scanner (push protection, mochi's own secrets pack) would report,
and no conflict marker or bare TODO comment either; the example texts hold them whole.
"""

from __future__ import annotations

from mochi.providers.builtin.rule_docs import generic, java, javascript, react, rust, secrets
from mochi.providers.builtin.rule_docs.model import RuleDoc

__all__ = ["DOCS", "RuleDoc"]

DOCS: dict[str, RuleDoc] = {
    **secrets.DOCS,
    **java.DOCS,
    **javascript.DOCS,
    **react.DOCS,
    **rust.DOCS,
    **generic.DOCS,
}
