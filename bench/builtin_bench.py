"""Benchmark the built-in checks: ~5,000 added lines across Java, TSX and Rust files.

    python bench/builtin_bench.py [--lines 5000] [--runs 5]

Prints the best wall time of one warm `BuiltinReviewer.review` run and the number of findings.
Target: well under 1 s on one core.
"""

# ruff: noqa: E501  (code samples and secrets keep their real line lengths)

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from mochi.models import ChangeKind, Diff, FileDiff, Hunk, Line, LineKind
from mochi.providers.builtin import BuiltinReviewer

JAVA_CLASS = """\
package com.example.shop.order{n};

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/orders{n}")
public class OrderController{n} {{
    private static final Logger log = LoggerFactory.getLogger(OrderController{n}.class);

    @Autowired
    private OrderRepository repository;

    private final JdbcTemplate jdbcTemplate;

    public OrderController{n}(JdbcTemplate jdbcTemplate) {{
        this.jdbcTemplate = jdbcTemplate;
    }}
{methods}}}
"""

JAVA_METHOD = """
    @GetMapping("/{{id}}/items{i}")
    public List<Item> items{i}(@PathVariable long id, @RequestParam(defaultValue = "name") String sort) {{
        String sql = "SELECT * FROM items WHERE order_id = " + id + " ORDER BY " + sort;
        List<Item> items = jdbcTemplate.query(sql, new ItemRowMapper());
        if (items.isEmpty()) {{
            log.info("no items for order {{}}", id);
        }}
        return items;
    }}

    @PostMapping("/items{i}")
    @Transactional
    public Item create{i}(@RequestBody ItemRequest request) {{
        try {{
            Item item = repository.save(request.toItem());
            jdbcTemplate.update("UPDATE orders SET total = total + ? WHERE id = ?", item.price(), item.orderId());
            return item;
        }} catch (Exception e) {{
            log.error("could not save item", e);
        }}
        return null;
    }}

    @Transactional
    public void recalculate{i}(long orderId) {{
        List<Item> items = jdbcTemplate.query("SELECT * FROM items WHERE order_id = ?", new ItemRowMapper(), orderId);
        long total = items.stream().mapToLong(Item::price).sum();
        jdbcTemplate.update("UPDATE orders SET total = ? WHERE id = ?", total, orderId);
        System.out.println("recalculated " + orderId);
    }}

    public void refresh{i}(long orderId) {{
        recalculate{i}(orderId);
    }}
"""

TSX_COMPONENT = """\
import React, {{ useEffect, useMemo, useState }} from "react";
import type {{ Item, Order }} from "../api/types";

const API_TOKEN = "k9Fq2Lx7Pz4Rv8Tn3Wm6Ys1Bc5Hd0Ja";

export function OrderList{n}({{ orders, onSelect }}: {{ orders: Order[]; onSelect: (o: any) => void }}) {{
  const [selected, setSelected] = useState<Order | null>(null);
  const [items, setItems] = useState<Item[]>([]);
  useEffect(() => {{
    fetch(`/api/orders/${{selected?.id}}/items`).then((r) => r.json()).then((data) => setItems(data));
  }});
  const total = useMemo(() => items.reduce((sum, i) => sum + i.price, 0), [items]);
{body}
  return (
    <div className="orders">
      <h2>Orders ({{orders.length}})</h2>
      <ul>
        {{orders.map((order) => (
          <li onClick={{() => {{ setSelected(order); onSelect(order); }}}}>{{order.number}}</li>
        ))}}
      </ul>
      {{items.map((item) => <ItemRow key={{item.id}} item={{item}} />)}}
      <p dangerouslySetInnerHTML={{{{ __html: selected?.notes ?? "" }}}} />
      <span>Total: {{total}}</span>
    </div>
  );
}}
"""

TSX_BODY = """\
  const label{i} = (value: number): string => {{
    if (value == 0) {{
      return "none";
    }}
    if (value === null) {{
      return "unknown";
    }}
    console.log("label", value);
    return value > 1 ? `${{value}} items` : "one item";
  }};
"""

