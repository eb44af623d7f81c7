/**
 * What the status page shows, read from the store (and the chain resolver) in one
 * pass: certificates with their state, the summary, the
 * weekly expiry counts, the errors, each source's health.
 */
import type { Certificate, DistinguishedName } from "../bundle.ts";
import { chainProblem, type ChainState, chainVerified } from "../chain.ts";
import type { Facts } from "../facts.ts";
import type { LastError, Store } from "../store.ts";

/** Upstream's chart alerts: `x509-certificate-exporter`'s critical and warning days. */
export const CRITICAL_DAYS = 14;
export const WARNING_DAYS = 28;
/** Weeks the expiry histogram covers. */
export const HISTOGRAM_WEEKS = 12;

const DAY = 86_400;

export type CertState = "expired" | "critical" | "warning" | "ok";

export interface CertRow {
  readonly cert: Certificate;
  readonly source: string;
  readonly where: string;
  /** Seconds left (negative once expired). */
  readonly left: number;
  readonly state: CertState;
  /** Undefined when chains are not resolved (`metrics.exposeChain` off). */
  readonly chain?: { readonly text: string; readonly cls: "ok" | "warn" | "bad" | "muted" };
}

export interface ErrorRow {
  readonly source: string;
  readonly where: string;
  readonly reason: string;
  readonly message: string;
}

export interface SourceRow {
  readonly kind: string;
  readonly name: string;
  readonly up: boolean | undefined;
  readonly synced: boolean | undefined;
  readonly bundles: number;
  readonly certs: number;
  readonly errorItems: number;
  readonly errorsTotal: number;
  /** Non-zero error counters, `reason ×n`. */
  readonly breakdown: string;
  readonly lastError: string;
}

export interface StatusModel {
  readonly certs: readonly CertRow[];
  readonly counts: Readonly<Record<CertState, number>>;
  /** Certificates expiring in week i from now (not yet expired). */
  readonly weeks: readonly number[];
  readonly errors: readonly ErrorRow[];
  readonly sources: readonly SourceRow[];
  readonly chains: boolean;
  readonly notVerified: number;
}

/** CN, else what else names the holder: many roots in trust stores have no CN. */
export function displayName(dn: DistinguishedName): string {
  return dn.CN ?? [dn.O, dn.OU].filter(Boolean).join(" / ");
}

export function stateOf(left: number): CertState {
  if (left < 0) return "expired";
  if (left < CRITICAL_DAYS * DAY) return "critical";
  if (left < WARNING_DAYS * DAY) return "warning";
  return "ok";
}

function chainCell(
  chain: ChainState | undefined,
  cert: Certificate,
  now: number,
): NonNullable<CertRow["chain"]> {
  if (!chain) return { text: "pending", cls: "muted" };
  if (chainVerified(chain, now)) {
    const via = chain.path.length === 0 ? "trusted root" : `${chain.path.length} issuer(s)`;
    if (chain.notAfter < cert.notAfter) {
      const d = Math.floor((chain.notAfter - now) / DAY);
      return { text: `verified (${via}); chain ends in ${d} d`, cls: "warn" };
    }
    return { text: `verified (${via})`, cls: "ok" };
  }
  const p = chainProblem(chain, now);
  return { text: p ? `${p.reason}: ${p.message}` : "not verified", cls: "bad" };
}

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** Reads the page's content; `now` in ms since the epoch. */
export function statusModel(store: Store, facts: Facts | undefined, now: number): StatusModel {
  const nowS = now / 1000;
  const chains = facts?.chains;
  const certs: CertRow[] = [];
  const errors: ErrorRow[] = [];
  const sources: SourceRow[] = [];
  const counts: Record<CertState, number> = { expired: 0, critical: 0, warning: 0, ok: 0 };
  const weeks = new Array<number>(HISTOGRAM_WEEKS).fill(0);
  let notVerified = 0;
  let kubeBacked = false;
  for (const s of store.sources()) {
    let nCerts = 0;
    let errorItems = 0;
    for (const b of s.bundles.values()) {
      const states = chains?.states(b);
      b.items.forEach((item, pos) => {
        if (item.kind === "error") {
          errorItems++;
          errors.push({
            source: s.id.name,
            where: b.ref,
            reason: item.reason,
            message: item.message,
          });
          return;
        }
        if (item.kind !== "cert") return;
        nCerts++;
        const left = item.cert.notAfter - nowS;
        const state = stateOf(left);
        counts[state]++;
        const week = Math.floor(left / (7 * DAY));
        if (left >= 0 && week < HISTOGRAM_WEEKS) weeks[week]!++;
        const row: CertRow = { cert: item.cert, source: s.id.name, where: b.ref, left, state };
        if (chains) {
          const chain = chainCell(states?.[pos], item.cert, nowS);
          if (chain.cls === "bad") notVerified++;
          certs.push({ ...row, chain });
        } else certs.push(row);
      });
    }
    let total = 0;
    const parts: string[] = [];
    for (const [kind, byReason] of s.errorsByKind) {
      for (const [reason, n] of byReason) {
        if (n === 0) continue;
        total += n;
        parts.push(`${s.kinds.length > 1 ? `${kind}/` : ""}${reason} ×${n}`);
      }
    }
    for (const [resource, stream] of s.streams) {
      kubeBacked = true;
      for (const [reason, n] of stream.transportErrors) {
        if (n === 0) continue;
        total += n;
        parts.push(`${resource} ${reason} ×${n}`);
      }
    }
    // Last errors are a running exporter's (with its facts), not a bare store's render.
    const last = facts ? s.lastError : undefined;
    sources.push({
      kind: s.id.kind,
      name: s.id.name,
      up: s.up,
      synced: s.synced,
      bundles: s.bundles.size,
      certs: nCerts,
      errorItems,
      errorsTotal: total,
      breakdown: parts.join(", "),
      lastError: last
        ? `${last.reason}${last.message ? `: ${last.message}` : ""}${
          last.where ? ` (${last.where})` : ""
        }, ${ago(last.at, now)}`
        : "",
    });
  }
  if (kubeBacked || store.apiErrors.size > 0) {
    sources.push(apiRow(store, facts ? store.lastApiError : undefined, now));
  }
  for (const e of chains?.rootErrors ?? []) {
    errors.push({
      source: "metrics.chainRoots",
      where: e.split(":")[0]!,
      reason: "read_failed",
      message: e,
    });
  }
  certs.sort((a, b) => a.left - b.left);
  errors.sort((a, b) => a.source.localeCompare(b.source) || a.where.localeCompare(b.where));
  return { certs, counts, weeks, errors, sources, chains: chains !== undefined, notVerified };
}

/** Upstream's `source_name="kube-api"`: failed Kubernetes API answers, whichever source asked. */
function apiRow(store: Store, last: LastError | undefined, now: number): SourceRow {
  let total = 0;
  const parts: string[] = [];
  for (const [reason, n] of store.apiErrors) {
    if (n === 0) continue;
    total += n;
    parts.push(`${reason} ×${n}`);
  }
  return {
    kind: "kubernetes",
    name: "kube-api",
    up: undefined,
    synced: undefined,
    bundles: 0,
    certs: 0,
    errorItems: 0,
    errorsTotal: total,
    breakdown: parts.join(", "),
    lastError: last ? `${last.reason}, ${ago(last.at, now)}` : "",
  };
}
