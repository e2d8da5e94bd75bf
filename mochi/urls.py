"""Credentials inside URLs (`https://user:password@jira.example.com`) never reach a message.

Jira, Ollama, OpenAI-compatible servers and databases are often given as URLs with a user and a
password in them; those URLs end up in error messages, log lines, notices posted on a pull request
and `mochi config show`. Every such text goes through `mask_credentials`.
"""

from __future__ import annotations

import re

# scheme://userinfo@ — the user part can be a token on its own (https://TOKEN@host), so all of it goes
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,30}://)([^\s/@?#]{1,1024})@")


def mask_credentials(text: str) -> str:
    """`text` with the user and password of every URL in it replaced by ****."""
    return _USERINFO.sub(r"\1****@", text) if "://" in text else text
