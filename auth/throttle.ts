/**
 * Failed-sign-in throttling: one token bucket per account and one per client IP, in memory. A
 * failure spends a token from both; an attempt is refused (before any argon2 work) while either
 * bucket is empty. In memory because Glassbox is one process: nothing to write per attempt, and a
 * restart (which an attacker cannot cause) forgets the streaks. Failed sign-ins are audited too.
 */

export interface BucketPolicy {
  /** attempts allowed in a burst */
  capacity: number;
  /** one token comes back every refillMs */
  refillMs: number;
}

export const ACCOUNT_POLICY: BucketPolicy = { capacity: 5, refillMs: 60_000 }; // 5, then 1/min
export const IP_POLICY: BucketPolicy = { capacity: 20, refillMs: 6_000 }; // 20, then 10/min

interface Bucket {
  tokens: number;
  at: number;
}

export class Throttle {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly policy: BucketPolicy,
    readonly maxKeys = 100_000,
    readonly now: () => number = Date.now,
  ) {}

  /** ms until an attempt for this key is allowed; 0 = allowed now */
  retryAfterMs(key: string): number {
    const b = this.#refill(key);
    return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) * this.policy.refillMs);
  }

  recordFailure(key: string): void {
    const b = this.#refill(key);
    b.tokens = Math.max(0, b.tokens - 1);
    this.#buckets.delete(key); // re-insert: Map order = least recently failed first
    this.#buckets.set(key, b);
    if (this.#buckets.size > this.maxKeys) {
      // bounded memory under a spray of distinct keys: forget the oldest failure streaks
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
  }

  /** a successful sign-in clears the account's streak (never the IP's) */
  reset(key: string): void {
    this.#buckets.delete(key);
  }

  #refill(key: string): Bucket {
    const now = this.now();
    const b = this.#buckets.get(key) ?? { tokens: this.policy.capacity, at: now };
    b.tokens = Math.min(this.policy.capacity, b.tokens + (now - b.at) / this.policy.refillMs);
    b.at = now;
    return b;
  }
}

/** The sign-in gate: account key is the normalised email submitted, whether or not it exists. */
export class SignInThrottle {
  readonly accounts: Throttle;
  readonly ips: Throttle;

  constructor(now: () => number = Date.now) {
    this.accounts = new Throttle(ACCOUNT_POLICY, 100_000, now);
    this.ips = new Throttle(IP_POLICY, 100_000, now);
  }

  /** 0 = go ahead and verify the password; otherwise answer 429 with Retry-After */
  retryAfterMs(email: string, ip: string): number {
    return Math.max(this.accounts.retryAfterMs(accountKey(email)), this.ips.retryAfterMs(ip));
  }

  failed(email: string, ip: string): void {
    this.accounts.recordFailure(accountKey(email));
    this.ips.recordFailure(ip);
  }

  succeeded(email: string): void {
    this.accounts.reset(accountKey(email));
  }
}

function accountKey(email: string): string {
  return email.trim().toLowerCase();
}
