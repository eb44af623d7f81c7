import type { Item } from "../bundle.ts";
import type { Reason } from "../errors.ts";
import { SourceError } from "../errors.ts";
import type { CertificateCache } from "./cert_cache.ts";
import { readTlv } from "./der.ts";
import { hasPemMarker, splitPem } from "./pem.ts";

/** The encodings a file or object key may hold, tried in the configured order. */
export const FORMATS = ["pem", "der", "pkcs12", "jks"] as const;
export type Format = typeof FORMATS[number];

export interface DecodeOptions {
  /** Formats to try, in order. @default ["pem"] */
  readonly formats?: readonly Format[];
  readonly cache: CertificateCache;
  /** Called with the time spent per decoded bundle (feeds `x509_parse_duration_seconds`). */
  readonly onParse?: (format: Format, seconds: number) => void;
}

/** PEM block types that hold a certificate; everything else (keys, params) is skipped. */
const CERT_BLOCKS = new Set(["CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE"]);

type Attempt = Item[] | null;

/**
 * Turns the bytes of one file or object key into bundle items. Never throws:
 * every problem becomes an error item with a stable reason, next to the
 * certificates that did parse.
 */
export function decodeItems(data: Uint8Array, options: DecodeOptions): Item[] {
  const formats = options.formats ?? ["pem"];
  for (const format of formats) {
    const started = performance.now();
    const items = attempt(format, data, options);
    if (items === null) continue;
    options.onParse?.(format, (performance.now() - started) / 1000);
    return items.length > 0
      ? items
      : [errorItem("no_certificate_found", "No certificate in data", 0)];
  }
  if (formats.includes("der")) return [errorItem("bad_der", "Not a DER certificate", 0)];
  return [errorItem("no_certificate_found", "No PEM certificate block found", 0)];
}

function attempt(format: Format, data: Uint8Array, options: DecodeOptions): Attempt {
  switch (format) {
    case "pem":
      return hasPemMarker(data) ? decodePem(data, options.cache) : null;
    case "der":
      return decodeDer(data, options.cache);
    default:
      // Keystore formats are decoded by their own modules (see keystore.ts);
      // a file source without them configured never reaches here.
      return null;
  }
}

function decodePem(data: Uint8Array, cache: CertificateCache): Item[] {
  const items: Item[] = [];
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data);
  for (const block of splitPem(text)) {
    const index = items.length;
    if (block.error !== undefined) {
      // A broken block of a known non-certificate type (a key) is not our concern.
      if (block.type === "" || CERT_BLOCKS.has(block.type)) {
        items.push(errorItem("bad_pem", `${block.error} in ${block.type || "PEM"} block`, index));
      }
      continue;
    }
    if (!CERT_BLOCKS.has(block.type) || block.der === undefined) continue;
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
  // A DER certificate starts with a SEQUENCE; anything else is not ours to claim.
  if (data[0] !== 0x30) return null;
  return [certItem(data, cache, 0, "bad_der")];
}

function certItem(der: Uint8Array, cache: CertificateCache, index: number, reason: Reason): Item {
  try {
    return { kind: "cert", cert: cache.parse(der), index };
  } catch (err) {
    return errorItem(reason, describe(err), index);
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
