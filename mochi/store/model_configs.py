"""Repository functions for ai_model_configs: named models, the default one, prices.

A model configuration becomes Settings with `settings_for()`: its provider, model name, API
endpoint, API key (decrypted) and config (parameters) replace the corresponding settings. An inactive
configuration is kept but never used as the default model.

`model_dict` uses the design's names (the columns'); until version 2 of the `--json` output it
also carries the earlier names (`ALIASES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Row, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mochi.errors import UsageError
from mochi.settings import Settings
from mochi.store.crypto import Cipher, mask
from mochi.store.errors import NotFoundError, StoreError
from mochi.store.models import ModelConfigRow
from mochi.store.reads import columns, read_connection, statement

PROVIDER_NAMES = ("ollama", "openai", "azure", "anthropic")

# parameter -> the Settings field it sets
PARAMETERS = ("temperature", "num_ctx", "max_output_tokens", "timeout_s", "max_retries", "pull")

_BASE_URL_FIELD = {
    "ollama": "ollama_host",
    "openai": "openai_base_url",
    "anthropic": "anthropic_base_url",
    "azure": "azure_openai_endpoint",
}
_API_KEY_FIELD = {
    "openai": "openai_api_key",
    "anthropic": "anthropic_api_key",
    "azure": "azure_openai_api_key",
}
_FIELDS = (
    "provider",
    "model_name",
    "api_endpoint",
    "config",
    "is_active",
    "prompt_price_per_1k",
    "completion_price_per_1k",
)
# old `--json` name -> the design's name; the old names go in version 2 of the output
ALIASES = {"model": "model_name", "base_url": "api_endpoint", "parameters": "config"}


def check_provider(provider: str) -> str:
    name = provider.strip().lower()
    if name not in PROVIDER_NAMES:
        raise UsageError(f"unknown provider '{provider}': use one of {', '.join(PROVIDER_NAMES)}")
    return name


def check_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Only the parameters a provider understands; each validated like the setting it becomes."""
    unknown = sorted(set(parameters) - set(PARAMETERS))
    if unknown:
        raise UsageError(f"unknown model parameter(s) {', '.join(unknown)}: use {', '.join(PARAMETERS)}")
    from pydantic import ValidationError

    try:
        Settings.model_validate(dict(parameters))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"invalid model parameter: {problems}") from None
    return dict(parameters)


def add_model(
    engine: Engine,
    cipher: Cipher,
    *,
    name: str,
    provider: str,
    model_name: str,
    api_endpoint: str | None = None,
    api_key: str | None = None,
    config: Mapping[str, Any] | None = None,
    prompt_price_per_1k: Decimal | None = None,
    completion_price_per_1k: Decimal | None = None,
    default: bool = False,
    is_active: bool = True,
) -> int:
    """Store a model configuration (the API key encrypted); returns its id."""
    if default and not is_active:
        raise UsageError("an inactive model cannot be the default: drop --inactive or --default")
    row = ModelConfigRow(
        name=name,
        provider=check_provider(provider),
        model_name=model_name,
        api_endpoint=api_endpoint,
        # encrypt before opening a transaction: no key, no row
        api_key_encrypted=cipher.encrypt(api_key) if api_key else None,
        config=check_parameters(config or {}),
        is_active=is_active,
        prompt_price_per_1k=prompt_price_per_1k,
        completion_price_per_1k=completion_price_per_1k,
        is_default=False,
    )
    try:
        with Session(engine) as session, session.begin():
            session.add(row)
            session.flush()
            if default:
                _set_default(session, row.id)
            return row.id
    except IntegrityError:
        raise StoreError(
            f"a model named '{name}' exists already: choose another name, or `mochi models update`"
        ) from None


def update_model(engine: Engine, cipher: Cipher, ref: str, *, api_key: str | None = None,
                 clear_api_key: bool = False, **fields: Any) -> None:  # fmt: skip
    """Change the given fields (None leaves a field as it is). An inactive model is not the default."""
    for key in fields:
        if key not in (*_FIELDS, "name"):
            raise TypeError(key)
    if fields.get("provider") is not None:
        fields["provider"] = check_provider(fields["provider"])
    if fields.get("config") is not None:
        fields["config"] = check_parameters(fields["config"])
    encrypted = cipher.encrypt(api_key) if api_key else None
    try:
        with Session(engine) as session, session.begin():
            row = _find(session, ref)
            for key, value in fields.items():
                if value is not None:
                    setattr(row, key, value)
            if encrypted is not None:
                row.api_key_encrypted = encrypted
            elif clear_api_key:
                row.api_key_encrypted = None
            if not row.is_active:
                row.is_default = False
    except IntegrityError:
        raise StoreError(
            f"a model named '{fields.get('name')}' exists already: choose another name"
        ) from None


