#!/usr/bin/env bash
# Creates a small git repository with a Spring Boot service, a React component and an Actix-web
# handler, then a feature branch whose change has real problems for `mochi review` to find.
#
#   examples/demo/make-demo.sh /tmp/mochi-demo && mochi review --repo /tmp/mochi-demo
set -euo pipefail
dest=${1:-/tmp/mochi-demo}
# only ever delete an earlier demo (marked inside its .git), never a directory that holds anything else
if [ -e "$dest" ] && [ -n "$(ls -A "$dest" 2>/dev/null)" ] && [ ! -e "$dest/.git/mochi-demo" ]; then
  echo "make-demo.sh: $dest exists and is not an earlier demo; give a new or empty directory" >&2
  exit 2
fi
rm -rf "$dest"
mkdir -p "$dest"
cd "$dest"
export GIT_AUTHOR_NAME="Demo Dev" GIT_AUTHOR_EMAIL="dev@example.com"
export GIT_COMMITTER_NAME="Demo Dev" GIT_COMMITTER_EMAIL="dev@example.com"
git init -q -b main .
touch .git/mochi-demo  # this directory is a demo: a later make-demo.sh may replace it

mkdir -p orders-service/src/main/java/com/example/orders orders-service/src/main/resources \
         web/src/components inventory/src
cat > orders-service/pom.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.3.4</version>
  </parent>
  <groupId>com.example</groupId>
  <artifactId>orders-service</artifactId>
  <version>0.1.0</version>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-jdbc</artifactId>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-validation</artifactId>
    </dependency>
  </dependencies>
</project>
EOF
cat > orders-service/src/main/java/com/example/orders/OrderController.java <<'EOF'
package com.example.orders;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/orders")
public class OrderController {

    private final OrderService orders;

    public OrderController(OrderService orders) {
        this.orders = orders;
    }

    @GetMapping("/{customerId}")
    public List<Order> forCustomer(@PathVariable long customerId) {
        return orders.forCustomer(customerId);
    }
}
EOF
cat > orders-service/src/main/java/com/example/orders/Order.java <<'EOF'
package com.example.orders;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Positive;

public record Order(long id, long customerId, @NotBlank String item, @Positive int quantity) {}
EOF
cat > orders-service/src/main/java/com/example/orders/OrderService.java <<'EOF'
package com.example.orders;

import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

@Service
public class OrderService {

    private final JdbcTemplate jdbc;

    public OrderService(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public List<Order> forCustomer(long customerId) {
        return jdbc.query(
            "SELECT id, customer_id, item, quantity FROM orders WHERE customer_id = ?",
            (rs, n) -> new Order(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getInt(4)),
            customerId);
    }
}
EOF
cat > orders-service/src/main/resources/application.properties <<'EOF'
spring.datasource.url=jdbc:postgresql://localhost:5432/orders
spring.datasource.username=orders
spring.datasource.password=${DB_PASSWORD}
EOF
cat > web/package.json <<'EOF'
{
  "name": "orders-web",
  "private": true,
  "version": "0.1.0",
  "dependencies": {
    "react": "^18.3.1",
    "react-dom": "^18.3.1"
  },
  "devDependencies": {
    "typescript": "^5.6.0"
  }
}
EOF
cat > web/src/components/OrderList.tsx <<'EOF'
import { useEffect, useState } from "react";

export interface Order {
  id: number;
  item: string;
  quantity: number;
}

export function OrderList({ customerId }: { customerId: number }) {
  const [orders, setOrders] = useState<Order[]>([]);

  useEffect(() => {
    fetch(`/orders/${customerId}`)
      .then((r) => r.json())
      .then(setOrders);
  }, [customerId]);

  return (
    <ul>
      {orders.map((o) => (
        <li key={o.id}>
          {o.item} × {o.quantity}
        </li>
      ))}
    </ul>
  );
}
EOF
cat > inventory/Cargo.toml <<'EOF'
[package]
name = "inventory"
version = "0.1.0"
edition = "2021"

[dependencies]
actix-web = "4"
serde = { version = "1", features = ["derive"] }
sqlx = { version = "0.8", features = ["runtime-tokio", "postgres"] }
EOF
cat > inventory/src/main.rs <<'EOF'
use actix_web::{get, web, App, HttpResponse, HttpServer, Responder};

mod handlers;

#[get("/health")]
async fn health() -> impl Responder {
    HttpResponse::Ok().body("ok")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let pool = sqlx::PgPool::connect("postgres://localhost/inventory").await.unwrap();
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(pool.clone()))
            .service(health)
            .service(handlers::stock)
    })
    .bind(("127.0.0.1", 8080))?
    .run()
    .await
}
EOF
cat > inventory/src/handlers.rs <<'EOF'
use actix_web::{get, web, HttpResponse, Responder};

