/**
 * Model answers as Markdown, rendered by npm markdown-it: CommonMark with GFM tables and
 * strikethrough, a newline is a line break, bare http(s) URLs become links.
 *
 * Safety (model output is untrusted):
 * - raw HTML is off: `<script>`, `<img onerror>`, `hx-*` attributes and the like stay text;
 * - links (and autolinks) only to http:, https:, mailto: or a relative URL on this site, checked
 *   after markdown-it has decoded entities and escapes (so `&#106;avascript:` is caught), with
 *   rel="noopener noreferrer nofollow" and target="_blank"; anything else stays text;
 * - images never load: `![alt](url)` renders as a link to the url, its text the alt (just the alt
 *   inside another link);
 * - a fence's info string only names a language (`[\w+#.-]`), as the code's class.
 * Headings move down two levels (# → h3), so an answer never outranks the page's own headings.
 *
 * renderMarkdown is the one place in Glassbox that inserts HTML unescaped (hono's raw()).
 */
import MarkdownIt from "markdown-it";
import { raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
// Bare links: only what starts with http:// or https://.
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false })
  .add("ftp:", null).add("//", null).add("mailto:", null);

const SCHEME = /^([a-z][a-z0-9+.-]*):/;
const LINK_SCHEMES = new Set(["http", "https", "mailto"]);

/** Called with the URL as markdown-it will write it (entities decoded, then percent-encoded). */
md.validateLink = (url: string): boolean => {
  // Browsers ignore ASCII whitespace and control characters inside a scheme.
  const u = url.replace(/[\p{Cc} ]/gu, "").toLowerCase();
  const scheme = SCHEME.exec(u)?.[1];
  if (scheme !== undefined) return LINK_SCHEMES.has(scheme);
  // Relative: on this site, so not "//host", and no colon before the path (no scheme lookalike).
  return !u.startsWith("//") && !/^[^/?#]*:/.test(u);
};

const LINK_REL = "noopener noreferrer nofollow";

md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  tokens[idx].attrSet("rel", LINK_REL);
  tokens[idx].attrSet("target", "_blank");
  return self.renderToken(tokens, idx, options);
};

md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const alt = self.renderInlineAsText(tokens[idx].children ?? [], options, env);
  const src = String(tokens[idx].attrGet("src") ?? "");
  const esc = md.utils.escapeHtml;
  if (insideLink(tokens, idx)) return esc(alt);
  return `<a href="${esc(src)}" rel="${LINK_REL}" target="_blank">${esc(alt || src)}</a>`;
};

function insideLink(tokens: { type: string }[], idx: number): boolean {
  let depth = 0;
  for (let i = 0; i < idx; i++) {
    if (tokens[i].type === "link_open") depth++;
    else if (tokens[i].type === "link_close") depth--;
  }
  return depth > 0;
}

md.core.ruler.push("glassbox_headings_and_fences", (state) => {
  for (const t of state.tokens) {
    if (t.type === "heading_open" || t.type === "heading_close") {
      t.tag = `h${Math.min(Number(t.tag.slice(1)) + 2, 6)}`;
    } else if (t.type === "fence") {
      t.info = /^[\w+#.-]*/.exec(t.info.trim())![0];
    }
  }
});

/** The answer as Markdown, wrapped in `<div class="md">`. */
export function renderMarkdown(source: string): HtmlEscapedString {
  return raw(`<div class="md">${md.render(source)}</div>`);
}
