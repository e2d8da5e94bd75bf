"""DOCS: what each built-in rule is about, why it matters, and a wrong and a right example.

Pure data for SARIF (shortDescription, help), `mochi rules` and the README. The examples are
proven: tests/providers/builtin/test_rule_docs.py adds `wrong` as a new file at `example_path`
and expects the rule to report it, and does the same with `right` and expects silence.

The fake credentials in the secrets examples are assembled from pieces below, so that this file
itself holds no string a secret scanner (push protection, mochi's own secrets pack) would report,
and no conflict marker or bare TODO comment either; the example texts hold them whole.
"""

# ruff: noqa: E501  (the examples keep their real line lengths)

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleDoc:
    """The documentation of one built-in rule.

    `wrong` is reported by the rule when it is added as a whole new file at `example_path`;
    `right` (the same file, fixed) is not. For a rule about size, the example file is `wrong`
    repeated `repeat` times (see `wrong_file`); `right` is always used as it is.
    """

    summary: str  # one sentence, specific to the rule (SARIF shortDescription)
    why: str  # 2-5 sentences of Markdown: what goes wrong, why it matters, what to do instead
    example_path: str  # where the examples live: the rules look at the path (language, test file...)
    wrong: str  # code the rule reports
    right: str  # the corrected code, which the rule does not report
    notes: str = ""  # Markdown: known limits, and where the rule stays silent by design
    repeat: int = 1  # the wrong example file is `wrong` repeated this many times

    @property
    def wrong_file(self) -> str:
        """The whole text of the wrong example file (`wrong` repeated `repeat` times)."""
        return self.wrong * self.repeat


# --------------------------------------------------------------------------- fake values for the examples
# Made up, pattern-valid, and not placeholders (the rules ignore values containing EXAMPLE, sample,
# dummy, fake, your_..., so these cannot say so).