RUST_FILE = """\
use actix_web::{{get, post, web, HttpResponse, Responder}};
use serde::Deserialize;
use sqlx::PgPool;
use std::sync::Mutex;

pub struct AppState{n} {{
    pub hits: Mutex<u64>,
    pub pool: PgPool,
}}

#[derive(Deserialize)]
pub struct Search{n} {{
    pub q: String,
}}
{handlers}
#[cfg(test)]
mod tests{n} {{
    use super::*;

    #[actix_web::test]
    async fn finds_users() {{
        let body = call_service().await.unwrap();
        assert!(body.contains("alice"));
    }}
}}
"""

RUST_HANDLER = """
#[get("/users{i}/{{id}}")]
async fn get_user{i}(path: web::Path<i64>, state: web::Data<AppState{n}>) -> impl Responder {{
    let id = path.into_inner();
    let user = sqlx::query_as::<_, User>("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&state.pool)
        .await
        .unwrap();
    HttpResponse::Ok().json(user)
}}

#[post("/search{i}")]
async fn search{i}(form: web::Json<Search{n}>, state: web::Data<AppState{n}>) -> HttpResponse {{
    let mut hits = state.hits.lock().unwrap();
    *hits += 1;
    let sql = format!("SELECT * FROM users WHERE name LIKE '%{{}}%'", form.q);
    let rows = sqlx::query(&sql).fetch_all(&state.pool).await.expect("query failed");
    std::thread::sleep(std::time::Duration::from_millis(5));
    HttpResponse::Ok().body(format!("{{}} rows", rows.len()))
}}

fn checksum{i}(data: &[u8]) -> u32 {{
    let mut sum = 0u32;
    for byte in data {{
        sum = sum.wrapping_add(*byte as u32);
    }}
    unsafe {{ std::ptr::read_volatile(&sum) }}
}}
"""


def _added_file(path: str, text: str) -> tuple[FileDiff, str]:
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    hunk = Hunk(
        old_start=0,
        old_len=0,
        new_start=1,
        new_len=len(lines),
        lines=tuple(Line(kind=LineKind.ADDED, old_no=None, new_no=i, text=t) for i, t in enumerate(lines, 1)),
    )
    return FileDiff(path=path, change=ChangeKind.ADDED, hunks=(hunk,)), text


def build(target_lines: int) -> tuple[Diff, dict[str, str]]:
    """About `target_lines` added lines, a third each in Java, TSX and Rust files of ~150-250 lines."""
    files: list[tuple[FileDiff, str]] = []
    per_language = target_lines // 3
    makers: list[tuple[str, Callable[[int], str]]] = [
        (
            "src/main/java/com/example/shop/order{n}/OrderController{n}.java",
            lambda n: JAVA_CLASS.format(n=n, methods="".join(JAVA_METHOD.format(i=i) for i in range(4))),
        ),
        (
            "web/src/orders/OrderList{n}.tsx",
            lambda n: TSX_COMPONENT.format(n=n, body="".join(TSX_BODY.format(i=i) for i in range(12))),
        ),
        (
            "server/src/handlers{n}.rs",
            lambda n: RUST_FILE.format(
                n=n, handlers="".join(RUST_HANDLER.format(i=i, n=n) for i in range(5))
            ),
        ),
    ]
    for path_pattern, make in makers:
        count, n = 0, 0
        while count < per_language:
            text = make(n)
            files.append(_added_file(path_pattern.format(n=n), text))
            count += text.count("\n")
            n += 1
    contents = {fd.path: text for fd, text in files}
    return Diff(files=tuple(fd for fd, _ in files)), contents


def main() -> None:
    """Run the benchmark and print the figure."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    diff, contents = build(args.lines)
    reviewer = BuiltinReviewer()
    findings = reviewer.review(diff, contents.get)  # warm-up: parsers and queries are built once
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        findings = reviewer.review(diff, contents.get)
        times.append(time.perf_counter() - start)
    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f.rule_id or "?"] = by_rule.get(f.rule_id or "?", 0) + 1
    print(f"{diff.lines_changed} changed lines in {len(diff.files)} files (Java, TSX, Rust)")
    print(f"best of {args.runs}: {min(times) * 1000:.0f} ms per review, {len(findings)} findings")
    for rule_id, count in sorted(by_rule.items()):
        print(f"  {rule_id:40} {count}")


if __name__ == "__main__":
    main()
