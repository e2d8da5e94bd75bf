"""Rule documentation: JavaScript / TypeScript."""

# ruff: noqa: E501  (the examples keep their real line lengths)

from __future__ import annotations

from mochi.providers.builtin.rule_docs.model import RuleDoc

DOCS: dict[str, RuleDoc] = {
    "js.dangerously-set-inner-html": RuleDoc(
        summary="React's dangerouslySetInnerHTML renders a raw HTML string, opening a cross-site scripting hole.",
        why="React escapes everything it renders except what goes through `dangerouslySetInnerHTML`: "
        "if any part of that HTML comes from users, sellers, a CMS or an API, a `<script>` or an "
        "`onerror=` attribute in it runs in your users' sessions (XSS). Render the content as React "
        "children (text is escaped), and if HTML is really needed, sanitize it with DOMPurify right "
        "where it is rendered.",
        example_path="web/src/components/ProductDescription.tsx",
        wrong="""\
import type { Product } from "../api/types";

type Props = { product: Product };

export function ProductDescription({ product }: Props) {
  // descriptionHtml is written by sellers in the merchant portal
  return (
    <section className="product-description">
      <h2>About this product</h2>
      <div dangerouslySetInnerHTML={{ __html: product.descriptionHtml }} />
    </section>
  );
}
""",
        right="""\
import type { Product } from "../api/types";

type Props = { product: Product };

export function ProductDescription({ product }: Props) {
  return (
    <section className="product-description">
      <h2>About this product</h2>
      {product.paragraphs.map((paragraph) => (
        <p key={paragraph.id}>{paragraph.text}</p>
      ))}
    </section>
  );
}
""",
        notes="HTML that a sanitizer returns (`DOMPurify.sanitize(...)`, `sanitizeHtml(...)`), in the "
        "attribute or in the variable it names, is not reported; other sources are, as the rule does "
        "not follow data further. `// eslint-disable-next-line react/no-danger` silences the rule on "
        "a line. Silent in test files, stories and generated files.",
    ),
    "js.eval": RuleDoc(
        summary="eval() or new Function() compiles a string into code at run time.",
        why="Whatever reaches `eval` runs with the page's (or the Node process's) full privileges, so a "
        "response or input an attacker can influence becomes code execution. It also forces the "
        "Content-Security-Policy to allow `'unsafe-eval'` and defeats the optimiser. Parse data with "
        "`JSON.parse` (or `response.json()`), and map names to functions in an object instead of building code.",
        example_path="web/src/lib/featureFlags.js",
        wrong="""\
const FLAGS_URL = "/api/feature-flags";

export async function loadFeatureFlags() {
  const response = await fetch(FLAGS_URL, { credentials: "same-origin" });
  const body = await response.text();
  return eval("(" + body + ")");
}

export function isEnabled(flags, name) {
  return Boolean(flags[name]);
}
""",
        right="""\
const FLAGS_URL = "/api/feature-flags";

export async function loadFeatureFlags() {
  const response = await fetch(FLAGS_URL, { credentials: "same-origin" });
  return response.json();
}

export function isEnabled(flags, name) {
  return Boolean(flags[name]);
}
""",
        notes="Reports `eval(...)`, `window.eval`, `globalThis.eval` and `new Function(...)`; an "
        "indirect call through another name is not seen. Silent in test and generated files, and "
        "where an eslint comment turns off `no-eval`, `no-new-func` or `no-implied-eval`.",
    ),
    "js.console-log": RuleDoc(
        summary="A console.log, debug, trace, dir or table call is left in application code.",
        why="Leftover debugging output ships to every user's browser console, clutters real errors and "
        "often prints data that should not be there (payloads, tokens, personal data). Remove it "
        "before merging, or use the project's logger, which can be filtered by level and turned off "
        "in production.",
        example_path="web/src/components/CheckoutForm.tsx",
        wrong="""\
import { useState } from "react";
import type { Cart, CheckoutPayload } from "../api/types";

type Props = { cart: Cart; onSubmit: (payload: CheckoutPayload) => Promise<void> };

export function CheckoutForm({ cart, onSubmit }: Props) {
  const [email, setEmail] = useState("");

  async function handleSubmit(event: React.FormEvent) {
    event.preventDefault();
    const payload = { email, items: cart.items, total: cart.total };
    console.log("checkout payload", payload);
    await onSubmit(payload);
  }

  return (
    <form onSubmit={handleSubmit}>
      <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      <button type="submit">Pay {cart.total}</button>
    </form>
  );
}
""",
        right="""\
import { useState } from "react";
import type { Cart, CheckoutPayload } from "../api/types";

type Props = { cart: Cart; onSubmit: (payload: CheckoutPayload) => Promise<void> };

export function CheckoutForm({ cart, onSubmit }: Props) {
  const [email, setEmail] = useState("");

  async function handleSubmit(event: React.FormEvent) {
    event.preventDefault();
    await onSubmit({ email, items: cart.items, total: cart.total });
  }

  return (
    <form onSubmit={handleSubmit}>
      <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      <button type="submit">Pay {cart.total}</button>
    </form>
  );
}
""",
        notes="`console.error`, `console.warn` and `console.info` are not reported. Silent in test files "
        "(`*.test.ts`, `*.spec.js`, `__tests__/`...), under `scripts/`, `script/`, `bin/`, `tools/`, "
        "`migration/` and `migrations/`, in files that start with a shebang (`#!/usr/bin/env node`), "
        "and mock servers or mocks/ (where printing is the point), in development-only branches (`if (__DEV__)`, "
        '`process.env.NODE_ENV !== "production"`) and behind a debug flag (`if (debug)`, `if (this.debug)`, '
        "`if (DEBUG)`, `window.__APP_DEBUG__ && ...`), where an eslint comment turns off `no-console`, and "
        "in a file that already logs with console calls (its convention, e.g. a Node server without a "
        "logger), and where it logs the error a `catch` clause or an error callback (`(error) => ...`) receives: that "
        "is error reporting, not a leftover.",
    ),
    "js.debugger": RuleDoc(
        summary="A `debugger` statement is left in application code.",
        why="A `debugger` statement pauses the page for every user who has the browser's developer tools "
        "open (including your support team reproducing a bug) and is never what the code is meant to "
        "do. Remove it; use a breakpoint in the dev tools or the editor instead.",
        example_path="web/src/features/cart/cartSlice.ts",
        wrong="""\
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { CartItem } from "../../api/types";

const cartSlice = createSlice({
  name: "cart",
  initialState: { items: [] as CartItem[] },
  reducers: {
    removeItem(state, action: PayloadAction<string>) {
      debugger;
      state.items = state.items.filter((item) => item.id !== action.payload);
    },
  },
});

export const { removeItem } = cartSlice.actions;
export default cartSlice.reducer;
""",
        right="""\
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { CartItem } from "../../api/types";

const cartSlice = createSlice({
  name: "cart",
  initialState: { items: [] as CartItem[] },
  reducers: {
    removeItem(state, action: PayloadAction<string>) {
      state.items = state.items.filter((item) => item.id !== action.payload);
    },
  },
});

export const { removeItem } = cartSlice.actions;
export default cartSlice.reducer;
""",
        notes="Silent in test files, under `scripts/`, `script/`, `bin/` and `tools/`, and where an "
        "eslint comment turns off `no-debugger`.",
    ),
    "ts.any-in-signature": RuleDoc(
        summary="A TypeScript function's parameter or return type is declared as `any`.",
        why="`any` in a signature switches type checking off for every caller: the compiler accepts any "
        "argument and lets callers use the result however they like, so a renamed or missing field "
        "surfaces as `undefined` at run time instead of a compile error. Declare the real type (an "
        "interface for the API response), a generic, or `unknown`, which forces a check before use.",
        example_path="web/src/api/orders.ts",
        wrong="""\
export interface Order {
  id: string;
  total: number;
  placedAt: Date;
}

export function toOrder(raw: any): Order {
  return { id: raw.id, total: raw.total_cents / 100, placedAt: new Date(raw.placed_at) };
}

export async function fetchOrders(): Promise<any> {
  const response = await fetch("/api/orders");
  return (await response.json()).map(toOrder);
}
""",
        right="""\
export interface Order {
  id: string;
  total: number;
  placedAt: Date;
}

interface OrderResponse {
  id: string;
  total_cents: number;
  placed_at: string;
}

export function toOrder(raw: OrderResponse): Order {
  return { id: raw.id, total: raw.total_cents / 100, placedAt: new Date(raw.placed_at) };
}

export async function fetchOrders(): Promise<Order[]> {
  const response = await fetch("/api/orders");
  const body: OrderResponse[] = await response.json();
  return body.map(toOrder);
}
""",
        notes="Opt-in (`enabled = true` in `.mochi.toml`): on real projects most `any`s in signatures "
        "are deliberate (generic constraints, library callback types), 2 of 33 findings were right in "
        "bench/precision. Nested uses count (`Promise<any>`, `any[]`). Variables and class fields typed `any` are "
        "not reported, only function parameters and return types. Silent in test files, generated "
        "files and plain JavaScript, and where an eslint comment turns off "
        "`@typescript-eslint/no-explicit-any`. A parameter the edited line already had (`event: any` "
        "before and after) is not new.",
    ),
    "js.loose-equality": RuleDoc(
        summary="Values are compared with == or !=, which convert types before comparing.",
        why="`==` converts its operands before comparing, so `'' == 0`, `'0' == false` and `'1' == 1` "
        'are all true: a comparison that "works" can hide a string where a number was expected, '
        "and the bug surfaces elsewhere. Use `===`/`!==` and convert explicitly where types really "
        "differ (`Number(selectedId)`).",
        example_path="web/src/features/catalog/variants.js",
        wrong="""\
// selectedId comes from the URL (?variant=42), so it is a string; variant ids are numbers
export function findSelectedVariant(product, selectedId) {
  return product.variants.find((variant) => variant.id == selectedId);
}

export function isSoldOut(variant) {
  return variant.stock != 0 ? false : true;
}
""",
        right="""\
// selectedId comes from the URL (?variant=42), so it is a string; variant ids are numbers
export function findSelectedVariant(product, selectedId) {
  const id = Number(selectedId);
  return product.variants.find((variant) => variant.id === id);
}

export function isSoldOut(variant) {
  return variant.stock === 0;
}
""",
        notes="`x == null`, `x != null` and the same with `undefined` are not reported: they are the "
        'idiom for "null or undefined". A comparison the edited line already held (the change touched '
        "something else on it) is not new. Silent in test files, and where an eslint comment turns off "
        "`eqeqeq`.",
    ),
}
