"""False positives from the first held-out sample (bench/precision/holdout), each next to a finding
that still fires."""

from __future__ import annotations

from tests.providers.builtin.builtin_diffs import added, code, hits

CLINIC = code("""
    package org.springframework.samples.petclinic.jdbc;

    public class SimpleJdbcClinic {
        @Transactional(readOnly = true)
        public Owner findOwner(int id) { return null; }

        @Transactional(readOnly = true)
        public Pet findPet(int id) {
            Owner owner = findOwner(id);
            return null;
        }

        @Transactional
        public void deletePet(int id) {
            Pet pet = findPet(id);
        }

        @Transactional(propagation = Propagation.REQUIRES_NEW)
        public void audit(int id) { }

        @Transactional
        public void storePet(Pet pet) {
            audit(pet.getId());
        }

        public void export() {
            findOwner(1);
        }
    }
""")


def test_a_transactional_method_joining_its_callers_transaction_loses_nothing() -> None:
    """petclinic 9f8acc05: readOnly -> readOnly, and a read-write caller of a readOnly method, are fine;
    REQUIRES_NEW from a transactional caller, and any call from a non-transactional one, are not."""
    path = "src/main/java/org/springframework/samples/petclinic/jdbc/SimpleJdbcClinic.java"
    found = hits(added(path, CLINIC), "java.transactional-self-invocation")
    assert found == [23, 27]


def test_example_env_files_are_not_configuration() -> None:
    """node-express f38d86a1: SMTP_PASSWORD=email-server-password in .env.example. The same value in a
    real configuration still fires: `mall-admin-secret` (mall b58181cd) looks as much like a name."""
    text = "SMTP_HOST=email-server\nSMTP_PASSWORD=email-server-password\n"
    assert hits(added(".env.example", text), "secrets.config-password") == []
    assert hits(added("config/app.properties", "mail.password=email-server-password\n"),
                "secrets.config-password") == [1]  # fmt: skip
    assert hits(
        added("config/app.properties", "mail.password=Tr0ub4dor&3x\n"), "secrets.config-password"
    ) == [1]
    assert hits(added("config/application-default.properties", "db.password=Tr0ub4dor&3x\n"),
                "secrets.config-password") == [1]  # fmt: skip


def test_a_mock_api_server_prints_on_purpose() -> None:
    """bulletproof-react 8ef3fa3f: the development mock server's start-up lines."""
    text = "initializeDb().then(() => {\n  console.log('Mock DB initialized');\n});\n"
    assert hits(added("mock-server.ts", text), "js.console-log") == []
    assert hits(added("src/mocks/handlers.ts", text), "js.console-log") == []
    assert hits(added("src/features/db.ts", text), "js.console-log") == [2]


def test_a_compiled_stylesheet_under_static_is_not_a_large_change() -> None:
    """petclinic de0e3663: petclinic.css compiled from src/main/scss and committed on purpose."""
    css = "".join(f".c{i} {{ color: #{i:06x}; }}\n" for i in range(1200))
    assert (
        hits(added("src/main/resources/static/resources/css/petclinic.css", css), "generic.large-file") == []
    )
    assert hits(added("src/main/resources/db/data.sql", css), "generic.large-file") == [None]
