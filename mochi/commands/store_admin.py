"""`mochi models`, `mochi templates`: configuration kept in the record (integrations: store_integrations.py).

Credentials (API keys, tokens, private keys) are encrypted with MOCHI_SECRET_KEY and never
printed: `show`/`list` print `********` for a stored one. A secret is given as an option value
or, with `-`, read from stdin (so it stays out of the shell history).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mochi.commands.store import emit, handling, json_option, load_settings, open_engine, table

if TYPE_CHECKING:
    from decimal import Decimal


def _secret(value: str | None) -> str | None:
    if value == "-":
        return sys.stdin.readline().strip() or None
    return value


def _price(value: str | None) -> Decimal | None:
    if value is None:
        return None
    from decimal import Decimal, InvalidOperation

    try:
        price = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(
            f"'{value}' is not a number (a price per 1,000 tokens, e.g. 0.00015)"
        ) from None
    if price < 0:
        raise click.BadParameter("a price cannot be negative")
    return price


def _params(pairs: tuple[str, ...]) -> dict[str, Any] | None:
    if not pairs:
        return None
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{pair}': use KEY=VALUE, e.g. temperature=0.2")
        try:
            out[key.strip()] = json.loads(raw)
        except ValueError:
            out[key.strip()] = raw
    return out


# --------------------------------------------------------------------------- models


@click.group()
def models() -> None:
    """Model configurations (ai_model_configs); the default one is used when nothing else chooses.

    `--base-url` sets the configuration's api_endpoint, `--param` its config, `--model` its model_name.
    """


def _model_options(fn: Any) -> Any:
    for opt in reversed(
        [
            click.option(
                "--base-url", help="Server URL (Ollama host, OpenAI-compatible URL, Azure endpoint)."
            ),
            click.option("--api-key", metavar="KEY|-", help="API key ('-': stdin); stored encrypted."),
            click.option(
                "--param",
                "params",
                multiple=True,
                metavar="KEY=VALUE",
                help="temperature, num_ctx, max_output_tokens, timeout_s, max_retries, pull.",
            ),
            click.option("--prompt-price", help="Price per 1,000 prompt tokens (for the recorded cost)."),
            click.option("--completion-price", help="Price per 1,000 completion tokens."),
        ]
    ):
        fn = opt(fn)
    return fn


@models.command("list")
@json_option
def models_list(as_json: bool) -> None:
    """The stored model configurations (API keys masked)."""
    with handling():
        from mochi.store import model_configs

        rows = model_configs.list_models(open_engine())

        def text() -> None:
            if not rows:
                click.echo("no model configurations: `mochi models add NAME --provider P --model M`")
                return
            table(
                [
                    [
                        str(r["id"]),
                        r["name"] + (" *" if r["is_default"] else ""),
                        r["provider"],
                        r["model_name"],
                        r["api_endpoint"] or "-",
                        r["api_key"] or "-",
                        f"{r['prompt_price_per_1k'] or '-'} / {r['completion_price_per_1k'] or '-'}",
                        "active" if r["is_active"] else "inactive",
                    ]
                    for r in rows
                ],
                [
                    "ID",
                    "NAME",
                    "PROVIDER",
                    "MODEL",
                    "API ENDPOINT",
                    "API KEY",
                    "PRICE/1K (IN / OUT)",
                    "STATE",
                ],
            )
            click.echo("\n* the default model")

        emit({"models": rows}, as_json, text)


@models.command("add")
@click.argument("name")
@click.option("--provider", required=True, help="ollama, openai, azure or anthropic.")
@click.option("--model", required=True, help="Model name (Azure: the deployment name).")
@_model_options
@click.option("--default", "make_default", is_flag=True, help="Make it the default model.")
@click.option("--inactive", is_flag=True, help="Store it without using it as the default yet.")
@json_option
def models_add(
    name: str,
    provider: str,
    model: str,
    base_url: str | None,
    api_key: str | None,
    params: tuple[str, ...],
    prompt_price: str | None,
    completion_price: str | None,
    make_default: bool,
    inactive: bool,
    as_json: bool,
) -> None:
    """Store a model configuration."""
    with handling():
        from mochi.store import model_configs
        from mochi.store.session import cipher_for

        settings = load_settings()
        model_id = model_configs.add_model(
            open_engine(settings),
            cipher_for(settings),
            name=name,
            provider=provider,
            model_name=model,
            api_endpoint=base_url,
            api_key=_secret(api_key),
            config=_params(params),
            prompt_price_per_1k=_price(prompt_price),
            completion_price_per_1k=_price(completion_price),
            default=make_default,
            is_active=not inactive,
        )
        emit({"id": model_id, "name": name}, as_json, lambda: click.echo(f"added model {model_id} ({name})"))


@models.command("update")
@click.argument("ref", metavar="ID|NAME")
@click.option("--name", help="A new name.")
@click.option("--provider", help="A new provider: ollama, openai, azure, anthropic.")
@click.option("--model", help="A new model name (Azure: the deployment name).")
@_model_options
@click.option("--clear-api-key", is_flag=True, help="Remove the stored API key.")
@click.option(
    "--active/--inactive", default=None, help="Use it, or keep it stored but unused (not the default)."
)
@json_option
def models_update(
    ref: str,
    name: str | None,
    provider: str | None,
    model: str | None,
    base_url: str | None,
    api_key: str | None,
    params: tuple[str, ...],
    prompt_price: str | None,
    completion_price: str | None,
    clear_api_key: bool,
    active: bool | None,
    as_json: bool,
) -> None:
    """Change a model configuration (options not given stay as they are)."""
    with handling():
        from mochi.store import model_configs
        from mochi.store.session import cipher_for

        settings = load_settings()
        engine = open_engine(settings)
        model_configs.update_model(
            engine,
            cipher_for(settings),
            ref,
            api_key=_secret(api_key),
            clear_api_key=clear_api_key,
            name=name,
            provider=provider,
            model_name=model,
            api_endpoint=base_url,
            config=_params(params),
            is_active=active,
            prompt_price_per_1k=_price(prompt_price),
            completion_price_per_1k=_price(completion_price),
        )
        data = model_configs.get_model(engine, name or ref)
        emit({"model": data}, as_json, lambda: click.echo(f"updated model {data['id']} ({data['name']})"))


@models.command("remove")
@click.argument("ref", metavar="ID|NAME")
@json_option
def models_remove(ref: str, as_json: bool) -> None:
    """Delete a model configuration."""
    with handling():
        from mochi.store import model_configs

        model_configs.remove_model(open_engine(), ref)
        emit({"removed": ref}, as_json, lambda: click.echo(f"removed model {ref}"))


@models.command("set-default")
@click.argument("ref", metavar="ID|NAME")
@json_option
def models_set_default(ref: str, as_json: bool) -> None:
    """Use this model when no --provider/--model, MOCHI_PROVIDER/MOCHI_MODEL or .mochi.toml chooses one."""
    with handling():
        from mochi.store import model_configs

        model_id = model_configs.set_default(open_engine(), ref)
        emit({"default": model_id}, as_json, lambda: click.echo(f"model {model_id} is the default"))


@models.command("test")
@click.argument("ref", metavar="ID|NAME")
@json_option
def models_test(ref: str, as_json: bool) -> None:
    """Send one tiny review request to the model (exit 3 when it fails)."""
    with handling():
        from mochi.providers.registry import build_provider
        from mochi.store import model_configs
        from mochi.store.checks import check_model
        from mochi.store.session import cipher_for

        settings = load_settings()
        engine = open_engine(settings)
        config = model_configs.get_model(engine, ref)
        encrypted = model_configs.encrypted_key(engine, int(config["id"]))
        api_key = cipher_for(settings).decrypt(encrypted) if encrypted else None
        model_settings = model_configs.settings_for(settings, config, api_key)
        provider = build_provider(model_settings, config["provider"], config["model_name"])
        result = check_model(provider)
        data = {"ok": True, "model": result.who, "duration_s": result.duration_s, **result.details}
        emit(data, as_json, lambda: click.echo(f"ok: {result.who} answered in {result.duration_s} s"))


# --------------------------------------------------------------------------- templates


@click.group()
def templates() -> None:
    """Prompt templates per language and framework; an active one replaces the file template."""


def _content(file: Path | None, content: str | None, required: bool) -> str | None:
    if file is not None and content is not None:
        raise click.UsageError("give --file or --content, not both")
    if file is not None:
        return sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    if content is None and required:
        raise click.UsageError("give the template with --file PATH (or - for stdin) or --content TEXT")
    return content


@templates.command("list")
@json_option
def templates_list(as_json: bool) -> None:
    """The stored templates and the file templates they replace."""
    with handling():
        from mochi.store import templates as repo_

        rows = repo_.list_templates(open_engine())

        def text() -> None:
            if not rows:
                click.echo("no stored templates: `mochi templates add NAME --language L --file F`")
                return
            table(
                [
                    [
                        str(r["id"]),
                        r["name"],
                        r["language"],
                        r["framework"] or "-",
                        r["replaces"],
                        "active" if r["active"] else "inactive",
                    ]
                    for r in rows
                ],
                ["ID", "NAME", "LANGUAGE", "FRAMEWORK", "REPLACES", "STATE"],
            )

        emit({"templates": rows}, as_json, text)


@templates.command("show")
@click.argument("ref", metavar="ID|NAME")
@json_option
def templates_show(ref: str, as_json: bool) -> None:
    """A template's content."""
    with handling():
        from mochi.store import templates as repo_

        data = repo_.get_template(open_engine(), ref)
        emit({"template": data}, as_json, lambda: click.echo(data["content"]))


