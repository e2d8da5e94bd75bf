"""Rule documentation: generic."""

# ruff: noqa: E501  (the examples keep their real line lengths)

from __future__ import annotations

from mochi.providers.builtin.rule_docs.model import RuleDoc
from mochi.providers.builtin.rule_docs.values import _NPM_TOKEN, _OURS, _SPLIT, _THEIRS, _TODO

DOCS: dict[str, RuleDoc] = {
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
        "files, translation catalogues, and stylesheets or scripts under `static/`, `public/`, `dist/`, "
        "`build/`, `vendor/` or `assets/` (compiled or copied, committed on purpose).",
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
