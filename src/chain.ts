/**
 * Certificate chains, resolved at sync time: for each certificate of a bundle,
 * its issuer is looked up in the same bundle, then the same source, then the
 * trust roots (configured files and the system's), by name, and the signature
 * is checked with the issuer's key. The path ends at a trust anchor: a root of
 * the trust store, or a self-signed CA certificate of the same source (the
 * operator pointed the exporter at it).
 *
 * Signature checks are WebCrypto calls, which run off the main thread (a P-256
 * check costs ~0.3 ms of CPU): a bundle's chains are ready shortly after the
 * bundle itself, and a certificate checked once under an issuer key is never
 * checked again (its signed bytes are then dropped). Results are kept per bundle
 * and read by the metrics and the status page; nothing is resolved at scrape time.
 */
import { canIssue, type Verdict, Verifier } from "./_chain_verify.ts";
import type { Bundle, Certificate, SourceId } from "./bundle.ts";
import { Interner, same } from "./intern.ts";
import type { CertificateCache } from "./parse/cert_cache.ts";
import type { DecodeLimits } from "./parse/limits.ts";

/** Why a chain does not verify; the expiry reasons depend on the clock ({@link chainProblem}). */
export type ChainReason =
  | "issuer_not_found"
  | "bad_signature"
  | "self_signed"
  | "unsupported_algorithm"
  | "unverifiable"
  | "too_long"
  | "expired_intermediate"
  | "expired_root";

/** The chain of one certificate in one bundle. */
export interface ChainState {
  /** The issuers from the certificate up, nearest first; the last is the anchor when anchored. */
  readonly path: readonly Certificate[];
  /** Every signature checked up to a trust anchor. */
  readonly anchored: boolean;
  /** Where the anchor came from. */
  readonly anchor?: "roots" | "source";
  /** Why the path stops short of an anchor. */
  readonly reason?: ChainReason;
  readonly message?: string;
  /** Earliest notAfter of the issuers (Infinity when there are none). */
  readonly issuersNotAfter: number;
  /** Earliest notAfter along the path, the certificate's own included: `x509_cert_chain_not_after`. */
  readonly notAfter: number;
}

/** `x509_cert_chain_verified` at `now` (seconds): anchored, and no issuer expired. */
export function chainVerified(state: ChainState, now: number): 0 | 1 {
  return state.anchored && now <= state.issuersNotAfter ? 1 : 0;
}

/** What is wrong with a chain at `now` (seconds), if anything. */
export function chainProblem(
  state: ChainState,
  now: number,
): { reason: ChainReason; message: string } | undefined {
  if (state.reason) return { reason: state.reason, message: state.message ?? "" };
  const expired = state.path.find((c) => now > c.notAfter);
  if (!expired) return undefined;
  const root = expired === state.path.at(-1) && state.anchored;
  return {
    reason: root ? "expired_root" : "expired_intermediate",
    message: `${nameOf(expired)} expired ${new Date(expired.notAfter * 1000).toISOString()}`,
  };
}

function nameOf(cert: Certificate): string {
  const s = cert.subject;
  return s.CN ?? ([s.O, s.OU].filter(Boolean).join(" / ") || cert.fingerprint.slice(0, 16));
}

/** Paths longer than this are refused (loops of cross-signed CAs are cut anyway). */
const MAX_DEPTH = 8;
/** Standard system trust stores: the first that exists is read (`metrics.chainSystemRoots`). */
export const SYSTEM_ROOT_FILES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/cert.pem",
];

/** Certificates by subject, counted per bundle that holds them. */
class SubjectIndex {
  readonly #bySubject = new Map<string, Map<Certificate, number>>();

  /** Returns true when `cert` is new to the index. */
  add(cert: Certificate): boolean {
    const key = cert.subjectKey;
    if (key === undefined) return false;
    let certs = this.#bySubject.get(key);
    if (!certs) this.#bySubject.set(key, certs = new Map());
    const n = certs.get(cert) ?? 0;
    certs.set(cert, n + 1);
    return n === 0;
  }

  /** Returns true when the last holder of `cert` went. */
  remove(cert: Certificate): boolean {
    const key = cert.subjectKey;
    const certs = key === undefined ? undefined : this.#bySubject.get(key);
    const n = certs?.get(cert);
    if (!certs || n === undefined) return false;
    if (n > 1) {
      certs.set(cert, n - 1);
      return false;
    }
    certs.delete(cert);
    if (certs.size === 0) this.#bySubject.delete(key!);
    return true;
  }

