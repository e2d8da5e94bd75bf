"""Small real-looking repositories for the design-pattern detector's tests (Spring, React, Actix)."""

from __future__ import annotations

from pathlib import Path

from tests.gitrepo import GitRepo

J = "shop/src/main/java/com/shop/"

SPRING: dict[str, str] = {
    "shop/pom.xml": "<project><parent><groupId>org.springframework.boot</groupId></parent></project>\n",
    J + "order/OrderController.java": """package com.shop.order;

import jakarta.validation.Valid;
import org.springframework.web.bind.annotation.*;

/** Orders over HTTP. */
@RestController
@RequestMapping("/orders")
public class OrderController {

    private final OrderService orders;

    public OrderController(OrderService orders) {
        this.orders = orders;
    }

    @PostMapping
    public OrderResponse create(@Valid @RequestBody CreateOrderRequest request) {
        return orders.create(request);
    }
}
""",
    J + "order/OrderService.java": """package com.shop.order;

import lombok.RequiredArgsConstructor;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
@RequiredArgsConstructor
public class OrderService {

    private final OrderRepository repository;
    private final OrderMapper mapper;
    private final PaymentGateway payments;

    @Transactional
    public OrderResponse create(CreateOrderRequest request) {
        Order order = repository.save(mapper.toEntity(request));
        payments.charge(order);
        return mapper.toResponse(order);
    }
}
""",
    J + "order/OrderRepository.java": """package com.shop.order;

import org.springframework.data.jpa.repository.JpaRepository;

public interface OrderRepository extends JpaRepository<Order, Long> {
}
""",
    J + "order/OrderMapper.java": """package com.shop.order;

import org.mapstruct.Mapper;

@Mapper(componentModel = "spring")
public interface OrderMapper {
    Order toEntity(CreateOrderRequest request);
    OrderResponse toResponse(Order order);
}
""",
    J + "order/CreateOrderRequest.java": """package com.shop.order;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Positive;

public record CreateOrderRequest(@NotBlank String item, @Positive int quantity) {}
""",
    J + "order/OrderResponse.java": "package com.shop.order;\n\npublic record OrderResponse(long id) {}\n",
    J + "order/Order.java": """package com.shop.order;

import jakarta.persistence.Entity;
import lombok.Builder;

@Entity
@Builder
public class Order {
    Long id;
}
""",
    J + "payment/PaymentGateway.java": """package com.shop.payment;

public interface PaymentGateway {
    void charge(Object order);
}
""",
    J + "payment/StripeGateway.java": """package com.shop.payment;

import org.springframework.stereotype.Component;

@Component
public class StripeGateway implements PaymentGateway {
    public void charge(Object order) {}
}
""",
    J + "payment/InvoiceGateway.java": """package com.shop.payment;

import org.springframework.stereotype.Component;

@Component
public class InvoiceGateway implements PaymentGateway, java.io.Serializable {
    public void charge(Object order) {}
}
""",
    J + "config/ClockConfig.java": """package com.shop.config;

import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration
public class ClockConfig {
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }
}
""",
    J + "web/ApiExceptionHandler.java": """package com.shop.web;

import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

@RestControllerAdvice
public class ApiExceptionHandler {
    @ExceptionHandler(IllegalArgumentException.class)
    ErrorBody badRequest(IllegalArgumentException e) {
        return new ErrorBody(e.getMessage());
    }
}
""",
    # never read: tests and generated code say nothing about how the application is written
    "shop/src/test/java/com/shop/order/OrderControllerTest.java": """package com.shop.order;

@RestController
class FakeController {
    @Autowired
    private OrderService orders;
}
""",
    "shop/target/generated-sources/com/shop/Gen.java": "// @generated\n@Service\npublic class Gen {}\n",
}

