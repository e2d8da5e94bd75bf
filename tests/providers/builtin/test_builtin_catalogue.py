"""Every rule fires on the right line of a realistic snippet: in a new file, in a modified file where
only the snippet is added, and in a diff without the full file (from stdin). Left in the file as
unchanged context, the same code must not fire."""

# ruff: noqa: E501  (code samples and secrets keep their real line lengths)

from __future__ import annotations

from dataclasses import dataclass

import pytest
from builtin_diffs import added, code, hits, make_modified_file, modified, review

from mochi.providers.builtin import RULES

GHP = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AZURE_KEY = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9oPq2rSt5uVw8xYz1aBc4dEf7gHi0jKl3mNo5pQ=="


@dataclass(frozen=True)
class Case:
    rule: str
    path: str
    before: str  # the file before the change (clean)
    after: str  # the file after it
    lines: tuple[int | None, ...]  # where the rule fires in `after`


JAVA_BEFORE = code("""
    package com.acme.orders;

    @Service
    public class OrderService {
        private final OrderRepository repository;

        public OrderService(OrderRepository repository) {
            this.repository = repository;
        }

        public Order find(long id) {
            return repository.findById(id).orElseThrow();
        }
    }
""")


def java(*insert: str, at: int = 12) -> str:
    """JAVA_BEFORE with lines inserted before line `at` (inside the class, after find())."""
    lines = JAVA_BEFORE.splitlines()
    return "\n".join(lines[: at + 1] + list(insert) + lines[at + 1 :]) + "\n"


TSX_BEFORE = code("""
    import React, { useEffect, useState } from "react";

    export function Orders({ orders }: { orders: Order[] }) {
      const [count, setCount] = useState(0);
      const total = orders.length;
      return (
        <div className="orders">
          <span>{total}</span>
        </div>
      );
    }
""")


def tsx(*insert: str, at: int = 5) -> str:
    lines = TSX_BEFORE.splitlines()
    return "\n".join(lines[:at] + list(insert) + lines[at:]) + "\n"


RUST_BEFORE = code("""
    use actix_web::{get, web, HttpResponse, Responder};
    use sqlx::PgPool;

    #[get("/orders/{id}")]
    async fn order(path: web::Path<i64>, pool: web::Data<PgPool>) -> impl Responder {
        let id = path.into_inner();
        HttpResponse::Ok().body(id.to_string())
    }
""")


def rust(*insert: str, at: int = 6) -> str:
    lines = RUST_BEFORE.splitlines()
    return "\n".join(lines[:at] + list(insert) + lines[at:]) + "\n"


