"""Fake values for the secrets examples, assembled from pieces: this package itself holds no string a
secret scanner (push protection, mochi's own secrets pack) would report, no conflict marker and no bare
TODO comment; the example texts hold them whole."""

from __future__ import annotations

# --------------------------------------------------------------------------- fake values for the examples
# Made up, pattern-valid, and not placeholders (the rules ignore values containing EXAMPLE, sample,
# dummy, fake, your_..., so these cannot say so).

_RSA_BEGIN = "-----BEGIN RSA " + "PRIVATE KEY-----"
_RSA_END = "-----END RSA " + "PRIVATE KEY-----"
_PKCS8_BEGIN = "-----BEGIN " + "PRIVATE KEY-----"
_PKCS8_END = "-----END " + "PRIVATE KEY-----"
_AWS_KEY_ID = "AK" + "IA0123456789ABCDEF"
_AWS_SAK = "aBcDeFgHiJkLmNoPqRsT" + "uVwXyZ0123456789/+Ab"
_GOOGLE_API_KEY = "AI" + "zaSyA-0123456789abcdefghijklmnopqrstu"
_AZURE_KEY = "Zm9yIGRvY3VtZW50YXRpb24gb25seSwgbm90IGEga2V5" + "IDAxMjM0NTY3ODlhYmNkZWZnaGlqa2xtbm9wcXJzdHV2=="
_GITHUB_TOKEN = "gh" + "p_0123456789abcdefghijklmnopqrstuvwxyz"
_GITLAB_TOKEN = "gl" + "pat-0123456789abcdefghij"
_SLACK_TOKEN = "xo" + "xb-0123456789-0123456789012-AbCdEfGhIjKlMnOpQrStUvWx"
_SLACK_WEBHOOK = "https://hooks.slack" + ".com/services/T0ACME0001/B0ALERTS01/AbCdEfGhIjKlMnOpQrStUvWx"
_JWT = (
    "ey" + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
_DB_PASS = "Rx7-vQ2p" + "L9zK"
_HIGH_ENTROPY = "q8Zr2LxV7m" + "N4pT9wK3sB6yH1cF5d"
_NPM_TOKEN = "np" + "m_0123456789abcdefghijklmnopqrstuvwxyz"
_OURS = "<" * 7
_SPLIT = "=" * 7
_THEIRS = ">" * 7
_TODO = "TO" + "DO"