  get(subjectKey: string): Iterable<Certificate> {
    return this.#bySubject.get(subjectKey)?.keys() ?? [];
  }
}

function certsOf(bundle: Bundle): Certificate[] {
  const out: Certificate[] = [];
  for (const item of bundle.items) if (item.kind === "cert") out.push(item.cert);
  return out;
}

/** What a resolution looked at, so it is redone when one of those changes. */
interface Registration {
  /** Issuer names it did not find or could not verify. */
  readonly waiting: readonly string[];
  /** Issuers of the source it used. */
  readonly used: readonly Certificate[];
}

interface SourceChains {
  readonly index: SubjectIndex;
  readonly bundles: Map<string, Bundle>;
  readonly waiting: Map<string, Set<Bundle>>;
  readonly usedBy: Map<Certificate, Set<Bundle>>;
  readonly registrations: WeakMap<Bundle, Registration>;
}

export interface ChainsOptions {
  /** Files of trusted roots (PEM or DER bundles). @default [] */
  readonly rootFiles?: readonly string[];
  /** Also trust the system's store (the first of {@link SYSTEM_ROOT_FILES} that exists). @default true */
  readonly systemRoots?: boolean;
  readonly limits: DecodeLimits;
}

/** Chains of every bundle the sink sees, kept current as bundles come and go. */
export class Chains {
  readonly #verifier: Verifier;
  readonly #roots = new SubjectIndex();
  readonly #rootSet = new Set<string>();
  readonly #sources = new Map<string, SourceChains>();
  readonly #states = new WeakMap<Bundle, readonly (ChainState | undefined)[]>();
  readonly #queue = new Map<Bundle, SourceChains>();
  #draining: Promise<void> | undefined;
  /** Moves whenever a bundle's chains change: the metrics body cache keys on it. */
  version = 0;
  /** Root files that could not be read, with why (shown on the status page). */
  readonly rootErrors: string[] = [];
  /** How many trust roots were loaded. */
  rootCount = 0;

  constructor(cache: CertificateCache) {
    this.#verifier = new Verifier(cache);
  }

