"""Rule documentation: Java / Spring."""

# ruff: noqa: E501  (the examples keep their real line lengths)

from __future__ import annotations

from mochi.providers.builtin.rule_docs.model import RuleDoc

DOCS: dict[str, RuleDoc] = {
    "java.field-injection": RuleDoc(
        summary="A Spring dependency is injected into a field with @Autowired or @Inject instead of the constructor.",
        why="An injected field hides the dependency: the class can be built in a half-initialised "
        "state, the field cannot be `final`, and a unit test needs Spring or reflection to set it. "
        "Constructor injection makes every dependency explicit, lets the fields be `final` and makes "
        "a class with too many dependencies visibly awkward. A class with a single constructor needs "
        "no `@Autowired` at all (Lombok's `@RequiredArgsConstructor` can write the constructor).",
        example_path="src/main/java/com/example/orders/OrderService.java",
        wrong="""\
package com.example.orders;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Service;

@Service
public class OrderService {
    private final OrderRepository orderRepository;

    @Autowired
    private PaymentClient paymentClient;

    public OrderService(OrderRepository orderRepository) {
        this.orderRepository = orderRepository;
    }

    public Order place(Cart cart) {
        Order order = orderRepository.save(Order.from(cart));
        paymentClient.authorize(order.getId(), order.getTotal());
        return order;
    }
}
""",
        right="""\
package com.example.orders;

import org.springframework.stereotype.Service;

@Service
public class OrderService {
    private final OrderRepository orderRepository;
    private final PaymentClient paymentClient;

    public OrderService(OrderRepository orderRepository, PaymentClient paymentClient) {
        this.orderRepository = orderRepository;
        this.paymentClient = paymentClient;
    }

    public Order place(Cart cart) {
        Order order = orderRepository.save(Order.from(cart));
        paymentClient.authorize(order.getId(), order.getTotal());
        return order;
    }
}
""",
        notes="The rule reports field injection where the change goes against the class itself: it "
        "replaces the constructor injection of a field, or mixes field injection into a class that "
        "injects through its own constructor (or Lombok's `@RequiredArgsConstructor`; a nested class's "
        "constructor does not count). A class that injects "
        "everything into fields follows its code base's convention: a project-wide decision, not this "
        "change's, so no finding; nor without the whole file (a diff alone does not show the "
        "constructor). Constructor and setter injection are not reported. Silent in test code (under "
        "`src/test`, `*Test.java`, or a class importing JUnit, Mockito or Spring's test support), where "
        "injected fields are the usual way for a test to get its beans.",
    ),
    "java.system-out": RuleDoc(
        summary="Production Java code writes to System.out or System.err instead of the logger.",
        why="Output on System.out has no level, no timestamp, no logger name and no MDC (request or "
        "trace id), cannot be turned down in production and is often lost, or mixed into the "
        "container's stdout in a format the log pipeline cannot parse. Use the class's SLF4J logger "
        'with placeholders (`log.info("Shipped order {}", id)`).',
        example_path="src/main/java/com/example/shipping/ShipmentService.java",
        wrong="""\
package com.example.shipping;

import org.springframework.stereotype.Service;

@Service
public class ShipmentService {
    private final CarrierClient carrier;

    public ShipmentService(CarrierClient carrier) {
        this.carrier = carrier;
    }

    public TrackingNumber ship(Order order) {
        TrackingNumber tracking = carrier.book(order.getAddress(), order.getParcels());
        System.out.println("Shipped order " + order.getId() + " as " + tracking);
        return tracking;
    }
}
""",
        right="""\
package com.example.shipping;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

@Service
public class ShipmentService {
    private static final Logger log = LoggerFactory.getLogger(ShipmentService.class);
    private final CarrierClient carrier;

    public ShipmentService(CarrierClient carrier) {
        this.carrier = carrier;
    }

    public TrackingNumber ship(Order order) {
        TrackingNumber tracking = carrier.book(order.getAddress(), order.getParcels());
        log.info("Shipped order {} as {}", order.getId(), tracking);
        return tracking;
    }
}
""",
        notes="Silent in test code (under `src/test`, `*Test.java`, or a class importing a test "
        "framework) and in console programs (a class with `main`). When the class has a logger (a `Logger` field, or Lombok's `@Slf4j`), the finding "
        "on a one-line `println` suggests the logger call that replaces it.",
    ),
    "java.print-stack-trace": RuleDoc(
        summary="An exception is printed with printStackTrace() instead of being logged or rethrown.",
        why="`printStackTrace()` writes to stderr, outside the logging framework: no timestamp, level or "
        "request context, and usually nowhere anyone looks. Worse, the code then carries on as if the "
        "operation succeeded. Rethrow the exception wrapped with what failed, or log it with the "
        'logger (`log.error("what failed", e)`) when carrying on is really correct.',
        example_path="src/main/java/com/example/reports/ReportExporter.java",
        wrong="""\
package com.example.reports;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

public class ReportExporter {

    public void export(Report report, Path target) {
        try {
            Files.writeString(target, report.toCsv());
        } catch (IOException e) {
            e.printStackTrace();
        }
    }
}
""",
        right="""\
package com.example.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

public class ReportExporter {

    public void export(Report report, Path target) {
        try {
            Files.writeString(target, report.toCsv());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write report " + report.getId() + " to " + target, e);
        }
    }
}
""",
        notes="Only the no-argument form is reported: `e.printStackTrace(writer)` writes where it is told. "
        "Silent in test code, in a program's `static void main`, whose errors belong on the console, and "
        "in a class without a logger that already reports its failures with `printStackTrace()` (two "
        "calls or more the change did not add): a new one follows the file's convention.",
    ),
    "java.swallowed-exception": RuleDoc(
        summary="A catch block is empty, or catches a broad exception and only logs it before carrying on.",
        why="A swallowed exception turns a failure into silent data corruption: in the example the "
        "payment is marked refunded even when the gateway refused the refund, and the only trace is a "
        "log line. Let the exception propagate, rethrow it wrapped with context, or handle a specific "
        "exception you can really recover from. If ignoring it is truly right, say why in a comment in "
        "the catch block.",
        example_path="src/main/java/com/example/payments/RefundService.java",
        wrong="""\
package com.example.payments;

import lombok.RequiredArgsConstructor;
import lombok.extern.slf4j.Slf4j;
import org.springframework.stereotype.Service;

@Slf4j
@Service
@RequiredArgsConstructor
public class RefundService {
    private final PaymentGateway gateway;
    private final PaymentRepository payments;

    public void refund(Payment payment) {
        try {
            gateway.refund(payment.chargeId(), payment.amount());
        } catch (Exception e) {
            log.warn("Refund failed for payment {}", payment.id(), e);
        }
        payments.save(payment.markRefunded());
    }
}
""",
        right="""\
package com.example.payments;

import lombok.RequiredArgsConstructor;
import org.springframework.stereotype.Service;

@Service
@RequiredArgsConstructor
public class RefundService {
    private final PaymentGateway gateway;
    private final PaymentRepository payments;

    public void refund(Payment payment) {
        try {
            gateway.refund(payment.chargeId(), payment.amount());
        } catch (GatewayException e) {
            throw new RefundFailedException(payment.id(), e);
        }
        payments.save(payment.markRefunded());
    }
}
""",
        notes="An empty catch block that holds a comment, or whose variable says so (`ignored`, `ignore`, "
        "`expected`, `_`), is accepted as deliberate. A catch of a specific "
        "exception (not `Exception`, `RuntimeException` or `Throwable`) that only logs is not "
        "reported, nor a catch around `close()` calls or in a `close()` or `@PreDestroy` method, nor one "
        "last in its block of a void `@Scheduled` method (no caller to tell; the next run retries), nor "
        "one whose method then returns its failure (`return false;`, `return null;`, or a variable set "
        "to null before the try and returned), nor a fallback: a try that returns its result followed, "
        "after the catch, by a `return` of another value, "
        "nor an existing catch whose change only edits its logging (the change removes no `throw` or "
        "`return`: it did not make the catch swallow anything), nor a catch in a program's `static "
        "void main` (a console program reports its errors on the console). Silent in test code, where "
        "a catch often expects the exception.",
    ),
    "java.sql-concatenation": RuleDoc(
        summary="SQL concatenated or formatted from values is executed through JdbcTemplate, JPA or JDBC.",
        why="When a value is pasted into the SQL text, a quote in it changes the statement: "
        "`' OR '1'='1` returns every row, and worse payloads read or delete other tables (SQL "
        "injection). Keep the SQL constant and pass values as bind parameters (`?` or `:name` with "
        "JdbcTemplate, `setParameter` with JPA, `PreparedStatement` with JDBC); the driver then sends "
        "them separately from the statement.",
        example_path="src/main/java/com/example/customers/CustomerRepository.java",
        wrong="""\
package com.example.customers;

import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Repository;

@Repository
public class CustomerRepository {
    private static final RowMapper<Customer> MAPPER =
            (rs, i) -> new Customer(rs.getLong("id"), rs.getString("name"), rs.getString("email"));
    private final JdbcTemplate jdbcTemplate;

    public CustomerRepository(JdbcTemplate jdbcTemplate) {
        this.jdbcTemplate = jdbcTemplate;
    }

    public List<Customer> findByName(String name) {
        return jdbcTemplate.query("SELECT id, name, email FROM customer WHERE name = '" + name + "'", MAPPER);
    }
}
""",
        right="""\
package com.example.customers;

import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Repository;

@Repository
public class CustomerRepository {
    private static final RowMapper<Customer> MAPPER =
            (rs, i) -> new Customer(rs.getLong("id"), rs.getString("name"), rs.getString("email"));
    private final JdbcTemplate jdbcTemplate;

    public CustomerRepository(JdbcTemplate jdbcTemplate) {
        this.jdbcTemplate = jdbcTemplate;
    }

    public List<Customer> findByName(String name) {
        return jdbcTemplate.query("SELECT id, name, email FROM customer WHERE name = ?", MAPPER, name);
    }
}
""",
        notes="The SQL is followed through a local variable built in the same method (`String sql = "
        '"..." + name;` or `sql += ...`). Concatenating only literals and UPPER_CASE constants (a '
        "table name constant) is not reported. The receiver is recognised by its declared type "
        "(JdbcTemplate, EntityManager, Statement, Connection...) or by a name such as `jdbcTemplate`, "
        "`em` or `stmt`. Silent in test code, which no attacker reaches.",
    ),
    "java.transactional-private-final": RuleDoc(
        summary="@Transactional is put on a private, final or static method, where Spring's proxy cannot apply it.",
        why="Spring starts transactions in a proxy that overrides the bean's methods; a private, final "
        "or static method cannot be overridden, so the annotation is silently ignored and the "
        "method runs without a transaction. In the example a failure between the debit and the credit "
        "leaves the money debited. Put `@Transactional` on a public method of the bean that callers "
        "call from outside.",
        example_path="src/main/java/com/example/accounts/TransferService.java",
        wrong="""\
package com.example.accounts;

import java.math.BigDecimal;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class TransferService {
    private final AccountRepository accounts;

    public TransferService(AccountRepository accounts) {
        this.accounts = accounts;
    }

    public void transfer(long fromId, long toId, BigDecimal amount) {
        move(fromId, toId, amount);
    }

    @Transactional
    private void move(long fromId, long toId, BigDecimal amount) {
        accounts.debit(fromId, amount);
        accounts.credit(toId, amount);
    }
}
""",
        right="""\
package com.example.accounts;

import java.math.BigDecimal;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class TransferService {
    private final AccountRepository accounts;

    public TransferService(AccountRepository accounts) {
        this.accounts = accounts;
    }

    @Transactional
    public void transfer(long fromId, long toId, BigDecimal amount) {
        accounts.debit(fromId, amount);
        accounts.credit(toId, amount);
    }
}
""",
    ),
    "java.transactional-self-invocation": RuleDoc(
        summary="A @Transactional method is called from its own class, so the call bypasses Spring's transaction proxy.",
        why="Spring applies `@Transactional` in a proxy around the bean, and a call from inside the class "
        "(`issueInvoice(...)` or `this.issueInvoice(...)`) never goes through it. In the example there "
        "is no per-customer transaction at all: each save commits on its own, and a failure half-way "
        "leaves a half-billed customer. Move the transactional method to another bean and inject it, "
        "or run the work with a `TransactionTemplate`.",
        example_path="src/main/java/com/example/billing/InvoiceService.java",
        wrong="""\
package com.example.billing;

import java.time.YearMonth;
import lombok.RequiredArgsConstructor;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
@RequiredArgsConstructor
public class InvoiceService {
    private final CustomerRepository customers;
    private final InvoiceRepository invoices;

    public void closeMonth(YearMonth month) {
        for (Customer customer : customers.findActive()) {
            issueInvoice(customer, month);
        }
    }

    @Transactional
    public void issueInvoice(Customer customer, YearMonth month) {
        invoices.save(Invoice.forMonth(customer, month));
        customers.save(customer.billedFor(month));
    }
}
""",
        right="""\
package com.example.billing;

import java.time.YearMonth;
import lombok.RequiredArgsConstructor;
import org.springframework.stereotype.Service;

@Service
@RequiredArgsConstructor
public class InvoiceService {
    private final CustomerRepository customers;
    private final InvoiceWriter invoiceWriter; // a @Service whose issueInvoice is @Transactional

    public void closeMonth(YearMonth month) {
        for (Customer customer : customers.findActive()) {
            invoiceWriter.issueInvoice(customer, month);
        }
    }
}
""",
        notes="Not reported when the caller is itself `@Transactional` (on the method or the class) and "
        "the callee's `@Transactional` has no attributes, the caller's, or only `readOnly = true`: the "
        "call then runs in the caller's transaction and its own settings would change nothing.",
    ),
    "java.request-body-not-validated": RuleDoc(
        summary="A @RequestBody parameter lacks @Valid, so the body's Bean Validation constraints are never checked.",
        why="Constraints such as `@NotBlank`, `@Email` or `@Size` on a request class do nothing unless "
        "the controller parameter is annotated `@Valid` (or `@Validated`); without it, missing or "
        "oversized fields reach the service and the database, and the client gets a 500 (or worse, "
        "bad data is stored) instead of a 400 that names the field. Annotate the parameter with "
        "`@Valid`.",
        example_path="src/main/java/com/example/customers/CustomerController.java",
        wrong="""\
package com.example.customers;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/customers")
public class CustomerController {
    private final CustomerService service;

    public CustomerController(CustomerService service) {
        this.service = service;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public CustomerDto create(@RequestBody CreateCustomerRequest request) {
        return service.create(request);
    }

    record CreateCustomerRequest(@NotBlank String name, @Email String email) {}
}
""",
        right="""\
package com.example.customers;

import jakarta.validation.Valid;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/customers")
public class CustomerController {
    private final CustomerService service;

    public CustomerController(CustomerService service) {
        this.service = service;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public CustomerDto create(@Valid @RequestBody CreateCustomerRequest request) {
        return service.create(request);
    }

    record CreateCustomerRequest(@NotBlank String name, @Email String email) {}
}
""",
        notes="The rule reads the request class (in the same file, the same package or an import of "
        "the same source tree) and reports only when it has Bean Validation constraints to check. A class "
        "without constraints (a generated model) gets no finding: `@Valid` would be a no-op there; "
        "nor does a class the review cannot read (another module, no checkout). Silent in test code.",
    ),
}
