"""False positives from the first held-out sample (bench/precision/holdout), each next to a finding
that still fires."""

from __future__ import annotations

from tests.providers.builtin.builtin_diffs import added, code, hits

CLINIC = code("""
    package org.springframework.samples.petclinic.jdbc;

    public class SimpleJdbcClinic {
        @Transactional(readOnly = true)
        public Owner findOwner(int id) { return null; }

        @Transactional(readOnly = true)
        public Pet findPet(int id) {
            Owner owner = findOwner(id);
            return null;
        }

        @Transactional
        public void deletePet(int id) {
            Pet pet = findPet(id);
        }

        @Transactional(propagation = Propagation.REQUIRES_NEW)
        public void audit(int id) { }

        @Transactional
        public void storePet(Pet pet) {
            audit(pet.getId());
        }

        public void export() {
            findOwner(1);
        }
    }
""")


def test_a_transactional_method_joining_its_callers_transaction_loses_nothing() -> None:
    """petclinic 9f8acc05: readOnly -> readOnly, and a read-write caller of a readOnly method, are fine;
    REQUIRES_NEW from a transactional caller, and any call from a non-transactional one, are not."""
    path = "src/main/java/org/springframework/samples/petclinic/jdbc/SimpleJdbcClinic.java"
    found = hits(added(path, CLINIC), "java.transactional-self-invocation")
    assert found == [23, 27]


def test_example_env_files_are_not_configuration() -> None:
    """node-express f38d86a1: SMTP_PASSWORD=email-server-password in .env.example. The same value in a
    real configuration still fires: `mall-admin-secret` (mall b58181cd) looks as much like a name."""
    text = "SMTP_HOST=email-server\nSMTP_PASSWORD=email-server-password\n"
    assert hits(added(".env.example", text), "secrets.config-password") == []
    assert hits(added("config/app.properties", "mail.password=email-server-password\n"),
                "secrets.config-password") == [1]  # fmt: skip
    assert hits(
        added("config/app.properties", "mail.password=Tr0ub4dor&3x\n"), "secrets.config-password"
    ) == [1]
    assert hits(added("config/application-default.properties", "db.password=Tr0ub4dor&3x\n"),
                "secrets.config-password") == [1]  # fmt: skip


def test_a_mock_api_server_prints_on_purpose() -> None:
    """bulletproof-react 8ef3fa3f: the development mock server's start-up lines."""
    text = "initializeDb().then(() => {\n  console.log('Mock DB initialized');\n});\n"
    assert hits(added("mock-server.ts", text), "js.console-log") == []
    assert hits(added("src/mocks/handlers.ts", text), "js.console-log") == []
    assert hits(added("src/features/db.ts", text), "js.console-log") == [2]


def test_a_compiled_stylesheet_under_static_is_not_a_large_change() -> None:
    """petclinic de0e3663: petclinic.css compiled from src/main/scss and committed on purpose."""
    css = "".join(f".c{i} {{ color: #{i:06x}; }}\n" for i in range(1200))
    assert (
        hits(added("src/main/resources/static/resources/css/petclinic.css", css), "generic.large-file") == []
    )
    assert hits(added("src/main/resources/db/data.sql", css), "generic.large-file") == [None]


# --------------------------------------------------------------------------- bench/precision/holdout2


def test_a_console_program_prints_on_purpose() -> None:
    """eladmin 2b6d94f8: SigarUtil, a demo program with main(): 106 System.out lines were findings."""
    program = code("""
        public class SigarUtil {
            public static void main(String[] args) {
                System.out.println("cpu: " + cpu());
            }
        }
    """)
    service = program.replace("public static void main(String[] args)", "public void report()")
    assert hits(added("src/main/java/me/zhengjie/SigarUtil.java", program), "java.system-out") == []
    assert hits(added("src/main/java/me/zhengjie/Report.java", service), "java.system-out") == [3]


