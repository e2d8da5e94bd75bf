"""Rules know where they are: test code, generated and data files, comments versus strings, the
framework a file uses, dev-only branches and linters' own disable comments.

Each false positive found on real projects is reproduced here next to the true positive the rule must
keep reporting."""

# ruff: noqa: E501  (code samples keep their real line lengths)

from __future__ import annotations

import pytest
from builtin_diffs import added, code, hits, make_modified_file, review

from mochi.models import ChangeKind, FileDiff
from mochi.providers.builtin import RULES
from mochi.providers.builtin.context import is_catalogue_path, is_generated_path, is_test_path

# --------------------------------------------------------------------------- where a file sits


@pytest.mark.parametrize(
    "path",
    [
        "src/test/java/com/acme/OrderServiceTest.java",
        "src/integrationTest/java/com/acme/OrderIT.java",
        "web/src/__tests__/cart.ts",
        "web/src/cart.spec.ts",
        "web/src/cart.test.tsx",
        "tests/api.rs",
        "e2e-tests/login.ts",
        "app/OrderServiceTest.java",
        "pkg/test_orders.py",
        "pkg/conftest.py",
    ],
)
def test_test_paths(path: str) -> None:
    assert is_test_path(path)


@pytest.mark.parametrize(
    "path", ["src/main/java/com/acme/Contest.java", "docs/latest/index.md", "src/specification.ts"]
)
def test_not_test_paths(path: str) -> None:
    assert not is_test_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "package-lock.json",
        "web/yarn.lock",
        "Cargo.lock",
        "go.sum",
        "src/__snapshots__/App.test.tsx.snap",
        "tests/snapshots/report.json",
        "public/app.min.js",
        "vendor/github.com/x/y.go",
    ],
)
def test_generated_paths(path: str) -> None:
    assert is_generated_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "src/locales/en.json",
        "public/locales/pt-BR/common.json",
        "src/i18n/fr.yml",
        "src/main/resources/messages_fr.properties",
        "app/src/main/res/values-de/strings.xml",
        "lang/de.json",
        "po/fr.po",
        "web/zh-Hans.json",
    ],
)
def test_catalogue_paths(path: str) -> None:
    assert is_catalogue_path(path)


@pytest.mark.parametrize(
    "path", ["config/app.json", "config/db.yml", ".github/ci-cd.yml", "src/lang/parser.ts", "tsconfig.json"]
)
def test_not_catalogue_paths(path: str) -> None:
    assert not is_catalogue_path(path)


def test_every_rule_is_enabled_by_default_unless_said_otherwise() -> None:
    assert all(isinstance(rule.enabled_by_default, bool) for rule in RULES.values())


# --------------------------------------------------------------------------- react.conditional-hook

VUE_COMPOSABLE = code("""
    import { ref, computed } from 'vue'
    import { useRoute } from 'vue-router'

    export function useOrderFilter(enabled: boolean) {
      if (!enabled) return { filter: ref('') }
      const route = useRoute()
      return { filter: computed(() => route.query.q) }
    }
""")

PINIA_STORE = code("""
    import { defineStore } from 'pinia'

    export const useCart = defineStore('cart', () => {
      const items = ref([])
      function add(item) {
        const toast = useToast()
        items.value.push(item)
        toast.show('added')
      }
      return { items, add }
    })
""")

VUE_QUERY = code("""
    import { useQuery } from '@tanstack/vue-query'

    export function fetchOrders(id: Ref<string>) {
      return useQuery({ queryKey: ['orders', id], queryFn: () => api.orders(id.value) })
    }
""")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("web/src/composables/useOrderFilter.ts", VUE_COMPOSABLE),
        ("web/src/stores/cart.js", PINIA_STORE),
        ("web/src/api/orders.ts", VUE_QUERY),
        ("web/src/api/orders.ts", VUE_QUERY.replace("@tanstack/vue-query", "./query")),
    ],
)
def test_use_calls_outside_react_are_not_hooks(path: str, text: str) -> None:
    assert hits(added(path, text), "react.conditional-hook") == []


def test_react_hook_in_a_ts_file_importing_react_still_fires() -> None:
    text = code("""
        import { useState } from 'react'

        export function useToggle(enabled: boolean) {
          if (!enabled) return null
          const [on, setOn] = useState(false)
          return { on, setOn }
        }
    """)
    assert hits(added("web/src/hooks/useToggle.ts", text), "react.conditional-hook") == [5]


