from __future__ import annotations

from mochi.diff.parse import parse_diff
from mochi.diff.redact import REDACTED, redact_line, redact_secrets
from mochi.models import Diff
from mochi.redaction import secret_scanner

SCANNER = secret_scanner()  # the product's: every secrets.* rule, the opt-in ones too
# assembled so that this test file holds no credential-shaped literal
GH_TOKEN = "ghp_" + "x7Kq2Lm9Pw4Rt6Yv8Zb1Nc3Hd5Jf0Gs2Ae4"
AWS_ID = "AKIA" + "Q3R7XN2PLM5KD8ZW"


def diff_of(text: str) -> Diff:
    return Diff(files=tuple(parse_diff(text)))


def all_text(diff: Diff) -> str:
    return "\n".join(ln.text for f in diff.files for h in f.hunks for ln in h.lines)


def test_secrets_on_added_context_and_removed_lines_are_all_redacted() -> None:
    diff = diff_of(
        "diff --git a/app/config.py b/app/config.py\n--- a/app/config.py\n+++ b/app/config.py\n"
        "@@ -1,4 +1,4 @@\n"
        f' AWS_KEY_ID = "{AWS_ID}"\n'
        '-GITHUB_TOKEN = "old"\n'
        f'+GITHUB_TOKEN = "{GH_TOKEN}"\n'
        " DEBUG = False\n"
        " TIMEOUT = 30\n"
    )
    redacted, count = redact_secrets(diff, SCANNER)
    text = all_text(redacted)
    assert GH_TOKEN not in text and AWS_ID not in text
    assert count == 2
    assert f"GITHUB_TOKEN = {REDACTED}" in text and f"AWS_KEY_ID = {REDACTED}" in text
    # the rest is untouched, line numbers and kinds too
    assert "DEBUG = False" in text and 'GITHUB_TOKEN = "old"' in text
    before = [(ln.kind, ln.old_no, ln.new_no) for h in diff.files[0].hunks for ln in h.lines]
    after = [(ln.kind, ln.old_no, ln.new_no) for h in redacted.files[0].hunks for ln in h.lines]
    assert before == after


def test_a_private_key_block_is_redacted_line_by_line() -> None:
    body = [
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEAx9Zb1Nc3Hd5Jf0Gs2Ae4",
        "-----END RSA PRIVATE KEY-----",
    ]
    added = "".join(f"+{line}\n" for line in body)
    diff = diff_of(
        "diff --git a/deploy/key.pem b/deploy/key.pem\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/deploy/key.pem\n"
        f"@@ -0,0 +1,3 @@\n{added}"
    )
    redacted, count = redact_secrets(diff, SCANNER)
    assert count == 3
    assert "MIIEowIBAAKCAQEAx9Zb1Nc3Hd5Jf0Gs2Ae4" not in all_text(redacted)


def test_a_diff_without_secrets_is_returned_as_is() -> None:
    diff = diff_of(
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n"
        "@@ -1 +1,2 @@\n x = 1\n+password = os.environ['PW']\n"
    )
    redacted, count = redact_secrets(diff, SCANNER)
    assert count == 0 and redacted is diff


def test_redact_line_keeps_the_name() -> None:
    assert redact_line('    "private_key": "abc",') == f'    "private_key": {REDACTED}'
    assert redact_line("token=abc") == f"token={REDACTED}"
    assert redact_line("  MIIEowIBAAKCAQEA") == f"  {REDACTED}"
    assert redact_line("MIIEowIBAAKCAQEAx9Zb1Nc3Hd5Jf0Gs2Ae4AB==") == REDACTED
