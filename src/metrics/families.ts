import type { Certificate, Crl, Item } from "../bundle.ts";
import { type ChainState, chainVerified } from "../chain.ts";
import { escapeLabelValue } from "./labels.ts";

export type CollisionPolicy = "auto" | "always" | "never";

export interface CertMetricsOptions {
  readonly exposeRelative?: boolean;
  readonly exposePerCertError?: boolean;
  /** @default true */
  readonly exposeExpired?: boolean;
  readonly exposeNotBefore?: boolean;
  /** @default "auto" */
  readonly collision?: CollisionPolicy;
  /** @default 8 */
  readonly discriminatorLength?: number;
  /** `x509_cert_info`. */
  readonly exposeInfo?: boolean;
  /** `x509_cert_chain_not_after`, `x509_cert_chain_verified`: with a chain resolver. */
  readonly exposeChain?: boolean;
}

/** One metric family of the per-certificate (or per-CRL) kind. */
export interface Family {
  readonly name: string;
  readonly help: string;
  /** `chain` is the item's chain in its bundle, for families that set {@link Family.chain}. */
  readonly value: (item: Item, now: number, chain?: ChainState) => number | undefined;
  /** Values move with the clock every second (relative families). */
  readonly ticking?: boolean;
  /** For `now > T ? 1 : 0` families: T of an item, after which its value flips. */
  readonly flipsAt?: (item: Item, chain?: ChainState) => number | undefined;
  /** Reads the item's chain (resolved at sync time). */
  readonly chain?: boolean;
  /** Labels after the shared label set, `,name="value"...`. */
  readonly extraLabels?: (item: Item) => string;
}

/** SANs past this many are counted, not listed: a label value stays readable. */
export const MAX_SANS = 10;
/** And the joined value is cut at this many characters. */
export const MAX_SANS_LENGTH = 512;

/** The `sans` label value: names joined with `,`, capped, `,+N` telling what was left out. */
export function sansLabel(sans: readonly string[] | undefined): string {
  if (!sans || sans.length === 0) return "";
  let out = "";
  let n = 0;
  for (const s of sans) {
    const next = out === "" ? s : `${out},${s}`;
    if (n === MAX_SANS || next.length > MAX_SANS_LENGTH) break;
    out = next;
    n++;
  }
  return n < sans.length ? `${out},+${sans.length - n}` : out;
}

/** The labels `x509_cert_info` adds to a certificate's label set. */
export function infoLabels(c: Certificate): string {
  return `,sans="${escapeLabelValue(sansLabel(c.sans))}",key_type="${
    escapeLabelValue(c.keyType ?? "")
  }",key_bits="${c.keyBits ?? 0}",signature_algorithm="${
    escapeLabelValue(c.signatureAlgorithm ?? "")
  }",sha256_fingerprint="${c.fingerprint}",is_ca="${c.isCa ? "true" : "false"}"`;
}

function infoFamily(): Family {
  return {
    name: "x509_cert_info",
    help:
      "Facts of the certificate in labels (SANs, key type and size, signature algorithm, SHA-256 fingerprint, CA); always 1",
    value: (item) => (item.kind === "cert" ? 1 : undefined),
    // Made at each render, not kept: ~250 bytes a certificate, for a render once per change.
    extraLabels: (item) => (item.kind === "cert" ? infoLabels(item.cert) : ""),
  };
}

function chainFamilies(): Family[] {
  return [{
    name: "x509_cert_chain_not_after",
    help:
      "Earliest expiration date along the certificate's chain to a trust anchor (its own included), in seconds since the epoch",
    value: (item, _now, chain) => (item.kind === "cert" && chain ? chain.notAfter : undefined),
    chain: true,
  }, {
    name: "x509_cert_chain_verified",
    help:
      "1 if every signature up to a trust anchor checks and no issuer on the way has expired, 0 otherwise",
    value: (
      item,
      now,
      chain,
    ) => (item.kind === "cert" && chain ? chainVerified(chain, now) : undefined),
    flipsAt: (item, chain) =>
      item.kind === "cert" && chain?.anchored ? chain.issuersNotAfter : undefined,
    chain: true,
  }];
}

