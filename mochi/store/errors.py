"""Errors of the review record (part of the MochiError tree, exit status 2).

StoreError            the database cannot be reached, migrated, read or written
├── NotFoundError     no review / model / template / integration with that id
└── CredentialError   MOCHI_SECRET_KEY is missing, malformed, or not the key that encrypted a value
"""

from __future__ import annotations

from mochi.errors import MochiError

KEY_HOWTO = (
    'make one with `python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"` and set it as MOCHI_SECRET_KEY'
)


class StoreError(MochiError):
    exit_code = 2


class NotFoundError(StoreError):
    pass


class CredentialError(StoreError):
    pass
