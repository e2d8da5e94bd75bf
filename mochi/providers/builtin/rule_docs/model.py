"""RuleDoc: the documentation of one built-in rule (see mochi.providers.builtin.rule_docs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleDoc:
    """The documentation of one built-in rule.

    `wrong` is reported by the rule when it is added as a whole new file at `example_path`;
    `right` (the same file, fixed) is not. For a rule about size, the example file is `wrong`
    repeated `repeat` times (see `wrong_file`); `right` is always used as it is.
    """

    summary: str  # one sentence, specific to the rule (SARIF shortDescription)
    why: str  # 2-5 sentences of Markdown: what goes wrong, why it matters, what to do instead
    example_path: str  # where the examples live: the rules look at the path (language, test file...)
    wrong: str  # code the rule reports
    right: str  # the corrected code, which the rule does not report
    notes: str = ""  # Markdown: known limits, and where the rule stays silent by design
    repeat: int = 1  # the wrong example file is `wrong` repeated this many times

    @property
    def wrong_file(self) -> str:
        """The whole text of the wrong example file (`wrong` repeated `repeat` times)."""
        return self.wrong * self.repeat
