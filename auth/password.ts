/**
 * Argon2id password hashing with hash-wasm (its WASM is embedded as base64 in the JS: no file
 * read, no native addon, so it works inside `deno compile`). PHC strings, so the parameters live
 * with each hash and can change later (needsRehash). Run it in the worker pool, never on the
 * server's event loop (password_pool.ts says why).
 */
import { argon2id } from "hash-wasm";

export interface Argon2Params {
  /** memory in KiB (hash-wasm's `memorySize`) */
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet, 2nd option: m=19 MiB, t=2, p=1 (~75–100 ms here). */
export const DEFAULT_PARAMS: Argon2Params = { memoryKiB: 19456, iterations: 2, parallelism: 1 };

const SALT_BYTES = 16;
const HASH_BYTES = 32;
// Upper bounds accepted when parsing a stored hash: a tampered or corrupt row must not be able
// to make one verify allocate gigabytes or spin for minutes.
const MAX_MEMORY_KIB = 262_144;
const MAX_ITERATIONS = 16;
const MAX_PARALLELISM = 8;

export async function hashPassword(
  password: string,
  params: Argon2Params = DEFAULT_PARAMS,
): Promise<string> {
  return await argon2id({
    password: encodePassword(password),
    salt: crypto.getRandomValues(new Uint8Array(SALT_BYTES)),
    memorySize: params.memoryKiB,
    iterations: params.iterations,
    parallelism: params.parallelism,
    hashLength: HASH_BYTES,
    outputType: "encoded", // PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash
  });
}

/**
 * Recomputes the hash with the stored salt and parameters and compares in constant time.
 * (hash-wasm's own argon2Verify compares the base64 tails with `===`, which is not constant
 * time; harmless in practice because the attacker does not know the salt, but cheap to avoid.)
 * Returns false for a malformed stored hash instead of throwing.
 */
export async function verifyPassword(
  password: string,
  stored: string,
): Promise<boolean> {
  const phc = parsePhc(stored);
  if (!phc) return false;
  const actual = await argon2id({
    password: encodePassword(password),
    salt: phc.salt,
    memorySize: phc.params.memoryKiB,
    iterations: phc.params.iterations,
    parallelism: phc.params.parallelism,
    hashLength: phc.hash.length,
    outputType: "binary",
  });
  return constantTimeEqual(actual, phc.hash);
}

/** True when a stored hash was made with other parameters: rehash after a successful sign-in. */
export function needsRehash(stored: string, params: Argon2Params = DEFAULT_PARAMS): boolean {
  const phc = parsePhc(stored);
  return !phc || phc.params.memoryKiB !== params.memoryKiB ||
    phc.params.iterations !== params.iterations || phc.params.parallelism !== params.parallelism;
}

const PHC =
  /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{11,})$/;

export function parsePhc(
  stored: string,
): { params: Argon2Params; salt: Uint8Array; hash: Uint8Array } | null {
  const m = PHC.exec(stored);
  if (!m) return null;
  const params = { memoryKiB: +m[1], iterations: +m[2], parallelism: +m[3] };
  if (
    params.memoryKiB > MAX_MEMORY_KIB || params.iterations < 1 ||
    params.iterations > MAX_ITERATIONS || params.parallelism < 1 ||
    params.parallelism > MAX_PARALLELISM || params.memoryKiB < 8 * params.parallelism
  ) return null;
  const salt = decodeB64(m[4]);
  const hash = decodeB64(m[5]);
  if (!salt || !hash || salt.length < 8 || hash.length < 16) return null;
  return { params, salt, hash };
}

function decodeB64(unpadded: string): Uint8Array | null {
  try {
    const padded = unpadded + "=".repeat((4 - unpadded.length % 4) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * UTF-8 with NFC normalisation, so the same password typed on two keyboards matches. hash-wasm
 * would turn a lone surrogate into U+FFFD silently; callers reject such input (and NUL, and
 * anything over MAX_PASSWORD_BYTES) before hashing with a clear 400.
 */
function encodePassword(password: string): Uint8Array {
  return new TextEncoder().encode(password.normalize("NFC"));
}

/** Longer passwords are refused: nobody types more, and it bounds the work per attempt. */
export const MAX_PASSWORD_BYTES = 1024;

/** Reject at the edge: empty, too long, NUL, lone surrogates. Returns an error message or null. */
export function passwordInputError(password: string): string | null {
  if (password.length === 0) return "Password must not be empty.";
  if (!password.isWellFormed()) return "Password contains invalid characters.";
  if (password.includes("\0")) return "Password contains invalid characters.";
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) {
    return "Password is too long.";
  }
  return null;
}
