"""The REST API end to end: a real `mochi serve` on loopback, on SQLite and PostgreSQL (issue 14)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.gitrepo import GitRepo
from tests.server.conftest import Served
from tests.test_cli import mochi

pytestmark = pytest.mark.slow

APP = "src/main/java/app/App.java"


def data(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True and body["error"] is None
    return body["data"]


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "details", "timestamp"}
    datetime.fromisoformat(body["error"]["timestamp"])
    return body["error"]  # type: ignore[no-any-return]


def recorded_review(served: Served, tmp_path: Path) -> int:
    """A real `mochi review --provider builtin` of a temporary repository, recorded in the server's
    database; its id."""
    repo = GitRepo(tmp_path / "svc")
    repo.write(APP, "package app;\n\npublic class App {\n}\n")
    repo.commit("base")
    body = (
        "    void run() {\n        try {\n"
        '            Integer.parseInt("1");\n'
        "        } catch (NumberFormatException e) {\n            e.printStackTrace();\n        }\n"
        "    }\n"
    )  # java.print-stack-trace, on by default
    repo.write(APP, "package app;\n\npublic class App {\n" + body + "}\n")
    proc = mochi("review", "--provider", "builtin", "--format", "json", cwd=repo.path, env=served.env)
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["findings"], proc.stdout
    listed = json.loads(mochi("reviews", "list", "--all", "--json", env=served.env).stdout)["reviews"]
    return int(next(r["id"] for r in listed if r["repository"] == str(repo.path)))


def test_health_ready_docs_and_metrics_need_no_key(served: Served) -> None:
    with served.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        spec = client.get("/openapi.json").json()
        assert "/api/reviews/{review_id}" in spec["paths"] and "/api/models/{ref}/default" in spec["paths"]
        assert client.get("/docs").status_code == 200
        client.get("/api/reviews")  # a 401, counted
        metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(metrics.text)}
    assert {"mochi_http_requests", "mochi_http_request_duration_seconds", "mochi_reviews"} <= set(families)
    samples = families["mochi_http_requests"].samples
    assert any(s.labels == {"route": "/api/reviews", "method": "GET", "status": "401"} for s in samples)
    statuses = {s.labels["status"] for s in families["mochi_reviews"].samples}
    assert statuses == {"PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"}


def test_a_recorded_review_is_read_back_with_its_comments_and_deleted_with_them(
    served: Served, tmp_path: Path
) -> None:
    review_id = recorded_review(served, tmp_path)
    with served.client("reader") as reader, served.client("reviewer") as reviewer:
        review = data(reader.get(f"/api/reviews/{review_id}"))
        assert review["status"] == "COMPLETED" and review["review_type"] == "LOCAL"
        assert review["comments"] and review["comments"][0]["file_path"] == APP
        assert any(c["rule_id"] == "java.print-stack-trace" for c in review["comments"])
        assert [h["action"] for h in review["history"]] == ["CREATED", "STARTED", "COMPLETED"]
        comments = data(reader.get(f"/api/reviews/{review_id}/comments"))["comments"]
        assert comments == review["comments"]

        listed = data(reader.get("/api/reviews", params={"repo": "svc", "status": "COMPLETED"}))
        assert review_id in [r["id"] for r in listed["reviews"]]
        since = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert data(reader.get("/api/reviews", params={"since": since}))["reviews"] == []
        assert data(reader.get("/api/reviews", params={"pr_number": 7}))["reviews"] == []
        page = data(reader.get("/api/reviews", params={"limit": 1, "offset": 0}))
        assert page["limit"] == 1 and len(page["reviews"]) == 1
        error(reader.get("/api/reviews", params={"status": "DONE"}), 400, "VALIDATION_ERROR")
        error(reader.get("/api/reviews", params={"limit": 0}), 400, "VALIDATION_ERROR")

        error(reader.delete(f"/api/reviews/{review_id}"), 403, "FORBIDDEN")
        assert data(reviewer.delete(f"/api/reviews/{review_id}")) == {"deleted": True, "id": review_id}
        error(reader.get(f"/api/reviews/{review_id}"), 404, "NOT_FOUND")
        error(reader.get(f"/api/reviews/{review_id}/comments"), 404, "NOT_FOUND")
        error(reviewer.delete(f"/api/reviews/{review_id}"), 404, "NOT_FOUND")
    from sqlalchemy import create_engine, text

    engine = create_engine(served.env["MOCHI_DATABASE_URL"])
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM review_comments WHERE review_id = :id"), {"id": review_id}
        )
        assert left.scalar_one() == 0
    engine.dispose()


def test_models_crud_as_admin_with_the_api_key_masked(served: Served) -> None:
    secret = "sk-live-0123456789"
    with served.client("admin") as admin, served.client("reader") as reader:
        body = {"name": "gpt", "provider": "openai", "model_name": "gpt-4o-mini", "api_key": secret}
        created = data(admin.post("/api/models", json={**body, "config": {"temperature": 0.1}}), 201)
        assert created["api_key"] == "********" and secret not in json.dumps(created)
        assert created["config"] == {"temperature": 0.1} and created["is_default"] is False
        error(admin.post("/api/models", json=body), 409, "CONFLICT")
        error(reader.post("/api/models", json={**body, "name": "other"}), 403, "FORBIDDEN")
        details = error(
            admin.post("/api/models", json={**body, "name": "x", "colour": "red"}), 400, "VALIDATION_ERROR"
        )
        assert secret not in json.dumps(details)
        error(
            admin.post("/api/models", json={**body, "name": "x", "provider": "nope"}), 400, "VALIDATION_ERROR"
        )

        model_id = created["id"]
        assert data(reader.get(f"/api/models/{model_id}"))["name"] == "gpt"
        assert data(reader.get("/api/models/gpt"))["id"] == model_id
        updated = data(
            admin.put(f"/api/models/{model_id}", json={"model_name": "gpt-4o", "prompt_price_per_1k": "0.5"})
        )
        assert updated["model_name"] == "gpt-4o" and updated["prompt_price_per_1k"] == "0.5"
        assert updated["api_key"] == "********"
        assert data(admin.post(f"/api/models/{model_id}/default"))["is_default"] is True
        listed = data(reader.get("/api/models"))["models"]
        assert [m["name"] for m in listed] == ["gpt"] and secret not in json.dumps(listed)
        error(admin.put("/api/models/missing", json={"model_name": "m"}), 404, "NOT_FOUND")
        assert data(admin.delete(f"/api/models/{model_id}")) == {"deleted": True, "id": model_id}
        error(reader.get(f"/api/models/{model_id}"), 404, "NOT_FOUND")


def test_templates_crud_as_admin(served: Served) -> None:
    with served.client("admin") as admin, served.client("reader") as reader:
        body = {"name": "java-strict", "language": "java", "content": "Be strict about {{ x }}."}
        created = data(admin.post("/api/templates", json=body), 201)
        assert created["replaces"] == "languages/java.md.j2" and created["content"] == body["content"]
        error(admin.post("/api/templates", json=body), 409, "CONFLICT")
        bad = {**body, "name": "broken", "active": False, "content": "{% if %}"}
        error(admin.post("/api/templates", json=bad), 400, "VALIDATION_ERROR")
        error(admin.put("/api/templates/java-strict", json={"lang": "go"}), 400, "VALIDATION_ERROR")
        error(reader.delete("/api/templates/java-strict"), 403, "FORBIDDEN")
        listed = data(reader.get("/api/templates"))["templates"]
        assert [t["name"] for t in listed] == ["java-strict"] and "content" not in listed[0]
        updated = data(admin.put("/api/templates/java-strict", json={"content": "New.", "active": False}))
        assert updated["content"] == "New." and updated["active"] is False
        assert data(reader.get(f"/api/templates/{created['id']}"))["content"] == "New."
        assert data(admin.delete("/api/templates/java-strict"))["id"] == created["id"]
        error(reader.get("/api/templates/java-strict"), 404, "NOT_FOUND")


def test_integrations_are_stored_encrypted_and_returned_masked(served: Served) -> None:
    token = "jira-token-abcdef"
    with served.client("admin") as admin, served.client("reader") as reader:
        error(reader.get("/api/integrations/jira"), 404, "NOT_FOUND")
        error(reader.get("/api/integrations/gitlab"), 400, "VALIDATION_ERROR")
        body = {
            "api_endpoint": "https://acme.atlassian.net",
            "credentials": {"token": token},
            "config": {"email": "a@acme.com"},
        }
        error(reader.put("/api/integrations/jira", json=body), 403, "FORBIDDEN")
        error(
            admin.put("/api/integrations/jira", json={"credentials": {"token": token}}),
            400,
            "VALIDATION_ERROR",
        )
        stored = data(admin.put("/api/integrations/jira", json=body))
        assert stored["credentials"] == "********" and stored["config"] == {"email": "a@acme.com"}
        github = data(admin.put("/api/integrations/github", json={"credentials": {"token": "ghp_x"}}))
        assert github["api_endpoint"] == "https://api.github.com"
        assert data(reader.get("/api/integrations/jira"))["api_endpoint"] == "https://acme.atlassian.net"
        listed = data(reader.get("/api/integrations"))["integrations"]
        assert {i["type"] for i in listed} == {"github", "jira"}
        assert token not in json.dumps(listed) and "ghp_x" not in json.dumps(listed)
    from sqlalchemy import create_engine, text

    engine = create_engine(served.env["MOCHI_DATABASE_URL"])
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT credentials_encrypted FROM integration_configs")).scalars().all()
    engine.dispose()
    assert raw and all(value and token not in value for value in raw)


def test_error_statuses_carry_the_envelope(served: Served) -> None:
    with served.client() as anonymous:
        error(anonymous.get("/api/models"), 401, "UNAUTHORIZED")
        error(anonymous.get("/api/models", headers={"Authorization": "Basic abc"}), 401, "UNAUTHORIZED")
        error(anonymous.get("/api/nothing-here"), 404, "NOT_FOUND")
    with served.client(key="mochi_not-a-real-key") as forged:
        error(forged.get("/api/reviews"), 401, "UNAUTHORIZED")
    with served.client("admin") as admin, served.client("reviewer") as reviewer:
        error(reviewer.post("/api/templates", json={}), 403, "FORBIDDEN")
        error(admin.get("/api/reviews/not-a-number"), 400, "VALIDATION_ERROR")
        error(
            admin.post("/api/templates", content=b"{not json", headers={"content-type": "application/json"}),
            400,
            "VALIDATION_ERROR",
        )
        big = {"name": "big", "language": "java", "content": "x" * 1_100_000}
        error(admin.post("/api/templates", json=big), 413, "PAYLOAD_TOO_LARGE")

        def chunks() -> Any:
            for _ in range(20):
                yield b"x" * 100_000

        error(
            admin.post("/api/templates", content=chunks(), headers={"content-type": "application/json"}),
            413,
            "PAYLOAD_TOO_LARGE",
        )
        error(admin.delete("/api/reviews/999999"), 404, "NOT_FOUND")
        error(admin.patch("/api/models"), 405, "METHOD_NOT_ALLOWED")
    assert "mochi_" not in served.log.read_text()  # no key in the server's log


def test_keys_over_http_as_admin(served: Served) -> None:
    with served.client("admin") as admin, served.client("reader") as reader:
        error(reader.get("/api/keys"), 403, "FORBIDDEN")
        created = data(admin.post("/api/keys", json={"name": "ci-bot", "role": "reader"}), 201)
        assert created["key"].startswith("mochi_")
        with served.client(key=created["key"]) as bot:
            data(bot.get("/api/reviews"))
            listed = data(admin.get("/api/keys"))["keys"]
            assert created["key"] not in json.dumps(listed)
            bot_row = next(k for k in listed if k["name"] == "ci-bot")
            assert bot_row["last_used_at"] is not None and bot_row["revoked"] is False
            error(admin.post("/api/keys", json={"name": "ci-bot", "role": "reader"}), 409, "CONFLICT")
            data(admin.delete("/api/keys/ci-bot"))
            error(bot.get("/api/reviews"), 401, "UNAUTHORIZED")
