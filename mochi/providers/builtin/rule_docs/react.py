"""Rule documentation: React."""

# ruff: noqa: E501  (the examples keep their real line lengths)

from __future__ import annotations

from mochi.providers.builtin.rule_docs.model import RuleDoc

DOCS: dict[str, RuleDoc] = {
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
        "without the whole file when the function around the call is not in it. A `return` inside a "
        "function declared in the component (`function draw() { if (!x) return; }`) is not an early "
        "return of the component.",
    ),
}
