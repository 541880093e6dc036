/**
 * Browser tests: the system Chromium driven by puppeteer-core (never a downloaded browser).
 * Outside CI a missing Chromium skips the tests that need it, saying why; under CI=true it fails.
 *
 *   Deno.test({ name: "…", ignore: !chromiumAvailable(), fn: async () => {
 *     const browser = await launchBrowser();
 *     try { … } finally { await browser.close(); }
 *   }});
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";

export type { Browser, Page };

export const IN_CI = Deno.env.get("CI") === "true";
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") || "/usr/bin/chromium";

/** Exactly the flags from STACK_NOTES; `--user-data-dir` is added per launch. */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where screenshot() writes: <repo>/test-artifacts/screenshots/. */
export const SCREENSHOT_DIR = new URL("../../test-artifacts/screenshots/", import.meta.url);

let available: boolean | undefined;

/**
 * Whether CHROMIUM_PATH is an executable file. Use as `ignore: !chromiumAvailable()`; when it is
 * missing it prints why once, and under CI=true it throws instead of skipping.
 */
export function chromiumAvailable(): boolean {
  const why = `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set ` +
    `CHROMIUM_PATH)`;
  if (available === undefined) {
    available = isExecutable(CHROMIUM_PATH);
    if (!available && !IN_CI) console.warn(`skipping browser tests: ${why}`);
  }
  if (!available && IN_CI) throw new Error(`CI=true but ${why}`);
  return available;
}

function isExecutable(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && (st.mode === null || (st.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

/**
 * Launches headless Chromium with a fresh profile in a temporary directory. `browser.close()`
 * also removes that directory. Puppeteer's default flags and signal handlers are not used.
 */
export async function launchBrowser(opts: { timeoutMs?: number } = {}): Promise<Browser> {
  if (!chromiumAvailable()) {
    throw new Error(`Chromium is not available at ${CHROMIUM_PATH}`);
  }
  const userDataDir = await Deno.makeTempDir({ prefix: "glassbox-chromium-" });
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      ignoreDefaultArgs: true,
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`],
      timeout: opts.timeoutMs ?? 30_000,
      // Signal listeners would outlive the test (and belong to the test runner, not to us).
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    await removeDir(userDataDir);
    throw error;
  }
  const close = browser.close.bind(browser);
  let closing: Promise<void> | undefined;
  browser.close = () =>
    closing ??= (async () => {
      try {
        await close();
      } finally {
        await removeDir(userDataDir);
      }
    })();
  return browser;
}

/** Chromium may still be flushing its profile for a moment after exit: retry briefly. */
async function removeDir(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await Deno.remove(dir, { recursive: true });
      return;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Saves a full-page PNG as test-artifacts/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "") || "screenshot";
  const file = new URL(safe.endsWith(".png") ? safe : `${safe}.png`, SCREENSHOT_DIR);
  const png = await page.screenshot({ type: "png", fullPage: true });
  await Deno.writeFile(file, png);
  return file.pathname;
}