def remove_model(engine: Engine, ref: str) -> None:
    with Session(engine) as session, session.begin():
        session.delete(_find(session, ref))


def set_default(engine: Engine, ref: str) -> int:
    """Make this model the default (used when no flag or environment variable chooses one)."""
    with Session(engine) as session, session.begin():
        row = _find(session, ref)
        if not row.is_active:
            raise StoreError(
                f"the model '{row.name}' is inactive: `mochi models update {row.name} --active` first"
            )
        _set_default(session, row.id)
        return row.id


def list_models(engine: Engine) -> list[dict[str, Any]]:
    query = statement(("models",), lambda: select(*columns(ModelConfigRow)).order_by(ModelConfigRow.id))
    with read_connection(engine) as connection:
        return [model_dict(r) for r in connection.execute(query)]


def get_model(engine: Engine, ref: str) -> dict[str, Any]:
    with Session(engine) as session:
        return model_dict(_find(session, ref))


def default_model(engine: Engine) -> dict[str, Any] | None:
    with Session(engine) as session:
        row = session.scalar(
            select(ModelConfigRow).where(
                ModelConfigRow.is_default.is_(True), ModelConfigRow.is_active.is_(True)
            )
        )
        return model_dict(row) if row is not None else None


def model_dict(row: ModelConfigRow | Row[Any], *, with_secret: bool = False) -> dict[str, Any]:
    """The `--json` shape; the API key masked unless `with_secret` (then still encrypted)."""
    data: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "provider": row.provider,
        "model_name": row.model_name,
        "api_endpoint": row.api_endpoint,
        "api_key": mask(row.api_key_encrypted),
        "config": row.config,
        "is_active": row.is_active,
        "is_default": row.is_default,
        "prompt_price_per_1k": _str(row.prompt_price_per_1k),
        "completion_price_per_1k": _str(row.completion_price_per_1k),
    }
    for old, new in ALIASES.items():
        data[old] = data[new]
    if with_secret:
        data["api_key_encrypted"] = row.api_key_encrypted
    return data


def encrypted_key(engine: Engine, model_id: int) -> str | None:
    with Session(engine) as session:
        row = session.get(ModelConfigRow, model_id)
        return row.api_key_encrypted if row is not None else None


def settings_for(settings: Settings, model: Mapping[str, Any], api_key: str | None) -> Settings:
    """`settings` with this model configuration's (a `model_dict`) provider, model, URL, key and
    config."""
    provider = str(model["provider"])
    values: dict[str, Any] = {"provider": provider, "model": model["model_name"], **model.get("config", {})}
    if model.get("api_endpoint") and provider in _BASE_URL_FIELD:
        values[_BASE_URL_FIELD[provider]] = str(model["api_endpoint"]).rstrip("/")
    if api_key and provider in _API_KEY_FIELD:
        values[_API_KEY_FIELD[provider]] = api_key
    return settings.with_values(values)


def cost_of(
    engine: Engine, provider: str | None, model: str | None, prompt_tokens: int, completion_tokens: int
) -> Decimal | None:
    """Tokens times the prices of the configuration of this provider and model; None without prices."""
    if not provider or not model:
        return None
    with Session(engine) as session:
        row = session.scalar(
            select(ModelConfigRow)
            .where(ModelConfigRow.provider == provider, ModelConfigRow.model_name == model)
            .where(
                ModelConfigRow.prompt_price_per_1k.is_not(None)
                | ModelConfigRow.completion_price_per_1k.is_not(None)
            )
            .order_by(ModelConfigRow.is_default.desc(), ModelConfigRow.id)
            .limit(1)
        )
    if row is None:
        return None
    cost = Decimal(prompt_tokens) / 1000 * (row.prompt_price_per_1k or 0)
    cost += Decimal(completion_tokens) / 1000 * (row.completion_price_per_1k or 0)
    return cost.quantize(Decimal("0.000001"))


# ------------------------------------------------------------------ internals


def _find(session: Session, ref: str) -> ModelConfigRow:
    """By id or by name."""
    row = session.get(ModelConfigRow, int(ref)) if ref.isdigit() else None
    if row is None:
        row = session.scalar(select(ModelConfigRow).where(ModelConfigRow.name == ref))
    if row is None:
        raise NotFoundError(f"there is no model configuration '{ref}': `mochi models list` shows them")
    return row


def _set_default(session: Session, model_id: int) -> None:
    # clear first: the partial unique index allows one TRUE row at any moment
    session.execute(
        update(ModelConfigRow).where(ModelConfigRow.is_default.is_(True)).values(is_default=False)
    )
    session.flush()
    session.execute(update(ModelConfigRow).where(ModelConfigRow.id == model_id).values(is_default=True))


def _str(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")
