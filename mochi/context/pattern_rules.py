"""What one source file shows of the design patterns mochi.context.patterns reports.

`scan(path, text)` returns the file's `Hit`s: a pattern id, and the names (classes, hooks, types)
that show it, with a variant where the pattern comes in kinds (constructor or field injection, a
Redux slice or useReducer). Cheap regular expressions over the file with its comments removed:
no parser, so a file costs microseconds, and a miss costs one line less in the prompt, never a
finding. Only identifiers are kept (never a string literal, which could hold a secret).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from posixpath import basename, splitext

JAVA = "java"
JS = "js"
RUST = "rust"
FAMILIES: dict[str, tuple[str, ...]] = {
    JAVA: (".java", ".kt"),
    JS: (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"),
    RUST: (".rs",),
}


def family_of(path: str) -> str | None:
    """The family ("java", "js" or "rust") of a source file of those languages, else None."""
    ext = splitext(path)[1].lower()
    return next((family for family, exts in FAMILIES.items() if ext in exts), None)


@dataclass(frozen=True)
class Hit:
    """Evidence of one pattern in one file: `name` shows it, `variant` says which kind."""

    pattern: str
    name: str = ""
    variant: str = ""


# Every regular expression here runs in linear time on any input: repetitions that could meet
# (`\s*` next to `\s*`, `[^{]*` scanning from every start) are bounded or kept apart; an unclosed
# /* comment runs to the end rather than being looked for again from each later /*.
_BLOCK_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
_LINE_COMMENT = re.compile(r"(?m)(^|\s)//.*$")  # "https://" inside a string is no comment


def strip_comments(text: str) -> str:
    """`text` without /* */ and // comments (Java, Kotlin, JS/TS and Rust share them)."""
    return _LINE_COMMENT.sub(r"\1", _BLOCK_COMMENT.sub("", text))


def scan(path: str, text: str) -> list[Hit]:
    """Every hit in the file at `path` (see the module doc); [] for a language we do not read."""
    family = family_of(path)
    if family is None:
        return []
    code = strip_comments(text)
    if family == JAVA:
        return _java(path, code) + _generic(path, code, JAVA)
    if family == JS:
        return _react(path, code) + _generic(path, code, JS)
    return _actix(code) + _generic(path, code, RUST)


# --------------------------------------------------------------------------- Spring (Java, Kotlin)

_TYPE_DECL = re.compile(r"\b(?:class|interface|record|enum|object)\s+([A-Z]\w*)")
_STEREOTYPES = {
    "RestController": "@RestController",
    "Controller": "@Controller",
    "Service": "@Service",
    "Repository": "@Repository",
    "Component": "@Component",
    "Configuration": "@Configuration",
}
_STEREOTYPE = re.compile(r"@(RestController|Controller|Service|Repository|Component|Configuration)\b(?!\.)")
_SPRING_DATA = re.compile(
    r"\binterface\s+([A-Z]\w*)[^{]{0,200}?\bextends\b[^{]{0,300}?\b(JpaRepository|CrudRepository|ListCrudRepository"
    r"|PagingAndSortingRepository|ReactiveCrudRepository|MongoRepository|R2dbcRepository|ElasticsearchRepository)\b"
)
_DATA_ACCESS = re.compile(
    r"\b(JdbcTemplate|NamedParameterJdbcTemplate|JdbcClient|EntityManager|MongoTemplate|DSLContext)\s+\w+\s*[;,)=]"
)
_INJECT = re.compile(r"@(?:Autowired|Inject|Resource)\b")
_ANNOTATION = re.compile(r"@\w+(?:\([^()]{0,200}\))?")
_DECLARATION_END = re.compile(r"[;({=]")
_SETTER_INJECTION = re.compile(r"@Autowired\b\s+(?:public\s+)?void\s+set[A-Z]")
_FINAL_FIELD = re.compile(r"\bprivate\s+final\s+[\w<>,.?]+(?:\s?[\w<>,.?]+){0,8}\s+\w+\s*;")
_LOMBOK_CONSTRUCTOR = re.compile(r"@(?:RequiredArgsConstructor|AllArgsConstructor)\b")
_KOTLIN_CONSTRUCTOR = re.compile(r"\bclass\s+\w+\s*(?:@\w+\s*)*(?:constructor\s*)?\(\s*(?:private\s+)?val\s")
_DTO_NAME = re.compile(r"\b(?:class|record)\s+([A-Z]\w*(?:Dto|DTO|Request|Response|Payload|Command|Form))\b")
_MAPPER = re.compile(r"\b(?:class|interface)\s+([A-Z]\w*Mapper)\b")
_ADVICE = re.compile(r"@(?:RestControllerAdvice|ControllerAdvice)\b")
_EXCEPTION_HANDLER = re.compile(r"@ExceptionHandler\b")
_TRANSACTIONAL = re.compile(r"@Transactional\b")
_VALID = re.compile(r"@(?:Valid|Validated)\b")
_CONSTRAINT = re.compile(
    r"\b(?:jakarta|javax)\.validation\.constraints\b|@(?:NotNull|NotBlank|NotEmpty|Size|Positive|PositiveOrZero"
    r"|Min|Max|Email|Pattern|Past|Future|DecimalMin|DecimalMax|Digits)\b"
)
_CONFIGURATION_BEAN = re.compile(r"@Bean\b")