def test_closing_and_returning_failure_are_not_swallowing() -> None:
    """eladmin cf211a67: a catch around close(), and testConnection's `return false` after its catch."""
    text = code("""
        class SqlUtils {
            void close(Connection c) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.error("close", e);
                }
            }

            boolean testConnection(String url) {
                try {
                    return DriverManager.getConnection(url) != null;
                } catch (Exception e) {
                    log.info("no connection");
                }
                return false;
            }

            void load(String url) {
                try {
                    cache.put(url, read(url));
                } catch (Exception e) {
                    log.info("no data");
                }
            }
        }
    """)
    assert hits(added("src/main/java/me/zhengjie/SqlUtils.java", text), "java.swallowed-exception") == [22]


def test_a_placeholder_in_another_script_and_mybatis_generated_files() -> None:
    """eladmin 7728306d: `填写你的SecretKey`; litemall 04e9bbb8: a MyBatis Generator example class."""
    assert hits(added("src/main/resources/application-prod.yml", "jwt:\n  secret: 填写你的SecretKey\n"),
                "secrets.config-password") == []  # fmt: skip
    generated = (
        "public class LitemallFeedbackExample {\n    /** @mbg.generated */\n" + "    int x;\n" * 1200 + "}\n"
    )
    assert hits(added("src/main/java/org/linlinjava/LitemallFeedbackExample.java", generated),
                "generic.large-file") == []  # fmt: skip


def test_console_output_is_the_files_convention_when_it_already_logs_with_it() -> None:
    """uptime-kuma 61e758d8: a Node server that logs with console.log throughout (no logger yet)."""
    from tests.providers.builtin.builtin_diffs import modified

    before = "".join(f"console.log('step {i}');\nstart{i}();\n" for i in range(3))
    after = before + "console.log('Shutting down');\n"
    assert hits(modified("server/server.js", before, after), "js.console-log") == []
    debug = "function total(items) {\n  return items.length;\n}\n"
    assert hits(modified("src/total.js", debug, debug.replace("  return", "  console.log(items);\n  return")),
                "js.console-log") == [2]  # fmt: skip


def test_one_rule_on_many_lines_of_a_file_is_a_few_comments_not_a_flood() -> None:
    """eladmin 2b6d94f8 made 106 comments from one file: at most 10 a rule and file, the last names the
    rest."""
    from mochi.models import Diff
    from mochi.providers.builtin import RULES, BuiltinReviewer
    from tests.providers.builtin.builtin_diffs import make_added_file

    text = "".join(f"console.log('step {i}');\n" for i in range(30))
    found = [f for f in added("src/steps.js", text) if f.rule_id == "js.console-log"]
    assert [f.line for f in found] == list(range(1, 11))
    assert "The same in 20 more place(s) of this file (lines 11, 12," in found[-1].message
    diff = Diff(
        files=(
            make_added_file(
                "conf/keys.properties", "".join(f"k{i}=AKIAQ3R7XN2PLM5KD{i:03d}\n" for i in range(30))
            ),
        )
    )
    secrets = {k: r for k, r in RULES.items() if k.startswith("secrets.")}
    redaction = BuiltinReviewer(registry=secrets, only_introduced=False).review(diff, lambda _p: None)
    assert len(redaction) == 30  # what is redacted before the prompt is never capped


def test_a_console_programs_main_reports_its_own_errors() -> None:
    """eladmin 2b6d94f8: the catch and printStackTrace in SigarUtil's main() were two findings."""
    program = code("""
        public class SigarUtil {
            public static void main(String[] args) {
                try {
                    cpu();
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }

            public Map<String, Object> cpuInfo() {
                try {
                    return cpu();
                } catch (Exception e) {
                    e.printStackTrace();
                }
                return null;
            }
        }
    """)
    findings = added("src/main/java/me/zhengjie/SigarUtil.java", program)
    assert hits(findings, "java.print-stack-trace") == [14]
    assert hits(findings, "java.swallowed-exception") == []  # cpuInfo returns null: the failure result


def test_closing_then_forgetting_is_closing() -> None:
    """eladmin cf211a67: `connection.close(); connection = null;` in a release helper."""
    text = code("""
        class SqlUtils {
            static void release(Connection connection) {
                try {
                    connection.close();
                    connection = null;
                } catch (Exception e) {
                    log.error("connection close error", e);
                }
            }
        }
    """)
    assert hits(added("src/main/java/me/zhengjie/SqlUtils.java", text), "java.swallowed-exception") == []


