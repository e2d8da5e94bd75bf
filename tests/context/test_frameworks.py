"""Framework detection from manifests and changed files, as a reviewed repository presents them."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from mochi.context.frameworks import detect_frameworks, detect_frameworks_for_file, scan_frameworks

SPRING_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.3.1</version>
  </parent>
  <artifactId>api</artifactId>
</project>
"""

PLAIN_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>lib</artifactId>
  <!-- we might move to org.springframework.boot one day -->
  <dependencies>
    <dependency>
      <groupId>io.quarkus</groupId>
      <artifactId>quarkus-resteasy</artifactId>
    </dependency>
  </dependencies>
</project>
"""

GRADLE_KTS = """
plugins {
    java
    id("org.springframework.boot") version "3.3.1"
    id("io.spring.dependency-management") version "1.1.5"
}
dependencies {
    implementation("org.springframework.boot:spring-boot-starter-web")
}
"""

ACTIX_CARGO = """
[package]
name = "api"
version = "0.1.0"
edition = "2021"

[dependencies]
actix-web = "4"
serde = { version = "1", features = ["derive"] }
"""


def reader(files: Mapping[str, str]) -> Callable[[str], str | None]:
    return files.get


def test_pom_with_spring_boot_parent() -> None:
    files = {"pom.xml": SPRING_POM, "src/main/java/com/x/Foo.java": "class Foo {}"}
    assert detect_frameworks(reader(files), ["src/main/java/com/x/Foo.java"]) == ("spring-boot",)


def test_pom_without_spring_boot_is_not_spring_boot() -> None:
    files = {"pom.xml": PLAIN_POM, "src/main/java/com/x/Foo.java": "class Foo {}"}
    assert detect_frameworks(reader(files), ["src/main/java/com/x/Foo.java"]) == ()


def test_build_gradle_kts_with_spring_boot_plugin() -> None:
    files = {"build.gradle.kts": GRADLE_KTS, "src/main/java/A.java": "class A {}"}
    assert detect_frameworks(reader(files), ["src/main/java/A.java"]) == ("spring-boot",)


def test_build_gradle_with_spring_boot_only_in_a_comment_is_not_evidence() -> None:
    gradle = "// id 'org.springframework.boot' version '3.3.1'\nplugins { id 'java' }\n"
    files = {"build.gradle": gradle, "src/A.java": "class A {}"}
    assert detect_frameworks(reader(files), ["src/A.java"]) == ()


def test_spring_annotations_without_a_manifest() -> None:
    java = (
        "package x;\n\n@RestController\npublic class Hello {\n"
        '  @GetMapping("/") String hi() { return ""; }\n}\n'
    )
    files = {"Hello.java": java, "Plain.java": "public class Plain {}"}
    detection = scan_frameworks(reader(files), ["Hello.java", "Plain.java"])
    assert detection.frameworks == ("spring-boot",)
    assert detection.for_file("Hello.java") == ("spring-boot",)
    assert detection.for_file("Plain.java") == ()


def test_react_in_peer_dependencies() -> None:
    package = '{"name": "ui-kit", "peerDependencies": {"react": "^18.0.0"}, "devDependencies": {"vite": "5"}}'
    files = {"package.json": package, "src/button.js": "export const x = 1;\n"}
    assert detect_frameworks(reader(files), ["src/button.js"]) == ("react",)


def test_react_native_foo_is_not_react() -> None:
    package = '{"dependencies": {"react-native-foo": "1.0.0"}, "description": "not react"}'
    js = "import Foo from 'react-native-foo';\nexport default Foo;\n"
    files = {"package.json": package, "index.js": js}
    assert detect_frameworks(reader(files), ["index.js"]) == ()


def test_tsx_file_without_package_json_is_react() -> None:
    files = {"web/App.tsx": "export const App = () => <div/>;\n"}
    assert detect_frameworks(reader(files), ["web/App.tsx"]) == ("react",)


def test_react_import_in_a_ts_file() -> None:
    files = {"src/hooks.ts": 'import { useState } from "react";\nexport function useX() {}\n'}
    assert detect_frameworks(reader(files), ["src/hooks.ts"]) == ("react",)


def test_cargo_toml_with_actix_web() -> None:
    files = {"Cargo.toml": ACTIX_CARGO, "src/main.rs": "fn main() {}\n"}
    assert detect_frameworks(reader(files), ["src/main.rs"]) == ("actix-web",)


def test_cargo_toml_mentioning_actix_only_in_a_comment() -> None:
    cargo = '[package]\nname = "cli"\n\n[dependencies]\n# actix-web = "4"  (maybe later)\nclap = "4"\n'
    files = {"Cargo.toml": cargo, "src/main.rs": "fn main() {}\n"}
    assert detect_frameworks(reader(files), ["src/main.rs"]) == ()


def test_cargo_workspace_member_and_renamed_dependency() -> None:
    root = '[workspace]\nmembers = ["crates/*"]\n'
    member = '[package]\nname = "server"\n\n[dependencies]\nweb = { package = "actix-web", version = "4" }\n'
    files = {
        "Cargo.toml": root,
        "crates/server/Cargo.toml": member,
        "crates/server/src/lib.rs": "pub fn f() {}\n",
        "crates/cli/Cargo.toml": '[package]\nname = "cli"\n',
        "crates/cli/src/main.rs": "fn main() {}\n",
    }
    detection = scan_frameworks(reader(files), ["crates/server/src/lib.rs", "crates/cli/src/main.rs"])
    assert detection.frameworks == ("actix-web",)
    assert detection.for_file("crates/server/src/lib.rs") == ("actix-web",)
    assert detection.for_file("crates/cli/src/main.rs") == ()


def test_use_actix_web_in_a_changed_file() -> None:
    files = {"src/routes.rs": "use actix_web::{get, HttpResponse};\n"}
    assert detect_frameworks(reader(files), ["src/routes.rs"]) == ("actix-web",)


def test_monorepo_with_two_services_gets_per_file_frameworks() -> None:
    files = {
        "package.json": '{"private": true, "devDependencies": {"prettier": "3"}}',
        "services/api/pom.xml": SPRING_POM,
        "services/api/src/main/java/Api.java": "public class Api {}",
        "services/web/package.json": '{"dependencies": {"react": "18.3.1", "react-dom": "18.3.1"}}',
        "services/web/src/list.js": "export const list = [];\n",
        "tools/build.js": "console.log('build');\n",
    }
    paths = ["services/api/src/main/java/Api.java", "services/web/src/list.js", "tools/build.js"]
    detection = scan_frameworks(reader(files), paths)
    assert detection.frameworks == ("spring-boot", "react")
    assert detection.for_file("services/api/src/main/java/Api.java") == ("spring-boot",)
    assert detection.for_file("services/web/src/list.js") == ("react",)
    assert detection.for_file("tools/build.js") == ()


def test_frameworks_only_apply_to_their_kind_of_file() -> None:
    by_dir = {"": ("spring-boot", "react")}
    assert detect_frameworks_for_file("src/main/java/A.java", by_dir) == ("spring-boot",)
    assert detect_frameworks_for_file("frontend/App.tsx", by_dir) == ("react",)
    assert detect_frameworks_for_file("src/main/resources/application-prod.yml", by_dir) == ("spring-boot",)
    assert detect_frameworks_for_file("README.md", by_dir) == ()


def test_broken_manifests_are_no_evidence() -> None:
    files = {"package.json": '{"dependencies": {"react": ', "pom.xml": "<project>", "a.js": "x"}
    assert detect_frameworks(reader(files), ["a.js"]) == ()


def test_reads_manifests_from_a_real_git_revision(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tmp_path), *args], check=True, capture_output=True, text=True
        ).stdout

    git("init", "-q")
    (tmp_path / "services/api").mkdir(parents=True)
    (tmp_path / "services/api/pom.xml").write_text(SPRING_POM)
    (tmp_path / "services/api/Main.java").write_text("public class Main {}\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    (tmp_path / "services/api/pom.xml").write_text(PLAIN_POM)  # uncommitted: not the reviewed revision

    def read_at_head(path: str) -> str | None:
        done = subprocess.run(
            ["git", "-C", str(tmp_path), "show", f"HEAD:{path}"], capture_output=True, text=True
        )
        return done.stdout if done.returncode == 0 else None

    assert detect_frameworks(read_at_head, ["services/api/Main.java"]) == ("spring-boot",)
