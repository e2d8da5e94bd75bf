"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) with the key from MOCHI_SECRET_KEY.

MOCHI_SECRET_KEY holds one key, or several separated by commas to rotate: the first encrypts,
any of them decrypts (cryptography's MultiFernet). Without a key nothing can be stored; with the
wrong key a value cannot be read, and the error says so (never garbage).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mochi.store.errors import KEY_HOWTO, CredentialError

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

MASK = "********"


class Cipher:
    """Encrypts and decrypts credentials; `key` is MOCHI_SECRET_KEY's value (or None)."""

    def __init__(self, key: str | None) -> None:
        self._fernet: MultiFernet | None = None
        if key:
            from mochi.extras import require

            require("cryptography", "secrets", "MOCHI_SECRET_KEY (credentials stored encrypted)")
            from cryptography.fernet import Fernet, MultiFernet

            keys = [k.strip() for k in key.split(",") if k.strip()]
            try:
                self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
            except (ValueError, TypeError):
                raise CredentialError(
                    "MOCHI_SECRET_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes): "
                    + KEY_HOWTO
                ) from None

    @property
    def available(self) -> bool:
        return self._fernet is not None

    def encrypt(self, plaintext: str) -> str:
        """The Fernet token for `plaintext`; CredentialError without a key."""
        if self._fernet is None:
            raise CredentialError(f"storing a credential needs an encryption key: {KEY_HOWTO}")
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plaintext of a token; CredentialError without a key or with the wrong one."""
        if self._fernet is None:
            raise CredentialError(
                "reading a stored credential needs MOCHI_SECRET_KEY, the key it was stored with"
            )
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise CredentialError(
                "a stored credential cannot be decrypted with MOCHI_SECRET_KEY: it was stored with another "
                "key. Set the key it was stored with (several keys can be given, comma-separated, to "
                "rotate), or store the credential again."
            ) from None


def mask(value: str | None) -> str | None:
    """What `show` prints for a credential: whether it is set, never any of it."""
    return MASK if value else None
