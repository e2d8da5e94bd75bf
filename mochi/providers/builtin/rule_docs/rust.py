"""Rule documentation: Rust."""

# ruff: noqa: E501  (the examples keep their real line lengths)

from __future__ import annotations

from mochi.providers.builtin.rule_docs.model import RuleDoc

DOCS: dict[str, RuleDoc] = {
    "rust.unwrap-in-handler": RuleDoc(
        summary="An actix-web request handler calls .unwrap() or .expect(), panicking on bad input instead of answering.",
        why="A panic in a handler does not become an error response: actix-web drops the connection, so "
        "the client sees a reset instead of a 4xx or 5xx it can handle, the reason only shows in the "
        "server log, and anyone who can trigger the failing input can trigger the panic at will. "
        "Return the error with `?`, mapped to a response (`actix_web::error::ErrorInternalServerError`, "
        "`ErrorBadRequest`, or your own `ResponseError` type).",
        example_path="src/handlers/orders.rs",
        wrong="""\
use actix_web::{post, web, HttpResponse, Responder};
use sqlx::PgPool;

use crate::orders::{self, NewOrder};

#[post("/orders")]
async fn create_order(pool: web::Data<PgPool>, body: web::Json<NewOrder>) -> impl Responder {
    let customer = orders::find_customer(&pool, body.customer_id).await.unwrap();
    let order = orders::insert(&pool, &customer, &body).await.expect("insert order");
    HttpResponse::Created().json(order)
}
""",
        right="""\
use actix_web::{error, post, web, HttpResponse};
use sqlx::PgPool;

use crate::orders::{self, NewOrder};

#[post("/orders")]
async fn create_order(
    pool: web::Data<PgPool>,
    body: web::Json<NewOrder>,
) -> actix_web::Result<HttpResponse> {
    let customer = orders::find_customer(&pool, body.customer_id)
        .await
        .map_err(error::ErrorInternalServerError)?;
    let order = orders::insert(&pool, &customer, &body)
        .await
        .map_err(error::ErrorInternalServerError)?;
    Ok(HttpResponse::Created().json(order))
}
""",
        notes="A handler is a function with a route attribute (`#[get]`, `#[post]`, `#[route]`...), one "
        "registered with `.to(handler)` in the same file, or an async fn taking actix extractors "
        "(`web::Json`, `web::Path`, `web::Query`, `web::Form`, `web::Data`, `HttpRequest`). Trait "
        "methods (`ResponseError::error_response`), `main`, `#[test]` functions, `#[cfg(test)]` "
        "modules and the helper functions a handler calls are not checked. Not reported on a "
        'conversion of constants (`StatusCode::from_u16(404)`, `"127.0.0.1".parse()`), which fails '
        "the same way on every request, nor on what no request can make fail: a Mutex's `.lock()`, "
        "serialising the program's own value with serde_json, `app_data()`, rendering a registered "
        "template. Nor under `#[allow(clippy::unwrap_used)]` or `#[allow(clippy::expect_used)]`.",
    ),
    "rust.blocking-in-async": RuleDoc(
        summary="Async Rust code calls a blocking API (thread::sleep, std::fs, reqwest::blocking) or holds a mutex across .await.",
        why="An async runtime runs many tasks on a few worker threads; a blocking call occupies one of "
        "them, so every other request scheduled on that thread waits too, and a few concurrent ones "
        "stall the whole service. Use the async equivalent (`tokio::time::sleep(..).await`, "
        "`tokio::fs`, the async `reqwest::Client`), move unavoidable blocking work to "
        "`spawn_blocking`/`web::block`, and drop a `std::sync::Mutex` guard before awaiting (or use "
        "`tokio::sync::Mutex`).",
        example_path="src/rates.rs",
        wrong="""\
use std::time::Duration;

pub async fn fetch_rates(client: &reqwest::Client, url: &str) -> reqwest::Result<String> {
    let mut attempt: u64 = 0;
    loop {
        match client.get(url).send().await.and_then(|r| r.error_for_status()) {
            Ok(response) => return response.text().await,
            Err(err) if attempt < 3 => {
                attempt += 1;
                tracing::warn!(%err, attempt, "rate service failed, retrying");
                std::thread::sleep(Duration::from_millis(200 * attempt));
            }
            Err(err) => return Err(err),
        }
    }
}
""",
        right="""\
use std::time::Duration;

pub async fn fetch_rates(client: &reqwest::Client, url: &str) -> reqwest::Result<String> {
    let mut attempt: u64 = 0;
    loop {
        match client.get(url).send().await.and_then(|r| r.error_for_status()) {
            Ok(response) => return response.text().await,
            Err(err) if attempt < 3 => {
                attempt += 1;
                tracing::warn!(%err, attempt, "rate service failed, retrying");
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
            Err(err) => return Err(err),
        }
    }
}
""",
        notes="Recognised calls: `std::thread::sleep` (also `thread::sleep`, or `sleep` imported from "
        "it), `std::fs::*` (also `fs::*` when `std::fs` is imported and `tokio::fs` is not), "
        "`File::*` with `std::fs::File` imported, and `reqwest::blocking`. The mutex guard is seen "
        "only when bound with `let` and followed by an `.await` in the same block. Silent in test "
        "code (`#[test]` functions, `#[cfg(test)]` modules, test files).",
    ),
    "rust.unsafe-block": RuleDoc(
        summary="A Rust unsafe block has no `// SAFETY:` comment explaining why it is sound.",
        why="Inside `unsafe` the compiler stops checking memory safety, so soundness rests on invariants "
        "that only the author knew; without them written down, a later change breaks them silently "
        "and the result is memory corruption, not a compile error. Use a safe API when there is one; "
        "otherwise state the invariants in a `// SAFETY:` comment right above the block, the "
        "convention clippy's `undocumented_unsafe_blocks` lint enforces.",
        example_path="src/checksum.rs",
        wrong="""\
extern "C" {
    fn crc32c_update(crc: u32, data: *const u8, len: usize) -> u32;
}

/// CRC-32C of `data`, computed by the vendored C implementation.
pub fn checksum(data: &[u8]) -> u32 {
    unsafe { crc32c_update(0, data.as_ptr(), data.len()) }
}
""",
        right="""\
extern "C" {
    fn crc32c_update(crc: u32, data: *const u8, len: usize) -> u32;
}

/// CRC-32C of `data`, computed by the vendored C implementation.
pub fn checksum(data: &[u8]) -> u32 {
    // SAFETY: `data` is a live slice, so the pointer is valid for `data.len()` bytes for the whole
    // call; crc32c_update only reads them and keeps no reference after it returns.
    unsafe { crc32c_update(0, data.as_ptr(), data.len()) }
}
""",
        notes="The comment counts on the block's first line or the three lines above it. `unsafe fn` "
        "and `unsafe impl` are not checked, only `unsafe { ... }` blocks. A block is part of a change "
        "when its `unsafe` line is: an edit inside an old block does not report the block. Nor is a crate "
        "imported whole from another repository: files added with a new Cargo.toml whose crate the same "
        "change stops taking from git or a registry and takes from that directory instead (`{ git = ... }` "
        'becoming `{ path = "../name" }`) are existing, already-reviewed code, like code moved within the '
        "repository (every built-in rule treats them so). A new crate no dependency used before is checked.",
    ),
    "rust.sql-format": RuleDoc(
        summary="sqlx or diesel executes SQL built with format! or string concatenation.",
        why="Formatting a value into SQL lets a quote in it rewrite the statement (SQL injection): "
        "`' OR '1'='1` matches every user, and worse payloads read or drop other tables. Keep the SQL "
        'constant and bind the values (`sqlx::query("... WHERE email = $1").bind(email)`), or use '
        "the compile-time checked `sqlx::query!`/`query_as!` macros; with diesel, "
        "`sql_query(...).bind::<Text, _>(value)`.",
        example_path="src/users/repository.rs",
        wrong="""\
use sqlx::PgPool;

use crate::users::User;

pub async fn find_by_email(pool: &PgPool, email: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>(&format!("SELECT id, email, name FROM users WHERE email = '{email}'"))
        .fetch_optional(pool)
        .await
}
""",
        right="""\
use sqlx::PgPool;

use crate::users::User;

pub async fn find_by_email(pool: &PgPool, email: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>("SELECT id, email, name FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await
}
""",
        notes="The SQL is followed through a `let` in the same function (`let sql = format!(...);`). "
        "The file must mention `sqlx` or `diesel`. A `format!` that splices only compile-time "
        "constants (UPPER_CASE consts, `Self::TABLE`, literals: table and column names cannot be "
        "bound) is not reported, nor is test code.",
    ),
}
