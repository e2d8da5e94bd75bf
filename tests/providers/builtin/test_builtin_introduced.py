"""What the change introduces, and what the class around it shows (false positives from bench/precision).

- A line the change only moves or reformats (spring-realworld 6107132e, "chore: add spotless format")
  is not new code: no finding, except for the redaction scanner, which must see every secret.
- java.field-injection fires where the change goes against the class (replaces or mixes with
  constructor injection), not in a class that injects everything into fields (mall, 63 findings).
- java.request-body-not-validated fires only when the body's class has constraints to check
  (mall: MyBatis-generated models without any, 18 findings).
"""

from __future__ import annotations

from mochi.models import Diff
from mochi.providers.builtin import RULES, BuiltinReviewer
from tests.providers.builtin.builtin_diffs import (
    ALL_RULES,
    added,
    code,
    hits,
    make_added_file,
    make_modified_file,
    modified,
)

FILTER = "src/main/java/io/spring/api/security/JwtTokenFilter.java"
BEFORE = code("""
    package io.spring.api.security;

    public class JwtTokenFilter extends OncePerRequestFilter {
      @Autowired
      private UserReadService userQueryService;
      @Autowired private JwtService jwtService;

      void f(Exception e) {
        e.printStackTrace();
      }
    }
""")
AFTER = code("""
    package io.spring.api.security;

    public class JwtTokenFilter extends OncePerRequestFilter {
      @Autowired private UserReadService userQueryService;
      @Autowired
      private JwtService jwtService;

      void f(Exception e) {
          e.printStackTrace();
      }
    }
""")


def test_a_reformatted_line_is_not_a_new_finding() -> None:
    findings = modified(FILTER, BEFORE, AFTER)
    assert hits(findings, "java.print-stack-trace") == []
    assert hits(findings, "java.field-injection") == []


def test_a_line_moved_within_the_file_is_not_new_but_a_changed_one_is() -> None:
    before = 'export function a() {\n  console.log("a");\n}\n\nexport function b() {\n  return 1;\n}\n'
    moved = 'export function b() {\n  return 1;\n}\n\nexport function a() {\n  console.log("a");\n}\n'
    assert hits(modified("web/src/a.js", before, moved), "js.console-log") == []
    changed = moved.replace('console.log("a")', 'console.log("a", secretState)')
    assert hits(modified("web/src/a.js", before, changed), "js.console-log") == [6]


def test_the_redaction_scanner_still_sees_a_moved_secret() -> None:
    key = "AKIA" + "Q3R7XN2PLM5KD8ZW"
    before = f"a=1\naws.key={key}\n"
    after = f"aws.key={key}\na=1\n"
    diff = Diff(files=(make_modified_file("conf/app.properties", before, after),))
    secrets = {k: r for k, r in RULES.items() if k.startswith("secrets.")}
    assert BuiltinReviewer(registry=secrets).review(diff, lambda _p: after) == []
    redaction = BuiltinReviewer(registry=secrets, only_introduced=False).review(diff, lambda _p: after)
    assert [f.rule_id for f in redaction] == ["secrets.aws-access-key"]


SERVICE = code("""
    package com.acme.orders;

    @Service
    public class OrderService {
        private final OrderRepository repository;

        public OrderService(OrderRepository repository) {
            this.repository = repository;
        }
    }
""")


def test_field_injection_replacing_constructor_injection_fires() -> None:
    after = code("""
        package com.acme.orders;

        @Service
        public class OrderService {
            @Autowired
            private OrderRepository repository;
        }
    """)
    findings = modified("src/main/java/com/acme/orders/OrderService.java", SERVICE, after)
    (finding,) = [f for f in findings if f.rule_id == "java.field-injection"]
    assert finding.line == 5 and "replaces the constructor injection of `repository`" in finding.message


def test_field_injection_mixed_into_a_constructor_injected_class_fires() -> None:
    after = SERVICE.replace(
        "    private final", "    @Autowired\n    private Clock clock;\n    private final"
    )
    findings = modified("src/main/java/com/acme/orders/OrderService.java", SERVICE, after)
    assert hits(findings, "java.field-injection") == [5]


def test_field_injection_in_a_class_that_injects_only_into_fields_is_its_convention() -> None:
    text = code("""
        package com.macro.mall.service;

        @Service
        public class OmsOrderServiceImpl implements OmsOrderService {
            @Autowired
            private OmsOrderMapper orderMapper;
            @Autowired
            private OmsOrderDao orderDao;
        }
    """)
    assert hits(added("mall-admin/src/main/java/com/macro/mall/service/OmsOrderServiceImpl.java", text),
                "java.field-injection") == []  # fmt: skip


CONTROLLER = code("""
    package com.acme.orders.web;

    import com.acme.orders.dto.CreateOrder;

    @RestController
    public class OrderController {
        @PostMapping("/orders")
        public Order create(@RequestBody CreateOrder body) { return null; }

        @PostMapping("/orders/bulk")
        public int bulk(@RequestBody List<Line> lines) { return 0; }
    }
""")
ROOT = "shop/src/main/java/com/acme/orders"


