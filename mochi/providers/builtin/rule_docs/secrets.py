"""Rule documentation: secrets."""

# ruff: noqa: E501  (the examples keep their real line lengths)

from __future__ import annotations

from mochi.providers.builtin.rule_docs.model import RuleDoc
from mochi.providers.builtin.rule_docs.values import (
    _AWS_KEY_ID,
    _AWS_SAK,
    _AZURE_KEY,
    _DB_PASS,
    _GITHUB_TOKEN,
    _GITLAB_TOKEN,
    _GOOGLE_API_KEY,
    _HIGH_ENTROPY,
    _JWT,
    _PKCS8_BEGIN,
    _PKCS8_END,
    _RSA_BEGIN,
    _RSA_END,
    _SLACK_TOKEN,
    _SLACK_WEBHOOK,
)

DOCS: dict[str, RuleDoc] = {
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
        "`example`...) or names the slot it stands for (`AuthToken`, `DB_PASSWORD`, `ApiKey`: letters "
        "only, with capitals or underscores, and a word such as token, password, secret or key), as in "
        "help text such as `twilio://AccountSid:AuthToken@FromPhoneNo`.",
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
        ".conf, .xml, .env and .env.*), and not example files (`.env.example`, `*.sample`, `*.template`), "
        "translation catalogues or generated files. "
        "Placeholders (`${DB_PASSWORD}`, `<your-password>`, `changeme`, `ENC(...)`), template markers "
        "(a name between the same punctuation on both sides: `^_^password^_^`, `%DB_PASSWORD%`, "
        "`__DB_PASSWORD__`, `[[password]]`), placeholder words (`yourpassword`, `your_api_key`, "
        "`mypassword`, `password_here`), values with "
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
}
