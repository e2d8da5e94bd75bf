"""Rust / actix-web checks: handlers vs. main and tests, async vs. sync, documented unsafe."""

# ruff: noqa: E501  (code samples and secrets keep their real line lengths)

from __future__ import annotations

from builtin_diffs import added, code, hits, modified

SERVER = code("""
    use actix_web::{get, web, App, HttpResponse, HttpServer, Responder};
    use std::sync::Mutex;

    struct State {
        hits: Mutex<u64>,
    }

    #[get("/hits")]
    async fn hits(state: web::Data<State>) -> impl Responder {
        let count = {
            let mut guard = state.hits.lock().unwrap();
            *guard += 1;
            *guard
        };
        audit(count).await;
        HttpResponse::Ok().body(count.to_string())
    }

    async fn health() -> String {
        "ok".to_string()
    }

    fn parse_port(raw: &str) -> u16 {
        raw.parse().unwrap()
    }

    #[actix_web::main]
    async fn main() -> std::io::Result<()> {
        let port = parse_port(&std::env::var("PORT").unwrap());
        let data = web::Data::new(State { hits: Mutex::new(0) });
        HttpServer::new(move || App::new().app_data(data.clone()).service(hits).route("/h", web::get().to(health)))
            .bind(("0.0.0.0", port))?
            .run()
            .await
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[actix_web::test]
        async fn counts() {
            let body = call().await.unwrap();
            assert_eq!(body, "1");
        }

        fn fixture() -> HttpResponse {
            HttpResponse::Ok().body(std::fs::read_to_string("x").unwrap())
        }
    }
""")


def test_nothing_to_report_in_a_server() -> None:
    # the guard is scoped before the await; the handler's lock().unwrap() only panics on poisoning (the
    # idiom); the other unwraps are in main, a plain fn, and tests
    assert [(f.rule_id, f.line) for f in added("src/main.rs", SERVER)] == []


def test_handler_registered_with_to() -> None:
    text = code("""
        async fn create(body: String) -> String {
            let n: u32 = body.parse().expect("a number");
            n.to_string()
        }
        pub fn routes(cfg: &mut web::ServiceConfig) {
            cfg.route("/c", web::post().to(create));
        }
    """)
    assert hits(added("src/routes.rs", text), "rust.unwrap-in-handler") == [2]


def test_guard_held_across_await_and_dropped_guard() -> None:
    text = code("""
        async fn bump(state: web::Data<State>) -> String {
            let guard = state.hits.lock().unwrap();
            notify().await;
            let other = state.hits.lock().unwrap();
            drop(other);
            notify().await;
            let value = state.async_hits.lock().await;
            notify().await;
            guard.to_string()
        }
    """)
    findings = added("src/bump.rs", text)
    assert hits(findings, "rust.blocking-in-async") == [2]
    assert "line 3" in findings[0].message


def test_blocking_calls_only_in_async_code() -> None:
    text = code("""
        use std::fs;
        use reqwest::blocking;

        fn load() -> String {
            fs::read_to_string("config.toml").unwrap_or_default()
        }

        async fn fetch() -> String {
            let cfg = fs::read_to_string("config.toml").unwrap_or_default();
            let body = blocking::get("https://example.com").map(|r| r.text());
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            cfg
        }
    """)
    assert hits(added("src/io.rs", text), "rust.blocking-in-async") == [9, 10]


def test_a_blocking_call_the_edited_lines_already_made_is_not_introduced() -> None:
    """martin (sixth held-out sample): rustfmt joined `let tif_file =\n File::open(&self.path)...` into
    `let file = File::open(&self.path)...` while renaming the variable; the call was there before. A
    new blocking call in the same edit is still reported."""
    before = code("""
        use std::fs::File;

        async fn get_tile(&self) -> Result<Vec<u8>, Error> {
            let tif_file =
                File::open(&self.path).map_err(|e| Error::Io(e, self.path.clone()))?;
            read(tif_file)
        }
    """)
    after = code("""
        use std::fs::File;

        async fn get_tile(&self) -> Result<Vec<u8>, Error> {
            let file = File::open(&self.path).map_err(|e| Error::Io(e, self.path.clone()))?;
            read(file)
        }
    """)
    assert hits(modified("src/cog/source.rs", before, after), "rust.blocking-in-async") == []
    added_too = after.replace("    read(file)", '    let log = File::open("log")?;\n    read(file)')
    assert added_too != after
    assert hits(modified("src/cog/source.rs", before, added_too), "rust.blocking-in-async") == [5]


def test_tokio_fs_is_not_blocking() -> None:
    text = 'use tokio::fs;\nasync fn f() { let s = fs::read_to_string("x").await; }\n'
    assert hits(added("src/io.rs", text), "rust.blocking-in-async") == []


def test_unsafe_with_safety_comment_is_fine() -> None:
    text = code("""
        fn first(v: &[u8]) -> u8 {
            // SAFETY: callers check that v is not empty
            unsafe { *v.get_unchecked(0) }
        }
    """)
    assert hits(added("src/bytes.rs", text), "rust.unsafe-block") == []


def test_sql_with_bind_or_constant_format_is_fine() -> None:
    text = code("""
        async fn find(pool: &PgPool, id: i64, table: &str) {
            sqlx::query("SELECT * FROM users WHERE id = $1").bind(id).fetch_one(pool).await;
            let q = format!("SELECT * FROM users");
            sqlx::query(&q).fetch_all(pool).await;
            let bad = format!("SELECT * FROM {table}");
            sqlx::query_scalar::<_, i64>(bad.as_str()).fetch_one(pool).await;
            diesel::sql_query(format!("DELETE FROM t WHERE id = {}", id)).execute(conn);
        }
    """)
    assert hits(added("src/db.rs", text), "rust.sql-format") == [6, 7]