def _review_controller(repository: dict[str, str]) -> list[int | None]:
    path = f"{ROOT}/web/OrderController.java"
    diff = Diff(files=(make_added_file(path, CONTROLLER),))
    reviewer = BuiltinReviewer(ALL_RULES)
    found = reviewer.review(diff, lambda p: CONTROLLER if p == path else None, repository.get)
    return [f.line for f in found if f.rule_id == "java.request-body-not-validated"]


def test_a_request_body_whose_class_has_constraints_is_reported() -> None:
    dto = "package com.acme.orders.dto;\nrecord CreateOrder(@NotBlank String a) {}\n"
    repository = {
        f"{ROOT}/dto/CreateOrder.java": dto,
        f"{ROOT}/web/Line.java": "package com.acme.orders.web;\nrecord Line(@Positive int quantity) {}\n",
    }
    assert _review_controller(repository) == [8, 11]  # the import's class, and List<Line> in the package


def test_a_request_body_without_constraints_or_unreadable_is_not() -> None:
    generated = {f"{ROOT}/dto/CreateOrder.java": "package com.acme.orders.dto;\npublic class CreateOrder {\n"
                 "    private String item;\n}\n"}  # fmt: skip
    assert _review_controller(generated) == []  # @Valid would validate nothing
    assert _review_controller({}) == []  # another module, or no checkout: cannot tell


# --------------------------------------------------------------------------- JS / React (bulletproof-react)

MD_PREVIEW = code("""
    import createDOMPurify from 'dompurify';
    import marked from 'marked';

    const DOMPurify = createDOMPurify(window);

    export const MDPreview = ({ value }: { value: string }) => {
      const clean = DOMPurify.sanitize(marked(value));
      return (
        <>
          <div dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(marked(value)) }} />
          <div dangerouslySetInnerHTML={{ __html: clean }} />
          <div dangerouslySetInnerHTML={{ __html: marked(value) }} />
        </>
      );
    };
""")


def test_sanitized_html_is_the_safe_pattern_raw_html_is_not() -> None:
    assert hits(added("src/components/MDPreview.tsx", MD_PREVIEW), "js.dangerously-set-inner-html") == [12]


def test_hooks_called_through_render_hook_in_tests_are_fine() -> None:
    test = code("""
        import { renderHook, act } from '@testing-library/react-hooks';
        import { useDisclosure } from '../useDisclosure';

        test('should open', () => {
          const { result } = renderHook(() => useDisclosure());
          act(() => result.current.open());
        });
    """)
    assert hits(added("src/hooks/__tests__/useDisclosure.ts", test), "react.conditional-hook") == []


def test_a_file_read_on_a_constant_path_is_not_a_constant_conversion() -> None:
    """The demo's planted `.expect()` on reading a log file in a handler: the path is a literal, but
    whether the file is there is up to the machine, so it can panic on any request."""
    handler = code("""
        use actix_web::{post, web, HttpResponse, Responder};

        #[post("/stock/{sku}/reserve")]
        pub async fn reserve(sku: web::Path<String>) -> impl Responder {
            let log = std::fs::read_to_string("/var/log/reservations.log").expect("log exists");
            let code = actix_web::http::StatusCode::from_u16(201).unwrap();
            HttpResponse::build(code).body(format!("{} ({})", sku, log.len()))
        }
    """)
    assert hits(added("inventory/src/handlers.rs", handler), "rust.unwrap-in-handler") == [5]


def test_field_injection_is_judged_by_its_own_class() -> None:
    """spring-realworld 3602ebdc: the change drops UsersApi's constructor and adds a validator class
    with an @Autowired field to the same file; the validator never had a constructor to replace."""
    before = code("""
        package io.spring.api;

        public class UsersApi {
            private UserRepository userRepository;

            @Autowired
            public UsersApi(UserRepository userRepository) {
                this.userRepository = userRepository;
            }
        }
    """)
    after = code("""
        package io.spring.api;

        @RequiredArgsConstructor
        public class UsersApi {
            private final UserRepository userRepository;
        }

        class DuplicatedEmailValidator implements ConstraintValidator<DuplicatedEmailConstraint, String> {
            @Autowired private UserRepository userRepository;
        }
    """)
    findings = modified("src/main/java/io/spring/api/UsersApi.java", before, after)
    assert hits(findings, "java.field-injection") == []


def test_console_log_of_a_caught_error_is_error_reporting() -> None:
    """bulletproof-react 9818ed52: the axios error interceptor logs the error it receives."""
    text = code("""
        axios.interceptors.response.use(
          (response) => response.data,
          (error) => {
            console.log(error);
            console.log('retrying', attempts);
          }
        );
        try { load(); } catch (err) { console.log(err); }
        function f(e: Event) { console.log(e, state); }
    """)
    assert hits(added("src/lib/axios.ts", text), "js.console-log") == [5, 9]