CASES = [
    # ---- secrets
    Case(
        "secrets.private-key",
        "deploy/key.txt",
        "notes\n",
        "notes\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        (2,),
    ),
    Case(
        "secrets.aws-access-key",
        "infra/main.tf",
        'region = "eu-west-1"\n',
        'region = "eu-west-1"\naccess_key = "AKIAZ7QRSTUVWXYZ2345"\n',
        (2,),
    ),
    Case(
        "secrets.aws-secret-key",
        "infra/creds.ini",
        "[default]\n",
        "[default]\naws_secret_access_key = kQ9/zX2+vB7nM4pL8sR1tY6uW3eA5dF0gH2jK9Lm\n",
        (2,),
    ),
    Case(
        "secrets.gcp-service-account-key",
        "sa.json",
        '{\n  "type": "service_account"\n}\n',
        '{\n  "type": "service_account",\n  "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"\n}\n',
        (3,),
    ),
    Case(
        "secrets.gcp-api-key",
        "web/src/maps.ts",
        "export const zoom = 3;\n",
        'export const zoom = 3;\nexport const MAPS = "AIzaSyD3kL9xQ2vB7nM4pL8sR1tY6uW3eA5dF0g";\n',
        (2,),
    ),
    Case(
        "secrets.azure-storage-key",
        "appsettings.json",
        "{\n}\n",
        '{\n  "Storage": "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey='
        + AZURE_KEY
        + ';EndpointSuffix=core.windows.net"\n}\n',
        (2,),
    ),
    Case(
        "secrets.github-token",
        ".github/scripts/release.sh",
        "#!/bin/sh\n",
        f"#!/bin/sh\ncurl -H 'Authorization: token {GHP}' https://api.github.com\n",
        (2,),
    ),
    Case(
        "secrets.gitlab-token",
        "ci/publish.sh",
        "set -e\n",
        "set -e\nexport GL=glpat-Xy7Zq2Lm9Np4Rs8Tv1Wb\n",
        (2,),
    ),
    Case(
        "secrets.slack-token",
        "bot/config.py",
        "NAME = 'bot'\n",
        "NAME = 'bot'\nclient = WebClient('xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx')\n",
        (2,),
    ),
    Case(
        "secrets.slack-webhook",
        "alerts.yml",
        "alerts:\n",
        "alerts:\n  url: https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/AbCdEfGhIjKlMnOpQrStUvWx\n",
        (2,),
    ),
    Case(
        "secrets.jwt",
        "requests/auth.http",
        "GET /me\n",
        "GET /me\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\n",
        (2,),
    ),
    Case(
        "secrets.url-credentials",
        "app/settings.py",
        'DATABASE_URL = "postgresql://app@db.internal/app"\nBROKER = "amqp://${USER}:${PASSWORD}@mq/"\n',
        'DATABASE_URL = "postgresql://app:Xk82-pq9Lm@db.internal:5432/app"\nBROKER = "amqp://${USER}:${PASSWORD}@mq/"\n',
        (1,),
    ),
    Case(
        "secrets.config-password",
        "src/main/resources/application.properties",
        "spring.datasource.url=jdbc:postgresql://db/app\n",
        "spring.datasource.url=jdbc:postgresql://db/app\nspring.datasource.password=Tr0ub4dor&3\n",
        (2,),
    ),
    Case(
        "secrets.high-entropy-string",
        "src/main/java/com/acme/Client.java",
        "class Client {\n}\n",
        'class Client {\n    private static final String API_TOKEN = "k9Fq2Lx7Pz4Rv8Tn3Wm6Ys1B";\n}\n',
        (2,),
    ),
    # ---- java
    Case(
        "java.field-injection",
        "src/main/java/com/acme/orders/OrderService.java",
        JAVA_BEFORE,
        java("    @Autowired", "    private PaymentClient payments;"),
        (14,),
    ),
    Case(
        "java.system-out",
        "src/main/java/com/acme/orders/OrderService.java",
        JAVA_BEFORE,
        java("    void debug(Order o) {", '        System.out.println("order " + o);', "    }"),
        (15,),
    ),
    Case(
        "java.print-stack-trace",
        "src/main/java/com/acme/orders/OrderService.java",
        JAVA_BEFORE,
        java(
            "    void close(Closeable c) {",
            "        try { c.close(); } catch (IOException e) { e.printStackTrace(); }",
            "    }",
        ),
        (15,),
    ),
    Case(
        "java.swallowed-exception",
        "src/main/java/com/acme/orders/OrderService.java",
        JAVA_BEFORE,
        java(
            "    void close(Closeable c) {",
            "        try {",
            "            c.close();",
            "        } catch (IOException e) {",
            "        }",
            "    }",
        ),
        (17,),
    ),
    Case(
        "java.sql-concatenation",
        "src/main/java/com/acme/orders/OrderService.java",
        JAVA_BEFORE,
        java(
            "    List<Order> byName(String name) {",
            '        return jdbcTemplate.query("SELECT * FROM orders WHERE name = \'" + name + "\'", mapper);',
            "    }",
        ),
        (15,),
    ),
    Case(
        "java.transactional-private-final",
        "src/main/java/com/acme/orders/OrderService.java",
        JAVA_BEFORE,
        java(
            "    @Transactional",
            "    private void archive(Order o) {",
            "        repository.delete(o);",
            "    }",
        ),
        (14,),
    ),
    Case(
        "java.transactional-self-invocation",
        "src/main/java/com/acme/orders/OrderService.java",
        JAVA_BEFORE,
        java(
            "    @Transactional",
            "    public void archive(Order o) {",
            "        repository.delete(o);",
            "    }",
            "    public void cleanup(Order o) {",
            "        archive(o);",
            "    }",
        ),
        (19,),
    ),
    Case(
        "java.request-body-not-validated",
        "src/main/java/com/acme/orders/OrderService.java",
        JAVA_BEFORE,
        java(
            "    @PostMapping",
            "    public Order create(@RequestBody OrderRequest request) {",
            "        return repository.save(request.toOrder());",
            "    }",
            "    record OrderRequest(@NotBlank String item) {}",  # constraints to check
        ),
        (15,),
    ),
    # ---- javascript / typescript / react
    Case(
        "js.dangerously-set-inner-html",
        "web/src/Orders.tsx",
        TSX_BEFORE,
        tsx("  const note = <p dangerouslySetInnerHTML={{ __html: orders[0].note }} />;"),
        (6,),
    ),
    Case(
        "js.eval",
        "web/src/Orders.tsx",
        TSX_BEFORE,
        tsx('  const rule = eval("(" + orders[0].rule + ")");'),
        (6,),
    ),
    Case("js.console-log", "web/src/Orders.tsx", TSX_BEFORE, tsx('  console.log("orders", orders);'), (6,)),
    Case("js.debugger", "web/src/Orders.tsx", TSX_BEFORE, tsx("  debugger;"), (6,)),
    Case(
        "react.effect-sets-state-without-deps",
        "web/src/Orders.tsx",
        TSX_BEFORE,
        tsx("  useEffect(() => {", "    setCount(orders.length);", "  });"),
        (6,),
    ),
    Case(
        "react.missing-key",
        "web/src/Orders.tsx",
        TSX_BEFORE,
        tsx("  const rows = orders.map((o) => <li>{o.number}</li>);"),
        (6,),
    ),
    Case(
        "react.conditional-hook",
        "web/src/Orders.tsx",
        TSX_BEFORE,
        tsx("  if (total > 10) {", "    useEffect(() => setCount(total), [total]);", "  }"),
        (7,),
    ),
    Case(
        "ts.any-in-signature",
        "web/src/Orders.tsx",
        TSX_BEFORE,
        tsx("  const pick = (o: any) => o.number;"),
        (6,),
    ),
    Case("js.loose-equality", "web/src/Orders.tsx", TSX_BEFORE, tsx('  const empty = total == "0";'), (6,)),
    # ---- rust
    Case(
        "rust.unwrap-in-handler",
        "src/handlers.rs",
        RUST_BEFORE,
        rust('    let limit: i64 = std::env::var("LIMIT").unwrap().parse().unwrap();'),
        (7,),
    ),
    Case(
        "rust.blocking-in-async",
        "src/handlers.rs",
        RUST_BEFORE,
        rust("    std::thread::sleep(std::time::Duration::from_millis(50));"),
        (7,),
    ),
    Case(
        "rust.unsafe-block",
        "src/handlers.rs",
        RUST_BEFORE,
        rust("    let raw = unsafe { *(&id as *const i64) };"),
        (7,),
    ),
    Case(
        "rust.sql-format",
        "src/handlers.rs",
        RUST_BEFORE,
        rust(
            '    let sql = format!("SELECT * FROM orders WHERE id = {}", id);',
            "    let row = sqlx::query(&sql).fetch_one(pool.get_ref()).await;",
        ),
        (8,),
    ),
    # ---- generic
    Case(
        "generic.merge-conflict",
        "README.md",
        "# Orders\n\nSome text.\n",
        "# Orders\n\n<<<<<<< HEAD\nSome text.\n=======\nOther text.\n>>>>>>> feature\n",
        (3,),
    ),
    Case(
        "generic.todo-without-ticket",
        "src/handlers.rs",
        RUST_BEFORE,
        rust("    // TODO: check that the order belongs to the user"),
        (7,),
    ),
    Case(
        "generic.large-file",
        "data/seed.sql",
        "-- seed\n",
        "-- seed\n" + "".join(f"INSERT INTO t VALUES ({i});\n" for i in range(1001)),
        (None,),
    ),
    Case("generic.sensitive-file", ".env", "", "DEBUG=1\nSESSION_SECRET=Xk82pq9Lm\n", (None,)),
]