def _java(path: str, code: str) -> list[Hit]:
    decl = _TYPE_DECL.search(code)
    cls = decl.group(1) if decl else splitext(basename(path))[0]
    stereos = list(dict.fromkeys(m.group(1) for m in _STEREOTYPE.finditer(code)))
    stereo = _STEREOTYPES[stereos[0]] if stereos else ""
    hits: list[Hit] = []
    for s in stereos:
        if s in ("RestController", "Controller"):
            hits.append(Hit("spring.controllers", cls, s))
        elif s == "Service":
            hits.append(Hit("spring.services", cls))
        elif s == "Repository":
            hits.append(Hit("spring.repositories", cls, "@Repository class"))
    for m in _SPRING_DATA.finditer(code):
        hits.append(Hit("spring.repositories", m.group(1), f"Spring Data interface extending {m.group(2)}"))
    if re.search(r"@Mapper\b", code) and "org.apache.ibatis" in code:
        hits.append(Hit("spring.repositories", cls, "MyBatis @Mapper"))
    for m in _DATA_ACCESS.finditer(code):
        hits.append(Hit("spring.data-access", f"{cls} ({stereo})" if stereo else cls, m.group(1)))
    if stereos:
        hits += _injection(cls, code)
    if "Configuration" in stereos and _CONFIGURATION_BEAN.search(code):
        hits.append(Hit("spring.configuration", cls))
    hits += [Hit("spring.dto", m.group(1)) for m in _DTO_NAME.finditer(code)]
    for m in _MAPPER.finditer(code):
        if "org.apache.ibatis" not in code:
            hits.append(Hit("spring.mappers", m.group(1), "MapStruct" if "org.mapstruct" in code else ""))
    if _ADVICE.search(code):
        hits.append(Hit("spring.exception-handler", cls, "advice"))
    elif _EXCEPTION_HANDLER.search(code):
        hits.append(Hit("spring.exception-handler", cls, "local"))
    if _TRANSACTIONAL.search(code):
        hits.append(Hit("spring.transactional", cls, stereo))
    if _CONSTRAINT.search(code):
        hits.append(Hit("spring.validation", cls, "constraints"))
    if _VALID.search(code):
        hits.append(Hit("spring.validation", cls, "@Valid"))
    return hits


def _injection(cls: str, code: str) -> list[Hit]:
    """How a Spring bean gets its dependencies: constructor, field or setter injection."""
    kinds = _injected_members(cls, code)
    if _SETTER_INJECTION.search(code):
        kinds.add("setter")
    constructor = re.search(rf"\b(?:public\s+|protected\s+)?{re.escape(cls)}\s*\(\s*[\w@]", code)
    if (
        (_FINAL_FIELD.search(code) and constructor)
        or _LOMBOK_CONSTRUCTOR.search(code)
        or _KOTLIN_CONSTRUCTOR.search(code)
    ):
        kinds.add("constructor")
    return [
        Hit("spring.injection", cls, kind) for kind in ("constructor", "field", "setter") if kind in kinds
    ]


_LATEINIT = re.compile(r"\s*(?:(?:private|protected|internal)\s+)?lateinit\s+var\b")


def _injected_members(cls: str, code: str) -> set[str]:
    """What each @Autowired/@Inject/@Resource annotates: a field (the declaration after it ends
    with `;` or `=`, or is a Kotlin `lateinit var`), the class's constructor or a setter."""
    kinds: set[str] = set()
    for m in _INJECT.finditer(code):
        rest = _ANNOTATION.sub(" ", code[m.end() : m.end() + 400])
        rest = re.sub(r"^\s*\([^()]{0,200}\)", " ", rest)  # @Autowired(required = false)
        end = _DECLARATION_END.search(rest)
        if _LATEINIT.match(rest) or (end is not None and end.group() in ";="):
            kinds.add("field")
        elif end is not None and end.group() == "(":
            words = rest[: end.start()].split()
            if words and words[-1] == cls:
                kinds.add("constructor")
            elif words and words[-1].startswith("set"):
                kinds.add("setter")
    return kinds


# --------------------------------------------------------------------------- React (JS, TS)