REACT: dict[str, str] = {
    "web/package.json": '{"dependencies": {"react": "18", "@reduxjs/toolkit": "2", "react-query": "3"}}',
    "web/src/hooks/useOrders.ts": """import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";

export function useOrders(customerId: number) {
  return useQuery({ queryKey: ["orders", customerId], queryFn: () => api.orders(customerId) });
}
""",
    "web/src/hooks/useDebounce.ts": """import { useEffect, useState } from "react";

export const useDebounce = <T,>(value: T, ms: number): T => {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
};
""",
    "web/src/auth/AuthContext.tsx": """import { createContext, useContext, ReactNode } from "react";

export const AuthContext = createContext<{ user: string | null }>({ user: null });

export function AuthProvider({ children }: { children: ReactNode }) {
  return <AuthContext.Provider value={{ user: "me" }}>{children}</AuthContext.Provider>;
}

export const useAuth = () => useContext(AuthContext);
""",
    "web/src/auth/withAuth.tsx": """import { ComponentType } from "react";
import { useAuth } from "./AuthContext";

export function withAuth<P extends object>(Component: ComponentType<P>) {
  return (props: P) => (useAuth().user ? <Component {...props} /> : <p>Sign in</p>);
}
""",
    "web/src/store/cartSlice.ts": """import { createSlice } from "@reduxjs/toolkit";

const cartSlice = createSlice({
  name: "cart",
  initialState: { items: [] as string[] },
  reducers: { add: (state, action) => { state.items.push(action.payload); } },
});
export default cartSlice.reducer;
""",
    "web/src/components/OrderList.tsx": """import { useOrders } from "../hooks/useOrders";

export function OrderList({ customerId }: { customerId: number }) {
  const { data } = useOrders(customerId);
  return <ul>{data?.map((o) => <li key={o.id}>{o.item}</li>)}</ul>;
}
""",
    "web/src/components/Layout.tsx": """import { ReactNode } from "react";

export const Layout = ({ children }: { children: ReactNode }) => <main>{children}</main>;
""",
    "web/src/api/client.ts": """export const api = {
  orders: (id: number): Promise<Array<{ id: number; item: string }>> =>
    fetch(`/api/customers/${id}/orders`).then((r) => r.json()),
};
""",
    "web/src/components/OrderList.test.tsx": "export function useFakeHook() {}\n",
    "web/node_modules/react/index.js": "export function useVendoredHook() {}\n",
    "web/dist/bundle.js": "export function useBuiltHook() {}\n",
}

ACTIX: dict[str, str] = {
    "stock/Cargo.toml": '[package]\nname = "stock"\n\n[dependencies]\nactix-web = "4"\n',
    "stock/src/main.rs": """use actix_web::{middleware::Logger, web, App, HttpServer};

mod errors;
mod handlers;
mod store;
mod timing;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let store = store::PgStore::connect().await;
    HttpServer::new(move || {
        App::new()
            .wrap(Logger::default())
            .wrap(timing::Timing)
            .app_data(web::Data::new(store.clone()))
            .service(web::scope("/api").configure(handlers::routes))
    })
    .bind(("127.0.0.1", 8080))?
    .run()
    .await
}
""",
    "stock/src/handlers.rs": """use actix_web::{get, post, web, HttpResponse};

use crate::errors::ApiError;
use crate::store::PgStore;

#[get("/stock/{sku}")]
async fn stock(store: web::Data<PgStore>, sku: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(store.quantity(&sku).await?))
}

#[post("/stock")]
async fn add(store: web::Data<PgStore>, body: web::Json<NewStock>) -> Result<HttpResponse, ApiError> {
    store.add(body.into_inner()).await?;
    Ok(HttpResponse::Created().finish())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(stock).service(add);
}
""",
    "stock/src/errors.rs": """use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
}

impl ResponseError for ApiError {
    fn error_response(&self) -> HttpResponse {
        HttpResponse::NotFound().finish()
    }
}
""",
    "stock/src/timing.rs": """use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};

pub struct Timing;

impl<S, B> Transform<S, ServiceRequest> for Timing
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>>,
{
    type Response = ServiceResponse<B>;
}
""",
    "stock/src/store.rs": """pub trait StockStore {
    fn name(&self) -> &str;
}

#[derive(Clone)]
pub struct PgStore;

pub struct MemoryStore;

impl StockStore for PgStore {
    fn name(&self) -> &str { "pg" }
}

impl StockStore for MemoryStore {
    fn name(&self) -> &str { "memory" }
}
""",
    "stock/tests/api.rs": "use actix_web::web;\nfn t(x: web::Form<String>) {}\n",
}


def make_repo(root: Path, files: dict[str, str]) -> GitRepo:
    """A git repository holding `files`, committed."""
    repo = GitRepo(root)
    for path, text in files.items():
        repo.write(path, text)
    repo.commit("base")
    return repo
