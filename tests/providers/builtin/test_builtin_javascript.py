"""JavaScript / TypeScript / React checks: the look-alikes that must not fire."""

from __future__ import annotations

import pytest
from builtin_diffs import added, code, hits

COMPONENT = code("""
    import React, { useEffect, useMemo, useState } from "react";

    export const OrderList = React.memo(function OrderList({ orders, ...props }: Props) {
      const [filter, setFilter] = useState("");
      const visible = useMemo(() => orders.filter((o) => o.name.includes(filter)), [orders, filter]);
      useEffect(() => {
        setFilter(props.initial ?? "");
      }, [props.initial]);
      useEffect(() => {
        document.title = `${visible.length} orders`;
      });
      const onChange = (e: React.ChangeEvent<HTMLInputElement>): void => setFilter(e.target.value);
      if (props.value == null || props.other != undefined) {
        return null;
      }
      return (
        <ul>
          {visible.map((o) => <Row key={o.id} order={o} />)}
          {visible.map((o) => <Row {...o.rowProps} />)}
          {visible.map((o) => (
            <React.Fragment key={o.id}>
              <dt>{o.name}</dt>
            </React.Fragment>
          ))}
          <input value={filter} onChange={onChange} />
        </ul>
      );
    });

    export function useOrders(): Order[] {
      const [orders] = useState<Order[]>([]);
      return orders;
    }

    let cache: any = null;
    function parse(text: string): unknown {
      return JSON.parse(text);
    }
""")


def test_clean_component() -> None:
    findings = [(f.rule_id, f.line) for f in added("web/src/OrderList.tsx", COMPONENT)]
    # `!= undefined` is the null-or-undefined idiom, as `!= null` (holdout3: etherpad)
    assert findings == []


@pytest.mark.parametrize(
    "path", ["scripts/build.js", "bin/cli.mjs", "src/App.test.tsx", "src/__tests__/app.js", "tools/gen.ts"]
)
def test_console_and_debugger_are_fine_in_tooling_and_tests(path: str) -> None:
    assert added(path, 'console.log("building");\ndebugger;\n') == []


def test_console_error_is_not_a_leftover() -> None:
    assert added("src/api.js", 'console.error("request failed", err);\n') == []


def test_loose_equality_suggestion() -> None:
    (finding,) = added("src/a.js", "if (a != b) { go(); }\n")
    assert finding.suggestion == "if (a !== b) { go(); }"


def test_eval_in_plain_javascript_and_new_function() -> None:
    findings = added("src/calc.cjs", 'const f = new Function("a", "return a * 2");\nwindow.eval(code);\n')
    assert hits(findings, "js.eval") == [1, 2]


def test_create_element_props() -> None:
    text = 'React.createElement("div", { dangerouslySetInnerHTML: { __html: html } });\n'
    assert hits(added("src/raw.js", text), "js.dangerously-set-inner-html") == [1]


def test_any_in_return_type_of_a_method_and_nested_parameters() -> None:
    text = code("""
        class Api {
          get(url: string): Promise<any> {
            return fetch(url).then((r) => r.json());
          }
          on(cb: (payload: Array<any>) => void) {}
          private state: any;
        }
    """)
    findings = added("src/api.ts", text)
    assert hits(findings, "ts.any-in-signature") == [2, 5]
    assert findings[0].suggestion == "  get(url: string): Promise<unknown> {"


def test_effect_with_deps_or_without_setter_is_fine() -> None:
    assert hits(added("web/src/OrderList.tsx", COMPONENT), "react.effect-sets-state-without-deps") == []


def test_hooks_in_loops_callbacks_and_after_early_return() -> None:
    text = code("""
        function Panel({ ids, open }) {
          for (const id of ids) {
            useOrder(id);
          }
          const items = ids.map((id) => useOrder(id));
          const v = open && useContext(Ctx);
          if (!open) return null;
          const [x] = useState(0);
          return <div>{x}</div>;
        }
        function helper() {
          return useMemo(() => 1, []);
        }
    """)
    assert hits(added("web/src/Panel.jsx", text), "react.conditional-hook") == [3, 5, 6, 8, 12]


def test_fragment_in_map_needs_keyed_fragment() -> None:
    text = "const rows = items.map((i) => <><dt>{i.k}</dt><dd>{i.v}</dd></>);\n"
    (finding,) = added("web/src/Rows.jsx", text)
    assert finding.rule_id == "react.missing-key" and "React.Fragment" in finding.message