def test_a_catch_whose_logging_is_fixed_was_not_made_to_swallow() -> None:
    """eladmin 311396f8: printStackTrace -> log.error in an existing catch is the fix, not a new swallow;
    the same catch losing its `throw` is."""
    from tests.providers.builtin.builtin_diffs import modified

    def service(body: str) -> str:
        return code(f"""
            class MonitorServiceImpl {{
                Map<String, Object> info() {{
                    Map<String, Object> result = new HashMap<>();
                    try {{
                        result.put("cpu", cpu());
                    }} catch (Exception e) {{
                        {body}
                    }}
                    return result;
                }}
            }}
        """)

    path = "src/main/java/me/zhengjie/MonitorServiceImpl.java"
    before, after = service("e.printStackTrace();"), service("log.error(e.getMessage(), e);")
    assert hits(modified(path, before, after), "java.swallowed-exception") == []
    rethrowing = service("throw new BadRequestException(e.getMessage());")
    assert hits(modified(path, rethrowing, after), "java.swallowed-exception") == [6]


def test_a_url_whose_password_names_its_slot_is_documentation() -> None:
    """uptime-kuma 8c941b1d: Apprise's help text `twilio://AccountSid:AuthToken@FromPhoneNo`."""
    help_text = "<p>twilio://AccountSid:AuthToken@FromPhoneNo</p>\n"
    assert hits(added("src/components/notifications/Apprise.vue", help_text), "secrets.url-credentials") == []
    real = "<p>amqp://mochi:Zq7vK2mPx9@broker.internal:5672</p>\n"
    assert hits(added("src/components/notifications/Apprise.vue", real), "secrets.url-credentials") == [1]


# ----------------------------------------------------------------------------- the third held-out sample


def test_an_edit_inside_an_old_unsafe_block_does_not_make_it_new() -> None:
    """meilisearch c99ba882: a line inside an old `unsafe` block changed; the block was reported."""
    from tests.providers.builtin.builtin_diffs import modified

    before = code("""
        pub fn sum(a: &[u8]) -> u8 {
            unsafe {
                let x = a.get_unchecked(0);
                *x
            }
        }
    """)
    after = before.replace("get_unchecked(0)", "get_unchecked(1)")
    assert hits(modified("milli/src/sum_of_typos.rs", before, after), "rust.unsafe-block") == []
    new_block = before.replace("    unsafe {", "    let y = 1;\n    unsafe {").replace("pub fn", "fn")
    assert hits(modified("milli/src/sum_of_typos.rs", before.replace("unsafe {", "{"), new_block),
                "rust.unsafe-block") == [3]  # fmt: skip


def test_a_construct_the_edited_line_already_held_is_not_new() -> None:
    """jaeger-ui 9068a116, etherpad 40014d82: `any` and `==` re-reported when another token of the line
    changed; `== undefined` is the null-or-undefined idiom (etherpad 40c5e70a)."""
    from tests.providers.builtin.builtin_diffs import modified

    old = "export function adapt(field: any, label: string) {\n  return field.value == label;\n}\n"
    new = "export function adapt(field: any, label: string, hint?: string) {\n  return field.value == label || hint == label;\n}\n"  # noqa: E501
    findings = modified("src/components/adapter.tsx", old, new)
    assert hits(findings, "ts.any-in-signature") == []  # `field: any` was there
    assert hits(findings, "js.loose-equality") == [2]  # `hint == label` is new
    undefined = "if (value == undefined || other != undefined) {\n  go();\n}\n"
    assert hits(added("src/node/hooks.js", undefined), "js.loose-equality") == []


def test_vendored_mocks_and_placeholder_credentials_in_docs() -> None:
    """etherpad ce1e9672: `src/static/js/vendors/nice-select.js`; jaeger-ui 9068a116: `metrics.mock.js`;
    apollo 7df79bf8: `mysql://some-user-name:some-password@host` in a deployment guide."""
    vendored = added("src/static/js/vendors/nice-select.js", "console.log('open');\n")
    assert hits(vendored, "js.console-log") == []
    big = "export default {\n" + "  series: [1, 2, 3],\n" * 3000 + "};\n"
    assert hits(added("src/reducers/metrics.mock.js", big), "generic.large-file") == []
    assert hits(added("src/reducers/metrics.js", big), "generic.large-file") == [None]
    guide = "jdbc:mysql://some-user-name:some-password@10.0.0.1:3306/ApolloConfigDB\n"
    in_docs = added("docs/en/deployment/distributed-deployment-guide.md", guide)
    assert hits(in_docs, "secrets.url-credentials") == []


