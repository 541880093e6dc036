import assert from "node:assert/strict";
import { renderMarkdown } from "./markdown.ts";
import { attributeNames, parseDoc } from "../../tests/support/dom.ts";

const md = (s: string) => String(renderMarkdown(s));
const doc = (s: string) => parseDoc(md(s));
/** Each input with its rendering, as HTML and parsed. */
const rendered = (inputs: string[]) =>
  inputs.map((input) => ({ input, html: md(input), d: doc(input) }));

Deno.test("paragraphs and line breaks", () => {
  assert.equal(
    md("one\ntwo\n\nthree"),
    `<div class="md"><p>one<br>\ntwo</p>\n<p>three</p>\n</div>`,
  );
  assert.equal(md(""), `<div class="md"></div>`);
  assert.equal(md("a\r\nb"), `<div class="md"><p>a<br>\nb</p>\n</div>`);
});

Deno.test("inline: bold, em, code, strike, escapes", () => {
  assert.equal(
    md("**b** *e* _u_ `c*d` ~~s~~ \\*lit\\*"),
    `<div class="md"><p><strong>b</strong> <em>e</em> <em>u</em> <code>c*d</code> <s>s</s> *lit*</p>\n</div>`,
  );
  assert.equal(
    md("2 * 3 * 4 and snake_case_name"),
    `<div class="md"><p>2 * 3 * 4 and snake_case_name</p>\n</div>`,
  );
  assert.equal(md("**unclosed and `open"), `<div class="md"><p>**unclosed and \`open</p>\n</div>`);
  assert.equal(md("***both***"), `<div class="md"><p><em><strong>both</strong></em></p>\n</div>`);
});

Deno.test("lists: bullets, numbers with start, nesting, continuation", () => {
  const d = doc("- a\n- **b**\n  - b1\n  - b2\n- c\n  more\n\n3. x\n4. y");
  assert.equal(d.querySelectorAll("ul > li").length, 5);
  assert.equal(d.querySelector("ul > li:nth-child(2) > ul").children.length, 2);
  assert.equal(d.querySelector("ul > li:nth-child(2) > strong").textContent, "b");
  assert.equal(d.querySelector("div > ul > li:nth-child(3)").innerHTML, "c<br>\nmore");
  assert.equal(d.querySelector("ol").getAttribute("start"), "3");
  assert.equal(d.querySelectorAll("ol > li").length, 2);
  assert.equal(doc("1. one\n2. two").querySelector("ol").hasAttribute("start"), false);
});

