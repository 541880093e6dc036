import assert from "node:assert/strict";
import { renderMarkdown } from "./markdown.ts";
import { attributeNames, parseDoc } from "../../tests/support/dom.ts";

const md = (s: string) => String(renderMarkdown(s));
const doc = (s: string) => parseDoc(md(s));

Deno.test("paragraphs and line breaks", () => {
  assert.equal(md("one\ntwo\n\nthree"), `<div class="md"><p>one<br/>two</p><p>three</p></div>`);
  assert.equal(md(""), `<div class="md"></div>`);
  assert.equal(md("a\r\nb"), `<div class="md"><p>a<br/>b</p></div>`);
});

Deno.test("inline: bold, em, code, strike, escapes", () => {
  assert.equal(
    md("**b** *e* _u_ `c*d` ~~s~~ \\*lit\\*"),
    `<div class="md"><p><strong>b</strong> <em>e</em> <em>u</em> <code>c*d</code> <del>s</del> *lit*</p></div>`,
  );
  assert.equal(
    md("2 * 3 * 4 and snake_case_name"),
    `<div class="md"><p>2 * 3 * 4 and snake_case_name</p></div>`,
  );
  assert.equal(md("**unclosed and `open"), `<div class="md"><p>**unclosed and \`open</p></div>`);
  assert.equal(md("***both***"), `<div class="md"><p><strong><em>both</em></strong></p></div>`);
});

Deno.test("lists: bullets, numbers with start, nesting, continuation", () => {
  const d = doc("- a\n- **b**\n  - b1\n  - b2\n- c\n  more\n\n3. x\n4. y");
  assert.equal(d.querySelectorAll("ul > li").length, 5);
  assert.equal(d.querySelector("ul > li:nth-child(2) > ul").children.length, 2);
  assert.equal(d.querySelector("ul > li:nth-child(2) > strong").textContent, "b");
  assert.equal(d.querySelector("div > ul > li:nth-child(3)").innerHTML, "c<br>more");
  assert.equal(d.querySelector("ol").getAttribute("start"), "3");
  assert.equal(d.querySelectorAll("ol > li").length, 2);
  assert.equal(doc("1. one\n2. two").querySelector("ol").hasAttribute("start"), false);
});

Deno.test("fenced code, headings, quotes, rules", () => {
  const d = doc("# Title\n\n```ts\nconst a = 1 < 2;\n  **not bold**\n```\n> quoted\n\n---");
  assert.equal(d.querySelector("h3").textContent, "Title");
  const code = d.querySelector("pre > code.language-ts");
  assert.equal(code.textContent, "const a = 1 < 2;\n  **not bold**");
  assert.equal(d.querySelector("pre strong"), null);
  assert.equal(d.querySelector("blockquote p").textContent, "quoted");
  assert.ok(d.querySelector("hr"));
  assert.equal(
    doc("```\nunclosed\nfence").querySelector("pre code").textContent,
    "unclosed\nfence",
  );
});

Deno.test("links: http(s) and mailto only, with rel; bare URLs", () => {
  const a = doc("[site](https://example.com/a?b=1&c=2)").querySelector("a");
  assert.equal(a.getAttribute("href"), "https://example.com/a?b=1&c=2");
  assert.equal(a.getAttribute("rel"), "noopener noreferrer nofollow");
  const bare = doc("see https://x.org/y.").querySelector("a");
  assert.equal(bare.getAttribute("href"), "https://x.org/y");
  assert.equal(bare.textContent, "https://x.org/y");
});

const HOSTILE = [
  `<script>alert(1)</script>`,
  `<img src=x onerror=alert(1)>`,
  `<a href="javascript:alert(1)">x</a>`,
  `[x](javascript:alert(1))`,
  `[x](JaVaScRiPt:alert(1))`,
  `[x](data:text/html;base64,PHNjcmlwdD4=)`,
  `[x](vbscript:msgbox)`,
  `[x](https://ok.example/"onmouseover="alert(1))`,
  `javascript:alert(1)`,
  '```x" onload="alert(1)\n</code></pre><script>alert(1)</script>\n```',
  "`<script>`",
  "**<iframe src=//evil>**",
  "- <svg onload=alert(1)>",
  "> <style>*{display:none}</style>",
  "# <b onclick=alert(1)>h</b>",
];

Deno.test("hostile input is text: no elements, no handlers, no script URLs", () => {
  for (const input of HOSTILE) {
    const html = md(input);
    const d = parseDoc(html);
    const els = [...d.querySelectorAll(".md *")].map((e) => e.localName);
    for (const bad of ["script", "img", "iframe", "svg", "style", "b"]) {
      assert.ok(!els.includes(bad), `${bad} from ${input}: ${html}`);
    }
    assert.deepEqual(attributeNames(d).filter((n: string) => n.startsWith("on")), [], html);
    for (const a of d.querySelectorAll("a")) {
      assert.match(a.getAttribute("href"), /^https:\/\//, html);
    }
    assert.ok(!/<(script|img|iframe|svg|style)\b/i.test(html), html);
  }
  assert.equal(doc(HOSTILE[0]).querySelector("p").textContent, HOSTILE[0]);
  assert.equal(doc(HOSTILE[3]).querySelectorAll("a").length, 0);
  assert.equal(doc(HOSTILE[8]).querySelectorAll("a").length, 0);
  assert.equal(doc(HOSTILE[9]).querySelector("code").getAttribute("class"), "language-x");
});

Deno.test("pathological input stays fast", () => {
  const big = "**a".repeat(10_000) + "*".repeat(10_000) + "`".repeat(5_000) + "[".repeat(5_000) +
    "- ".repeat(2_000);
  const deep = "> ".repeat(5_000) + "x\n" + "  ".repeat(3_000) + "- y\n" + "**a" +
    "*".repeat(20_000);
  const t0 = performance.now();
  md(big);
  md(deep);
  assert.ok(performance.now() - t0 < 2000);
});

Deno.test("markdown: underscores inside words do not close emphasis (code stays literal)", () => {
  const html = String(renderMarkdown("window.__a=1 and window.__a=2, snake_case_name"));
  assert.ok(!html.includes("<strong>") && !html.includes("<em>"), html);
  assert.ok(html.includes("window.__a=1 and window.__a=2, snake_case_name"), html);
});