_RSA_BEGIN = "-----BEGIN RSA " + "PRIVATE KEY-----"
_RSA_END = "-----END RSA " + "PRIVATE KEY-----"
_PKCS8_BEGIN = "-----BEGIN " + "PRIVATE KEY-----"
_PKCS8_END = "-----END " + "PRIVATE KEY-----"
_AWS_KEY_ID = "AK" + "IA0123456789ABCDEF"
_AWS_SAK = "aBcDeFgHiJkLmNoPqRsT" + "uVwXyZ0123456789/+Ab"
_GOOGLE_API_KEY = "AI" + "zaSyA-0123456789abcdefghijklmnopqrstu"
_AZURE_KEY = "Zm9yIGRvY3VtZW50YXRpb24gb25seSwgbm90IGEga2V5" + "IDAxMjM0NTY3ODlhYmNkZWZnaGlqa2xtbm9wcXJzdHV2=="
_GITHUB_TOKEN = "gh" + "p_0123456789abcdefghijklmnopqrstuvwxyz"
_GITLAB_TOKEN = "gl" + "pat-0123456789abcdefghij"
_SLACK_TOKEN = "xo" + "xb-0123456789-0123456789012-AbCdEfGhIjKlMnOpQrStUvWx"
_SLACK_WEBHOOK = "https://hooks.slack" + ".com/services/T0ACME0001/B0ALERTS01/AbCdEfGhIjKlMnOpQrStUvWx"
_JWT = (
    "ey" + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
_DB_PASS = "Rx7-vQ2p" + "L9zK"
_HIGH_ENTROPY = "q8Zr2LxV7m" + "N4pT9wK3sB6yH1cF5d"
_NPM_TOKEN = "np" + "m_0123456789abcdefghijklmnopqrstuvwxyz"
_OURS = "<" * 7
_SPLIT = "=" * 7
_THEIRS = ">" * 7
_TODO = "TO" + "DO"


DOCS: dict[str, RuleDoc] = {
    # ======================================================================= secrets
    "secrets.private-key": RuleDoc(
        summary="A PEM private key block (RSA, EC, DSA, OpenSSH, PGP or PKCS#8) is added to a file.",
        why="Whoever can read the repository, a fork, a CI cache or an old clone can use the key: sign "
        "tokens as your service, impersonate its TLS endpoint or log in over SSH. Deleting the file in "
        "a "
        "later commit does not help, because the key stays in the Git history, so it has to be revoked "
        "and replaced. Keep keys in a secret manager or a Kubernetes secret and mount them at run time, "
        "referencing them by path.",
        example_path="src/main/resources/application.yml",
        wrong="""\
server:
  port: 8443
security:
  jwt:
    issuer: https://auth.acme.example
    signing-key: |
      """
        + _RSA_BEGIN
        + """
      MIIEowIBAAKCAQEAdocumentationOnlyNotARealKeydocumentationOnlyNot
      ARealKeydocumentationOnlyNotARealKeydocumentationOnlyNotARealKey
      """
        + _RSA_END
        + """
    access-token-ttl: 15m
""",
        right="""\
server:
  port: 8443
security:
  jwt:
    issuer: https://auth.acme.example
    # PEM file mounted from the secret store (Kubernetes secret, Vault agent) at deploy time
    signing-key-location: file:/run/secrets/jwt-signing-key.pem
    access-token-ttl: 15m
""",
        notes="Reported once per key block, on its `-----BEGIN` line, in any text file. Public keys and "
        "certificates (`BEGIN PUBLIC KEY`, `BEGIN CERTIFICATE`) are not reported. A key inside a Google "
        "Cloud service-account JSON file is reported as `secrets.gcp-service-account-key` instead.",
    ),
    "secrets.aws-access-key": RuleDoc(
        summary="An AWS access key id (AKIA…, ASIA…) is written into code, configuration or infrastructure files.",
        why="An access key id is half of an AWS credential, and it is rarely committed alone: the secret "
        "key is usually nearby or in the same history. Leaked AWS keys are harvested from public "
        "repositories within minutes and used to run up bills or read data. Deactivate the key, and "
        "let the code get credentials from its environment instead: an IAM role for the instance, "
        "task or CI job, or `aws sso login` on a laptop.",
        example_path="infra/terraform/providers.tf",
        wrong="""\
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region     = "eu-west-1"
  access_key = \""""
        + _AWS_KEY_ID
        + """"
  secret_key = var.aws_secret_key
}
""",
        right="""\
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
  # credentials come from the environment: the CI job's assumed role, `aws sso login` locally
}
""",
        notes="AWS's documented example keys (containing `EXAMPLE`, such as `AKIAIOSFODNN7EXAMPLE`) and "
        "values that read as placeholders (containing sample, dummy, fake, placeholder...) are ignored.",
    ),
    "secrets.aws-secret-key": RuleDoc(
        summary="A 40-character AWS secret access key is assigned in code, configuration or deployment files.",
        why="The secret access key is what signs AWS API requests: with it (and the key id, often in the "
        "same file or history) anyone can act with the key's permissions. Removing the line is not "
        "enough, since the history keeps it; deactivate the key in IAM. Give the workload an IAM role, "
        "or pass the key in from the environment or a secret store at deploy time.",
        example_path="deploy/docker-compose.prod.yml",
        wrong="""\
services:
  invoice-exporter:
    image: registry.acme.example/invoice-exporter:2.3.1
    restart: unless-stopped
    environment:
      AWS_REGION: eu-west-1
      AWS_ACCESS_KEY_ID: ${AWS_ACCESS_KEY_ID}
      AWS_SECRET_ACCESS_KEY: """
        + _AWS_SAK
        + """
      EXPORT_BUCKET: acme-invoice-exports
""",
        right="""\
services:
  invoice-exporter:
    image: registry.acme.example/invoice-exporter:2.3.1
    restart: unless-stopped
    environment:
      AWS_REGION: eu-west-1
      AWS_ACCESS_KEY_ID: ${AWS_ACCESS_KEY_ID}
      AWS_SECRET_ACCESS_KEY: ${AWS_SECRET_ACCESS_KEY}
      EXPORT_BUCKET: acme-invoice-exports
""",
        notes="Only a 40-character value assigned to a name like `aws_secret_access_key`, `AWS_SECRET_KEY` "
        "or `secretAccessKey` is reported: a bare 40-character string could be anything.",
    ),
    "secrets.gcp-service-account-key": RuleDoc(
        summary="A Google Cloud service-account JSON key file, private key included, is committed.",
        why="A service-account key file is a complete, long-lived credential: whoever has it acts as the "
        "service account until the key is deleted in IAM. Keys committed for a CI job or a local setup "
        "tend to carry broad roles and are never rotated. Delete the key, and use Workload Identity "
        "Federation (for CI and other clouds) or the attached service account (on Google Cloud) "
        "instead of key files.",
        example_path="deploy/gcp/ci-deployer.json",
        wrong="""\
{
  "type": "service_account",
  "project_id": "acme-prod",
  "private_key_id": "0123456789abcdef0123456789abcdef01234567",
  "private_key": \""""
        + _PKCS8_BEGIN
        + "\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCdocumentationOnly\\n"
        + _PKCS8_END
        + """\\n",
  "client_email": "ci-deployer@acme-prod.iam.gserviceaccount.com",
  "client_id": "123456789012345678901",
  "token_uri": "https://oauth2.googleapis.com/token"
}
""",
        right="""\
{
  "type": "external_account",
  "audience": "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/ci/providers/github",
  "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
  "token_url": "https://sts.googleapis.com/v1/token",
  "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/ci-deployer@acme-prod.iam.gserviceaccount.com:generateAccessToken",
  "credential_source": {
    "file": "/var/run/secrets/ci/oidc-token",
    "format": { "type": "text" }
  }
}
""",
        notes='What is matched is the key file\'s `"private_key": "-----BEGIN ... PRIVATE KEY-----` '
        "entry, so a credential configuration that holds no key (Workload Identity Federation, as in "
        "the right example) is not reported.",
    ),
    "secrets.gcp-api-key": RuleDoc(
        summary="A Google API key (AIza…) is hard-coded in code or configuration.",
        why="A Google API key bills its project for every call made with it, and an unrestricted key "
        "works with every API enabled in the project that accepts API keys. Once committed, it can be "
        "copied from the history at any time. Delete or regenerate the key, read it from the environment or a "
        "secret store, and restrict it to the APIs (and for browser keys, the referrers) that need it.",
        example_path="src/main/resources/application-prod.yml",
        wrong="""\
geo:
  geocoding:
    base-url: https://maps.googleapis.com/maps/api/geocode/json
    api-key: """
        + _GOOGLE_API_KEY
        + """
    timeout: 2s
""",
        right="""\
geo:
  geocoding:
    base-url: https://maps.googleapis.com/maps/api/geocode/json
    api-key: ${GOOGLE_GEOCODING_API_KEY}
    timeout: 2s
""",
    ),
    "secrets.azure-storage-key": RuleDoc(
        summary="An Azure storage account key or SharedAccessKey is embedded in a committed connection string.",
        why="A storage account key grants full control of every container, queue, table and file share "
        "in the account, and a Service Bus or Event Hubs SharedAccessKey gives anyone the rights of its "
        "policy (often send, listen and manage). "
        "Rotate the key in the portal, then connect with a managed identity (no key at all) or pass "
        "the connection string in from Key Vault or the environment.",
        example_path="src/main/resources/application.properties",
        wrong="""\
spring.application.name=invoice-archive
spring.cloud.azure.storage.blob.container-name=invoices
spring.cloud.azure.storage.blob.connection-string=DefaultEndpointsProtocol=https;AccountName=acmeinvoices;AccountKey="""
        + _AZURE_KEY
        + """;EndpointSuffix=core.windows.net
archive.retention-days=3650
""",
        right="""\
spring.application.name=invoice-archive
spring.cloud.azure.storage.blob.container-name=invoices
spring.cloud.azure.storage.blob.endpoint=https://acmeinvoices.blob.core.windows.net
# authenticates with the app's managed identity: no key to leak or rotate
spring.cloud.azure.credential.managed-identity-enabled=true
archive.retention-days=3650
""",
    ),
    "secrets.github-token": RuleDoc(
        summary="A GitHub personal access, OAuth, app or refresh token (ghp_, gho_, github_pat_…) is hard-coded.",
        why="A GitHub token acts as its owner: it can push code, read private repositories or change "
        "settings, depending on its scopes. GitHub and attackers both scan public code for these, and "
        "a private repository's history is copied to every clone. Revoke the token, and in Actions use "
        "the job's `GITHUB_TOKEN` (or a secret) instead of a personal token.",
        example_path=".github/workflows/release.yml",
        wrong="""\
name: release
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Create the GitHub release
        run: gh release create "$GITHUB_REF_NAME" --generate-notes
        env:
          GH_TOKEN: """
        + _GITHUB_TOKEN
        + """
""",
        right="""\
name: release
on:
  push:
    tags: ["v*"]
permissions:
  contents: write
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Create the GitHub release
        run: gh release create "$GITHUB_REF_NAME" --generate-notes
        env:
          GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}
""",
    ),
    "secrets.gitlab-token": RuleDoc(
        summary="A GitLab personal access token (glpat-…) is hard-coded.",
        why="A personal access token acts as the user who created it, on every project that user can "
        "reach, until it expires or is revoked. In a CI file it is also visible to everyone who can "
        "read the project. Revoke it; in GitLab CI use the job's `CI_JOB_TOKEN`, or a masked, "
        "protected CI/CD variable for what the job token cannot do.",
        example_path=".gitlab-ci.yml",
        wrong="""\
stages: [build, publish]

publish-package:
  stage: publish
  image: curlimages/curl:8.8.0
  rules:
    - if: $CI_COMMIT_TAG
  script:
    - >
      curl --fail --header "PRIVATE-TOKEN: """
        + _GITLAB_TOKEN
        + """"
      --upload-file dist/app.tgz
      "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/generic/app/${CI_COMMIT_TAG}/app.tgz"
""",
        right="""\
stages: [build, publish]

publish-package:
  stage: publish
  image: curlimages/curl:8.8.0
  rules:
    - if: $CI_COMMIT_TAG
  script:
    - >
      curl --fail --header "JOB-TOKEN: ${CI_JOB_TOKEN}"
      --upload-file dist/app.tgz
      "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/generic/app/${CI_COMMIT_TAG}/app.tgz"
""",
    ),
    "secrets.slack-token": RuleDoc(
        summary="A Slack bot, user or app token (xoxb-, xoxp-, xoxa-…) is hard-coded.",
        why="A Slack token can do whatever its scopes allow in every channel its app or user can reach, "
        "typically reading history and files and posting messages. A leaked bot token is a "
        "ready-made phishing channel inside your workspace. Revoke it in the app's settings and read the token from the "
        "environment or a secret store.",
        example_path="services/deploy_notifier/slack.py",
        wrong="""\
from slack_sdk import WebClient

client = WebClient(token=\""""
        + _SLACK_TOKEN
        + """")


def announce_deploy(service: str, version: str) -> None:
    client.chat_postMessage(
        channel="#deploys",
        text=f"{service} {version} is live",
    )
""",
        right="""\
import os

from slack_sdk import WebClient

client = WebClient(token=os.environ["SLACK_BOT_TOKEN"])


def announce_deploy(service: str, version: str) -> None:
    client.chat_postMessage(
        channel="#deploys",
        text=f"{service} {version} is live",
    )
""",
    ),
    "secrets.slack-webhook": RuleDoc(
        summary="A Slack incoming-webhook URL, which lets anyone who has it post to the channel, is committed.",
        why="An incoming-webhook URL needs no other credential: anyone who reads it can post messages "
        "that look like your alerts, including fake incidents or phishing links. Regenerate the "
        "webhook in the Slack app's settings and inject the URL from the environment or a secret store.",
        example_path="src/main/resources/application.yml",
        wrong="""\
alerting:
  slack:
    channel: "#payments-alerts"
    webhook-url: """
        + _SLACK_WEBHOOK
        + """
    min-severity: error
""",
        right="""\
alerting:
  slack:
    channel: "#payments-alerts"
    webhook-url: ${SLACK_ALERTS_WEBHOOK_URL}
    min-severity: error
""",
    ),
    "secrets.jwt": RuleDoc(
        summary="A complete, signed JSON Web Token, usable as a bearer credential, is pasted into the code.",
        why="A JWT is a bearer credential: whoever holds it is the user it names until it expires, and "
        "tokens copied from dev tools or a test environment often live for hours or never expire. "
        "The payload is only base64, so it also discloses whatever claims it carries. Obtain the token "
        "at run time (a login flow, a token endpoint) and keep long-lived service tokens in a secret "
        "store.",
        example_path="web/src/api/client.ts",
        wrong="""\
import axios from "axios";

// copied from the browser's dev tools while debugging the staging API
const ACCESS_TOKEN = \""""
        + _JWT
        + """";

export const api = axios.create({
  baseURL: "https://api.acme.example/v1",
  headers: { Authorization: `Bearer ${ACCESS_TOKEN}` },
});
""",
        right="""\
import axios from "axios";
import { getAccessToken } from "../auth/session";

export const api = axios.create({ baseURL: "https://api.acme.example/v1" });

api.interceptors.request.use(async (config) => {
  config.headers.Authorization = `Bearer ${await getAccessToken()}`;
  return config;
});
""",
    ),
    "secrets.url-credentials": RuleDoc(
        summary="A connection URL carries a literal password (scheme://user:password@host).",
        why="Database, broker and registry URLs with the password inside end up in logs, error messages "
        "and every clone of the repository, and the same password usually works from anywhere on the "
        "network. Change the password, and build the URL from the environment (or read the whole URL "
        "from a secret) at run time.",
        example_path="services/reporting/settings.py",
        wrong="""\
import dj_database_url

DEBUG = False
ALLOWED_HOSTS = ["reports.acme.example"]

DATABASES = {
    "default": dj_database_url.parse(
        "postgres://reporting:"""
        + _DB_PASS
        + """@db.prod.internal:5432/reporting",
        conn_max_age=600,
    )
}
CELERY_BROKER_URL = "amqp://reporting:"""
        + _DB_PASS
        + """@mq.prod.internal:5672/reporting"
""",
        right="""\
import os

import dj_database_url

DEBUG = False
ALLOWED_HOSTS = ["reports.acme.example"]

DATABASES = {"default": dj_database_url.config(env="DATABASE_URL", conn_max_age=600)}
CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
""",
        notes="Placeholders are not reported: a password part that starts with `$`, `%` or `{` "
        "(`${DB_PASSWORD}`), is in angle brackets (`<password>`) or reads as one (`changeme`, `secret`, "
        "`example`...).",
    ),
    "secrets.config-password": RuleDoc(
        summary="A password or secret key in a configuration file is set to a literal value.",
        why="A literal password in application.properties, a YAML file or an .env file is shared with "
        "everyone who can read the repository, and the same file usually serves every environment, so "
        "the production password ends up on laptops and in CI logs. Reference a variable instead "
        "(`${DB_PASSWORD}`) and provide it from the environment or a secret store; change the "
        "password that was committed.",
        example_path="src/main/resources/application.properties",
        wrong="""\
spring.application.name=orders
spring.datasource.url=jdbc:postgresql://db.prod.internal:5432/orders
spring.datasource.username=orders_app
spring.datasource.password=Wint3r-Sale-2024!
spring.datasource.hikari.maximum-pool-size=10
""",
        right="""\
spring.application.name=orders
spring.datasource.url=jdbc:postgresql://db.prod.internal:5432/orders
spring.datasource.username=orders_app
spring.datasource.password=${DB_PASSWORD}
spring.datasource.hikari.maximum-pool-size=10
""",
        notes="Only configuration files are checked (.properties, .yml/.yaml, .json, .toml, .ini, .cfg, "
        ".conf, .xml, .env and .env.*), and not translation catalogues or generated files. "
        "Placeholders (`${DB_PASSWORD}`, `<your-password>`, `changeme`, `ENC(...)`), values with "
        "spaces (user-interface text) and keys that are about a password without being one "
        "(`password.min-length`, `password-hint`, `secret-file`, `reset-password.title`) are ignored.",
    ),
    "secrets.high-entropy-string": RuleDoc(
        summary="A random-looking literal is assigned to a name like secret, token, password or api_key.",
        why="A random string assigned to a name like `API_SECRET` is almost always a real credential "
        "(an API key, a signing secret, a password), and a credential in source code is shared with "
        "everyone who can read the repository and stays in its history. Rotate it, and read it at run "
        "time from configuration backed by the environment or a secret manager.",
        example_path="src/main/java/com/example/payments/GatewayClient.java",
        wrong="""\
package com.example.payments;

import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

@Component
public class GatewayClient {
    private static final String API_SECRET = \""""
        + _HIGH_ENTROPY
        + """";

    private final RestClient http;

    public GatewayClient(RestClient.Builder builder) {
        this.http = builder
                .baseUrl("https://api.gateway.example")
                .defaultHeader("X-Api-Secret", API_SECRET)
                .build();
    }
}
""",
        right="""\
package com.example.payments;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

@Component
public class GatewayClient {
    private final RestClient http;

    public GatewayClient(RestClient.Builder builder, @Value("${payments.gateway.api-secret}") String apiSecret) {
        this.http = builder
                .baseUrl("https://api.gateway.example")
                .defaultHeader("X-Api-Secret", apiSecret)
                .build();
    }
}
""",
        notes="Only a quoted literal of 8 characters or more, assigned on one line, is checked, and only "
        "when its Shannon entropy reaches `Options.entropy_bits` (3.5 bits per character by default). "
        "Placeholders, URLs, paths, values containing `{` and identifier-like values "
        "(`order_service`, `ORDER_SERVICE`, `orderService`) are ignored. A key with a known format "
        "(GitHub, Slack, AWS...) is reported by its own rule, which replaces this one on that line.",
    ),
    # ======================================================================= Java / Spring
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
        "injects through its constructor (or Lombok's `@RequiredArgsConstructor`). A class that injects "
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
        "framework). When the class has a logger (a `Logger` field, or Lombok's `@Slf4j`), the finding "
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
        "Silent in test code.",
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
        notes="An empty catch block that holds a comment is accepted as deliberate. A catch of a specific "
        "exception (not `Exception`, `RuntimeException` or `Throwable`) that only logs is not "
        "reported. Silent in test code, where a catch often expects the exception.",
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
        "the callee's `@Transactional` has no attributes: the call then simply runs in the caller's "
        "transaction, as intended.",
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
    # ======================================================================= JavaScript / TypeScript
    "js.dangerously-set-inner-html": RuleDoc(
        summary="React's dangerouslySetInnerHTML renders a raw HTML string, opening a cross-site scripting hole.",
        why="React escapes everything it renders except what goes through `dangerouslySetInnerHTML`: "
        "if any part of that HTML comes from users, sellers, a CMS or an API, a `<script>` or an "
        "`onerror=` attribute in it runs in your users' sessions (XSS). Render the content as React "
        "children (text is escaped), and if HTML is really needed, sanitize it with DOMPurify right "
        "where it is rendered.",
        example_path="web/src/components/ProductDescription.tsx",
        wrong="""\
import type { Product } from "../api/types";

type Props = { product: Product };

export function ProductDescription({ product }: Props) {
  // descriptionHtml is written by sellers in the merchant portal
  return (
    <section className="product-description">
      <h2>About this product</h2>
      <div dangerouslySetInnerHTML={{ __html: product.descriptionHtml }} />
    </section>
  );
}
""",
        right="""\
import type { Product } from "../api/types";

type Props = { product: Product };

export function ProductDescription({ product }: Props) {
  return (
    <section className="product-description">
      <h2>About this product</h2>
      {product.paragraphs.map((paragraph) => (
        <p key={paragraph.id}>{paragraph.text}</p>
      ))}
    </section>
  );
}
""",
        notes="HTML that a sanitizer returns (`DOMPurify.sanitize(...)`, `sanitizeHtml(...)`), in the "
        "attribute or in the variable it names, is not reported; other sources are, as the rule does "
        "not follow data further. `// eslint-disable-next-line react/no-danger` silences the rule on "
        "a line. Silent in test files, stories and generated files.",
    ),
    "js.eval": RuleDoc(
        summary="eval() or new Function() compiles a string into code at run time.",
        why="Whatever reaches `eval` runs with the page's (or the Node process's) full privileges, so a "
        "response or input an attacker can influence becomes code execution. It also forces the "
        "Content-Security-Policy to allow `'unsafe-eval'` and defeats the optimiser. Parse data with "
        "`JSON.parse` (or `response.json()`), and map names to functions in an object instead of building code.",
        example_path="web/src/lib/featureFlags.js",
        wrong="""\
const FLAGS_URL = "/api/feature-flags";

export async function loadFeatureFlags() {
  const response = await fetch(FLAGS_URL, { credentials: "same-origin" });
  const body = await response.text();
  return eval("(" + body + ")");
}

export function isEnabled(flags, name) {
  return Boolean(flags[name]);
}
""",
        right="""\
const FLAGS_URL = "/api/feature-flags";

export async function loadFeatureFlags() {
  const response = await fetch(FLAGS_URL, { credentials: "same-origin" });
  return response.json();
}

export function isEnabled(flags, name) {
  return Boolean(flags[name]);
}
""",
        notes="Reports `eval(...)`, `window.eval`, `globalThis.eval` and `new Function(...)`; an "
        "indirect call through another name is not seen. Silent in test and generated files, and "
        "where an eslint comment turns off `no-eval`, `no-new-func` or `no-implied-eval`.",
    ),
    "js.console-log": RuleDoc(
        summary="A console.log, debug, trace, dir or table call is left in application code.",
        why="Leftover debugging output ships to every user's browser console, clutters real errors and "
        "often prints data that should not be there (payloads, tokens, personal data). Remove it "
        "before merging, or use the project's logger, which can be filtered by level and turned off "
        "in production.",
        example_path="web/src/components/CheckoutForm.tsx",
        wrong="""\
import { useState } from "react";
import type { Cart, CheckoutPayload } from "../api/types";

type Props = { cart: Cart; onSubmit: (payload: CheckoutPayload) => Promise<void> };

export function CheckoutForm({ cart, onSubmit }: Props) {
  const [email, setEmail] = useState("");

  async function handleSubmit(event: React.FormEvent) {
    event.preventDefault();
    const payload = { email, items: cart.items, total: cart.total };
    console.log("checkout payload", payload);
    await onSubmit(payload);
  }

  return (
    <form onSubmit={handleSubmit}>
      <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      <button type="submit">Pay {cart.total}</button>
    </form>
  );
}
""",
        right="""\
import { useState } from "react";
import type { Cart, CheckoutPayload } from "../api/types";

type Props = { cart: Cart; onSubmit: (payload: CheckoutPayload) => Promise<void> };

export function CheckoutForm({ cart, onSubmit }: Props) {
  const [email, setEmail] = useState("");

  async function handleSubmit(event: React.FormEvent) {
    event.preventDefault();
    await onSubmit({ email, items: cart.items, total: cart.total });
  }

  return (
    <form onSubmit={handleSubmit}>
      <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      <button type="submit">Pay {cart.total}</button>
    </form>
  );
}
""",
        notes="`console.error`, `console.warn` and `console.info` are not reported. Silent in test files "
        "(`*.test.ts`, `*.spec.js`, `__tests__/`...), under `scripts/`, `script/`, `bin/` and `tools/` "
        "(where printing is the point), in development-only branches (`if (__DEV__)`, "
        '`process.env.NODE_ENV !== "production"`), where an eslint comment turns off `no-console`, and '
        "where it logs the error a `catch` clause or an error callback (`(error) => ...`) receives: that "
        "is error reporting, not a leftover.",
    ),
    "js.debugger": RuleDoc(
        summary="A `debugger` statement is left in application code.",
        why="A `debugger` statement pauses the page for every user who has the browser's developer tools "
        "open (including your support team reproducing a bug) and is never what the code is meant to "
        "do. Remove it; use a breakpoint in the dev tools or the editor instead.",
        example_path="web/src/features/cart/cartSlice.ts",
        wrong="""\
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { CartItem } from "../../api/types";

const cartSlice = createSlice({
  name: "cart",
  initialState: { items: [] as CartItem[] },
  reducers: {
    removeItem(state, action: PayloadAction<string>) {
      debugger;
      state.items = state.items.filter((item) => item.id !== action.payload);
    },
  },
});

export const { removeItem } = cartSlice.actions;
export default cartSlice.reducer;
""",
        right="""\
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { CartItem } from "../../api/types";

const cartSlice = createSlice({
  name: "cart",
  initialState: { items: [] as CartItem[] },
  reducers: {
    removeItem(state, action: PayloadAction<string>) {
      state.items = state.items.filter((item) => item.id !== action.payload);
    },
  },
});

export const { removeItem } = cartSlice.actions;
export default cartSlice.reducer;
""",
        notes="Silent in test files, under `scripts/`, `script/`, `bin/` and `tools/`, and where an "
        "eslint comment turns off `no-debugger`.",
    ),
    "ts.any-in-signature": RuleDoc(
        summary="A TypeScript function's parameter or return type is declared as `any`.",
        why="`any` in a signature switches type checking off for every caller: the compiler accepts any "
        "argument and lets callers use the result however they like, so a renamed or missing field "
        "surfaces as `undefined` at run time instead of a compile error. Declare the real type (an "
        "interface for the API response), a generic, or `unknown`, which forces a check before use.",
        example_path="web/src/api/orders.ts",
        wrong="""\
export interface Order {
  id: string;
  total: number;
  placedAt: Date;
}

export function toOrder(raw: any): Order {
  return { id: raw.id, total: raw.total_cents / 100, placedAt: new Date(raw.placed_at) };
}

export async function fetchOrders(): Promise<any> {
  const response = await fetch("/api/orders");
  return (await response.json()).map(toOrder);
}
""",
        right="""\
export interface Order {
  id: string;
  total: number;
  placedAt: Date;
}

interface OrderResponse {
  id: string;
  total_cents: number;
  placed_at: string;
}

export function toOrder(raw: OrderResponse): Order {
  return { id: raw.id, total: raw.total_cents / 100, placedAt: new Date(raw.placed_at) };
}

export async function fetchOrders(): Promise<Order[]> {
  const response = await fetch("/api/orders");
  const body: OrderResponse[] = await response.json();
  return body.map(toOrder);
}
""",
        notes="Opt-in (`enabled = true` in `.mochi.toml`): on real projects most `any`s in signatures "
        "are deliberate (generic constraints, library callback types), 2 of 33 findings were right in "
        "bench/precision. Nested uses count (`Promise<any>`, `any[]`). Variables and class fields typed `any` are "
        "not reported, only function parameters and return types. Silent in test files, generated "
        "files and plain JavaScript, and where an eslint comment turns off "
        "`@typescript-eslint/no-explicit-any`.",
    ),
    "js.loose-equality": RuleDoc(
        summary="Values are compared with == or !=, which convert types before comparing.",
        why="`==` converts its operands before comparing, so `'' == 0`, `'0' == false` and `'1' == 1` "
        'are all true: a comparison that "works" can hide a string where a number was expected, '
        "and the bug surfaces elsewhere. Use `===`/`!==` and convert explicitly where types really "
        "differ (`Number(selectedId)`).",
        example_path="web/src/features/catalog/variants.js",
        wrong="""\
// selectedId comes from the URL (?variant=42), so it is a string; variant ids are numbers
export function findSelectedVariant(product, selectedId) {
  return product.variants.find((variant) => variant.id == selectedId);
}

export function isSoldOut(variant) {
  return variant.stock != 0 ? false : true;
}
""",
        right="""\
// selectedId comes from the URL (?variant=42), so it is a string; variant ids are numbers
export function findSelectedVariant(product, selectedId) {
  const id = Number(selectedId);
  return product.variants.find((variant) => variant.id === id);
}

export function isSoldOut(variant) {
  return variant.stock === 0;
}
""",
        notes='`x == null` and `x != null` are not reported: they are the idiom for "null or '
        'undefined". Silent in test files, and where an eslint comment turns off `eqeqeq`.',
    ),
    # ======================================================================= React
    "react.effect-sets-state-without-deps": RuleDoc(
        summary="A useEffect with no dependency array sets state, so every render triggers another render.",
        why="An effect without a dependency array runs after every render; when it sets state, that "
        "state change renders again, which runs the effect again: an endless loop that pins the CPU "
        "and, when the effect fetches, sends a request per render to your API. Pass the dependencies "
        "as the second argument (`[customerId]`, or `[]` to run once).",
        example_path="web/src/components/OrderHistory.jsx",
        wrong="""\
import { useEffect, useState } from "react";

export function OrderHistory({ customerId }) {
  const [orders, setOrders] = useState([]);

  useEffect(() => {
    fetch(`/api/customers/${customerId}/orders`)
      .then((response) => response.json())
      .then((data) => setOrders(data));
  });

  return (
    <ul className="order-history">
      {orders.map((order) => (
        <li key={order.id}>{order.number}</li>
      ))}
    </ul>
  );
}
""",
        right="""\
import { useEffect, useState } from "react";

export function OrderHistory({ customerId }) {
  const [orders, setOrders] = useState([]);

  useEffect(() => {
    fetch(`/api/customers/${customerId}/orders`)
      .then((response) => response.json())
      .then((data) => setOrders(data));
  }, [customerId]);

  return (
    <ul className="order-history">
      {orders.map((order) => (
        <li key={order.id}>{order.number}</li>
      ))}
    </ul>
  );
}
""",
        notes="Opt-in (`enabled = true` in `.mochi.toml`): eqeqeq is a linter's rule that a project "
        "enforces, or deliberately not, in its own config. "
        "Only setters of a `useState` declared in the same file and called inside the effect are "
        "seen: a setter passed along uncalled (`.then(setOrders)`) is not.",
    ),
    "react.missing-key": RuleDoc(
        summary="JSX elements returned from a .map() callback have no key prop.",
        why="React matches list items between renders by `key`; without one it falls back to the "
        "position, so removing or reordering items hands one item's state (an input's value, focus, "
        "an animation) to its neighbour. In the example, after removing the first cart item the next "
        "one shows the removed item's quantity. Give each element a stable, unique `key` from the data "
        "(`key={item.id}`), not the array index.",
        example_path="web/src/components/CartItems.tsx",
        wrong="""\
import type { CartItem } from "../api/types";
import { QuantityInput } from "./QuantityInput";

export function CartItems({ items }: { items: CartItem[] }) {
  return (
    <ul className="cart-items">
      {items.map((item) => (
        <li className="cart-item">
          <span>{item.name}</span>
          <QuantityInput itemId={item.id} defaultValue={item.quantity} />
        </li>
      ))}
    </ul>
  );
}
""",
        right="""\
import type { CartItem } from "../api/types";
import { QuantityInput } from "./QuantityInput";

export function CartItems({ items }: { items: CartItem[] }) {
  return (
    <ul className="cart-items">
      {items.map((item) => (
        <li key={item.id} className="cart-item">
          <span>{item.name}</span>
          <QuantityInput itemId={item.id} defaultValue={item.quantity} />
        </li>
      ))}
    </ul>
  );
}
""",
        notes="An element with a spread (`{...props}`) is assumed to get its key from it. A short "
        "fragment `<>...</>` is reported because it cannot take a key (use `<Fragment key={...}>`). "
        "Plain `.ts` files (no JSX) are not checked.",
    ),
    "react.conditional-hook": RuleDoc(
        summary="A React hook is called conditionally, in a loop, after an early return or outside a component.",
        why="React ties each hook's state to its position in the call order of a render. A hook that "
        "runs only sometimes (after an early return, inside an `if`) shifts every later hook onto "
        "another hook's state, which corrupts state or throws \"Rendered more hooks than during the "
        'previous render". Call hooks unconditionally at the top of the component or custom hook, '
        "and put the condition after them or inside the effect.",
        example_path="web/src/components/AccountMenu.jsx",
        wrong="""\
import { useState } from "react";
import { AccountLinks } from "./AccountLinks";

export function AccountMenu({ user }) {
  if (!user) {
    return <a href="/login">Sign in</a>;
  }
  const [open, setOpen] = useState(false);

  return (
    <div className="account-menu">
      <button onClick={() => setOpen(!open)}>{user.name}</button>
      {open && <AccountLinks user={user} />}
    </div>
  );
}
""",
        right="""\
import { useState } from "react";
import { AccountLinks } from "./AccountLinks";

export function AccountMenu({ user }) {
  const [open, setOpen] = useState(false);

  if (!user) {
    return <a href="/login">Sign in</a>;
  }
  return (
    <div className="account-menu">
      <button onClick={() => setOpen(!open)}>{user.name}</button>
      {open && <AccountLinks user={user} />}
    </div>
  );
}
""",
        notes="Only in React code: `.jsx`/`.tsx` files, or files importing React, Preact, Next.js..., and "
        "never in files using Vue, Pinia, Svelte or Solid, whose `useX` composables follow other "
        "rules. Components are recognised by a Capitalized name, a default export or a wrapper "
        "(`memo`, `forwardRef`, `withX(...)`), custom hooks by a `useX` name. Calls on other objects "
        "(`router.useRoute()`) are ignored, and so are tests (`renderHook(() => useX())`) and a diff "
        "without the whole file when the function around the call is not in it.",
    ),
    # ======================================================================= Rust
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
        "and `unsafe impl` are not checked, only `unsafe { ... }` blocks.",
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
    # ======================================================================= generic
    "generic.merge-conflict": RuleDoc(
        summary="Git merge conflict markers (<<<<<<<, =======, >>>>>>>) are committed.",
        why="A committed conflict leaves both sides of the change in the file: source code stops "
        "compiling, and a configuration file fails to load at deploy time or, in a lenient format such "
        "as .properties, loads with both values. Resolve the conflict, keeping the right lines and "
        "deleting the markers, and run the build before committing.",
        example_path="src/main/resources/application.yml",
        wrong=f"""\
server:
  port: 8080
  shutdown: graceful
spring:
  datasource:
{_OURS} HEAD
    url: jdbc:postgresql://db.internal:5432/orders
{_SPLIT}
    url: jdbc:postgresql://orders-db.internal:5432/orders
{_THEIRS} feature/orders-db-migration
  jpa:
    open-in-view: false
""",
        right="""\
server:
  port: 8080
  shutdown: graceful
spring:
  datasource:
    url: jdbc:postgresql://orders-db.internal:5432/orders
  jpa:
    open-in-view: false
""",
        notes="Reported once per conflict block, from `<<<<<<<` to `>>>>>>>`. A lone `=======` outside a "
        "block is not reported (it is a Markdown or reStructuredText underline).",
    ),
    "generic.todo-without-ticket": RuleDoc(
        summary="A TODO or FIXME comment is added without a ticket reference.",
        why="A TODO without a ticket has no owner and no priority: nobody plans the work, and the "
        "comment outlives the context that explained it. Do the work now, or open a ticket and "
        "reference it in the comment (`TODO(PAY-412): ...`), so it is tracked and can be found "
        "from the ticket.",
        example_path="src/main/java/com/example/payments/RefundPolicy.java",
        wrong="""\
package com.example.payments;

import java.time.Duration;
import java.time.Instant;

public class RefundPolicy {
    private static final Duration WINDOW = Duration.ofDays(30);

    public boolean isRefundable(Order order, Instant now) {
        // """
        + _TODO
        + """ handle partial refunds for split shipments
        return order.isPaid() && Duration.between(order.getPaidAt(), now).compareTo(WINDOW) <= 0;
    }
}
""",
        right="""\
package com.example.payments;

import java.time.Duration;
import java.time.Instant;

public class RefundPolicy {
    private static final Duration WINDOW = Duration.ofDays(30);

    public boolean isRefundable(Order order, Instant now) {
        // """
        + _TODO
        + """(PAY-412): handle partial refunds for split shipments
        return order.isPaid() && Duration.between(order.getPaidAt(), now).compareTo(WINDOW) <= 0;
    }
}
""",
        notes="Opt-in (`enabled = true` in `.mochi.toml`): whether a TODO needs a ticket is a team's "
        "policy. A reference after the word counts (a ticket key such as `PAY-412`, `#123`, `gh-123`, a URL "
        "or the word `issue`), and so does a tag naming an owner: `TODO(alice)`, `TODO[perf]`, "
        "`TODO @alice`. Only comments are checked, not strings, and not test code, generated or "
        "vendored files or translation catalogues.",
    ),
    "generic.large-file": RuleDoc(
        summary="A single file gains more than 1,000 lines in one change.",
        why="Nobody reviews a thousand added lines with care: the reviewer skims, and whatever hides in "
        "the middle ships. Split hand-written code into smaller files and changes. Keep bulk data out "
        "of migrations and source files (load it from a versioned data file at deploy time), and mark "
        "generated or vendored files (`linguist-generated` in .gitattributes) or keep them out of the "
        "repository.",
        example_path="src/main/resources/db/migration/V12__postal_codes.sql",
        wrong="""\
INSERT INTO postal_code (code, city, region) VALUES ('10115', 'Berlin', 'BE');
INSERT INTO postal_code (code, city, region) VALUES ('20095', 'Hamburg', 'HH');
INSERT INTO postal_code (code, city, region) VALUES ('50667', 'Köln', 'NW');
INSERT INTO postal_code (code, city, region) VALUES ('60311', 'Frankfurt am Main', 'HE');
INSERT INTO postal_code (code, city, region) VALUES ('80331', 'München', 'BY');
""",
        repeat=250,
        right="""\
-- About 8,200 postal codes are reference data, not schema: the reference-data job loads them
-- from the versioned CSV (ops/reference-data/postal_codes.csv) after the migrations run.
CREATE TABLE postal_code (
    code   VARCHAR(5)   PRIMARY KEY,
    city   VARCHAR(100) NOT NULL,
    region CHAR(2)      NOT NULL
);
""",
        notes="The threshold is `Options.large_file_lines` (1,000 added lines by default); the finding is "
        "on the file, not on a line. Only added lines count, so a large file that changes a little is "
        "not reported. Silent for test files, lockfiles, snapshots, generated, vendored or minified "
        "files and translation catalogues.",
    ),
    "generic.sensitive-file": RuleDoc(
        summary="A file that holds credentials (.env, a private key, a keystore, an .npmrc with a token) is committed.",
        why="Some files exist to hold secrets: `.env` files, private keys (`*.pem`, `*.key`, `id_rsa`), "
        "keystores (`*.jks`, `*.p12`) and an `.npmrc` with a registry token. Once committed they are in "
        "every clone and in the history for good, so remove the file, add it to `.gitignore` (commit "
        "a `.env.example` with placeholders instead) and rotate what it held. For npm, reference the "
        "token from the environment (`_authToken=${NPM_TOKEN}`) and set it in CI.",
        example_path=".npmrc",
        wrong="""\
registry=https://registry.npmjs.org/
@acme:registry=https://registry.npmjs.org/
//registry.npmjs.org/:_authToken="""
        + _NPM_TOKEN
        + """
save-exact=true
engine-strict=true
""",
        right="""\
registry=https://registry.npmjs.org/
@acme:registry=https://registry.npmjs.org/
//registry.npmjs.org/:_authToken=${NPM_TOKEN}
save-exact=true
engine-strict=true
""",
        notes="`.env` and `.env.*`, `*.pem`, `*.key`, `id_rsa`, `id_dsa`, `id_ecdsa`, `id_ed25519`, "
        "`*.p12`, `*.pfx`, `*.jks` and `*.keystore` are reported by name (binary files too), so the "
        "only fix for them is not to commit them; the example is an `.npmrc`, which is reported only "
        "for a literal `_authToken`. Not reported: `.env.example`, `.env.sample`, `.env.template`, "
        "`.env.dist`, `.env.defaults`, env files under a test directory or whose leading comment says "
        "the values are dummies or examples, and `.pem`/`.key` text files that hold only certificates "
        "or public keys.",
    ),
}
