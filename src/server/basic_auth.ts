/**
 * HTTP basic authentication against the bcrypt hashes of a web config's
 * `basic_auth_users`, with the same caching and decoy behaviour as upstream.
 */
import bcrypt from "bcryptjs";

export interface BasicAuth {
  /** True when the request carries credentials of a configured user. */
  check(request: Request): Promise<boolean>;
}

/**
 * Upper bound on remembered successes. Only correct passwords get cached, so
 * this is reached only if passwords change often; clearing then is harmless.
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
 */
export function createBasicAuth(users: Readonly<Record<string, string>>): BasicAuth {
  const hashes = new Map(Object.entries(users));
  const verified = new Set<string>();
  let decoy: Promise<string> | undefined;
  const decoyHash = () => {
    // Lazy, so configs without unknown-user traffic never pay for it; the cost
    // matches the slowest real hash so both paths take as long.
    decoy ??= bcrypt.hash(crypto.randomUUID(), maxCost(hashes.values()));
    return decoy;
  };

  return {
    async check(request: Request): Promise<boolean> {
      const credentials = parseBasic(request.headers.get("authorization"));
      if (credentials === undefined) return false;
      const { user, password } = credentials;
      const hash = hashes.get(user);
      if (hash === undefined) {
        await bcrypt.compare(password, await decoyHash());
        return false;
      }
      const key = await cacheKey(user, password, hash);
      if (verified.has(key)) return true;
      if (!await bcrypt.compare(password, hash)) return false;
      if (verified.size >= MAX_CACHE_ENTRIES) verified.clear();
      verified.add(key);
      return true;
    },
  };
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