HOC = code("""
    import React, { useEffect, useState } from 'react';

    export default withInternalFallback((props: Props) => {
      const [open, setOpen] = useState(false);
      useEffect(() => setOpen(props.open), [props.open]);
      return <div>{open}</div>;
    });

    export const Field = memo(forwardRef((props: Props, ref) => {
      useImperativeHandle(ref, () => ({}));
      return <input />;
    }));

    export const Wrapped = connect(mapState)(function ({ id }: Props) {
      const order = useOrder(id);
      return <span>{order.name}</span>;
    });
""")


def test_component_wrapped_in_a_hoc_is_a_component() -> None:
    assert hits(added("web/src/Panel.tsx", HOC), "react.conditional-hook") == []


def test_conditional_hook_in_a_hoc_wrapped_component_still_fires() -> None:
    text = code("""
        import React, { useEffect } from 'react';

        export default withInternalFallback((props: Props) => {
          if (props.open) {
            useEffect(() => track(), []);
          }
          return <div />;
        });
    """)
    assert hits(added("web/src/Panel.tsx", text), "react.conditional-hook") == [5]


LONG_COMPONENT = code("""
    import React, { useState } from 'react';

    export function Orders({ orders }: Props) {
      const [filter, setFilter] = useState('');
      const a = 1;
      const b = 2;
      const c = 3;
      const d = 4;
      const e = 5;
      return <div>{filter}</div>;
    }
""")


def test_hook_whose_function_header_is_outside_the_hunk_abstains() -> None:
    after = LONG_COMPONENT.replace("  const d = 4;\n", "  const d = 4;\n  const theme = useTheme();\n")
    diff = make_modified_file("web/src/Orders.tsx", LONG_COMPONENT, after)
    assert hits(review((diff, None)), "react.conditional-hook") == []
    assert hits(review((diff, after)), "react.conditional-hook") == []


def test_conditional_hook_with_the_header_in_the_hunk_fires_without_the_file() -> None:
    after = LONG_COMPONENT.replace(
        "  const [filter, setFilter] = useState('');\n",
        "  const [filter, setFilter] = useState('');\n  if (!orders) return null;\n  const theme = useTheme();\n",
    )
    diff = make_modified_file("web/src/Orders.tsx", LONG_COMPONENT, after)
    assert hits(review((diff, None)), "react.conditional-hook") == [6]


# --------------------------------------------------------------------------- java

SPRING_TEST = code("""
    package com.acme.orders;

    @SpringBootTest
    class OrderServiceTest {
        @Autowired
        private OrderService service;

        @Test
        void finds() {
            service.find(1).printStackTrace();
        }
    }
""")


@pytest.mark.parametrize(
    "path",
    [
        "src/test/java/com/acme/orders/OrderServiceTest.java",
        "src/integrationTest/java/com/acme/orders/OrderServiceTest.java",
        "orders/OrderServiceTest.java",
    ],
)
def test_field_injection_is_natural_in_spring_tests(path: str) -> None:
    findings = added(path, SPRING_TEST)
    assert hits(findings, "java.field-injection") == []
    assert hits(findings, "java.print-stack-trace") == []


def test_spring_test_class_outside_a_test_directory() -> None:
    text = "import org.springframework.boot.test.context.SpringBootTest;\n" + SPRING_TEST
    assert hits(added("src/main/java/com/acme/orders/Checks.java", text), "java.field-injection") == []


def test_field_injection_in_production_code_still_fires() -> None:
    """In production code that otherwise injects through its constructor (see test_builtin_precision)."""
    text = SPRING_TEST.replace("@SpringBootTest\n", "@Service\n@RequiredArgsConstructor\n")
    text = text.replace("OrderServiceTest", "Orders")
    assert hits(added("src/main/java/com/acme/orders/Orders.java", text), "java.field-injection") == [6]


# --------------------------------------------------------------------------- secrets.config-password

I18N = code("""
    {
      "auth.set_password.title": "Set password",
      "auth.password.label": "Password",
      "auth.password.placeholder": "hunter2hunter",
      "auth.reset_password.message": "We sent you a link",
      "auth.password_mismatch": "Passwords do not match"
    }
""")


@pytest.mark.parametrize("path", ["web/src/locales/en.json", "web/src/config/ui.json"])
def test_i18n_labels_are_not_passwords(path: str) -> None:
    assert hits(added(path, I18N), "secrets.config-password") == []


def test_catalogue_is_skipped_whatever_the_value() -> None:
    text = "user.password=Passw0rd1\n"
    assert hits(added("src/main/resources/messages_fr.properties", text), "secrets.config-password") == []


