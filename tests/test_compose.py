"""docker-compose.yml: valid by the Compose Specification's schema, and what the deployment needs.

The schema is compose-spec's own `schema/compose-spec.json` (tests/fixtures/compose/, source in
tests/fixtures/README.md). No Docker engine runs here: the file is checked, not started.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.fixtures_path import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
TEXT = COMPOSE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(TEXT)
    assert isinstance(loaded, dict)
    return loaded


def test_valid_by_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads((FIXTURES / "compose" / "compose-spec.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.path))
    assert [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors] == []


def test_the_schema_catches_a_mistake(compose: dict[str, Any]) -> None:
    """The check above has teeth: a misspelt key or a bad condition is refused."""
    schema = json.loads((FIXTURES / "compose" / "compose-spec.json").read_text(encoding="utf-8"))
    broken = yaml.safe_load(TEXT)
    broken["services"]["postgres"]["healthcheck"]["tets"] = ["CMD", "true"]
    broken["services"]["ollama"]["depends_on"] = {"postgres": {"condition": "healthy"}}
    paths = sorted("/".join(map(str, e.path)) for e in jsonschema.Draft7Validator(schema).iter_errors(broken))
    assert paths == ["services/ollama/depends_on", "services/postgres/healthcheck"]


def test_the_services_and_what_up_starts(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"api", "worker", "postgres", "ollama"}
    started_by_up = {name for name, s in services.items() if not s.get("profiles")}
    assert started_by_up == {"api", "worker", "postgres", "ollama"}
    assert services["worker"]["command"][:2] == ["mochi", "worker"]
    # the worker's own grace for running reviews fits in what Compose waits before SIGKILL
    grace = float(services["worker"]["command"][services["worker"]["command"].index("--shutdown-grace") + 1])
    assert grace < int(services["worker"]["stop_grace_period"].rstrip("s"))
    assert "queue" in services["worker"]["build"]["args"]["EXTRAS"].split()


def test_the_api_runs_mochi_serve_from_this_repository(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    assert api["build"]["context"] == "."
    assert (ROOT / api["build"]["context"] / "Dockerfile").is_file()
    assert "server" in api["build"]["args"]["EXTRAS"].split()
    # the image's entrypoint is the action's; cleared, `docker compose run --rm api mochi ...` works
    assert api["entrypoint"] == []
    assert api["command"][:2] == ["mochi", "serve"]
    assert api["command"][api["command"].index("--host") + 1] == "0.0.0.0"
    assert "docker compose run --rm api mochi apikeys create admin --role admin" in TEXT
    (port,) = api["ports"]
    assert port.startswith("${MOCHI_BIND:-127.0.0.1}:") and port.endswith(":8000")


def test_health_checks_and_healthy_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("api", "postgres", "ollama"):
        test = services[name]["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    assert services["ollama"]["healthcheck"]["test"][1:] == ["ollama", "list"]
    assert "/healthz" in " ".join(services["api"]["healthcheck"]["test"])
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends == {
            "postgres": {"condition": "service_healthy"},
            "ollama": {"condition": "service_healthy"},
        }
        for dependency in depends:
            assert "healthcheck" in services[dependency]


def test_named_volumes_keep_the_data(compose: dict[str, Any]) -> None:
    assert set(compose["volumes"]) == {"postgres", "ollama"}
    assert "postgres:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    assert "ollama:/root/.ollama" in compose["services"]["ollama"]["volumes"]
    assert compose["services"]["ollama"]["image"].startswith("ollama/ollama:")


def test_the_environment_points_at_the_other_services(compose: dict[str, Any]) -> None:
    for name in ("api", "worker"):
        env = compose["services"][name]["environment"]
        url = env["MOCHI_DATABASE_URL"]
        assert re.fullmatch(
            r"postgresql\+psycopg://mochi:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432/mochi", url
        )
        assert env["OLLAMA_HOST"] == "http://ollama:11434"
        assert re.fullmatch(r"\$\{MOCHI_SECRET_KEY:\?[^}]+\}", env["MOCHI_SECRET_KEY"])
    postgres = compose["services"]["postgres"]["environment"]
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == ("mochi", "mochi")


def _environments(compose: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        if isinstance(env, list):
            env = dict(item.partition("=")[::2] for item in env)
        found += [(name, key, str(value)) for key, value in env.items()]
    return found


def test_no_secret_is_written_in_the_file(compose: dict[str, Any]) -> None:
    secretive = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|API_KEY")
    for service, key, value in _environments(compose):
        if secretive.search(key):
            # an interpolation from .env (required, or empty when unset), never a value
            assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]+|:-)\}", value), f"{service}.{key} = {value!r}"
    # a password inside a URL is an interpolation too
    for service, key, value in _environments(compose):
        for userinfo in re.findall(r"://[^/@\s]*:([^@/\s]*)@", value):
            assert userinfo.startswith("${"), f"{service}.{key} has a literal password"
    # nothing shaped like a key anywhere: Fernet keys, sk-..., bearer tokens, mochi API keys
    shapes = re.compile(
        r"[A-Za-z0-9_\-]{43}=|\bsk-[A-Za-z0-9]{8,}|Bearer [A-Za-z0-9]{8,}|\bmochi_[A-Za-z0-9]{8,}"
    )
    assert shapes.findall(TEXT) == []
    assert "env_file" not in TEXT or ".env" in TEXT
    assert "secrets" not in compose  # nothing vendored in: the keys stay in .env, outside git
