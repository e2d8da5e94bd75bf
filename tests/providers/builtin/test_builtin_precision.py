"""False positives of the secrets, generic and Rust rules found on the precision corpus
(bench/precision), each reproduced next to the true positive the rule must keep reporting.

The JSON Web Tokens are built here rather than written out, so that no literal token sits in the
repository for a scanner to find.
"""

from __future__ import annotations

import base64
import json

import pytest
from builtin_diffs import added, code, hits, review

from mochi.models import ChangeKind, FileDiff, Hunk, Line, LineKind

# --------------------------------------------------------------------------- 1. secrets.jwt

JWT = "secrets.jwt"


def _segment(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _token(payload: dict[str, object]) -> str:
    header = _segment({"alg": "HS512"})
    return f"{header}.{_segment(payload)}.SJB-U60WzxLYNomqLo4G3v3LzFxJKuVrIud8D8Lz3mgpo9pN1i7C8ikU"


EXPIRED = _token({"sub": "aisensiy", "exp": 1502161204})  # 2017-08-08
FUTURE = _token({"sub": "admin", "exp": 4102444800})  # 2100-01-01
NO_EXP = _token({"sub": "admin", "iat": 1589298484})


def test_expired_jwt_grants_nothing() -> None:
    # spring-realworld/197130648cbd: the token of a test that checks expired tokens are rejected
    text = f'const token = "{EXPIRED}";\n'
    assert hits(added("src/api/client.ts", text), JWT) == []


@pytest.mark.parametrize("token", [FUTURE, NO_EXP])
def test_jwt_without_exp_or_not_yet_expired_still_fires(token: str) -> None:
    text = f'const token = "{token}";\n'
    assert hits(added("src/api/client.ts", text), JWT) == [1]


def test_jwt_whose_payload_is_not_json_still_fires() -> None:
    token = f"eyJhbGciOiJIUzI1NiJ9.eyJ{'A' * 20}.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    assert hits(added("src/api/client.ts", f'const token = "{token}";\n'), JWT) == [1]


def test_jwt_in_test_code_is_a_fixture() -> None:
    text = code(f"""
        class DefaultJwtServiceTest {{
            @Test
            void rejects_a_foreign_token() {{
                String token = "{FUTURE}";
            }}
        }}
    """)
    assert hits(added("src/test/java/io/spring/DefaultJwtServiceTest.java", text), JWT) == []


def test_jwt_in_a_rust_test_module_is_a_fixture() -> None:
    text = code(f"""
        pub fn check(token: &str) -> bool {{
            !token.is_empty()
        }}

        #[cfg(test)]
        mod tests {{
            #[test]
            fn accepts() {{
                assert!(super::check("{FUTURE}"));
            }}
        }}
    """)
    assert hits(added("src/auth.rs", text), JWT) == []


POSTMAN = code(f"""
    {{
      "request": {{
        "header": [
          {{"key": "Authorization", "value": "Bearer {FUTURE}"}}
        ]
      }}
    }}
""")


@pytest.mark.parametrize(
    "path",
    [
        "document/postman/mall-admin.postman_collection.json",  # mall/efb540cb09b3
        "api/mall-admin.postman_collection.json",
        "docs/api/requests.json",
        "doc/auth.md",
    ],
)
def test_jwt_in_api_documentation_is_an_example(path: str) -> None:
    assert hits(added(path, POSTMAN), JWT) == []


def test_jwt_in_a_config_file_still_fires() -> None:
    assert hits(added("config/requests.json", POSTMAN), JWT) == [4]


SWAGGER = code(f"""
    /**
     * @swagger
     * /auth/logout:
     *   post:
     *     requestBody:
     *       content:
     *         application/json:
     *             example:
     *               refreshToken: {FUTURE}
     */
    router.post('/logout', validate(authValidation.logout), authController.logout);
    const serviceToken = '{FUTURE}';
""")


def test_jwt_in_a_swagger_comment_is_documentation_but_not_in_code() -> None:
    # node-express/7c1f57fef03d: the JSDoc example is silent, the string literal below it is not
    assert hits(added("src/routes/v1/auth.route.js", SWAGGER), JWT) == [12]


# --------------------------------------------------------------------------- 2. secrets.high-entropy-string

ENTROPY = "secrets.high-entropy-string"


def test_password_fixture_in_an_integration_test() -> None:
    # node-express/e8cfb37adfc4: a request body of a test
    text = code("""
        const newUser = {
          email: 'invalidEmail',
          password: 'f8Kq2Lx7Pz4Rv8Tn',
        };
    """)
    assert hits(added("tests/integration/auth.test.js", text), ENTROPY) == []
    assert hits(added("src/services/auth.js", text), ENTROPY) == [3]


@pytest.mark.parametrize(
    "line",
    [
        "const newUser = { password: 'password1' };",  # a word and a digit
        "const newUser = { password: 'password12' };",
        "const labels = { password: 'Passwort' };",  # a capitalised word
        "const labels = { password: 'Kennwort' };",
        "const labels = { password: 'Wachtwoord1' };",
    ],
)
def test_a_word_and_a_digit_is_not_high_entropy(line: str) -> None:
    assert hits(added("web/src/pages/Login.tsx", line + "\n"), ENTROPY) == []


@pytest.mark.parametrize(
    "line",
    [
        "const config = { password: 'aB3$xY9!' };",  # short, but every character class
        "const config = { password: 'k7Pq2Lm9Zx4R' };",  # 12 characters, random
        "const apiKey = 'f8Kq2Lx7Pz4Rv8Tn3Wm6Ys1B';",
    ],
)
def test_random_looking_values_still_fire(line: str) -> None:
    assert hits(added("web/src/config.ts", line + "\n"), ENTROPY) == [1]


def test_translation_catalogue_is_not_a_secret() -> None:
    text = '{\n  "login.password": "Passwort",\n  "login.token": "Zugangs-Token1x"\n}\n'
    assert hits(added("web/src/i18n/de.json", text), ENTROPY) == []
    assert hits(added("web/src/i18n/de.json", text), "secrets.config-password") == []


# --------------------------------------------------------------------------- 3. secrets.config-password

CONFIG = "secrets.config-password"

LOCAL_DATASOURCE = code("""
    server.port=8081
    spring.datasource.url=jdbc:mysql://localhost:3306/mall
    spring.datasource.username=root
    spring.datasource.password=root
""")


def test_local_default_password_next_to_a_localhost_url() -> None:
    # mall/d1e687da739d: the documented root/root of a local MySQL
    path = "mall-search/src/main/resources/application.properties"
    assert hits(added(path, LOCAL_DATASOURCE), CONFIG) == []
    assert hits(added(path, LOCAL_DATASOURCE.replace("localhost", "127.0.0.1")), CONFIG) == []


def test_default_password_against_a_remote_host_still_fires() -> None:
    path = "src/main/resources/application.properties"
    remote = LOCAL_DATASOURCE.replace("localhost", "db.prod.internal")
    assert hits(added(path, remote), CONFIG) == [4]


def test_real_password_next_to_a_localhost_url_still_fires() -> None:
    path = "src/main/resources/application.properties"
    text = LOCAL_DATASOURCE.replace("password=root", "password=Xk9#mLq2vR")
    assert hits(added(path, text), CONFIG) == [4]


FIXTURE_USERS = code("""
    {
        "loginPass": {
            "username": "plumrx1",
            "password": "12345678"
        }
    }
""")


@pytest.mark.parametrize("path", ["cypress/fixtures/users.json", "src/test/fixtures/users.json"])
def test_test_fixture_accounts_are_not_secrets(path: str) -> None:
    # vue3-realworld/548476257936
    assert hits(added(path, FIXTURE_USERS), CONFIG) == []


def test_the_same_account_in_app_config_still_fires() -> None:
    assert hits(added("config/users.json", FIXTURE_USERS), CONFIG) == [4]


PACKAGE_JSON = code("""
    {
      "name": "web",
      "dependencies": {
        "password-validator": "^5.3.0",
        "secret-handshake": "1.1.20",
        "pwd-strength": "~2.0.1"
      },
      "config": {
        "db_password": "s3cr3t-Pa55"
      }
    }
""")


def test_dependency_names_in_a_package_manifest_are_not_passwords() -> None:
    assert hits(added("web/package.json", PACKAGE_JSON), CONFIG) == [9]


def test_cargo_dependency_is_not_a_password() -> None:
    text = '[dependencies]\npassword-hash = "0.5"\n\n[package.metadata]\ndb_password = "s3cr3t-Pa55"\n'
    assert hits(added("Cargo.toml", text), CONFIG) == [5]


# --------------------------------------------------------------------------- 4. generic.sensitive-file

SENSITIVE = "generic.sensitive-file"


def _symlink(path: str, target: str, mode: str = "120000") -> FileDiff:
    line = Line(kind=LineKind.ADDED, old_no=None, new_no=1, text=target)
    hunk = Hunk(old_start=0, old_len=0, new_start=1, new_len=1, lines=(line,))
    return FileDiff(
        path=path, change=ChangeKind.ADDED, new_mode=mode, symlink=mode == "120000", hunks=(hunk,)
    )


def test_symlinked_key_adds_no_key_material() -> None:
    # actix-examples/11cd3f2b58dc: cert.pem and key.pem link to the shared demo files
    for name in ("cert.pem", "key.pem"):
        diff = _symlink(f"basics/middleware-http-to-https/{name}", f"../../https-tls/{name}")
        assert hits(review((diff, f"../../https-tls/{name}")), SENSITIVE) == []


def test_regular_key_file_still_fires() -> None:
    diff = _symlink("certs/key.pem", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", mode="100644")
    assert hits(review((diff, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")), SENSITIVE) == [None]


@pytest.mark.parametrize(
    "text",
    [
        "DATABASE_URL=file:test.db\n",  # actix-examples/3ebde8e7c2e5 diesel/.env
        "# diesel\nDATABASE_URL=postgres://localhost/app\nRUST_LOG=info\nPORT=8080\n",
        "export NODE_ENV=development\nAPI_TOKEN=\nSECRET_KEY=${SECRET_KEY}\n",
    ],
)
def test_env_file_without_secrets_is_not_a_secrets_file(text: str) -> None:
    assert hits(added("diesel/.env", text), SENSITIVE) == []


@pytest.mark.parametrize(
    "text",
    [
        "DATABASE_URL=file:test.db\nJWT_SECRET=f8Kq2Lx7Pz4Rv8Tn\n",
        "export STRIPE_API_KEY=sk_live_51H\n",
        "DATABASE_URL=postgres://app:hunter2@db.internal/app\n",  # a password inside the URL
        "not a key value line\n",  # cannot tell: report
    ],
)
def test_env_file_with_a_secret_still_fires(text: str) -> None:
    assert hits(added(".env", text), SENSITIVE) == [None]


PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"


def test_pem_with_a_private_key_block_is_reported_once() -> None:
    # actix-examples/3ebde8e7c2e5 tls/key.pem: secrets.private-key already points at the block
    findings = added("tls/key.pem", PRIVATE_KEY)
    assert [(f.rule_id, f.line) for f in findings] == [("secrets.private-key", 1)]


def test_pem_without_a_readable_block_still_fires() -> None:
    assert hits(added("tls/key.pem", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"), SENSITIVE) == [None]
    binary = FileDiff(path="tls/key.pem", change=ChangeKind.ADDED, binary=True)
    assert hits(review((binary, None)), SENSITIVE) == [None]


# --------------------------------------------------------------------------- 5. secrets.slack-webhook

WEBHOOK = "secrets.slack-webhook"


def test_slack_documented_placeholder_webhook() -> None:
    url = "https://hooks.slack.com/services/T00000000/B00000000/" + "X" * 24
    assert hits(added("src/notify.ts", f"const url = '{url}';\n"), WEBHOOK) == []


def test_real_looking_slack_webhook_still_fires() -> None:
    url = "https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/AbCdEfGhIjKlMnOpQrStUvWx"
    assert hits(added("src/notify.ts", f"const url = '{url}';\n"), WEBHOOK) == [1]


# --------------------------------------------------------------------------- 6. rust.unwrap-in-handler

UNWRAP = "rust.unwrap-in-handler"

HANDLERS = code("""
    use std::sync::{Mutex, RwLock};
    use actix_web::{web, HttpRequest, HttpResponse};

    async fn index(counter: web::Data<Mutex<usize>>, cache: web::Data<RwLock<Vec<u8>>>) -> HttpResponse {
        *counter.lock().unwrap() += 1;
        let size = cache.read().unwrap().len();
        cache.write().expect("cache lock poisoned").clear();
        HttpResponse::Ok().body(size.to_string())
    }

    async fn login(auth: web::Json<AuthData>, id: Identity) -> HttpResponse {
        let user = SlimUser::from(auth.into_inner());
        id.remember(serde_json::to_string(&user).unwrap());
        let pretty = serde_json::to_string_pretty(&user).unwrap();
        let bytes = serde_json::to_vec(&user).expect("serialise");
        HttpResponse::Ok().body(format!("{pretty}{}", bytes.len()))
    }

    async fn rpc(req: HttpRequest, body: web::Bytes) -> HttpResponse {
        let state = req.app_data::<web::Data<AppState>>().unwrap();
        let other = req.app_data().expect("AppState is registered in main");
        let text = String::from_utf8(body.to_vec()).unwrap();
        let parsed: Request = serde_json::from_str(&text).unwrap();
        HttpResponse::Ok().body(state.run(other, parsed))
    }
""")


def test_poisoning_serialisation_and_wiring_unwraps_are_idioms() -> None:
    # actix-examples/d85adb8513ad, fe180ca96dc4 (locks), e2945b9b3949, 312735279791 (to_string, app_data):
    # only the unwraps on the request body are left
    assert hits(added("src/main.rs", HANDLERS), UNWRAP) == [22, 23]


def test_try_lock_and_deserialisation_still_fire() -> None:
    text = code("""
        async fn index(counter: web::Data<Mutex<usize>>, body: web::Bytes) -> HttpResponse {
            *counter.try_lock().unwrap() += 1;
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            HttpResponse::Ok().body(value.to_string())
        }
    """)
    assert hits(added("src/main.rs", text), UNWRAP) == [2, 3]


SSE = code("""
    fn main() {
        App::new()
            .resource("/events", |r| r.method(http::Method::GET).to(new_client))
            .resource("/broadcast/{msg}", |r| r.method(http::Method::GET).to(broadcast));
    }

    fn new_client(broadcaster: Data<Mutex<Broadcaster>>) -> impl Responder {
        let rx = broadcaster.lock().unwrap().new_client();
        HttpResponse::Ok().streaming(rx)
    }

    fn broadcast(msg: Path<String>, broadcaster: Data<Mutex<Broadcaster>>) -> impl Responder {
        let n: u32 = msg.parse().unwrap();
        HttpResponse::Ok().body(n.to_string())
    }

    impl Broadcaster {
        fn new_client(&mut self) -> Client {
            let (tx, rx) = channel(100);
            tx.clone().try_send(Bytes::from("data: connected\\n\\n")).unwrap();
            Client(rx)
        }
    }
""")


def test_method_sharing_a_handler_name_is_not_the_handler() -> None:
    # actix-examples/d85adb8513ad: Broadcaster::new_client is not the registered new_client
    assert hits(added("server-sent-events/src/main.rs", SSE), UNWRAP) == [13]


def test_method_registered_by_its_path_is_a_handler() -> None:
    text = SSE.replace(".to(broadcast)", ".to(Broadcaster::new_client)")
    assert hits(added("server-sent-events/src/main.rs", text), UNWRAP) == [20]


OLD_ACTIX = code("""
    use actix_web::{http, server, App, AsyncResponder, HttpMessage, HttpRequest, HttpResponse, Error};

    fn index_mjsonrust(req: HttpRequest) -> Box<Future<Item = HttpResponse, Error = Error>> {
        req.concat2()
            .from_err()
            .and_then(|body| {
                let result = json::parse(std::str::from_utf8(&body).unwrap());
                Ok(HttpResponse::Ok().body(result.dump()))
            })
            .responder()
    }

    fn extract_item(item: Json<MyObj>) -> HttpResponse {
        HttpResponse::Ok().body(item.name.parse::<u32>().unwrap().to_string())
    }

    fn helper(text: &str) -> u32 {
        text.parse().unwrap()
    }

    fn main() {
        server::new(|| {
            App::new()
                .resource("/extractor", |r| r.method(http::Method::POST).with(extract_item))
                .resource("/mjsonrust", |r| r.method(http::Method::POST).f(index_mjsonrust))
        })
        .bind("127.0.0.1:8080")
        .unwrap()
        .run();
    }
""")


def test_actix_0_7_handlers_registered_with_f_and_with_fire() -> None:
    # actix-examples/3ebde8e7c2e5 json/src/main.rs:78, a true positive the rule used to miss
    assert hits(added("json/src/main.rs", OLD_ACTIX), UNWRAP) == [7, 14]


# --------------------------------------------------------------------------- 7. rust.blocking-in-async

BLOCKING = "rust.blocking-in-async"

MAIN = code("""
    use std::fs::File;
    use std::io::BufReader;

    #[actix_web::main]
    async fn main() -> std::io::Result<()> {
        let cert_file = &mut BufReader::new(File::open("cert.pem").unwrap());
        let key = std::fs::read_to_string("key.pem")?;
        HttpServer::new(|| App::new().service(index))
            .bind_rustls("127.0.0.1:8443", config(cert_file, key))?
            .run()
            .await
    }

    #[get("/")]
    async fn index() -> std::io::Result<String> {
        std::fs::read_to_string("index.html")
    }
""")


@pytest.mark.parametrize(
    "attribute",
    [
        "#[actix_web::main]",
        "#[tokio::main]",
        '#[tokio::main(flavor = "current_thread")]',
        "#[actix_rt::main]",
    ],
)
def test_blocking_start_up_in_an_async_main_is_fine(attribute: str) -> None:
    # actix-examples/11cd3f2b58dc: certificates read before the server starts
    text = MAIN.replace("#[actix_web::main]", attribute)
    assert hits(added("src/main.rs", text), BLOCKING) == [16]


def test_blocking_in_a_task_spawned_from_main_still_fires() -> None:
    text = code("""
        #[tokio::main]
        async fn main() {
            tokio::spawn(async {
                std::thread::sleep(std::time::Duration::from_secs(1));
            });
        }

        async fn main_loop() {
            let _ = std::fs::read_to_string("state.json");
        }
    """)
    assert hits(added("src/main.rs", text), BLOCKING) == [4, 9]


def test_async_main_without_a_runtime_macro_still_fires() -> None:
    text = code("""
        mod server {
            pub async fn main() {
                let _ = std::fs::read_to_string("config.toml");
            }
        }
    """)
    assert hits(added("src/server.rs", text), BLOCKING) == [3]


PROXY = code("""
    fn index(_req: HttpRequest) -> Box<Future<Item = HttpResponse, Error = Error>> {
        client::ClientRequest::get("https://www.rust-lang.org/en-US/")
            .finish()
            .unwrap()
            .send()
            .responder()
    }

    fn forward(req: HttpRequest) -> Box<Future<Item = HttpResponse, Error = Error>> {
        client::ClientRequest::get(req.uri().to_string())
            .finish()
            .unwrap()
            .send()
            .responder()
    }

    fn main() {
        App::new().resource("/", |r| r.f(index)).resource("/fwd", |r| r.f(forward));
    }
""")


def test_builder_chain_on_constants_is_not_input() -> None:
    # actix-examples/3ebde8e7c2e5 http-proxy: a request to a constant URL; found once .f(index)
    # registers the handler. The same chain on the client's URI still fires.
    assert hits(added("http-proxy/src/main.rs", PROXY), UNWRAP) == [12]


def test_jwt_after_a_command_line_option_is_not_in_a_comment() -> None:
    # `--header` is no SQL comment: the token on this shell line is live
    text = f'curl --header "Authorization: Bearer {FUTURE}" https://api.example.com/me\n'
    assert hits(added("scripts/me.sh", text), JWT) == [1]
    assert hits(added("scripts/me.sh", f"# curl -H 'Authorization: Bearer {FUTURE}'\n"), JWT) == []