def test_config_password_fires_and_never_shows_the_value() -> None:
    text = '{\n  "db_password": "s3cr3t-Pa55"\n}\n'
    (finding,) = [f for f in added("config/app.json", text) if f.rule_id == "secrets.config-password"]
    assert finding.line == 2
    assert "db_password" in finding.message
    assert "s3" not in finding.message and "55" not in finding.message and "*" not in finding.message


# --------------------------------------------------------------------------- rust

SQL_HEAD = code("""
    use sqlx::PgPool;

    const COLUMNS: &str = "id, name";

    impl Repo {
        const TABLE: &'static str = "orders";

        async fn run(&self, pool: &PgPool, name: &str, id: i64) {
""")


def _sql(*body: str) -> str:
    return SQL_HEAD + "".join(f"        {line}\n" for line in body) + "    }\n}\n"


@pytest.mark.parametrize(
    "body",
    [
        ('sqlx::query(&format!("SELECT {} FROM {} WHERE id = $1", COLUMNS, Self::TABLE)).bind(id);',),
        ('sqlx::query(&format!("SELECT * FROM {TABLE} WHERE id = $1")).bind(id);',),
        ('let sql = format!("DELETE FROM {} WHERE id = $1", "orders");', "sqlx::query(&sql).bind(id);"),
    ],
)
def test_sql_format_of_compile_time_constants_is_fine(body: tuple[str, ...]) -> None:
    assert hits(added("src/repo.rs", _sql(*body)), "rust.sql-format") == []


@pytest.mark.parametrize(
    "body",
    [
        ("sqlx::query(&format!(\"SELECT * FROM orders WHERE name = '{}'\", name));",),
        ("sqlx::query(&format!(\"SELECT * FROM orders WHERE name = '{name}'\"));",),
        ('sqlx::query(&format!("SELECT {} FROM t WHERE id = {}", COLUMNS, id));',),
        ('let sql = format!("SELECT {} FROM {}", COLUMNS, self.table);', "sqlx::query(&sql);"),
    ],
)
def test_sql_format_of_runtime_values_still_fires(body: tuple[str, ...]) -> None:
    assert hits(added("src/repo.rs", _sql(*body)), "rust.sql-format") == [8 + len(body)]


ERRORS = code("""
    use actix_web::{get, http::StatusCode, web, HttpResponse, ResponseError};

    impl ResponseError for ApiError {
        fn status_code(&self) -> StatusCode {
            StatusCode::from_u16(self.code).unwrap()
        }

        fn error_response(&self) -> HttpResponse {
            HttpResponse::build(StatusCode::from_u16(self.code).unwrap()).json(self.body())
        }
    }

    fn render(order: &Order) -> HttpResponse {
        HttpResponse::Ok().body(serde_json::to_string(order).unwrap())
    }

    #[get("/teapot")]
    async fn teapot() -> HttpResponse {
        let addr: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        HttpResponse::build(StatusCode::from_u16(418).unwrap()).body(addr.to_string())
    }

    #[allow(clippy::unwrap_used)]
    #[get("/allowed")]
    async fn allowed(path: web::Path<String>) -> HttpResponse {
        HttpResponse::Ok().body(path.parse::<u32>().unwrap().to_string())
    }

    async fn create(body: web::Json<Order>, pool: web::Data<Pool>) -> HttpResponse {
        let total: u32 = body.total.parse().unwrap();
        HttpResponse::Ok().body(total.to_string())
    }
""")


def test_unwrap_only_in_real_request_handlers() -> None:
    # error_response/status_code are not handlers, render() is a helper, the teapot's unwraps are on
    # constants, allowed() has clippy's allow: only create() (an async fn taking extractors) is left
    assert hits(added("src/errors.rs", ERRORS), "rust.unwrap-in-handler") == [30]


def test_crate_level_clippy_allow() -> None:
    text = "#![allow(clippy::unwrap_used)]\n" + ERRORS
    assert hits(added("src/errors.rs", text), "rust.unwrap-in-handler") == []


def test_rust_test_module_is_test_code() -> None:
    text = code("""
        pub fn total(a: u32, b: u32) -> u32 {
            a + b
        }

        #[cfg(test)]
        mod tests {
            // TODO: cover overflow
            #[tokio::test]
            async fn adds() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }

        // TODO: saturating add
    """)
    findings = added("src/total.rs", text)
    assert hits(findings, "rust.blocking-in-async") == []
    assert hits(findings, "generic.todo-without-ticket") == [14]


def test_inner_cfg_test_makes_the_whole_file_test_code() -> None:
    text = "#![cfg(test)]\n\n// TODO: more cases\nfn case() {}\n"
    assert hits(added("src/cases.rs", text), "generic.todo-without-ticket") == []


