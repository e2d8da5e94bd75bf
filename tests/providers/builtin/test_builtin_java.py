"""Java / Spring checks: look-alikes that must not fire, and details of the ones that do."""

# ruff: noqa: E501  (code samples and secrets keep their real line lengths)

from __future__ import annotations

from builtin_diffs import added, code, hits

PATH = "src/main/java/com/acme/orders/OrderController.java"

CLEAN = code("""
    package com.acme.orders;

    @RestController
    @RequiredArgsConstructor
    public class OrderController {
        private static final Logger log = LoggerFactory.getLogger(OrderController.class);
        private static final String COLUMNS = "id, number, total";
        private final JdbcTemplate jdbcTemplate;
        private final OrderService service;

        @Autowired
        public OrderController(JdbcTemplate jdbcTemplate, OrderService service) {
            this.jdbcTemplate = jdbcTemplate;
            this.service = service;
        }

        @PostMapping("/orders")
        public Order create(@Valid @RequestBody OrderRequest request) {
            return service.create(request);
        }

        @PutMapping("/orders/{id}")
        public Order update(@PathVariable long id, @Validated @RequestBody OrderRequest request) {
            return service.update(id, request);
        }

        public List<Order> byCustomer(long customerId) {
            return jdbcTemplate.query("SELECT " + COLUMNS + " FROM orders WHERE customer_id = ?", mapper, customerId);
        }

        public void close(Closeable c) {
            try {
                c.close();
            } catch (IOException e) {
                // closing twice is harmless here
            }
            try {
                c.close();
            } catch (Exception e) {
                log.error("close failed", e);
                throw new IllegalStateException("could not close " + c, e);
            }
            try {
                c.close();
            } catch (Exception e) {
                log.warn("close failed", e);
                return;
            }
        }

        @Transactional
        public void archiveAll() {
            archive(1L);
        }

        @Transactional
        public void archive(long id) {
            service.archive(id);
        }
    }
""")


def test_clean_spring_code_has_no_findings() -> None:
    assert [(f.rule_id, f.line) for f in added(PATH, CLEAN)] == []


def test_field_injection_with_inject() -> None:
    text = "class A {\n    @Inject\n    Foo foo;\n    A(Bar bar) { this.bar = bar; }\n}\n"
    (finding,) = added(PATH, text)
    assert (finding.rule_id, finding.line, finding.end_line) == ("java.field-injection", 2, 3)
    assert "constructor" in finding.message


def test_system_out_allowed_in_tests_and_suggests_the_logger() -> None:
    text = code("""
        class A {
            private static final Logger LOG = LoggerFactory.getLogger(A.class);
            void f() {
                System.out.println("x");
            }
        }
    """)
    (finding,) = added(PATH, text)
    assert finding.suggestion == '        LOG.info("x");'
    assert added("src/test/java/com/acme/ATest.java", text) == []


def test_swallowed_throwable_that_only_logs() -> None:
    text = code("""
        class A {
            void f() {
                try {
                    g();
                } catch (RuntimeException | Error e) {
                    LOGGER.error("g failed", e);
                }
            }
        }
    """)
    assert hits(added(PATH, text), "java.swallowed-exception") == [5]


def test_narrow_catch_that_logs_is_fine() -> None:
    text = 'class A {\n  void f() {\n    try { g(); } catch (IOException e) { log.warn("g", e); }\n  }\n}\n'
    assert hits(added(PATH, text), "java.swallowed-exception") == []


def test_sql_through_variable_format_and_entity_manager() -> None:
    text = code("""
        class Repo {
            private final EntityManager em;
            private final NamedParameterJdbcTemplate named;
            List<Order> a(String status) {
                String sql = "SELECT o FROM Order o WHERE o.status = '" + status + "'";
                return em.createQuery(sql, Order.class).getResultList();
            }
            int b(String table) {
                return named.update(String.format("DELETE FROM %s", table), Map.of());
            }
            List<Order> c(String status) {
                return em.createNativeQuery("SELECT * FROM orders WHERE status = :s").setParameter("s", status).getResultList();
            }
            List<String> d(List<String> names) {
                return names.stream().map(n -> n + "!").toList();
            }
        }
    """)
    assert hits(added(PATH, text), "java.sql-concatenation") == [6, 9]


def test_transactional_self_invocation_with_other_settings() -> None:
    text = code("""
        @Service
        class Billing {
            @Transactional
            public void run() {
                this.charge();
            }
            @Transactional(propagation = Propagation.REQUIRES_NEW)
            public void charge() {
            }
            public void other() {
                new Thread(new Runnable() { public void run() { charge(); } }).start();
            }
        }
    """)
    assert hits(added(PATH, text), "java.transactional-self-invocation") == [5]


def test_transactional_final_and_public_methods() -> None:
    text = "class A {\n    @Transactional\n    public final void a() {}\n    @Transactional\n    public void b() {}\n}\n"
    (finding,) = [f for f in added(PATH, text) if f.rule_id == "java.transactional-private-final"]
    assert (finding.line, finding.end_line) == (2, 3)
    assert "final" in finding.message


def test_request_body_suggestion_adds_valid() -> None:
    text = "class C {\n    public void a(@RequestBody Req r) {}\n    record Req(@NotNull String a) {}\n}\n"
    (finding,) = added(PATH, text)
    assert finding.suggestion == "    public void a(@Valid @RequestBody Req r) {}"
