"""How each detected design pattern is named and described in the prompt (mochi.context.patterns).

CATALOGUE lists the patterns in the order the prompt shows them: Spring, React, Actix-web, then
the generic ones. `describe(evidence)` turns what the sampled files showed into one sentence or
two about how THIS repository uses the pattern, naming its own classes, hooks and types, or None
when the evidence is too thin to call it a pattern of the repository.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mochi.models import DesignPattern

if TYPE_CHECKING:
    from mochi.context.patterns import Evidence

MAX_EXAMPLES = 3
_LANGUAGE = {"java": "Java/Kotlin", "js": "JavaScript/TypeScript", "rust": "Rust"}


def names(items: Sequence[str], limit: int = 4) -> str:
    """The items as prose: "A, B and C", or "A, B, C, D and 3 more"."""
    items = [i for i in items if i]
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) > 1:
        return ", ".join(items[:-1]) + " and " + items[-1]
    return items[0] if items else ""


def _variants(e: Evidence, *keys: str) -> dict[str, list[str]]:
    return {k: e.variants[k] for k in keys if e.variants.get(k)}


# --------------------------------------------------------------------------- Spring


def _controllers(e: Evidence) -> str:
    rest = e.variants.get("RestController", [])
    mvc = e.variants.get("Controller", [])
    parts = []
    if rest:
        parts.append(f"HTTP endpoints are @RestController classes ({names(rest)})")
    if mvc:
        parts.append(f"@Controller classes render views ({names(mvc)})")
    return "; ".join(parts) + "."


def _injection(e: Evidence) -> str:
    kinds = _variants(e, "constructor", "field", "setter")
    label = {"constructor": "constructor injection", "field": "field injection (@Autowired fields)",
             "setter": "setter injection"}  # fmt: skip
    if len(kinds) == 1:
        ((kind, who),) = kinds.items()
        return f"Beans get their dependencies by {label[kind]}: {names(who)}; no other style was seen."
    parts = [f"{label[k]} in {len(who)} ({names(who, 3)})" for k, who in kinds.items()]
    return "Mixed: " + "; ".join(parts) + ". Constructor injection is Spring's recommended style."


def _repositories(e: Evidence) -> str:
    parts = [f"{kind}: {names(who)}" for kind, who in e.variants.items()]
    return "Data access sits in repositories: " + "; ".join(parts) + "."


def _data_access(e: Evidence) -> str:
    parts = [f"{tool} in {names(who)}" for tool, who in e.variants.items()]
    return "The database is queried directly through " + "; ".join(parts) + "."


def _exceptions(e: Evidence) -> str:
    advice = e.variants.get("advice", [])
    local = e.variants.get("local", [])
    parts = []
    if advice:
        parts.append(f"exceptions become HTTP responses in one place, @ControllerAdvice {names(advice)}")
    if local:
        parts.append(f"@ExceptionHandler methods inside {names(local)}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _transactional(e: Evidence) -> str:
    services = e.variants.get("@Service", [])
    others = [n for n in e.names if n not in services]
    text = f"@Transactional marks transaction boundaries in the service layer ({names(services)})"
    if not services:
        text = f"@Transactional is used in {names(others)}"
    elif others:
        text += f" and in {names(others)}"
    return text + "."


def _validation(e: Evidence) -> str:
    constraints = e.variants.get("constraints", [])
    valid = e.variants.get("@Valid", [])
    parts = []
    if constraints:
        parts.append(f"Bean Validation constraints declare the rules on {names(constraints)}")
    if valid:
        parts.append(f"@Valid/@Validated trigger them in {names(valid)}")
    return "; ".join(parts) + "."


# --------------------------------------------------------------------------- React


def _context(e: Evidence) -> str:
    providers = e.variants.get("provider", [])
    consumers = [n for n in e.variants.get("consumer", []) if n not in providers]
    text = "Shared state goes through React context"
    if providers:
        text += f": {names(providers)} (createContext, read with useContext)"
    if consumers:
        text += f"; useContext({names(consumers)})"
    return text + "."


def _state(e: Evidence) -> str:
    slices = e.variants.get("Redux Toolkit slices", [])
    parts = [f"Redux Toolkit slices ({names(slices)})"] if slices else []
    parts += [tool for tool in e.variants if tool != "Redux Toolkit slices"]
    return "State is managed with " + names(parts, 5) + "."


def _components(e: Evidence) -> str:
    function = e.variants.get("function", [])
    klass = e.variants.get("class", [])
    children = e.variants.get("children", [])
    parts = []
    if function:
        parts.append(f"function components ({names(function)})")
    if klass:
        parts.append(f"class components ({names(klass)})")
    if children:
        parts.append(f"composition through `children` ({names(children)})")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _fetching(e: Evidence) -> str:
    parts = [f"{how} ({names(where, 3)})" for how, where in e.variants.items()]
    return "Data is fetched with " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- Actix-web


def _routing(e: Evidence) -> str:
    macros = e.variants.get("attribute macros", [])
    parts = [f"attribute macros ({', '.join(macros)})"] if macros else []
    parts += [how for how in e.variants if how != "attribute macros"]
    return "Routes are declared with " + names(parts, 5) + "."


def _app_data(e: Evidence) -> str:
    types = [n for n in e.variants.get("web::Data", []) if n]
    text = "Shared state is registered once with App::app_data and extracted in handlers as web::Data<T>"
    if "app_data" not in e.variants:
        text = "Handlers receive shared state as web::Data<T>"
    return text + (f" ({names(types)})." if types else ".")


def _middleware(e: Evidence) -> str:
    wrapped = [n for n in e.variants.get("wrap", []) if n]
    parts = [f"App::wrap ({names(wrapped)})"] if wrapped else []
    if "a custom Transform" in e.variants:
        parts.append("a custom Transform implementation")
    return "Cross-cutting concerns are middleware: " + " and ".join(parts) + "."


# --------------------------------------------------------------------------- generic


def _builder(e: Evidence) -> str:
    lombok = e.variants.get("Lombok @Builder", [])
    own = [n for n in e.names if n not in lombok]
    parts = [f"builder classes ({names(own)})"] if own else []
    if lombok:
        parts.append(f"Lombok @Builder on {names(lombok)}")
    return "Complex objects are built with " + " and ".join(parts) + "."


def _strategies(e: Evidence, defined: set[str]) -> dict[str, list[str]]:
    """Own interface -> its implementations, for those with two or more (at most three)."""
    groups = {i: impls for i, impls in e.variants.items() if i in defined and len(set(impls)) >= 2}
    return dict(list(groups.items())[:3])


def _strategy(groups: dict[str, list[str]]) -> str | None:
    if not groups:
        return None
    parts = [f"{iface} ({names(impls, 3)})" for iface, impls in groups.items()]
    return "Interchangeable implementations behind the repository's own interfaces: " + "; ".join(parts) + "."


def _layers(e: Evidence) -> str | None:
    kinds = {"service": "service", "services": "service", "repository": "repository",
             "repositories": "repository", "repo": "repository", "dao": "repository"}  # fmt: skip
    seen: dict[str, list[str]] = {}
    for variant, who in e.variants.items():
        seen.setdefault(kinds.get(variant, variant), []).extend(who)
    if len(seen) < 2 and sum(len(v) for v in seen.values()) < 2:
        return None
    parts = [f"{kind} modules ({names(who, 3)})" for kind, who in seen.items()]
    return "Code is layered into " + " and ".join(parts) + "."


Describe = Callable[["Evidence"], "str | None"]


def _simple(template: str) -> Describe:
    return lambda e: template.format(names=names(e.names))


_CONFIGURATION = "Beans are declared with @Bean methods in @Configuration classes: {names}."
_HOOKS = "Reusable stateful logic is extracted into custom hooks: {names}."
_HOC = "Components are wrapped by higher-order components: {names}."
_EXTRACTORS = "Handlers take their input through typed extractors: {names}."
_RESPONSE_ERROR = (
    "Errors become HTTP responses through ResponseError impls: {names}; handlers return Result<_, E>."
)

CATALOGUE: dict[str, tuple[str, Describe]] = {
    "spring.controllers": ("Controller layer", _controllers),
    "spring.services": ("Service layer", _simple("Business logic sits in @Service classes: {names}.")),
    "spring.repositories": ("Repository layer", _repositories),
    "spring.data-access": ("Data access", _data_access),
    "spring.transactional": ("Transactional service layer", _transactional),
    "spring.injection": ("Dependency injection", _injection),
    "spring.configuration": ("Java configuration", _simple(_CONFIGURATION)),
    "spring.dto": ("DTOs", _simple("Requests and responses are separate DTO types: {names}.")),
    "spring.mappers": ("Mappers", _simple("Entities and DTOs are converted by mapper classes: {names}.")),
    "spring.exception-handler": ("Exception handling", _exceptions),
    "spring.validation": ("Bean Validation", _validation),
    "react.components": ("Components", _components),
    "react.custom-hooks": ("Custom hooks", _simple(_HOOKS)),
    "react.context": ("Context providers", _context),
    "react.hoc": ("Higher-order components", _simple(_HOC)),
    "react.state": ("State management", _state),
    "react.data-fetching": ("Data fetching", _fetching),
    "actix.routing": ("Routing", _routing),
    "actix.extractors": ("Extractors", _simple(_EXTRACTORS)),
    "actix.app-data": ("Shared application state", _app_data),
    "actix.middleware": ("Middleware", _middleware),
    "actix.response-error": ("Error mapping", _simple(_RESPONSE_ERROR)),
    "generic.layers": ("Service/repository layering", _layers),
    "generic.builder": ("Builder", _builder),
    "generic.factory": ("Factory", _simple("Object creation goes through factories: {names}.")),
    "generic.strategy": ("Strategy via interfaces", lambda e: None),  # needs the defined interfaces
}
_FAMILY = {"spring": "java", "react": "js", "actix": "rust"}


def describe(e: Evidence, defined: set[str] | None = None) -> DesignPattern | None:
    """The pattern `e` shows, or None (a pattern we do not describe, or too little evidence)."""
    entry = CATALOGUE.get(e.id)
    if entry is None:
        return None
    name, text_of = entry
    examples = e.files
    if e.id == "generic.strategy":
        groups = _strategies(e, defined or set())
        text = _strategy(groups)
        examples = list(dict.fromkeys(e.where[i] for impls in groups.values() for i in impls))
    else:
        text = text_of(e)
    if not text:
        return None
    family = _FAMILY.get(e.id.split(".", 1)[0], e.family)
    if e.id.startswith("generic."):
        name = f"{name} ({_LANGUAGE.get(e.family, e.family)})"
    return DesignPattern(
        id=e.id if family == _FAMILY.get(e.id.split(".", 1)[0]) else f"{e.id}.{family}",
        name=name,
        description=text,
        examples=tuple(examples[:MAX_EXAMPLES]),
        family=family,
    )