/** The families the options enable, in exposition order. */
export function families(options: CertMetricsOptions): Family[] {
  const out: Family[] = [];
  const cert =
    (f: (c: { notBefore: number; notAfter: number }, now: number) => number) =>
    (item: Item, now: number) => item.kind === "cert" ? f(item.cert, now) : undefined;
  if (options.exposeNotBefore) {
    out.push({
      name: "x509_cert_not_before",
      help: "Certificate validity start date, in seconds since the epoch",
      value: cert((c) => c.notBefore),
    });
  }
  out.push({
    name: "x509_cert_not_after",
    help: "Certificate expiration date, in seconds since the epoch",
    value: cert((c) => c.notAfter),
  });
  if (options.exposeExpired ?? true) {
    out.push({
      name: "x509_cert_expired",
      help: "1 if the certificate has expired, 0 otherwise",
      value: cert((c, now) => (now > c.notAfter ? 1 : 0)),
      flipsAt: (item) => (item.kind === "cert" ? item.cert.notAfter : undefined),
    });
  }
  if (options.exposeRelative) {
    out.push({
      name: "x509_cert_expires_in_seconds",
      help: "Seconds left before the certificate expires (negative once expired)",
      value: cert((c, now) => c.notAfter - now),
      ticking: true,
    }, {
      name: "x509_cert_valid_since_seconds",
      help: "Seconds elapsed since the certificate became valid",
      value: cert((c, now) => now - c.notBefore),
      ticking: true,
    });
  }
  if (options.exposePerCertError) {
    out.push({
      name: "x509_cert_error",
      help: "1 if a certificate could not be read or parsed at this location, 0 otherwise",
      // Only entries that failed beside the others (a broken PEM block), as upstream: an input
      // that failed whole is a source error, so CertificateError does not fire twice for it.
      value: (item) =>
        item.kind === "error" ? (item.whole ? undefined : 1) : item.kind === "cert" ? 0 : undefined,
    });
  }
  if (options.exposeInfo) out.push(infoFamily());
  if (options.exposeChain) out.push(...chainFamilies());
  out.push(...crlFamilies(options));
  return out;
}

/** CRL families share the label schema (with `crl_number`) and the gates of the certificate ones. */
function crlFamilies(options: CertMetricsOptions): Family[] {
  const crl = (f: (c: Crl, now: number) => number | undefined) => (item: Item, now: number) =>
    item.kind === "crl" ? f(item.crl, now) : undefined;
  const out: Family[] = [
    {
      name: "x509_crl_this_update",
      help: "CRL issue date (thisUpdate), in seconds since the epoch",
      value: crl((c) => c.thisUpdate),
    },
    {
      name: "x509_crl_next_update",
      help: "Date by which the next CRL is due (nextUpdate), in seconds since the epoch",
      value: crl((c) => c.nextUpdate),
    },
    {
      name: "x509_crl_number",
      help: "The CRL's cRLNumber extension",
      value: crl((c) => (c.number === undefined ? undefined : Number(c.number))),
    },
  ];
  if (options.exposeExpired ?? true) {
    out.push({
      name: "x509_crl_stale",
      help: "1 once the CRL is past its nextUpdate, 0 otherwise",
      value: crl((c, now) => (c.nextUpdate === undefined ? undefined : now > c.nextUpdate ? 1 : 0)),
      flipsAt: (item) => (item.kind === "crl" ? item.crl.nextUpdate : undefined),
    });
  }
  if (options.exposeRelative) {
    out.push({
      name: "x509_crl_stale_in_seconds",
      help: "Seconds left before the CRL is past its nextUpdate (negative once stale)",
      value: crl((c, now) => (c.nextUpdate === undefined ? undefined : c.nextUpdate - now)),
      ticking: true,
    }, {
      name: "x509_crl_fresh_since_seconds",
      help: "Seconds elapsed since the CRL was issued (thisUpdate)",
      value: crl((c, now) => now - c.thisUpdate),
      ticking: true,
    });
  }
  return out;
}