# --------------------------------------------------------------------------- js.console-log

DEV_ONLY = code("""
    export function report(event: Event) {
      if (isDevEnv()) {
        // eslint-disable-next-line no-console
        console.log('event', event);
      }
      if (process.env.NODE_ENV !== 'production') {
        console.debug(event);
      }
      if (__DEV__) console.log(event);
      if (import.meta.env.DEV) {
        console.table([event]);
      }
      if (process.env.NODE_ENV === 'production') {
        send(event);
      } else {
        console.log(event);
      }
      console.log(event.type); // eslint-disable-line no-console
      // eslint-disable-next-line no-console -- shown to operators
      console.log(event.id);
    }
""")


def test_console_log_in_dev_branches_and_under_eslint_disable_is_silent() -> None:
    assert hits(added("web/src/report.ts", DEV_ONLY), "js.console-log") == []


def test_console_log_file_level_eslint_disable() -> None:
    text = (
        "/* eslint-disable no-console */\nconsole.log(1);\n/* eslint-enable no-console */\nconsole.log(2);\n"
    )
    assert hits(added("web/src/a.js", text), "js.console-log") == [4]


def test_console_log_still_fires_elsewhere() -> None:
    text = code("""
        export function save(user: User) {
          if (user.admin) {
            console.log(user);
          }
          // eslint-disable-next-line no-alert
          console.log(user.id);
          if (isDevice(user)) {
            console.log(user.device);
          }
          if (process.env.NODE_ENV === 'production') {
            console.log('prod');
          }
        }
    """)
    assert hits(added("web/src/save.ts", text), "js.console-log") == [3, 6, 8, 11]


def test_eslint_disable_comments_silence_the_matching_rules_only() -> None:
    text = code("""
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        export function a(x: any): void {}
        export function b(x: any): void {} // eslint-disable-line eqeqeq
        const same = x == 1; // eslint-disable-line eqeqeq
        const other = x == 2;
    """)
    findings = added("web/src/a.ts", text)
    assert hits(findings, "ts.any-in-signature") == [3]
    assert hits(findings, "js.loose-equality") == [5]


def test_eval_in_a_test_file_is_not_an_injection() -> None:
    assert hits(added("web/src/a.test.js", "eval(code);\n"), "js.eval") == []
    assert hits(added("web/src/a.js", "eval(code);\n"), "js.eval") == [1]


def test_vue_jsx_file_is_not_react() -> None:
    text = code("""
        import { defineComponent } from 'vue';
        export default defineComponent({
          setup(props) {
            if (!props.id) return () => null;
            const route = useRoute();
            return () => <div>{route.path}</div>;
          },
        });
    """)
    assert hits(added("web/src/Order.tsx", text), "react.conditional-hook") == []


# --------------------------------------------------------------------------- generic.sensitive-file

CERT = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----\n"
PUBLIC = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"
PRIVATE = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("certs/cert.pem", CERT),
        ("certs/chain.pem", CERT + CERT),
        ("keys/jwt.pub.pem", PUBLIC),
        ("certs/server.crt", CERT),
        ("test/.env.test", "DB_PASSWORD=dummy-password\n"),
        (".env.test", "# Dummy values for the test suite, not real credentials\nAPI_KEY=abc123\n"),
        (".env.ci", "# Example values only\nAPI_KEY=abc123\n"),
    ],
)
def test_public_certificates_and_dummy_env_files_are_fine(path: str, text: str) -> None:
    assert hits(added(path, text), "generic.sensitive-file") == []


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (".env.test", "API_KEY=Xk82pq9Lm\n"),
        (".env.production", "# production settings\nAPI_KEY=Xk82pq9Lm\n"),
    ],
)
def test_real_env_files_still_fire(path: str, text: str) -> None:
    assert hits(added(path, text), "generic.sensitive-file") == [None]


@pytest.mark.parametrize(
    ("path", "text"), [("certs/server.pem", CERT + PRIVATE), ("certs/server.key", PRIVATE)]
)
def test_private_key_files_are_reported_once_on_the_key_block(path: str, text: str) -> None:
    findings = added(path, text)
    assert hits(findings, "generic.sensitive-file") == []
    assert len(hits(findings, "secrets.private-key")) == 1


def test_binary_pem_is_decided_by_name() -> None:
    diff = FileDiff(path="certs/cert.pem", change=ChangeKind.ADDED, binary=True)
    assert hits(review((diff, None)), "generic.sensitive-file") == [None]


