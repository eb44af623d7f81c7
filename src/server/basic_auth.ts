/**
 * HTTP basic authentication against the bcrypt hashes of a web config's
 * `basic_auth_users`, with the same caching and decoy behaviour as upstream,
 * and with bcrypt's CPU bounded so failed logins cannot starve other clients.
 */
import bcrypt from "bcryptjs";
import { OnDemandWorker, WorkerUnavailableError } from "../worker.ts";
import type { BcryptRequest } from "./_bcrypt_worker.ts";

export interface BasicAuth {
  /** True when the request carries credentials of a configured user. */
  check(request: Request): Promise<boolean>;
  /** What bounded the work so far (tests, logs). */
  readonly stats: AuthStats;
}

export interface AuthStats {
  /** bcrypt computations run. */
  bcrypt: number;
  /** Refused without bcrypt: the same wrong credentials again. */
  cachedFailures: number;
  /** Refused without bcrypt: the queue was full. */
  shed: number;
}

export interface BasicAuthOptions {
  /** bcrypt computations at once, in the worker. @default 1 */
  readonly concurrency?: number;
  /** Checks waiting for bcrypt; past it a check fails at once. @default 16 */
  readonly maxQueued?: number;
  /** Off the main thread; false runs bcrypt in-process (still bounded). @default true */
  readonly worker?: boolean;
  /**
   * How long the worker outlives its last job: starting one blocks the main thread
   * ~25 ms (measured), so a burst must not start one per wave. @default 5_000
   */
  readonly workerIdleMs?: number;
  /** Aborting stops the worker (the listener is closing). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Upper bound on remembered successes and failures. Only correct passwords
 * get cached as successes, so that one is reached only if passwords change
 * often; clearing then is harmless.
 */
const MAX_CACHE_ENTRIES = 1024;

/**
 * Builds a checker for `users` (user name to `$2a$`/`$2b$`/`$2y$` hash).
 *
 * bcrypt costs ~50-100 ms at cost 10, which a Prometheus scraping every 15 s
 * would pay on every scrape, so successful verifications are remembered under
 * a SHA-256 of (user, password, hash): the plaintext is never kept, and a
 * changed hash invalidates the entry. Unknown users still pay one compare
 * against a decoy hash of the same cost, so response time does not reveal
 * which user names exist.
 *
 * Measured before the bounds: 400 wrong passwords, 200 at once, cost 37 s of
 * main-thread CPU and delayed every reply by up to 19 s. Now bcrypt runs in a
 * worker, `concurrency` at a time; at most `maxQueued` checks wait (the rest
 * fail at once), and recent failures are remembered like successes, so
 * repeating a wrong password costs a hash lookup.
 */
export function createBasicAuth(
  users: Readonly<Record<string, string>>,
  options: BasicAuthOptions = {},
): BasicAuth {
  const hashes = new Map(Object.entries(users));
  const verified = new Set<string>();
  const failed = new Set<string>();
  const stats: AuthStats = { bcrypt: 0, cachedFailures: 0, shed: 0 };
  const pool = new BcryptPool(options, stats);
  let decoy: Promise<string | undefined> | undefined;
  const decoyHash = () => {
    // Lazy, so configs without unknown-user traffic never pay for it; the cost
    // matches the slowest real hash so both paths take as long.
    decoy ??= pool.hash(crypto.randomUUID(), maxCost(hashes.values())).then((h) => {
      if (typeof h !== "string") decoy = undefined; // shed: try again next time
      return h;
    });
    return decoy;
  };
  const remember = (set: Set<string>, key: string) => {
    if (set.size >= MAX_CACHE_ENTRIES) set.clear();
    set.add(key);
  };

  return {
    stats,
    async check(request: Request): Promise<boolean> {
      const credentials = parseBasic(request.headers.get("authorization"));
      if (credentials === undefined) return false;
      const { user, password } = credentials;
      const hash = hashes.get(user);
      const key = await cacheKey(user, password, hash ?? "");
      if (verified.has(key)) return true;
      if (failed.has(key)) {
        stats.cachedFailures++;
        return false;
      }
      if (hash === undefined) {
        const dh = await decoyHash();
        if (typeof dh === "string" && await pool.compare(password, dh) !== undefined) {
          remember(failed, key);
        }
        return false;
      }
      const ok = await pool.compare(password, hash);
      if (ok === undefined) return false; // shed
      remember(ok ? verified : failed, key);
      return ok;
    },
  };
}

/**
 * bcrypt behind a bounded queue, in a worker started on demand and stopped
 * once idle (no thread left behind between bursts).
 */
class BcryptPool {
  readonly #concurrency: number;
  readonly #maxQueued: number;
  readonly #stats: AuthStats;
  readonly #queue: { req: BcryptRequest; resolve: (v: unknown) => void }[] = [];
  #running = 0;
  readonly #worker: OnDemandWorker<BcryptRequest, boolean | string> | undefined;

