/**
 * A tiny, safe Markdown renderer for model answers: paragraphs (a newline is a line break),
 * headings, `-`/`*`/`+` and `1.` lists (nested by indentation), block quotes, rules, fenced code,
 * **bold**, *em*, ~~strike~~, `code` and http(s)/mailto links.
 *
 * Safety: it never produces markup from text. Everything is built with hono's `jsx()` from
 * strings that hono escapes, so `<script>` in a model answer is shown as text. Only http:,
 * https: and mailto: URLs become links; anything else (javascript:, data:, …) stays plain text.
 */
import { type Child, jsx, type JSXNode } from "hono/jsx";

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)[^\n]*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^( *)([-*+])\s+(.*)$/;
const ORDERED = /^( *)(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
/** Deeper nesting (quotes, lists, emphasis) is shown as text. */
const MAX_DEPTH = 8;

/** The answer as Markdown, wrapped in `<div class="md">`. */
export function renderMarkdown(source: string): JSXNode {
  const lines = source.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n");
  return jsx("div", { class: "md" }, ...blocks(lines));
}

function isBlockStart(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || BULLET.test(line) || ORDERED.test(line) ||
    QUOTE.test(line) || RULE.test(line);
}

function blocks(lines: string[], depth = 0): Child[] {
  const out: Child[] = [];
  if (depth > MAX_DEPTH) return [jsx("p", null, ...withBreaks(lines.filter((l) => l.trim())))];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m: RegExpMatchArray | null;
    if (!line.trim()) {
      i++;
    } else if ((m = line.match(FENCE))) {
      const [fence, lang] = [m[1], m[2]];
      const body: string[] = [];
      for (i++; i < lines.length; i++) {
        const close = lines[i].trim();
        if (close.startsWith(fence) && close.replace(fence[0] === "`" ? /`/g : /~/g, "") === "") {
          i++;
          break;
        }
        body.push(lines[i]);
      }
      const code = jsx("code", lang ? { class: `language-${lang}` } : null, body.join("\n"));
      out.push(jsx("pre", null, code));
    } else if (RULE.test(line)) {
      out.push(jsx("hr", null));
      i++;
    } else if ((m = line.match(HEADING))) {
      out.push(jsx(`h${Math.min(m[1].length + 2, 6)}`, null, ...inline(m[2])));
      i++;
    } else if (QUOTE.test(line)) {
      const quoted: string[] = [];
      for (; i < lines.length && (m = lines[i].match(QUOTE)); i++) quoted.push(m[1]);
      out.push(jsx("blockquote", null, ...blocks(quoted, depth + 1)));
    } else if (BULLET.test(line) || ORDERED.test(line)) {
      i = list(lines, i, out, depth);
    } else {
      const para: string[] = [];
      for (
        ;
        i < lines.length && lines[i].trim() && (!para.length || !isBlockStart(lines[i]));
        i++
      ) {
        para.push(lines[i].trim());
      }
      out.push(jsx("p", null, ...withBreaks(para)));
    }
  }
  return out;
}

/** A run of list items of one kind; deeper-indented lines belong to the item above. */
function list(lines: string[], start: number, out: Child[], depth: number): number {
  const first = lines[start].match(BULLET) ?? lines[start].match(ORDERED)!;
  const ordered = !BULLET.test(lines[start]);
  const indent = first[1].length;
  const items: string[][] = [];
  let i = start;
  while (i < lines.length) {
    const line = lines[i];
    const m = line.match(ordered ? ORDERED : BULLET);
    if (m && m[1].length === indent) {
      items.push([m[3]]);
    } else if (line.trim() && leading(line) > indent && items.length) {
      items[items.length - 1].push(line.slice(Math.min(leading(line), indent + 2)));
    } else if (!line.trim() && i + 1 < lines.length && leading(lines[i + 1]) > indent) {
      items[items.length - 1].push("");
    } else break;
    i++;
  }
  const lis = items.map((item) => {
    // The item's first lines are its text (no <p>: lists stay tight); the rest are blocks.
    let k = 0;
    while (k < item.length && item[k].trim() && (k === 0 || !isBlockStart(item[k]))) k++;
    const text = item.slice(0, k).map((l) => l.trim());
    return jsx("li", null, ...withBreaks(text), ...blocks(item.slice(k), depth + 1));
  });
  const n = ordered ? Number(first[2]) : 1;
  out.push(jsx(ordered ? "ol" : "ul", ordered && n !== 1 ? { start: n } : null, ...lis));
  return i;
}

function leading(line: string): number {
  return line.length - line.trimStart().length;
}

function withBreaks(lines: string[]): Child[] {
  return lines.flatMap((l, k) => k === 0 ? inline(l) : [jsx("br", null), ...inline(l)]);
}

const WORD = /[\p{L}\p{N}]/u;
const SAFE_URL = /^(https?:\/\/|mailto:)[^\s()]+$/i;
const AUTOLINK = /https?:\/\/[^\s<>"'`]+/y;

/**
 * Inline spans of one line. Linear in practice: every closing-delimiter search goes through a
 * per-delimiter cache (a later search from inside a known gap reuses its answer), so runs of
 * unmatched `*`, `` ` `` or `[` do not rescan the rest of the line.
 */
export function inline(text: string, links = true, depth = 0): Child[] {
  if (depth > MAX_DEPTH) return [text];
  const out: Child[] = [];
  let plain = "";
  const seen = new Map<string, { from: number; at: number }>();
  const close = (delim: string, from: number): number => {
    const c = seen.get(delim);
    if (c && from >= c.from && (c.at < 0 || from <= c.at)) return c.at;
    let at = text.indexOf(delim, from);
    // `_` never closes inside a word (CommonMark): skip a `_`/`__` followed by a letter or digit.
    while (delim[0] === "_" && at >= 0 && WORD.test(text[at + delim.length] ?? "")) {
      at = text.indexOf(delim, at + 1);
    }
    seen.set(delim, { from, at });
    return at;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    let node: Child = null;
    let next = i + 1;
    if (c === "\\" && /[\\`*_~[\]()#+\-.!>]/.test(text[i + 1] ?? "")) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "`") {
      let n = 1;
      while (text[i + n] === "`") n++;
      const run = "`".repeat(n);
      let end = close(run, i + n);
      while (end >= 0 && text[end + n] === "`") { // a longer run does not close this one
        let k = end;
        while (text[k] === "`") k++;
        end = close(run, k);
      }
      if (end < 0) {
        plain += run;
        i += n;
        continue;
      }
      const code = text.slice(i + n, end);
      [node, next] = [jsx("code", null, code.replace(/^ (.+) $/, "$1")), end + n];
    } else if (c === "*" || c === "_" || c === "~") {
      const double = text[i + 1] === c;
      const delim = double ? c + c : c;
      const wordish = c === "_" && i > 0 && WORD.test(text[i - 1]);
      let end = c === "~" && !double || wordish ? -1 : close(delim, i + delim.length);
      if (double && end >= 0 && text[end + 2] === c) end++; // ***x*** closes on the last two
      const body = end > i + delim.length ? text.slice(i + delim.length, end) : "";
      if (body && body.trim() === body && !(delim.length === 1 && text[end + 1] === c)) {
        const tag = c === "~" ? "del" : double ? "strong" : "em";
        [node, next] = [jsx(tag, null, ...inline(body, links, depth + 1)), end + delim.length];
      }
    } else if (c === "[" && links) {
      const mid = close("](", i + 1);
      const end = mid < 0 ? -1 : close(")", mid + 2);
      const label = mid < 0 ? "" : text.slice(i + 1, mid);
      const url = end < 0 ? "" : text.slice(mid + 2, end).trim();
      if (label && !label.includes("[") && SAFE_URL.test(url)) {
        [node, next] = [link(url, inline(label, false, depth + 1)), end + 1];
      }
    } else if (c === "h" && links && (i === 0 || /\W/.test(text[i - 1]))) {
      AUTOLINK.lastIndex = i;
      const url = AUTOLINK.exec(text)?.[0].replace(/[.,;:!?)\]]+$/, "");
      if (url) [node, next] = [link(url, [url]), i + url.length];
    }
    if (node) {
      if (plain) out.push(plain);
      plain = "";
      out.push(node);
      i = next;
    } else {
      plain += c;
      i++;
    }
  }
  if (plain) out.push(plain);
  return out;
}

function link(href: string, children: Child[]): JSXNode {
  return jsx("a", { href, rel: "noopener noreferrer nofollow", target: "_blank" }, ...children);
}