# --------------------------------------------------------------------------- generic.todo-without-ticket


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("web/src/a.ts", 'const hint = "TODO: nothing to do here";'),
        ("web/src/a.ts", "const hint = `// TODO ${x}`;"),
        ("src/main/java/A.java", 'String s = "// TODO later";'),
        ("src/lib.rs", 'let s = "/* FIXME */";'),
        ("tools/a.py", 'msg = "# TODO: not a comment"'),
        ("web/src/a.ts", "// TODO(Halo 3): remove the fallback"),
        ("web/src/a.ts", "// TODO[perf]: cache it"),
        ("web/src/a.ts", "// TODO @alice: rename"),
        ("tools/a.py", "# FIXME(bob) flaky"),
        ("README.md", "## TODO"),
        ("src/test/java/A.java", "// TODO: more cases"),
        ("web/src/__snapshots__/a.snap", "// TODO: x"),
    ],
)
def test_todo_outside_comments_tagged_or_in_tests_is_fine(path: str, line: str) -> None:
    assert hits(added(path, line + "\n"), "generic.todo-without-ticket") == []


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("web/src/a.ts", "const x = 1; // TODO: handle retries"),
        ("web/src/a.ts", "/* FIXME: flaky */"),
        ("src/main/java/A.java", 'String s = "x"; // TODO: remove'),
        ("src/lib.rs", "/// TODO: document the panics"),
        ("tools/a.py", 'x = "it\'s"  # TODO: remove'),
        ("deploy/app.yml", "replicas: 2 # TODO: scale"),
        ("README.md", "<!-- TODO: write the install section -->"),
    ],
)
def test_todo_in_a_comment_still_fires(path: str, line: str) -> None:
    assert hits(added(path, line + "\n"), "generic.todo-without-ticket") == [1]


def test_todo_in_a_block_comment_continuation_without_the_file() -> None:
    old = "/**\n * Orders.\n */\nexport const a = 1;\n"
    new = "/**\n * Orders.\n * TODO: split\n */\nexport const a = 1;\n"
    diff = make_modified_file("web/src/a.ts", old, new)
    assert hits(review((diff, None)), "generic.todo-without-ticket") == [3]
    assert hits(review((diff, new)), "generic.todo-without-ticket") == [3]


# --------------------------------------------------------------------------- test files, generated files

BIG = "".join(f'  "key{i}": "value {i}",\n' for i in range(1100))


@pytest.mark.parametrize(
    "path",
    [
        "web/src/__snapshots__/report.json",
        "tests/snapshots/report.json",
        "web/src/__tests__/fixtures/orders.json",
        "package-lock.json",
        "web/src/locales/en.json",
        "src/test/resources/orders.json",
    ],
)
def test_large_generated_test_or_data_files_are_fine(path: str) -> None:
    assert hits(added(path, "{\n" + BIG + "}\n"), "generic.large-file") == []


def test_large_source_file_still_fires() -> None:
    assert hits(added("src/report.py", BIG), "generic.large-file") == [None]


@pytest.mark.parametrize(
    ("header", "generated"),
    [
        ("// Code generated by protoc-gen-go. DO NOT EDIT.", True),
        ("# Generated by Django 4.2 on 2024-01-01 10:00", True),
        ("/* @generated */", True),
        ("// This file was automatically generated from schema.graphql", True),
        ("// Order ids are auto-generated by the database", False),
        ("// The generated report is sent by mail", False),
    ],
)
def test_generated_header(header: str, generated: bool) -> None:
    text = header + "\n" + "".join(f"// TODO: item {i}\n" for i in range(3))
    assert bool(hits(added("src/report.js", text), "generic.todo-without-ticket")) != generated


def test_minified_file_is_not_reviewed_for_hygiene() -> None:
    text = "function a(b: any): any {console.log(b); return b}" + " " * 1200 + "\n"
    findings = added("web/public/vendor.ts", text)
    assert hits(findings, "ts.any-in-signature") == []
    assert hits(findings, "js.console-log") == []


@pytest.mark.parametrize(
    "path", ["web/src/orders.test.ts", "web/src/__tests__/orders.ts", "web/e2e/orders.spec.ts"]
)
def test_any_in_signature_is_silent_in_tests(path: str) -> None:
    assert (
        hits(added(path, "export function mock(x: any): any {\n  return x;\n}\n"), "ts.any-in-signature")
        == []
    )


def test_any_in_signature_still_fires_in_sources() -> None:
    text = "export function parse(x: any): string {\n  return x;\n}\n"
    assert hits(added("web/src/orders.ts", text), "ts.any-in-signature") == [1]
