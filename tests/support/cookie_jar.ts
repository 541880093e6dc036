/**
 * The smallest cookie jar a browserless sign-in needs: one origin per cookie (no Domain
 * sharing), Path prefix matching, Max-Age/Expires deletion. oidc-provider scopes its interaction
 * cookies by Path (/interaction/<uid>, /auth/<uid>), and Glassbox its gb_oidc cookie, so Path
 * matters.
 */
export class CookieJar {
  readonly #cookies = new Map<
    string,
    { origin: string; path: string; name: string; value: string }
  >();

  store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.replace(/\/[^/]*$/, "") || "/";
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ""] = attr.split("=");
        if (k.toLowerCase() === "path") path = v || "/";
        if (k.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === "expires" && Date.parse(v) <= Date.now()) expired = true;
      }
      const key = `${url.origin} ${path} ${name}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { origin: url.origin, path, name, value });
    }
  }

  header(url: URL): string {
    return [...this.#cookies.values()]
      .filter((c) => c.origin === url.origin && pathMatches(url.pathname, c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
  }

  /** The value of a cookie this jar holds for the origin, by name. */
  get(origin: string, name: string): string | undefined {
    return [...this.#cookies.values()].find((c) => c.origin === origin && c.name === name)?.value;
  }

  /** A browser-like GET/POST without following redirects. */
  async fetch(url: URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header(url);
    if (cookie) headers.set("cookie", cookie);
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    this.store(url, res);
    return res;
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  return requestPath === cookiePath ||
    requestPath.startsWith(cookiePath.endsWith("/") ? cookiePath : cookiePath + "/");
}