#[get("/stock/{sku}")]
pub async fn stock(pool: web::Data<sqlx::PgPool>, sku: web::Path<String>) -> impl Responder {
    match sqlx::query_scalar::<_, i64>("SELECT quantity FROM stock WHERE sku = $1")
        .bind(sku.into_inner())
        .fetch_optional(pool.get_ref())
        .await
    {
        Ok(Some(q)) => HttpResponse::Ok().json(q),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
EOF
# the team's review settings: opt-in built-in rules it wants as well (see `mochi rules list`)
cat > .mochi.toml <<'EOF'
# opt-in rules (off by default: judged blind on real projects, under 80% right; see `mochi rules list`)
[rules]
"ts.any-in-signature" = { enabled = true }
"generic.todo-without-ticket" = { enabled = true }
"js.loose-equality" = { enabled = true }
"js.console-log" = { enabled = true }
"java.field-injection" = { enabled = true }
"java.request-body-not-validated" = { enabled = true }
"java.swallowed-exception" = { enabled = true }
"java.system-out" = { enabled = true }
"java.transactional-self-invocation" = { enabled = true }
"rust.blocking-in-async" = { enabled = true }
"secrets.config-password" = { enabled = true }
EOF
git add -A
git commit -q -m "Orders service, web client and inventory service"

# ---------------------------------------------------------------- the change under review
git checkout -q -b feature/ORD-42-bulk-orders
cat > orders-service/src/main/java/com/example/orders/OrderController.java <<'EOF'
package com.example.orders;

import java.util.List;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/orders")
public class OrderController {

    @Autowired
    private OrderService orders;

    @GetMapping("/{customerId}")
    public List<Order> forCustomer(@PathVariable long customerId) {
        return orders.forCustomer(customerId);
    }

    @GetMapping("/search")
    public List<Order> search(@RequestParam String item) {
        return orders.search(item);
    }

    @PostMapping("/bulk")
    public int bulk(@RequestBody List<Order> batch) {
        System.out.println("bulk import of " + batch.size() + " orders");
        return orders.importAll(batch);
    }
}
EOF
cat > orders-service/src/main/java/com/example/orders/OrderService.java <<'EOF'
package com.example.orders;

import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class OrderService {

    private final JdbcTemplate jdbc;

    public OrderService(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public List<Order> forCustomer(long customerId) {
        return jdbc.query(
            "SELECT id, customer_id, item, quantity FROM orders WHERE customer_id = ?",
            (rs, n) -> new Order(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getInt(4)),
            customerId);
    }

    public List<Order> search(String item) {
        return jdbc.query(
            "SELECT id, customer_id, item, quantity FROM orders WHERE item LIKE '%" + item + "%'",
            (rs, n) -> new Order(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getInt(4)));
    }

    public int importAll(List<Order> batch) {
        int imported = 0;
        for (Order o : batch) {
            try {
                insert(o);
                imported++;
            } catch (Exception e) {
            }
        }
        return imported;
    }

    @Transactional
    private void insert(Order o) {
        jdbc.update("INSERT INTO orders (customer_id, item, quantity) VALUES (?, ?, ?)",
            o.customerId(), o.item(), o.quantity());
    }
}
EOF
# the key is assembled here so that this script itself holds no credential-shaped literal
key_id="AKIA$(printf 'Q3R7%s' 'XN2PLM5KD8ZW')"
cat >> orders-service/src/main/resources/application.properties <<EOF
cloud.aws.credentials.access-key=${key_id}
orders.export.password=Winter2024!orders
EOF
cat > web/src/components/OrderList.tsx <<'EOF'
import { useEffect, useState } from "react";

export interface Order {
  id: number;
  item: string;
  quantity: number;
  note: string;
}

export function OrderList({ customerId, filter }: { customerId: number; filter: any }) {
  const [orders, setOrders] = useState<Order[]>([]);
  const [total, setTotal] = useState(0);

  useEffect(() => {
    fetch(`/orders/${customerId}`)
      .then((r) => r.json())
      .then(setOrders);
  }, [customerId]);

  useEffect(() => {
    setTotal(orders.reduce((sum, o) => sum + o.quantity, 0));
  });

  console.log("rendering orders", orders.length);

  return (
    <ul>
      {orders.filter((o) => o.item == filter).map((o) => (
        <li>
          {o.item} × {o.quantity}
          <span dangerouslySetInnerHTML={{ __html: o.note }} />
        </li>
      ))}
      <li>Total: {total}</li>
    </ul>
  );
}
EOF
cat > inventory/src/handlers.rs <<'EOF'
use actix_web::{get, post, web, HttpResponse, Responder};

#[get("/stock/{sku}")]
pub async fn stock(pool: web::Data<sqlx::PgPool>, sku: web::Path<String>) -> impl Responder {
    let sql = format!("SELECT quantity FROM stock WHERE sku = '{}'", sku.into_inner());
    let q: i64 = sqlx::query_scalar(&sql).fetch_one(pool.get_ref()).await.unwrap();
    HttpResponse::Ok().json(q)
}

#[post("/stock/{sku}/reserve")]
pub async fn reserve(sku: web::Path<String>) -> impl Responder {
    // TODO: make this configurable
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = std::fs::read_to_string("/var/log/reservations.log").expect("log exists");
    HttpResponse::Ok().body(format!("{} reserved ({} bytes of log)", sku, log.len()))
}
EOF
git add -A
git commit -q -m "ORD-42: bulk order import, search, stock reservation"
echo "demo repository ready in $dest (branch feature/ORD-42-bulk-orders, base main)"
