"""False positives from the fifth held-out sample (bench/precision/holdout5), each next to a finding
that still fires."""

from __future__ import annotations

from mochi.models import Diff, FileDiff
from mochi.providers.builtin.imported import imported_directories
from tests.providers.builtin.builtin_diffs import (
    added,
    code,
    hits,
    make_added_file,
    make_modified_file,
    review,
)

# --------------------------------------------------------------------------- a crate imported whole

SIMD = code("""
    pub fn popcount(v: &[u8]) -> usize {
        unsafe { impl_popcnt(v.as_ptr(), v.len() as u32) as usize }
    }
""")
CRATE = '[package]\nname = "quantization"\nversion = "0.1.0"\nedition = "2021"\n'
SEGMENT_BEFORE = code("""
    [dependencies]
    rayon = "1.10.0"
    quantization = { git = "https://github.com/qdrant/quantization.git" }
    sparse = { path = "../sparse" }
""")
SEGMENT_AFTER = code("""
    [dependencies]
    rayon = "1.10.0"
    sparse = { path = "../sparse" }
    quantization = { path = "../quantization" }
""")


def _crate_change(segment_before: str = SEGMENT_BEFORE) -> list[tuple[FileDiff, str | None]]:
    return [
        (make_added_file("lib/quantization/Cargo.toml", CRATE), CRATE),
        (make_added_file("lib/quantization/src/utils.rs", SIMD), SIMD),
        (make_modified_file("lib/segment/Cargo.toml", segment_before, SEGMENT_AFTER), SEGMENT_AFTER),
    ]


def test_a_crate_imported_from_its_own_repository_is_not_new_code() -> None:
    """qdrant 21a3c108 ("Move quantization repo"): lib/quantization/ added whole while lib/segment swaps
    `quantization = { git = ... }` for `{ path = "../quantization" }`: 19 unsafe blocks were reported."""
    assert hits(review(*_crate_change()), "rust.unsafe-block") == []
    # the same new crate, but no dependency of that name came from elsewhere before: the author's new code
    written = SEGMENT_BEFORE.replace(
        'quantization = { git = "https://github.com/qdrant/quantization.git" }\n', ""
    )
    assert hits(review(*_crate_change(written)), "rust.unsafe-block") == [2]


def test_only_a_dependency_re_pointed_at_the_new_directory_marks_an_import() -> None:
    files = {fd.path: (fd, text) for fd, text in _crate_change()}
    diff = Diff(files=tuple(fd for fd, _ in files.values()))
    assert imported_directories(diff, lambda p: files[p][1]) == frozenset({"lib/quantization"})
    elsewhere = SEGMENT_AFTER.replace("../quantization", "../vendor/quantization")
    moved = Diff(
        files=(*diff.files[:2], make_modified_file("lib/segment/Cargo.toml", SEGMENT_BEFORE, elsewhere))
    )
    assert imported_directories(moved, lambda p: files[p][1] if p in files else None) == frozenset()
    # the table form, and npm's `file:` dependencies
    table_before = '[dependencies.quantization]\ngit = "https://github.com/qdrant/quantization.git"\n'
    table_after = '[dependencies.quantization]\npath = "../quantization"\n'
    table = Diff(
        files=(*diff.files[:2], make_modified_file("lib/segment/Cargo.toml", table_before, table_after))
    )
    assert imported_directories(table, lambda p: files[p][1] if p in files else None) == {"lib/quantization"}
    # a workspace: the member now takes the workspace's copy, which the root points at the new directory
    workspace = Diff(
        files=(
            *diff.files[:2],
            make_modified_file(
                "lib/segment/Cargo.toml",
                SEGMENT_BEFORE,
                SEGMENT_AFTER.replace('path = "../quantization"', "workspace = true"),
            ),
            make_modified_file(
                "Cargo.toml",
                '[workspace.dependencies]\nrayon = "1.10.0"\n',
                '[workspace.dependencies]\nrayon = "1.10.0"\nquantization = { path = "lib/quantization" }\n',
            ),
        )
    )
    assert imported_directories(workspace, lambda p: files[p][1] if p in files else None) == {
        "lib/quantization"
    }
    package = '{\n  "name": "@acme/charts",\n  "version": "2.0.0"\n}\n'
    npm = Diff(
        files=(
            make_added_file("packages/charts/package.json", package),
            make_added_file("packages/charts/src/index.js", "console.log('x');\n"),
            make_modified_file(
                "app/package.json",
                '{\n  "dependencies": {\n    "@acme/charts": "^1.4.0"\n  }\n}\n',
                '{\n  "dependencies": {\n    "@acme/charts": "file:../packages/charts"\n  }\n}\n',
            ),
        )
    )
    assert imported_directories(npm, lambda p: package if p.endswith("charts/package.json") else None) == {
        "packages/charts"
    }


# --------------------------------------------------------------------------- template placeholders


def test_template_markers_and_placeholder_words_are_not_passwords() -> None:
    """hertzbeat (6 commits): `password: ^_^password^_^`, the slot a monitor template fills in; hertzbeat
    1baea718: `password: yourpassword` in the sample mail block."""
    template = code("""
        params:
          host: ^_^host^_^
          username: ^_^username^_^
          password: ^_^password^_^
          basicAuthPassword: '%BASIC_PASSWORD%'
          digestAuthPassword: __DIGEST_PASSWORD__
          tokenSecret: '[[token_secret]]'
          adminPassword: Wint3r-Sale-2024!
    """)
    assert hits(added("manager/src/main/resources/define/app-db2.yml", template),
                "secrets.config-password") == [8]  # fmt: skip
    mail = "spring:\n  mail:\n    password: yourpassword\n    username: mypassword\n    token: my-token\n"
    assert hits(added("manager/src/main/resources/application.yml", mail), "secrets.config-password") == []
    real = "spring:\n  mail:\n    password: ^_^Passw0rd!\n    secret: '%abc%def'\n"
    assert hits(added("manager/src/main/resources/application.yml", real), "secrets.config-password") == [
        3,
        4,
    ]