_HOOK_DEF = re.compile(r"(?:\bfunction\s+|\b(?:const|let)\s+)(use[A-Z]\w*)\s*(?:[=(<:])")
_CREATE_CONTEXT = re.compile(r"\b([A-Z]\w*)\s*(?::[^=]{0,200})?=\s*(?:React\.)?createContext\b")
_USE_CONTEXT = re.compile(r"\buseContext\(\s*([A-Z]\w*)")
_HOC_DEF = re.compile(r"(?:\bfunction\s+|\b(?:const|let)\s+)(with[A-Z]\w*)\b")
_HOC_USE = re.compile(r"\bexport\s+default\s+(with[A-Z]\w*|connect)\(")
_SLICE = re.compile(r"\bcreateSlice\(\s*\{\s*name\s*:\s*['\"]([\w/-]+)['\"]")
_STATE_TOOLS = {
    "useReducer": re.compile(r"\buseReducer\("),
    "a Redux store": re.compile(r"\b(?:configureStore|createStore|combineReducers)\("),
    "useSelector/useDispatch": re.compile(r"\buse(?:Selector|Dispatch|AppSelector|AppDispatch)\("),
    "Zustand stores": re.compile(r"\bfrom\s+['\"]zustand['\"]"),
}
_FUNCTION_COMPONENT = re.compile(
    r"(?:\bfunction\s+([A-Z]\w*)\s*\(|\b(?:const|let)\s+([A-Z]\w*)\s*(?::\s*[\w.<>]+\s*)?=\s*"
    r"(?:React\.)?(?:(?:memo|forwardRef)\(\s*)?(?:\([^)]{0,300}\)|\w+)\s*(?::\s*[\w.<>]{1,100}\s*)?=>)"
)
_CLASS_COMPONENT = re.compile(r"\bclass\s+([A-Z]\w*)\s+extends\s+(?:React\.)?(?:Pure)?Component\b")
_JSX = re.compile(r"<[A-Za-z][\w.]*[\s/>]|<>")
_CHILDREN = re.compile(r"\{\s*children\b|\bprops\.children\b|\bchildren\s*[,:}]")
_FETCHERS = {
    "React Query (useQuery)": re.compile(r"\buse(?:Query|Mutation|InfiniteQuery)\("),
    "SWR (useSWR)": re.compile(r"\buseSWR\("),
    "RTK Query": re.compile(r"\bcreateApi\("),
    "axios": re.compile(r"\bfrom\s+['\"]axios['\"]|\brequire\(\s*['\"]axios['\"]"),
}
_FETCH = re.compile(r"\bfetch\(")


def _react(path: str, code: str) -> list[Hit]:
    hits = [Hit("react.custom-hooks", m.group(1)) for m in _HOOK_DEF.finditer(code)]
    hits += [Hit("react.context", m.group(1), "provider") for m in _CREATE_CONTEXT.finditer(code)]
    hits += [Hit("react.context", m.group(1), "consumer") for m in _USE_CONTEXT.finditer(code)]
    hits += [Hit("react.hoc", m.group(1)) for m in _HOC_DEF.finditer(code)]
    hits += [Hit("react.hoc", m.group(1)) for m in _HOC_USE.finditer(code)]
    hits += [Hit("react.state", m.group(1), "Redux Toolkit slices") for m in _SLICE.finditer(code)]
    stem = splitext(basename(path))[0]
    hits += [Hit("react.state", stem, tool) for tool, rx in _STATE_TOOLS.items() if rx.search(code)]
    # a .ts file cannot hold JSX (and `Array<string>` looks like a tag); a .js file may
    jsx = path.endswith((".jsx", ".tsx")) or (path.endswith(".js") and "react" in code and _JSX.search(code))
    if jsx:
        for m in _CLASS_COMPONENT.finditer(code):
            hits.append(Hit("react.components", m.group(1), "class"))
        if not _CLASS_COMPONENT.search(code):
            for m in _FUNCTION_COMPONENT.finditer(code):
                hits.append(Hit("react.components", m.group(1) or m.group(2), "function"))
        if _CHILDREN.search(code):
            hits.append(Hit("react.components", stem, "children"))
    for label, rx in _FETCHERS.items():
        if rx.search(code):
            hits.append(Hit("react.data-fetching", stem, label))
    if _FETCH.search(code):
        where = "fetch() inside useEffect" if jsx and "useEffect(" in code else "fetch() in a module"
        hits.append(Hit("react.data-fetching", stem, where))
    return hits


# --------------------------------------------------------------------------- Actix-web (Rust)

