"""Secrets pack, the general rules: a password set to a literal in a configuration file, and a random
literal assigned to a secret-like name (mochi.providers.builtin.secrets has the token formats)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mochi.providers.builtin.context import is_config_file, is_package_manifest
from mochi.providers.builtin.rule import Hit, Options
from mochi.providers.builtin.secret_values import (
    ROTATE,
    is_local_default,
    is_placeholder,
    is_version_spec,
    looks_random,
    points_at_localhost,
    redact,
)
from mochi.providers.builtin.source import SourceFile

# --------------------------------------------------------------------------- passwords and random literals

_CONFIG_KEY = re.compile(
    r"(?im)^[ \t]*(?:export[ \t]+)?[\"']?"
    r"([A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret)[A-Za-z0-9_.\-]*)[\"']?"
    r"[ \t]*[:=][ \t]*(.*?)[ \t]*,?[ \t]*$"
)
# keys about a password that are not one: password.min-length, secret-file, password_hint...
_NOT_A_SECRET_KEY = re.compile(
    r"(?i)(?:length|policy|enabled|required|file|path|hint|label|field|pattern|regex|min|max|expiry|expires|"
    r"ttl|timeout|mode|type|encoder|algorithm|url|uri|name|id|header|param|prompt|reset|manager|store)$"
)
# keys of user-interface text: auth.set_password.title, password.placeholder, reset_password.message...
_LABEL_KEY = re.compile(
    r"(?i)[._\-](?:title|subtitle|label|placeholder|message|msg|hint|text|tooltip|caption|description|"
    r"desc|help|heading|button|btn|error|success|confirm|link|notice|info|warning)$"
)


_EXAMPLE_FILE = re.compile(r"(?i)(?:^|[._-])(?:example|sample|template|dist|tmpl)(?:[._-]|$)")


def config_password(source: SourceFile, _: Options) -> Iterator[Hit]:
    if not is_config_file(source.path) or source.is_catalogue or source.is_generated or source.is_test:
        return  # test data (fixtures/, cypress/, src/test/resources) holds test accounts
    if _EXAMPLE_FILE.search(source.name):
        return  # .env.example, application.properties.sample: what to fill in, not a configuration
    manifest = is_package_manifest(source.path)
    for line, match in source.added_matches(_CONFIG_KEY, needles=("passw", "pwd", "secret")):
        key, raw = match.group(1), match.group(2)
        value = raw.strip()
        if value and value[0] in "\"'":
            value = value[1:].split(value[0], 1)[0]
        else:
            value = re.split(r"[ \t]+[#;]", value, maxsplit=1)[0]
        key = key.rstrip("\"'")
        if (
            value in ("{", "[", "|", ">")
            or _NOT_A_SECRET_KEY.search(key)
            or _LABEL_KEY.search(key)
            or " " in value  # "Set password", "Passwords do not match": a label, not a password
            or is_placeholder(value)
            or not value.isascii()  # 填写你的SecretKey ("fill in your SecretKey"): words, not a secret
            or (manifest and is_version_spec(value))  # "password-validator": "^5.3.0"
            or (is_local_default(value) and points_at_localhost(source.text))  # root on localhost
        ):
            continue
        yield Hit(
            line,
            # not even a redacted part of the value: a short password has little else to hide it
            message=f"`{key}` is set to a literal password in a committed configuration "
            f"file. Reference it instead (`{key}=${{{_env_name(key)}}}`) and provide the value from the "
            "environment or a secret store; rotate the one committed here.",
        )


def _env_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_").upper()


# The name's parts are bounded: an unbounded `[...]*` before the alternation backtracks over the
# whole line from every position (a 24,000-character line of `-` with "token" in it took 25 s).
_SECRET_NAME = (
    r"[A-Za-z0-9_.\-]{0,64}(?:secret|token|passw(?:or)?d|pwd|api[_\-]?key|apikey|access[_\-]?key|"
    r"auth[_\-]?key|private[_\-]?key|client[_\-]?secret|credential)[A-Za-z0-9_]{0,64}"
)
# apikey, api_key, api-key, accesskey, ..., private-key: the lines _ASSIGNED_LITERAL can match
_KEY_NEEDLES = (f"{word}{sep}key" for word in ("api", "access", "auth", "private") for sep in ("", "_", "-"))
_SECRET_NEEDLES = ("secret", "token", "passw", "pwd", "credential", *_KEY_NEEDLES)
_ASSIGNED_LITERAL = re.compile(
    rf"(?i)(?<![A-Za-z0-9_])({_SECRET_NAME})[\"']?[ \t]*(?::[ \t]*&?(?:'static[ \t]+)?[\w:<>\[\]]+[ \t]*)?"
    r"(?:=>|:=|[:=])[ \t]*[bru]?([\"'`])([^\"'`\s]{8,200})\2"
)
_IDENTIFIER_LIKE = re.compile(
    r"^(?:[a-z]+(?:[_.\-][a-z0-9]+)*|[A-Z]+(?:_[A-Z0-9]+)*|[a-z]+(?:[A-Z][a-z0-9]+)+)$"
)
# the dotted name of a settings key made of words, `sys.ldap.settings.userPassword`: each part
# lowercase or camelCase words (humps of 2+ letters), so a random `mQ7xK2.vL9pRt4` is not one
_WORD = r"[a-z]{2,}(?:[A-Z][a-z]{2,})*[0-9]?"
_SETTINGS_KEY = re.compile(rf"^{_WORD}(?:\.{_WORD})+$")


def high_entropy(source: SourceFile, options: Options) -> Iterator[Hit]:
    if source.is_catalogue:
        return  # "login.password": "Passwort" is a translation
    for line, match in source.added_matches(_ASSIGNED_LITERAL, needles=_SECRET_NEEDLES):
        name, value = match.group(1), match.group(3)
        if (
            _NOT_A_SECRET_KEY.search(name)
            or is_placeholder(value)
            or "://" in value
            or value.startswith(("/", "./", "../"))
            or "{" in value
            or _IDENTIFIER_LIKE.match(value)
            or _SETTINGS_KEY.match(value)
            or not looks_random(value, options.entropy_bits)
            or source.in_test_code(line)  # a fixture's password: 'password1'
        ):
            continue
        yield Hit(
            line,
            message=f"`{name}` is assigned a literal that looks like a real secret (`{redact(value)}`). "
            f"{ROTATE}",
        )


# --------------------------------------------------------------------------- the pack
