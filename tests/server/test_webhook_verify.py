"""Webhook authenticity: GitHub's HMAC-SHA256 signature of the raw body, GitLab's shared token."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from mochi.server.webhooks.verify import github_signature_ok, gitlab_token_ok

# GitHub's documented example (docs.github.com, "Validating webhook deliveries", testing the signature)
DOC_SECRET = "It's a Secret to Everybody"
DOC_BODY = b"Hello, World!"
DOC_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_githubs_documented_example_verifies() -> None:
    assert github_signature_ok(DOC_SECRET, DOC_BODY, DOC_SIGNATURE)
    assert github_signature_ok(DOC_SECRET, DOC_BODY, DOC_SIGNATURE.upper().replace("SHA256=", "sha256="))


def test_a_real_payload_signed_with_the_secret_verifies_only_byte_for_byte() -> None:
    body = b'{"action":"opened","number":2,"pull_request":{"title":"caf\xc3\xa9"}}\n'
    header = sign("s3cr3t-webhook", body)
    assert github_signature_ok("s3cr3t-webhook", body, header)
    assert not github_signature_ok("s3cr3t-webhook", body.rstrip(b"\n"), header)  # re-serialized: no
    assert not github_signature_ok("s3cr3t-webhook", body.replace(b"2", b"3"), header)
    assert not github_signature_ok("another-secret", body, header)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        DOC_SIGNATURE[len("sha256=") :],  # no prefix
        "sha1=" + hmac.new(DOC_SECRET.encode(), DOC_BODY, hashlib.sha1).hexdigest(),  # the old header's form
        "SHA256=" + DOC_SIGNATURE[len("sha256=") :],
        DOC_SIGNATURE[:-1],  # too short
        DOC_SIGNATURE + "0",  # too long
        DOC_SIGNATURE[:-1] + "g",  # not hex
        "sha256=" + "é" * 64,  # not ASCII
        "sha256 " + DOC_SIGNATURE[len("sha256=") :],
    ],
)
def test_a_missing_or_malformed_signature_is_refused(header: str | None) -> None:
    assert not github_signature_ok(DOC_SECRET, DOC_BODY, header)


def test_an_empty_secret_never_verifies() -> None:
    assert not github_signature_ok("", DOC_BODY, sign("", DOC_BODY))
    assert not github_signature_ok("", b"", sign("", b""))


def test_the_gitlab_token_must_match_exactly() -> None:
    assert gitlab_token_ok("glwt-3f9a-Ünïcode", "glwt-3f9a-Ünïcode")
    assert not gitlab_token_ok("glwt-3f9a", "glwt-3f9A")
    assert not gitlab_token_ok("glwt-3f9a", "glwt-3f9a ")
    assert not gitlab_token_ok("glwt-3f9a", "glwt-3f9")
    assert not gitlab_token_ok("glwt-3f9a", None)
    assert not gitlab_token_ok("glwt-3f9a", "")


def test_an_empty_gitlab_token_never_matches() -> None:
    assert not gitlab_token_ok("", "")
    assert not gitlab_token_ok("", None)
    assert not gitlab_token_ok("", "anything")


def test_both_compare_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: object, b: object) -> bool:
        calls.append((a, b))
        return real(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert github_signature_ok(DOC_SECRET, DOC_BODY, DOC_SIGNATURE)
    assert gitlab_token_ok("t0ken", "t0ken")
    assert len(calls) == 2