def test_every_rule_has_a_case() -> None:
    assert sorted({c.rule for c in CASES}) == sorted(RULES)


# the injection style of the class is in its constructor, outside the hunk
NEEDS_THE_FILE = frozenset({"java.field-injection"})


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_fires_on_a_new_file(case: Case) -> None:
    findings = added(case.path, case.after)
    assert tuple(hits(findings, case.rule)) == case.lines


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_fires_only_on_the_added_lines_of_a_modified_file(case: Case) -> None:
    findings = modified(case.path, case.before, case.after)
    assert tuple(hits(findings, case.rule)) == case.lines
    assert hits(modified(case.path, case.before, case.after), case.rule)  # stable across runs


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_fires_without_the_full_file(case: Case) -> None:
    """A diff from stdin: only the hunks are known, the rest of the file is rebuilt from them. A rule
    that needs what the hunks do not show (the class's constructor) abstains."""
    findings = review((make_modified_file(case.path, case.before, case.after), None))
    expected = () if case.rule in NEEDS_THE_FILE else case.lines
    assert tuple(hits(findings, case.rule)) == expected


@pytest.mark.parametrize("case", [c for c in CASES if c.lines != (None,)], ids=lambda c: c.rule)
def test_does_not_fire_on_unchanged_context(case: Case) -> None:
    """The problem was already there; the change only adds a line at the end of the file."""
    findings = modified(case.path, case.after, case.after + "\n")
    assert hits(findings, case.rule) == []