_EXTRACTOR = re.compile(r"\b(?:web::)?(Json|Path|Query|Form|Data|Bytes|Payload|Header|ReqData)\s*<")
_ROUTE_MACRO = re.compile(r"#\[(?:actix_web::)?(get|post|put|delete|patch|head|route)\(")
_ROUTING = {
    "web::scope": re.compile(r"\bweb::scope\("),
    "App::route": re.compile(r"\.route\(\s*['\"]"),
    "App::service": re.compile(r"\.service\("),
    "configure functions": re.compile(r"\.configure\("),
}
_MACROS = "attribute macros"
_APP_DATA = re.compile(r"\.app_data\(")
_DATA_TYPE = re.compile(r"\bweb::Data<\s*([\w:]+(?:<[\w:, ]+>)?)\s*>")
_WRAP = re.compile(r"\.wrap\(\s*((?:\w+::)*[A-Z]\w*|[\w:]*from_fn)")
_TRANSFORM = re.compile(r"\bimpl\s*<[^>]{0,200}>\s*Transform\s*<")
_RESPONSE_ERROR = re.compile(r"\bimpl\s+(?:actix_web::)?(?:error::)?ResponseError\s+for\s+(\w+)")


def _actix(code: str) -> list[Hit]:
    if "actix" not in code and not _ROUTE_MACRO.search(code):
        return []
    hits = [Hit("actix.extractors", f"web::{m.group(1)}") for m in _EXTRACTOR.finditer(code)]
    hits += [Hit("actix.routing", f"#[{m.group(1)}]", _MACROS) for m in _ROUTE_MACRO.finditer(code)]
    hits += [Hit("actix.routing", name, name) for name, rx in _ROUTING.items() if rx.search(code)]
    if _APP_DATA.search(code):
        hits.append(Hit("actix.app-data", "", "app_data"))
    hits += [Hit("actix.app-data", m.group(1), "web::Data") for m in _DATA_TYPE.finditer(code)]
    for m in _WRAP.finditer(code):
        hits.append(Hit("actix.middleware", m.group(1).rsplit("::", 1)[-1], "wrap"))
    if _TRANSFORM.search(code):
        hits.append(Hit("actix.middleware", "", "a custom Transform"))
    hits += [Hit("actix.response-error", m.group(1)) for m in _RESPONSE_ERROR.finditer(code)]
    return hits


# --------------------------------------------------------------------------- any of them

_BUILDER = re.compile(r"\b(?:class|struct)\s+([A-Z]\w*Builder)\b")
_LOMBOK_BUILDER = re.compile(r"@Builder\b[^{]{0,300}?\b(?:class|record)\s+([A-Z]\w*)")
_FACTORY = re.compile(r"\b(?:class|interface|struct|trait|function|const|fn)\s+(\w*Factory|\w*_factory)\b")
_INTERFACE_DEF = re.compile(r"\b(?:interface|trait)\s+([A-Z]\w*)")
_IMPLEMENTS = re.compile(r"\bclass\s+([A-Z]\w*)[^{;]{0,300}?\bimplements\s+([\w<>,.][\w<>,. ]{0,300}?)\s*\{")
_IMPL_FOR = re.compile(r"\bimpl\s*(?:<[^>]{0,200}>\s*)?([A-Z]\w*)(?:<[^>]{0,200}>)?\s+for\s+([A-Z]\w*)")
_LAYER_NAME = re.compile(r"\b(?:class|interface|struct|trait)\s+([A-Z]\w*?(Service|Repository|Repo|Dao))\b")
_LAYER_FILE = re.compile(r"(?:^|[_/.-])(service|services|repository|repositories|repo|dao)(?:[_./-]|$)", re.I)


def _generic(path: str, code: str, family: str) -> list[Hit]:
    hits = [Hit("generic.builder", m.group(1)) for m in _BUILDER.finditer(code)]
    hits += [Hit("generic.builder", m.group(1), "Lombok @Builder") for m in _LOMBOK_BUILDER.finditer(code)]
    hits += [Hit("generic.factory", m.group(1)) for m in _FACTORY.finditer(code)]
    hits += [Hit("generic.interface", m.group(1)) for m in _INTERFACE_DEF.finditer(code)]
    for m in _IMPLEMENTS.finditer(code):
        for iface in m.group(2).split(","):
            name = re.sub(r"<.*", "", iface).strip().rsplit(".", 1)[-1]
            if name:
                hits.append(Hit("generic.strategy", m.group(1), name))
    if family == RUST:
        hits += [Hit("generic.strategy", m.group(2), m.group(1)) for m in _IMPL_FOR.finditer(code)]
    if family != JAVA or not _STEREOTYPE.search(code):  # Spring's stereotypes say more
        hits += [Hit("generic.layers", m.group(1), m.group(2).lower()) for m in _LAYER_NAME.finditer(code)]
        named = _LAYER_FILE.search(splitext(path)[0])
        if family != JAVA and named:
            hits.append(Hit("generic.layers", path.rsplit("/", 1)[-1], named.group(1).lower()))
    return hits