@templates.command("add")
@click.argument("name")
@click.option("--language", required=True, help="java, javascript, typescript, rust, python, go, ...")
@click.option("--framework", default="", help="spring-boot, react, actix-web, ... (a framework template).")
@click.option(
    "--file", type=click.Path(dir_okay=False, path_type=Path), help="Jinja template file ('-': stdin)."
)
@click.option("--content", help="The template text.")
@click.option("--inactive", is_flag=True, help="Store it without using it yet.")
@json_option
def templates_add(
    name: str,
    language: str,
    framework: str,
    file: Path | None,
    content: str | None,
    inactive: bool,
    as_json: bool,
) -> None:
    """Store a template (checked for Jinja syntax)."""
    with handling():
        from mochi.store import templates as repo_

        text = _content(file, content, required=True)
        assert text is not None
        template_id = repo_.add_template(
            open_engine(),
            name=name,
            language=language,
            framework=framework,
            content=text,
            active=not inactive,
        )
        emit(
            {"id": template_id, "name": name},
            as_json,
            lambda: click.echo(f"added template {template_id} ({name})"),
        )


@templates.command("update")
@click.argument("ref", metavar="ID|NAME")
@click.option("--name", help="A new name.")
@click.option("--language", help="The language it applies to (java, javascript, typescript, rust...).")
@click.option("--framework", help="The framework it applies to (spring-boot, react, actix-web...).")
@click.option("--file", type=click.Path(dir_okay=False, path_type=Path), help="New content from FILE.")
@click.option("--content", help="The new template text (Jinja).")
@click.option("--active/--inactive", default=None, help="Use it in reviews, or keep it stored but unused.")
@json_option
def templates_update(
    ref: str,
    name: str | None,
    language: str | None,
    framework: str | None,
    file: Path | None,
    content: str | None,
    active: bool | None,
    as_json: bool,
) -> None:
    """Change a template."""
    with handling():
        from mochi.store import templates as repo_

        engine = open_engine()
        repo_.update_template(
            engine,
            ref,
            name=name,
            language=language,
            framework=framework,
            content=_content(file, content, required=False),
            active=active,
        )
        data = repo_.get_template(engine, name or ref)
        emit(
            {"template": data}, as_json, lambda: click.echo(f"updated template {data['id']} ({data['name']})")
        )


@templates.command("remove")
@click.argument("ref", metavar="ID|NAME")
@json_option
def templates_remove(ref: str, as_json: bool) -> None:
    """Delete a template."""
    with handling():
        from mochi.store import templates as repo_

        repo_.remove_template(open_engine(), ref)
        emit({"removed": ref}, as_json, lambda: click.echo(f"removed template {ref}"))
