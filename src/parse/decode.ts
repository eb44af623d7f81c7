import type { Item } from "../bundle.ts";
import type { Reason } from "../errors.ts";
import { SourceError } from "../errors.ts";
import type { CertificateCache } from "./cert_cache.ts";
import { parseCrl } from "./crl.ts";
import { readTlv } from "./der.ts";
import { extractJksCertificates, isJks } from "./jks.ts";
import { hasPemMarker, splitPem } from "./pem.ts";
import { extractPkcs12Certificates, isPkcs12Like } from "./pkcs12.ts";

/** The encodings a file or object key may hold, tried in the configured order. */
export const FORMATS = ["pem", "der", "pkcs12", "jks"] as const;
export type Format = typeof FORMATS[number];

export interface DecodeOptions {
  /** Formats to try, in order. @default ["pem"] */
  readonly formats?: readonly Format[];
  readonly cache: CertificateCache;
  /** Passphrases to try, in order, per keystore format. @default [""] */
  readonly passphrases?: { readonly pkcs12?: readonly string[]; readonly jks?: readonly string[] };
  /** Called with the time spent per decoded bundle (feeds `x509_parse_duration_seconds`). */
  readonly onParse?: (format: Format, seconds: number) => void;
}

/** PEM block types that hold a certificate; everything else (keys, params) is skipped. */
const CERT_BLOCKS = new Set(["CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE"]);
/** RFC 7468 says `X509 CRL`; some tools (WebCrypto libraries) write plain `CRL`. */
const CRL_BLOCKS = new Set(["X509 CRL", "CRL"]);

/** What a format made of the data: null when the data is plainly not of that format. */
type Attempt = Item[] | null;

/** A "this is not that format" reason, used when no configured format fits. */
const NOT_THIS_FORMAT: Record<Format, Reason> = {
  pem: "no_certificate_found",
  der: "bad_der",
  pkcs12: "bad_pkcs12",
  jks: "bad_jks",
};

/**
 * Turns the bytes of one file or object key into bundle items. Never throws:
 * every problem becomes an error item with a stable reason, next to the
 * certificates that did parse. Formats are tried in order; the first that
 * yields a certificate or CRL wins, else the first failure is reported.
 */
export function decodeItems(data: Uint8Array, options: DecodeOptions): Item[] {
  const formats = options.formats ?? ["pem"];
  let firstFailure: Item[] | undefined;
  for (const format of formats) {
    const started = performance.now();
    const items = attempt(format, data, options);
    if (items === null) continue;
    options.onParse?.(format, (performance.now() - started) / 1000);
    // PEM text is unambiguous: its verdict stands, errors and all.
    if (format === "pem" || items.some((i) => i.kind !== "error")) {
      return items.length > 0
        ? items
        : [errorItem("no_certificate_found", "No certificate in data", 0)];
    }
    firstFailure ??= items;
  }
  if (firstFailure) return firstFailure;
  const binary = formats.find((f) => f !== "pem");
  if (binary) {
    return [errorItem(NOT_THIS_FORMAT[binary], `Data is not in any of: ${formats.join(", ")}`, 0)];
  }
  return [errorItem("no_certificate_found", "No PEM certificate block found", 0)];
}

function attempt(format: Format, data: Uint8Array, options: DecodeOptions): Attempt {
  switch (format) {
    case "pem":
      return hasPemMarker(data) ? decodePem(data, options.cache) : null;
    case "der":
      return decodeDer(data, options.cache);
    case "pkcs12":
      if (!isPkcs12Like(data)) return null;
      return keystore(
        "pkcs12",
        () => extractPkcs12Certificates(data, options.passphrases?.pkcs12 ?? [""]),
        options.cache,
      );
    case "jks":
      if (!isJks(data)) return null;
      return keystore(
        "jks",
        () => extractJksCertificates(data, options.passphrases?.jks ?? [""]),
        options.cache,
      );
  }
}

function keystore(
  format: "pkcs12" | "jks",
  extract: () => Uint8Array[],
  cache: CertificateCache,
): Item[] {
  let ders: Uint8Array[];
  try {
    ders = extract();
  } catch (err) {
    const item = errorItemFrom(err, format === "pkcs12" ? "bad_pkcs12" : "bad_jks");
    return [item.kind === "error" && item.reason === "bad_passphrase" ? { ...item, format } : item];
  }
  if (ders.length === 0) return [errorItem("no_certificate_found", `Empty ${format} keystore`, 0)];
  return ders.map((der, index) => certItem(der, cache, index, "decode_failed"));
}

function decodePem(data: Uint8Array, cache: CertificateCache): Item[] {
  const items: Item[] = [];
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data);
  for (const block of splitPem(text)) {
    const index = items.length;
    const isCrl = CRL_BLOCKS.has(block.type);
    if (block.error !== undefined) {
      // A broken block of a known non-certificate type (a key) is not our concern.
      if (block.type === "" || CERT_BLOCKS.has(block.type) || isCrl) {
        items.push(
          errorItem(
            isCrl ? "bad_crl" : "bad_pem",
            `${block.error} in ${block.type || "PEM"} block`,
            index,
          ),
        );
      }
      continue;
    }
    if (block.der === undefined) continue;
    if (isCrl) {
      items.push(crlItem(block.der, index));
      continue;
    }
    if (!CERT_BLOCKS.has(block.type)) continue;
    let der = block.der;
    if (block.type === "TRUSTED CERTIFICATE") {
      // OpenSSL appends trust settings after the certificate: keep only the first TLV.
      try {
        der = der.subarray(0, readTlv(der, 0).end);
      } catch (err) {
        items.push(errorItem("decode_failed", describe(err), index));
        continue;
      }
    }
    items.push(certItem(der, cache, index, "decode_failed"));
  }
  return items;
}

function decodeDer(data: Uint8Array, cache: CertificateCache): Attempt {
  // A DER certificate or CRL starts with a SEQUENCE; anything else is not ours to claim.
  if (data[0] !== 0x30) return null;
  const item = certItem(data, cache, 0, "bad_der");
  if (item.kind === "cert") return [item];
  const crl = crlItem(data, 0);
  return [crl.kind === "crl" ? crl : item];
}

function certItem(der: Uint8Array, cache: CertificateCache, index: number, reason: Reason): Item {
  try {
    return { kind: "cert", cert: cache.parse(der), index };
  } catch (err) {
    return errorItem(reason, describe(err), index);
  }
}

function crlItem(der: Uint8Array, index: number): Item {
  try {
    return { kind: "crl", crl: parseCrl(der), index };
  } catch (err) {
    return errorItem("bad_crl", describe(err), index);
  }
}

/** Builds an error item; exported for sources that fail before decoding (read errors). */
export function errorItem(reason: Reason, message: string, index = 0): Item {
  return { kind: "error", reason, message, index };
}

/** Error item from a thrown value, keeping a SourceError's own reason. */
export function errorItemFrom(err: unknown, fallback: Reason, index = 0): Item {
  if (err instanceof SourceError) return errorItem(err.reason, err.message, index);
  return errorItem(fallback, describe(err), index);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