  /** Builds the chains with the roots of `options` read. */
  static async create(cache: CertificateCache, options: ChainsOptions): Promise<Chains> {
    const chains = new Chains(cache);
    const files = [...(options.rootFiles ?? [])];
    if (options.systemRoots ?? true) {
      for (const f of SYSTEM_ROOT_FILES) {
        try {
          if ((await Deno.stat(f)).isFile) {
            files.push(f);
            break;
          }
        } catch { /* not on this host */ }
      }
    }
    const { decodeItems } = await import("./parse/decode.ts");
    for (const file of files) {
      try {
        const data = await Deno.readFile(file);
        const items = decodeItems(data, { cache, limits: options.limits, formats: ["pem", "der"] });
        const certs = items.flatMap((i) => (i.kind === "cert" ? [i.cert] : []));
        if (certs.length === 0) chains.rootErrors.push(`${file}: no certificate found`);
        for (const c of certs) chains.addRoot(c);
      } catch (err) {
        chains.rootErrors.push(`${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return chains;
  }

  /** Trusts `cert` as an anchor. */
  addRoot(cert: Certificate): void {
    if (this.#rootSet.has(cert.fingerprint)) return;
    this.#rootSet.add(cert.fingerprint);
    this.#roots.add(cert);
    this.rootCount++;
  }

  /** The chains of `bundle`'s items (undefined for non-certificates and while pending). */
  states(bundle: Bundle): readonly (ChainState | undefined)[] | undefined {
    return this.#states.get(bundle);
  }

  /** Resolves once every bundle seen so far has its chains. */
  async settled(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** A bundle was stored (replacing any bundle of the same ref). */
  put(source: SourceId, bundle: Bundle): void {
    const s = this.#source(source);
    const old = s.bundles.get(bundle.ref);
    s.bundles.set(bundle.ref, bundle);
    if (old) this.#forget(s, old);
    for (const cert of certsOf(bundle)) {
      if (!canIssue(cert) || !s.index.add(cert)) continue;
      this.#wake(s, s.waiting.get(cert.subjectKey!));
      for (const sibling of s.index.get(cert.subjectKey!)) this.#wake(s, s.usedBy.get(sibling));
    }
    this.#enqueue(s, bundle);
  }

  /** A bundle went. */
  delete(source: SourceId, ref: string): void {
    const s = this.#source(source);
    const old = s.bundles.get(ref);
    if (!old) return;
    s.bundles.delete(ref);
    this.#forget(s, old);
  }

  /** Every bundle not in `keep` went. */
  retain(source: SourceId, keep: ReadonlySet<string>): void {
    const s = this.#source(source);
    for (const ref of [...s.bundles.keys()]) if (!keep.has(ref)) this.delete(source, ref);
  }

  /**
   * The chain of `cert` with issuers looked up in `siblings`, then the roots (the CLI's
   * `inspect`, outside any source).
   */
  resolve(cert: Certificate, siblings: readonly Certificate[]): Promise<ChainState> {
    return this.#resolve(cert, siblings, undefined).then((r) => r.state);
  }

  #source(id: SourceId): SourceChains {
    const key = `${id.kind}\u0000${id.name}`;
    let s = this.#sources.get(key);
    if (!s) {
      s = {
        index: new SubjectIndex(),
        bundles: new Map(),
        waiting: new Map(),
        usedBy: new Map(),
        registrations: new WeakMap(),
      };
      this.#sources.set(key, s);
    }
    return s;
  }

  #forget(s: SourceChains, old: Bundle): void {
    this.#queue.delete(old);
    this.#unregister(s, old);
    for (const cert of certsOf(old)) {
      if (canIssue(cert) && s.index.remove(cert)) this.#wake(s, s.usedBy.get(cert));
    }
  }

  #wake(s: SourceChains, bundles: Set<Bundle> | undefined): void {
    if (bundles) { for (const b of bundles) this.#enqueue(s, b); }
  }

  #enqueue(s: SourceChains, bundle: Bundle): void {
    this.#queue.set(bundle, s);
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  async #drain(): Promise<void> {
    // Let the source finish the poll it is in: puts of one scan are resolved together.
    await new Promise((r) => setTimeout(r, 0));
    while (this.#queue.size > 0) {
      const batch = [...this.#queue].slice(0, 64);
      for (const [b] of batch) this.#queue.delete(b);
      await Promise.all(batch.map(([b, s]) => this.#resolveBundle(s, b)));
      this.version++;
    }
  }

  async #resolveBundle(s: SourceChains, bundle: Bundle): Promise<void> {
    if (s.bundles.get(bundle.ref) !== bundle) return; // replaced or gone meanwhile
    const siblings = certsOf(bundle);
    const waiting = new Set<string>();
    const used = new Set<Certificate>();
    const states = await Promise.all(bundle.items.map(async (item) => {
      if (item.kind !== "cert") return undefined;
      const r = await this.#resolve(item.cert, siblings, s);
      if (r.waiting !== undefined) waiting.add(r.waiting);
      for (const c of r.used) used.add(c);
      return r.state;
    }));
    if (s.bundles.get(bundle.ref) !== bundle) return;
    this.#unregister(s, bundle);
    const reg: Registration = { waiting: [...waiting], used: [...used] };
    for (const key of reg.waiting) addTo(s.waiting, key, bundle);
    for (const c of reg.used) addTo(s.usedBy, c, bundle);
    s.registrations.set(bundle, reg);
    this.#states.set(bundle, states);
  }

  #unregister(s: SourceChains, bundle: Bundle): void {
    const reg = s.registrations.get(bundle);
    if (!reg) return;
    for (const key of reg.waiting) removeFrom(s.waiting, key, bundle);
    for (const c of reg.used) removeFrom(s.usedBy, c, bundle);
    s.registrations.delete(bundle);
  }

  async #resolve(
    cert: Certificate,
    siblings: readonly Certificate[],
    s: SourceChains | undefined,
  ): Promise<{ state: ChainState; waiting?: string; used: Certificate[] }> {
    const path: Certificate[] = [];
    const used: Certificate[] = [];
    const seen = new Set<string>([cert.fingerprint]);
    let cur = cert;
    const done = (
      anchored: boolean,
      extra: { anchor?: "roots" | "source"; reason?: ChainReason; message?: string } = {},
      waiting?: string,
    ) => {
      let issuersNotAfter = Infinity;
      for (const c of path) issuersNotAfter = Math.min(issuersNotAfter, c.notAfter);
      if (extra.message !== undefined) {
        extra = { ...extra, message: MESSAGES.get(extra.message, same) };
      }
      const state: ChainState = {
        path,
        anchored,
        ...extra,
        issuersNotAfter,
        notAfter: Math.min(cert.notAfter, issuersNotAfter),
      };
      return waiting === undefined ? { state, used } : { state, waiting, used };
    };
    for (let depth = 0;; depth++) {
      if (this.#rootSet.has(cur.fingerprint)) return done(true, { anchor: "roots" });
      if (cur.issuerKey === undefined || cur.subjectKey === undefined) {
        return done(false, { reason: "unverifiable", message: "Certificate facts not parsed" });
      }
      if (depth >= MAX_DEPTH) {
        return done(false, { reason: "too_long", message: `More than ${MAX_DEPTH} issuers` });
      }
      if (cur.issuerKey === cur.subjectKey) {
        const verdict = await this.#verifier.verify(cur, cur);
        if (verdict === "ok") {
          if (cur.isCa) return done(true, { anchor: "source" });
          return done(false, {
            reason: "self_signed",
            message: "Self-signed and not a CA: add it to metrics.chainRoots to trust it",
          }, cur.issuerKey);
        }
        // A self-issued certificate signed by another key (a re-keyed CA): look further.
        if (verdict === "unsupported" || verdict === "unverifiable") {
          return done(false, verdictProblem(verdict, cur), cur.issuerKey);
        }
      }
      const candidates = this.#candidates(cur, siblings, s, seen);
      if (candidates.length === 0) {
        return done(false, {
          reason: "issuer_not_found",
          message: `No certificate of ${dnText(cur.issuer)} in the bundle, the source or the roots`,
        }, cur.issuerKey);
      }
      let next: Certificate | undefined;
      let problem: Verdict = "bad";
      for (const c of candidates) {
        const verdict = await this.#verifier.verify(cur, c.cert);
        if (verdict === "ok") {
          next = c.cert;
          if (c.fromSource) used.push(c.cert);
          break;
        }
        if (verdict !== "bad") problem = verdict;
      }
      if (!next) {
        return done(
          false,
          problem === "bad"
            ? {
              reason: "bad_signature",
              message: `Not signed by any of ${candidates.length} certificate(s) of ${
                dnText(cur.issuer)
              }`,
            }
            : verdictProblem(problem, cur),
          cur.issuerKey,
        );
      }
      path.push(next);
      seen.add(next.fingerprint);
      cur = next;
    }
  }

  /** Possible issuers of `cert`: the bundle's, the source's, the roots', valid and newest first. */
  #candidates(
    cert: Certificate,
    siblings: readonly Certificate[],
    s: SourceChains | undefined,
    seen: ReadonlySet<string>,
  ): { cert: Certificate; fromSource: boolean }[] {
    const key = cert.issuerKey!;
    const out = new Map<string, { cert: Certificate; fromSource: boolean }>();
    const take = (c: Certificate, fromSource: boolean, root = false) => {
      if (c.subjectKey !== key || seen.has(c.fingerprint) || out.has(c.fingerprint)) return;
      if (!root && !canIssue(c)) return;
      out.set(c.fingerprint, { cert: c, fromSource });
    };
    for (const c of siblings) take(c, false);
    if (s) { for (const c of s.index.get(key)) take(c, true); }
    for (const c of this.#roots.get(key)) take(c, false, true);
    const now = Date.now() / 1000;
    return [...out.values()].sort((a, b) => {
      const av = a.cert.notAfter >= now ? 1 : 0;
      const bv = b.cert.notAfter >= now ? 1 : 0;
      return bv - av || b.cert.notAfter - a.cert.notAfter;
    });
  }
}

function verdictProblem(
  verdict: Verdict,
  cert: Certificate,
): { reason: ChainReason; message: string } {
  return verdict === "unsupported"
    ? {
      reason: "unsupported_algorithm",
      message: `Cannot check a ${cert.signatureAlgorithm || "signature"} signature`,
    }
    : { reason: "unverifiable", message: "The signed bytes are no longer held" };
}

/** Thousands of leaves behind one missing issuer share one message. */
const MESSAGES = new Interner(10_000);

function dnText(dn: Certificate["issuer"]): string {
  const parts = Object.entries(dn).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(", ") : "an empty name";
}

function addTo<K>(m: Map<K, Set<Bundle>>, key: K, b: Bundle): void {
  let set = m.get(key);
  if (!set) m.set(key, set = new Set());
  set.add(b);
}

function removeFrom<K>(m: Map<K, Set<Bundle>>, key: K, b: Bundle): void {
  const set = m.get(key);
  if (!set) return;
  set.delete(b);
  if (set.size === 0) m.delete(key);
}