# --------------------------------------------------------------------------- catches with nothing to tell


def test_logging_is_all_a_close_or_a_scheduled_cleanup_can_do() -> None:
    """hertzbeat d3eff79a: RedfishConnect.close(); powerjob 4fcc77e3 and hertzbeat 906862e4: best-effort
    deletion in a `@Scheduled` cleaner that runs again later."""
    text = code("""
        @Slf4j
        public class Cleaner implements AutoCloseable {
            @Override
            public void close() {
                try {
                    if (session != null) {
                        session.close();
                    }
                    pool.shutdown();
                } catch (Exception e) {
                    log.error("close error: {}", e.getMessage());
                }
            }

            @Scheduled(cron = "0 0 23 * * ?")
            public void expiredDataCleaner() {
                Lists.partition(ids, 100).forEach(p -> {
                    try {
                        repository.deleteByIdIn(p);
                    } catch (Exception e) {
                        log.warn("delete expired logs of {} failed", p, e);
                    }
                });
            }

            @Scheduled(fixedDelay = 60000)
            public void sync() {
                try {
                    config = load();
                } catch (Exception e) {
                    log.warn("load failed", e);
                }
                publish(config);
            }

            public void purge() {
                try {
                    repository.deleteAll();
                } catch (Exception e) {
                    log.warn("purge failed", e);
                }
            }
        }
    """)
    # sync() goes on with a stale config; purge() has a caller who is told it worked
    assert hits(added("collector/src/main/java/org/acme/Cleaner.java", text),
                "java.swallowed-exception") == [30, 39]  # fmt: skip
    guarded = code("""
        class Pool {
            void release(Connection c) {
                try {
                    if (c != null) {
                        c.close();
                    }
                } catch (Exception e) {
                    log.warn("release failed", e);
                }
            }
        }
    """)
    assert (
        hits(added("collector/src/main/java/org/acme/Pool.java", guarded), "java.swallowed-exception") == []
    )


def test_a_try_that_returns_and_a_fallback_after_the_catch_is_handling() -> None:
    """hertzbeat 90ab1f76: a custom operator returns its result in the try and Aviator's own after the
    catch; powerjob d6d461c7: `return res` in the try, an empty map after the catch."""
    text = code("""
        public class Operators {
            public AviatorObject call(Map<String, Object> env, AviatorObject a, AviatorObject b) {
                try {
                    Object value = a.getValue(env) == null ? b.getValue(env) : a.getValue(env);
                    if (a.getAviatorType() == AviatorType.String) {
                        return new AviatorString(String.valueOf(value));
                    } else {
                        return AviatorDouble.valueOf(value);
                    }
                } catch (Exception e) {
                    log.error(e.getMessage());
                }
                return a.bitOr(b, env);
            }

            public List<String> readAll(File file) {
                List<String> lines = new ArrayList<>();
                try {
                    lines.addAll(Files.readAllLines(file.toPath()));
                } catch (Exception e) {
                    log.error("read failed: {}", e.getMessage());
                }
                return lines;
            }
        }
    """)
    # readAll() returns what it read so far as if it were the whole file (eladmin's SqlUtils, a tp)
    found = added("alerter/src/main/java/org/acme/Operators.java", text)
    assert hits(found, "java.swallowed-exception") == [20]


# --------------------------------------------------------------------------- console output on purpose


def test_a_migration_or_shebang_script_prints_on_purpose() -> None:
    """kutt bfd417b8: `console.log(count++)` is the progress display of a hand-run migration script."""
    script = "const run = async () => {\n  console.log(count++);\n};\n"
    assert hits(added("server/migration/04_links.ts", script), "js.console-log") == []
    assert hits(added("db/migrations/20240101_links.js", script), "js.console-log") == []
    assert hits(added("server/cli.js", "#!/usr/bin/env node\n" + script), "js.console-log") == []
    assert hits(added("server/links.ts", script), "js.console-log") == [2]


def test_console_output_behind_a_debug_flag_is_instrumentation() -> None:
    """headlamp ff83f176 (dropped from the sample): `if (... window.__HEADLAMP_DEBUG_PERFORMANCE__)`."""
    text = code("""
        export function layout(graph) {
          if (typeof window !== 'undefined' && (window as any).__APP_DEBUG_PERFORMANCE__) {
            console.log('layout took', performance.now() - start);
          }
          if (this.debug) console.log(graph);
          if (options.enableDebug) {
            console.debug(graph.nodes);
          }
          if (!DEBUG) {
            console.log('nodes', graph.nodes.length);
          }
          console.log(graph);
        }
    """)
    assert hits(added("frontend/src/components/GraphView.tsx", text), "js.console-log") == [10, 12]


def test_a_markdown_reference_whose_header_says_it_is_generated_is_not_a_large_change() -> None:
    """qdrant c6441f06 (dropped from the sample): protoc-gen-doc output; a marker in its header is what
    tells generated Markdown from written Markdown."""
    body = "| Field | Type | Label | Description |\n" * 1200
    marked = "<!-- Generated by protoc-gen-doc. DO NOT EDIT. -->\n# Protocol Documentation\n" + body
    assert hits(added("docs/grpc/docs.md", marked), "generic.large-file") == []
    assert hits(added("docs/grpc/docs.md", "# Protocol Documentation\n" + body), "generic.large-file") == [
        None
    ]