Deno.test("fenced code, headings, quotes, rules", () => {
  const d = doc("# Title\n\n```ts\nconst a = 1 < 2;\n  **not bold**\n```\n> quoted\n\n---");
  assert.equal(d.querySelector("h3").textContent, "Title");
  const code = d.querySelector("pre > code.language-ts");
  assert.equal(code.textContent, "const a = 1 < 2;\n  **not bold**\n");
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
  // Attributes htmx would act on, script URLs however spelled, entity tricks, nesting, a table.
  '<div hx-get="/runs/x/cancel" hx-trigger="load">x</div>',
  '<button hx-post="/chat" hx-on:click="alert(1)">go</button>',
  '<form hx-on::before-request="alert(1)"></form>',
  '<a href="/" hx-get="/x" hx-swap="outerHTML">a</a>',
  '[x](https://ok.example "hx-get=/x") {hx-post="/chat"} {: hx-on:click="alert(1)"}',
  '[x](https://ok.example/" hx-get="/x)',
  '**bold**{hx-on::before-request="alert(1)"}',
  "[x](&#106;avascript:alert(1))",
  "[x](&#x6A;avascript&#58;alert(1))",
  "[x](java\\script:alert(1))",
  "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "[x](vbscript:msgbox(1))",
  "<javascript:alert(1)>",
  "<JaVaScRiPt:alert(1)>",
  "<data:text/html,<script>alert(1)</script>>",
  "javascript:alert(1) and data:text/html,x",
  "[ref]: javascript:alert(1)\n\n[ref]",
  "&lt;script&gt;alert(1)&lt;/script&gt;",
  "&#60;img src=x onerror=alert(1)&#62;",
  "[[nested](javascript:alert(1))](https://ok.example)",
  "[a [b](https://ok.example) c](javascript:alert(1))",
  "| <script>x</script> | [y](javascript:alert(1)) |\n| --- | --- |\n| <img onerror=1> | ok |",
];

Deno.test("hostile input is text: no elements, no handlers, no script URLs", () => {
  for (const { input, html, d } of rendered(HOSTILE)) {
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

Deno.test("GFM tables become tables; images never load: they become links to their URL", () => {
  const d = doc("| model | calls |\n| --- | ---: |\n| gpt-4o-mini | **3** |\n| local | 1 |");
  assert.deepEqual([...d.querySelectorAll("th")].map((th) => th.textContent), ["model", "calls"]);
  assert.deepEqual(
    [...d.querySelectorAll("tbody tr")].map((tr) => [...tr.children].map((td) => td.textContent)),
    [["gpt-4o-mini", "3"], ["local", "1"]],
  );
  assert.equal(d.querySelector("tbody strong").textContent, "3");

  const img = doc(
    "![a chart](https://evil.example/track.png) and [![logo](https://x/l.png)](https://ok.example/)",
  );
  assert.equal(img.querySelectorAll("img").length, 0);
  const links = [...img.querySelectorAll("a")];
  assert.deepEqual(links.map((a) => [a.getAttribute("href"), a.textContent]), [
    ["https://evil.example/track.png", "a chart"],
    ["https://ok.example/", "logo"],
  ]);
  assert.equal(links[0].getAttribute("rel"), "noopener noreferrer nofollow");
  assert.equal(doc("![x](javascript:alert(1))").querySelectorAll("a, img").length, 0);
});

Deno.test("relative links stay; links to another host need a scheme", () => {
  const hrefs = (s: string) => [...doc(s).querySelectorAll("a")].map((a) => a.getAttribute("href"));
  assert.deepEqual(hrefs("[calls](/calls) [here](#top) [up](../x)"), ["/calls", "#top", "../x"]);
  assert.deepEqual(hrefs("[a](//evil.example) [b](java%3Ascript:x) [c](a:b)"), []);
  // A backslash is percent-encoded, so "/\\host" stays a path on this site.
  assert.deepEqual(hrefs("[d](/\\\\evil.example)"), ["/%5Cevil.example"]);
  assert.deepEqual(hrefs("[m](mailto:me@example.com)"), ["mailto:me@example.com"]);
});

/** What markdown-it may produce at all; anything else means text turned into markup. */
const ELEMENTS = new Set(
  "div p br strong em s code pre a ul ol li blockquote hr h3 h4 h5 h6 table thead tbody tr th td"
    .split(" "),
);
const ATTRIBUTES = new Set(["class", "href", "rel", "target", "title", "start", "style"]);

Deno.test("the hostile set: only markdown-it's own elements and attributes, safe links", () => {
  for (const { input, html, d } of rendered(HOSTILE)) {
    for (const el of d.querySelectorAll(".md, .md *")) {
      assert.ok(ELEMENTS.has(el.localName), `<${el.localName}> from ${input}: ${html}`);
      for (const a of el.attributes) {
        assert.ok(ATTRIBUTES.has(a.name), `${a.name}= from ${input}: ${html}`);
      }
    }
    for (const a of d.querySelectorAll("a")) {
      const href = a.getAttribute("href");
      assert.match(href, /^(https?:\/\/|mailto:|[^:/\\]*($|[/?#]))/i, `${href} from ${input}`);
    }
    assert.deepEqual(
      attributeNames(d).filter((n: string) => /^(on|hx)/i.test(n)),
      [],
      `${input}: ${html}`,
    );
  }
  // Entities decode to text, never to markup.
  assert.equal(
    doc("&lt;script&gt;alert(1)&lt;/script&gt;").querySelector("p").textContent,
    "<script>alert(1)</script>",
  );
  // Script and data URLs, however spelled, never become links.
  const scriptUrls = HOSTILE.filter((s) => /script(:|&#58;)|data:/i.test(s) && !/https:/.test(s));
  assert.ok(scriptUrls.length >= 12);
  for (const input of scriptUrls) assert.equal(doc(input).querySelectorAll("a").length, 0, input);
  // Nested brackets: the safe outer link keeps its text; the unsafe one is text.
  const nested = doc(HOSTILE.find((s) => s.startsWith("[[nested]"))!).querySelectorAll("a");
  assert.deepEqual([...nested].map((a) => a.getAttribute("href")), ["https://ok.example"]);
  const table = doc(HOSTILE.find((s) => s.startsWith("| "))!);
  assert.equal(table.querySelector("td").textContent, "<img onerror=1>");
  assert.equal(table.querySelectorAll("a").length, 0);
});
