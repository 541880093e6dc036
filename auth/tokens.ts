/**
 * Session ids and API keys: random secrets the server stores only as SHA-256 digests, so a leaked
 * database (or backup, or log of a query) cannot be replayed. Random secrets of 190+ bits need no
 * slow hash or pepper: there is nothing to brute-force.
 */

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A new session token for the cookie (43 chars base64url = 256 bits) and its stored digest. */
export async function newSessionToken(): Promise<{ token: string; digest: Uint8Array }> {
  const token = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { token, digest: await sha256(token) };
}

/** Digest to look a cookie value up by; null for anything that is not a well-formed token. */
export async function sessionDigest(cookieValue: string | undefined): Promise<Uint8Array | null> {
  if (!cookieValue || !/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) return null;
  return await sha256(cookieValue);
}

/**
 * API key: `gb_live_<id>_<secret>`. The id (12 base62 chars, ~71 bits) is public: stored in
 * clear, unique-indexed, shown in lists ("gb_live_3fK9…"). The secret (32 base62 chars,
 * ~190 bits) is shown once; only SHA-256(secret) is stored. The fixed prefix lets secret
 * scanners and log redaction recognise a key.
 */
export async function newApiKey(): Promise<{ key: string; id: string; digest: Uint8Array }> {
  const id = randomBase62(12);
  const secret = randomBase62(32);
  return { key: `gb_live_${id}_${secret}`, id, digest: await sha256(secret) };
}

export async function parseApiKey(
  presented: string,
): Promise<{ id: string; digest: Uint8Array } | null> {
  const m = /^gb_live_([0-9A-Za-z]{12})_([0-9A-Za-z]{32})$/.exec(presented);
  return m ? { id: m[1], digest: await sha256(m[2]) } : null;
}

/** Compare a presented digest with the stored one without an early exit. */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Redacts API keys (their secret half) from anything about to be logged. */
export function redactSecrets(text: string): string {
  return text.replace(/gb_live_([0-9A-Za-z]{12})_[0-9A-Za-z]{32}/g, "gb_live_$1_…");
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function randomBase62(length: number): string {
  // rejection sampling: 62 does not divide 256, so bytes >= 248 are redrawn (no modulo bias)
  let out = "";
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 248 && out.length < length) out += B62[b % 62];
    }
  }
  return out;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}