# ----------------------------------------------------------------------------- the fourth held-out sample


def test_a_nested_classs_constructor_is_not_the_outer_classs_injection() -> None:
    """kkFileView 6754232a: @Autowired fields of a service whose nested Runnable takes them in its own
    constructor were "mixed with constructor injection"."""
    text = code("""
        @Service
        public class FileConverQueueTask {
            @Autowired
            FilePreviewFactory previewFactory;

            class ConverTask implements Runnable {
                FilePreviewFactory previewFactory;

                public ConverTask(FilePreviewFactory previewFactory) {
                    this.previewFactory = previewFactory;
                }

                public void run() { }
            }
        }
    """)
    assert hits(added("src/main/java/cn/keking/FileConverQueueTask.java", text), "java.field-injection") == []
    mixed = text.replace(
        "    class ConverTask",
        "    FileConverQueueTask(Clock clock) {\n        this.clock = clock;\n    }\n\n    class ConverTask",
    )
    assert hits(added("src/main/java/cn/keking/FileConverQueueTask.java", mixed), "java.field-injection") == [
        3
    ]


def test_an_empty_catch_whose_variable_is_named_ignore_is_deliberate() -> None:
    """nacos 4c2d56cc: `catch (UnsupportedEncodingException ignore) {}`."""
    text = code("""
        class WebUtils {
            String resolve(String v) {
                try {
                    v = decode(v);
                } catch (UnsupportedEncodingException ignore) {
                }
                try {
                    v = trim(v);
                } catch (Exception e) {
                }
                return v;
            }
        }
    """)
    assert hits(added("src/main/java/com/alibaba/WebUtils.java", text), "java.swallowed-exception") == [9]


def test_a_return_inside_a_function_declared_in_the_component_is_not_an_early_return() -> None:
    """umami bdcdcd9d: `function draw() { if (!canvas.current) return; ... }` before a useEffect."""
    text = code("""
        import React, { useEffect, useRef } from 'react';

        export default function PageviewsChart({ data }) {
          const canvas = useRef();
          function draw() {
            if (!canvas.current) return;
            paint(canvas.current, data);
          }
          useEffect(() => {
            if (data) draw();
          }, [data]);
          if (!data) return null;
          useEffect(() => {}, []);
          return <canvas ref={canvas} />;
        }
    """)
    assert hits(added("components/PageviewsChart.js", text), "react.conditional-hook") == [13]


def test_printstacktrace_in_a_file_that_reports_errors_that_way_follows_its_convention() -> None:
    """kkFileView (fourth held-out sample): new printStackTrace calls in classes that already print
    every failure so were judged debatable, never wrong or right, with a logger in the class (kept
    through the maintainers' logging clean-ups) or without; in a new file the call is reported."""
    from tests.providers.builtin.builtin_diffs import modified

    before = code("""
        class CompressFileReader {
            void a() {
                try { open(); } catch (Exception e) { e.printStackTrace(); }
            }
            void b() {
                try { read(); } catch (Exception e) { e.printStackTrace(); }
            }
        }
    """)
    new_method = (
        "    void c() {\n        try { close(); } catch (Exception e) { e.printStackTrace(); }\n    }\n"
    )

    def add_c(text: str) -> str:
        return text.replace("    void b() {", new_method + "    void b() {")

    path = "src/main/java/cn/keking/CompressFileReader.java"
    assert hits(modified(path, before, add_c(before)), "java.print-stack-trace") == []
    logger = "    private static final Logger log = LoggerFactory.getLogger(CompressFileReader.class);"
    logged = before.replace("class CompressFileReader {", "class CompressFileReader {\n" + logger)
    assert hits(modified(path, logged, add_c(logged)), "java.print-stack-trace") == []
    assert hits(added(path, add_c(logged)), "java.print-stack-trace") == [4, 7, 10]