def test_rendering_a_registered_template_is_not_bad_input() -> None:
    """actix-examples 006b7f3d: `hb.render("user", &data).unwrap()` fails on a template bug only."""
    text = code("""
        #[get("/{user}/{data}")]
        async fn user(hb: web::Data<Handlebars<'_>>, info: web::Path<(String, String)>) -> HttpResponse {
            let data = json!({ "user": info.0, "data": info.1 });
            let body = hb.render("user", &data).unwrap();
            let n: u32 = info.1.parse().unwrap();
            HttpResponse::Ok().body(body)
        }
    """)
    assert hits(added("src/main.rs", text), "rust.unwrap-in-handler") == [5]


def test_the_redaction_scanner_hides_secrets_in_tests_and_comments_too() -> None:
    """Findings abstain in test code and comments; what the model is sent must not."""
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    value = "xK9#mQ2$vL7@pR4!wN8&"
    text = f'const api = {{ apiKey: "{value}" }};\n// GITHUB_TOKEN={token}\n'
    diff = Diff(files=(make_added_file("tests/integration/api.test.js", text),))
    from mochi.redaction import secret_scanner

    secrets = {k: r for k, r in RULES.items() if k.startswith("secrets.")}
    review = BuiltinReviewer(registry=secrets).review(diff, lambda _p: text)
    redaction = secret_scanner().review(diff, lambda _p: text)
    assert {f.line for f in redaction} == {1, 2}
    assert {f.line for f in review} <= {2}


def test_the_redaction_scanner_hides_what_the_opt_in_secrets_rules_find() -> None:
    """secrets.config-password and secrets.high-entropy-string are off by default as review findings
    (bench/precision); what the model is sent is still scanned with them."""
    from mochi.diff.redact import redact_secrets
    from mochi.redaction import secret_scanner

    text = "spring.datasource.url=jdbc:postgresql://db.internal/app\nspring.datasource.password=Winter2024!orders\n"
    diff = Diff(files=(make_added_file("src/main/resources/application.properties", text),))
    assert BuiltinReviewer().review(diff, lambda _p: text) == []  # not a finding by default
    assert {f.rule_id for f in secret_scanner().review(diff, lambda _p: text)} == {"secrets.config-password"}
    assert "Winter2024" not in str(redact_secrets(diff, secret_scanner()))


def test_a_catch_whose_failure_is_the_null_result_is_not_swallowed() -> None:
    """mall b0a945d2: `claims = null; try { claims = parse(token); } catch (Exception e) { log } return
    claims;`: the caller checks the null; the same catch with no result to tell it is still reported."""
    text = code("""
        class JwtTokenUtil {
            private Claims claims(String token) {
                Claims claims = null;
                try {
                    claims = Jwts.parser().parseClaimsJws(token).getBody();
                } catch (Exception e) {
                    LOGGER.info("invalid token");
                }
                return claims;
            }

            void refresh(String token) {
                try {
                    cache.put(token, Jwts.parser().parseClaimsJws(token).getBody());
                } catch (Exception e) {
                    LOGGER.info("invalid token");
                }
            }
        }
    """)
    assert hits(added("src/main/java/com/acme/JwtTokenUtil.java", text), "java.swallowed-exception") == [15]


def test_a_servers_start_up_line_and_a_logger_function_print_on_purpose() -> None:
    text = code("""
        export const logger = store => next => action => {
          console.log('dispatching', action);
          return next(action);
        };
        app.listen(port, () => {
          console.log(`Listening to port ${port}`);
        });
        export function login(user) {
          console.log(user.password);
        }
    """)
    assert hits(added("src/index.js", text), "js.console-log") == [9]


def test_parsing_a_string_the_handler_formatted_is_its_own_output() -> None:
    """actix-examples e30915d9: the X-Forwarded-For value is formatted from the peer address."""
    text = code("""
        #[get("/{tail:.*}")]
        async fn forward(req: HttpRequest, body: web::Bytes) -> HttpResponse {
            let ip = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
            let addr = format!("{}", ip);
            let value: HeaderValue = addr.parse().unwrap();
            let limit: u32 = req.match_info().query("tail").parse().unwrap();
            HttpResponse::Ok().finish()
        }
    """)
    assert hits(added("src/main.rs", text), "rust.unwrap-in-handler") == [6]


def test_the_redaction_scanner_hides_a_live_token_in_api_docs() -> None:
    """secrets.jwt abstains in docs/ (sample tokens); the prompt must still not carry a live one."""
    import base64
    import json as _json

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(_json.dumps(data).encode()).decode().rstrip("=")

    token = f"{part({'alg': 'HS256'})}.{part({'sub': '42', 'exp': 4102444800})}.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    text = f"Authorization: Bearer {token}\n"
    diff = Diff(files=(make_added_file("docs/api.md", text),))
    secrets = {k: r for k, r in RULES.items() if k.startswith("secrets.")}
    assert BuiltinReviewer(registry=secrets).review(diff, lambda _p: text) == []
    redaction = BuiltinReviewer(registry=secrets, only_introduced=False).review(diff, lambda _p: text)
    assert [f.rule_id for f in redaction] == ["secrets.jwt"]
