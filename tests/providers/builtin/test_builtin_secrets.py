"""Secrets: each kind is found, placeholders are not, and no message repeats the secret."""

# ruff: noqa: E501  (code samples and secrets keep their real line lengths)

from __future__ import annotations

import pytest
from builtin_diffs import added, code, hits

from mochi.providers.builtin.secret_values import entropy, redact

SECRETS = {
    "AKIAZ7QRSTUVWXYZ2345": ("secrets.aws-access-key", 'key = "AKIAZ7QRSTUVWXYZ2345"'),
    "kQ9/zX2+vB7nM4pL8sR1tY6uW3eA5dF0gH2jK9Lm": (
        "secrets.aws-secret-key",
        "AWS_SECRET_ACCESS_KEY=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",
    ),
    "AIzaSyD3kL9xQ2vB7nM4pL8sR1tY6uW3eA5dF0g": (
        "secrets.gcp-api-key",
        "maps: AIzaSyD3kL9xQ2vB7nM4pL8sR1tY6uW3eA5dF0g",
    ),
    "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8": (
        "secrets.github-token",
        "GH=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    ),
    "github_pat_11ABCDEFG0aBcDeFgHiJkL_MnOpQrStUvWxYz0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ012345": (
        "secrets.github-token",
        "token: github_pat_11ABCDEFG0aBcDeFgHiJkL_MnOpQrStUvWxYz0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
    ),
    "glpat-Xy7Zq2Lm9Np4Rs8Tv1Wb": ("secrets.gitlab-token", "GITLAB=glpat-Xy7Zq2Lm9Np4Rs8Tv1Wb"),
    "xoxp-123456789012-1234567890123-AbCdEfGhIjKlMnOp": (
        "secrets.slack-token",
        "slack('xoxp-123456789012-1234567890123-AbCdEfGhIjKlMnOp')",
    ),
    "T0ABCDEFG/B0ABCDEFG/AbCdEfGhIjKlMnOpQrStUvWx": (
        "secrets.slack-webhook",
        "url = 'https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/AbCdEfGhIjKlMnOpQrStUvWx'",
    ),
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U": (
        "secrets.jwt",
        "const t = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';",
    ),
    "f8Kq2Lx7Pz4Rv8Tn3Wm6Ys1B": ("secrets.high-entropy-string", 'const apiKey = "f8Kq2Lx7Pz4Rv8Tn3Wm6Ys1B";'),
    "mQ7xK2.vL9pRt4.Zw8nJ3": ("secrets.high-entropy-string", 'const apiKey = "mQ7xK2.vL9pRt4.Zw8nJ3";'),
}


@pytest.mark.parametrize("secret", list(SECRETS))
def test_found_and_never_repeated(secret: str) -> None:
    rule, line = SECRETS[secret]
    findings = added("src/settings.ts", "// settings\n" + line + "\n")
    assert hits(findings, rule) == [2]
    for finding in findings:
        assert secret not in finding.message
        # no 8 consecutive characters of the secret leak (first/last 4 at most)
        assert not any(secret[i : i + 8] in finding.message for i in range(len(secret) - 7))
        assert finding.category == "security" and finding.source == f"builtin:{finding.rule_id}"


def test_a_precise_rule_supersedes_the_generic_ones() -> None:
    findings = added("src/a.py", 'GITHUB_TOKEN = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"\n')
    assert [f.rule_id for f in findings] == ["secrets.github-token"]


def test_service_account_file_reports_the_key_once() -> None:
    text = code("""
        {
          "type": "service_account",
          "private_key_id": "abc",
          "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"
        }
    """)
    assert [(f.rule_id, f.line) for f in added("gcp/sa.json", text)] == [
        ("secrets.gcp-service-account-key", 4)
    ]


def test_private_key_block_spans_to_its_end() -> None:
    text = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----\n"
    (finding,) = added("certs/server.txt", text)
    assert (finding.line, finding.end_line) == (1, 3)
    assert "MHcCAQEEIBkg" not in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "spring.datasource.password=${DB_PASSWORD}\n",
        "spring.datasource.password=${DB_PASSWORD:}\n",
        "spring.datasource.password=\n",
        "spring.security.user.password-min-length=12\n",
        "app.password=changeme\n",
        "app.password=<your-password>\n",
        "app.password=ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)\n",
    ],
)
def test_config_placeholders_are_not_passwords(text: str) -> None:
    assert added("src/main/resources/application.properties", text) == []


@pytest.mark.parametrize(
    ("path", "text", "line"),
    [
        ("config/application.yml", "spring:\n  datasource:\n    password: hunter2hunter\n", 3),
        (".env.production", "DB_HOST=db\nDB_PASSWORD='pa55-w0rd!'\n", 2),
        ("config/db.json", '{\n  "user": "app",\n  "password": "s3cr3t-Pa55",\n}\n', 3),
    ],
)
def test_config_passwords_in_each_format(path: str, text: str, line: int) -> None:
    assert hits(added(path, text), "secrets.config-password") == [line]


@pytest.mark.parametrize(
    "line",
    [
        "const apiKey = process.env.API_KEY;",
        'String token = System.getenv("API_TOKEN");',
        'let api_key = std::env::var("API_KEY")?;',
        'const password = "changeme";',
        'const token = "<your-token>";',
        'const tokenUrl = "https://auth.example.com/oauth/token";',
        'const TOKEN_HEADER = "X-Request-Token";',
        'const secretName = "orders-db-credentials";',
        'aws_key = "AKIAIOSFODNN7EXAMPLE"',
        # the name of a settings key, not its value (dinky, sixth held-out sample)
        "  userPassword = 'sys.ldap.settings.userPassword',",
        '  repositoryPassword: "sys.maven.settings.repositoryPassword",',
    ],
)
def test_lookups_and_placeholders_are_not_secrets(line: str) -> None:
    assert added("src/client.ts", line + "\n") == []


def test_redaction_shows_at_most_four_characters_each_side() -> None:
    assert redact("AKIAABCDEFGHIJKLWXYZ") == "AKIA************WXYZ"
    assert redact("short") == "****"
    assert redact("abcdefghijk") == "ab*******jk"


def test_entropy_separates_random_from_words() -> None:
    assert entropy("k9Fq2Lx7Pz4Rv8Tn3Wm6Ys1B") > 4.0
    assert entropy("aaaaaaaa") == 0.0