  constructor(options: BasicAuthOptions, stats: AuthStats) {
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#maxQueued = Math.max(0, options.maxQueued ?? 16);
    this.#stats = stats;
    this.#worker = (options.worker ?? true)
      ? new OnDemandWorker(new URL("./_bcrypt_worker.ts", import.meta.url), {
        idleMs: options.workerIdleMs ?? 5_000,
        ...(options.signal ? { signal: options.signal } : {}),
      })
      : undefined;
  }

  /** The comparison, or undefined when shed. */
  async compare(password: string, hash: string): Promise<boolean | undefined> {
    const r = await this.#submit({ op: "compare", password, hash });
    return typeof r === "boolean" ? r : undefined;
  }

  /** A hash, or undefined when shed. */
  async hash(password: string, cost: number): Promise<string | undefined> {
    const r = await this.#submit({ op: "hash", password, cost });
    return typeof r === "string" ? r : undefined;
  }

  #submit(req: BcryptRequest): Promise<unknown> {
    if (this.#running >= this.#concurrency && this.#queue.length >= this.#maxQueued) {
      this.#stats.shed++;
      return Promise.resolve(undefined);
    }
    const { promise, resolve } = Promise.withResolvers<unknown>();
    this.#queue.push({ req, resolve });
    this.#drain();
    return promise;
  }

  #drain(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const { req, resolve } = this.#queue.shift()!;
      this.#running++;
      this.#stats.bcrypt++;
      this.#run(req).then(resolve, () => resolve(false)).finally(() => {
        this.#running--;
        this.#drain();
      });
    }
  }

  async #run(req: BcryptRequest): Promise<unknown> {
    if (this.#worker?.available) {
      try {
        return await this.#worker.run(req);
      } catch (err) {
        // Not loadable (a binary without it embedded) or stopping: in-process from now on.
        if (!(err instanceof WorkerUnavailableError)) throw err;
      }
    }
    // In-process: bcryptjs's async mode yields between rounds, but each slice blocks.
    return req.op === "compare"
      ? await bcrypt.compare(req.password, req.hash ?? "")
      : await bcrypt.hash(req.password, req.cost ?? 10);
  }
}

/** The response upstream sends on failed authentication. */
export function unauthorized(): Response {
  return new Response("Unauthorized\n", {
    status: 401,
    headers: { "WWW-Authenticate": "Basic", "Content-Type": "text/plain; charset=utf-8" },
  });
}

function parseBasic(header: string | null): { user: string; password: string } | undefined {
  const match = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!match) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.fromBase64(match[1]!));
  } catch {
    return undefined; // not base64, or not UTF-8
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function cacheKey(user: string, password: string, hash: string): Promise<string> {
  // Length-prefix each part so ("a:b", "c") and ("a", "b:c") cannot collide.
  const material = [user, password, hash].map((p) => `${p.length}:${p}`).join("");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(material));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function maxCost(hashes: Iterable<string>): number {
  let cost = 4; // bcrypt's minimum
  for (const hash of hashes) {
    const rounds = bcrypt.getRounds(hash);
    if (Number.isFinite(rounds) && rounds > cost) cost = rounds;
  }
  return cost;
}
