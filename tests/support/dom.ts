/**
 * Test helpers for HTML: parse it with linkedom, and apply streamed fragments to a page the way
 * htmx 4 does (hx-swap-oob replace by id, `<hx-partial>` appends to its target), so
 * tests can compare "page render after N events" with "page + live stream".
 */
import assert from "node:assert/strict";
import { parseHTML } from "linkedom";

// deno-lint-ignore no-explicit-any
export type Doc = any;

export function parseDoc(html: string): Doc {
  return parseHTML(html.startsWith("<!DOCTYPE") ? html : `<html><body>${html}</body></html>`)
    .document;
}

export interface Applied {
  /** Targets that were not in the document when a fragment arrived. */
  missing: string[];
}

/** Applies one message's fragments to `doc` like htmx: OOB elements first, then partials. */
export function applyFragments(doc: Doc, html: string, result: Applied = { missing: [] }) {
  const frag = parseDoc(html);
  const body = frag.body;
  for (const el of [...body.querySelectorAll("[hx-swap-oob]")]) {
    const swap = el.getAttribute("hx-swap-oob");
    el.removeAttribute("hx-swap-oob");
    const target = doc.getElementById(el.id);
    if (!target) {
      result.missing.push(`#${el.id}`);
      continue;
    }
    if (swap === "innerHTML") target.innerHTML = el.innerHTML;
    else target.replaceWith(el);
  }
  for (const p of [...body.querySelectorAll("hx-partial")]) {
    const sel = p.getAttribute("hx-target");
    const target = doc.querySelector(sel);
    if (!target) {
      result.missing.push(sel);
      continue;
    }
    const nodes = [...p.childNodes];
    if (p.getAttribute("hx-swap") === "afterbegin") target.prepend(...nodes);
    else target.append(...nodes);
  }
  return result;
}

/** Every element's attribute names, for "no on* handlers" checks. */
export function attributeNames(doc: Doc): string[] {
  return [...doc.querySelectorAll("*")].flatMap((el: Doc) =>
    [...el.attributes].map((a: Doc) => a.name)
  );
}

/** Normalised outer HTML of `#id` (serialisation differences aside, same markup ⇒ same string). */
export function outer(doc: Doc, id: string): string {
  const el = doc.getElementById(id);
  return el ? el.outerHTML : "";
}

/** No element made from user or model text: only the page's own asset scripts, no img at all. */
export function assertInert(doc: Doc, where: string) {
  const scripts = [...doc.querySelectorAll("script")];
  assert.ok(
    scripts.every((s: Doc) => /^\/assets\//.test(s.getAttribute("src") ?? "")),
    `${where}: a script element that is not an asset`,
  );
  assert.equal(doc.querySelectorAll("img").length, 0, `${where}: an img element`);
  assert.equal(doc.querySelectorAll("[onerror]").length, 0, `${where}: an onerror attribute`);
}
