"""Credentials at rest: Fernet with MOCHI_SECRET_KEY."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from mochi.store.crypto import Cipher
from mochi.store.errors import CredentialError


def test_round_trip_and_rotation() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Cipher(old).encrypt("sk-live-123")
    assert "sk-live-123" not in token
    assert Cipher(old).decrypt(token) == "sk-live-123"
    assert Cipher(f"{new},{old}").decrypt(token) == "sk-live-123"  # rotating: the old key still reads


def test_without_a_key_storing_is_refused_with_how_to_make_one() -> None:
    with pytest.raises(CredentialError) as info:
        Cipher(None).encrypt("secret")
    assert "Fernet.generate_key()" in str(info.value) and "MOCHI_SECRET_KEY" in str(info.value)


def test_a_wrong_key_is_a_clear_error_never_garbage() -> None:
    token = Cipher(Fernet.generate_key().decode()).encrypt("secret")
    with pytest.raises(CredentialError, match="stored with another key"):
        Cipher(Fernet.generate_key().decode()).decrypt(token)


def test_a_malformed_key_says_what_a_key_is() -> None:
    with pytest.raises(CredentialError, match="not a valid Fernet key"):
        Cipher("hunter2")
