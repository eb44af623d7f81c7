import type { ErrorItem, Item } from "../bundle.ts";
import type { Reason } from "../errors.ts";
import { SourceError } from "../errors.ts";
import { ItemCollector } from "./_item_collector.ts";
import type { CertificateCache } from "./cert_cache.ts";
import { parseCrl } from "./crl.ts";
import { readTlv } from "./der.ts";
import { extractJksCertificates, isJks } from "./jks.ts";
import type { DecodeLimits } from "./limits.ts";
import { hasPemMarker, pemBlocks } from "./pem.ts";
import {
  extractPkcs12Here,
  extractPkcs12Off,
  isPkcs12Like,
  type KeystoreOutcome,
  loadPkcs12,
  type Pkcs12Job,
} from "./pkcs12_job.ts";

export type { DecodeLimits } from "./limits.ts";
export { loadPkcs12 };

import type { Format } from "../format.ts";
import { SLICE_MS, TimeSlice } from "../steps.ts";
export { type Format, FORMATS } from "../format.ts";

export interface DecodeOptions {
  /** Formats to try, in order. @default ["pem"] */
  readonly formats?: readonly Format[];
  readonly cache: CertificateCache;
  /** Bounds on the work one input may cost; the config layer owns their values. */
  readonly limits: DecodeLimits;
  /** Passphrases to try, in order, per keystore format. @default [""] */
  readonly passphrases?: { readonly pkcs12?: readonly string[]; readonly jks?: readonly string[] };
  /** Called with the time spent per decoded bundle (feeds `x509_parse_duration_seconds`). */
  readonly onParse?: (format: Format, seconds: number) => void;
}

/** PEM block types that hold a certificate; everything else (keys, params) is skipped. */
const CERT_BLOCKS = new Set(["CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE"]);
/** RFC 7468 says `X509 CRL`; some tools (WebCrypto libraries) write plain `CRL`. */
const CRL_BLOCKS = new Set(["X509 CRL", "CRL"]);

/**
 * The decode as steps: it yields `undefined` between units of work, or a
 * PKCS#12 job for its driver to run (here or in the worker), and is resumed
 * with the job's outcome.
 */
type DecodeSteps<T> = Generator<Pkcs12Job | undefined, T, KeystoreOutcome | undefined>;

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
 * How much a format's sniff says about failing data: a JKS magic number is
 * four exact bytes, a PFX is a SEQUENCE opening with INTEGER 3, DER is any
 * SEQUENCE. A PKCS#12 file is DER too, so its own parser's verdict must win
 * over "not a DER certificate" whatever the order of `formats`.
 */
const SNIFF_STRENGTH: Record<Format, number> = { pem: 0, der: 1, pkcs12: 2, jks: 3 };

/**
 * Turns the bytes of one file or object key into bundle items. Never throws:
 * every problem becomes an error item with a stable reason, next to the
 * certificates that did parse. Formats are tried in order; the first that
 * yields a certificate or CRL wins. When none does, a wrong passphrase is
 * reported first, else the failure of the format whose sniff matched most
 * specifically (so a PKCS#12 file is never reported as bad DER).
 *
 * Work is bounded by `options.limits`: an input over `maxInputBytes` is one
 * `too_large` item; items past `maxCertificates` / `maxErrorItems` are
 * dropped and counted in one `too_many_items` item.
 *
 * With `pkcs12` among the formats, {@link loadPkcs12} must have been awaited:
 * the PKCS#12 reader is loaded only when needed ({@link decodeItemsAsync} does it).
 */
export function decodeItems(data: Uint8Array, options: DecodeOptions): Item[] {
  const timer = new BusyTimer();
  const steps = decodeSteps(data, options, timer);
  let step = steps.next();
  while (!step.done) step = steps.next(step.value ? extractPkcs12Here(step.value) : undefined);
  return step.value;
}

export interface AsyncDecodeOptions extends DecodeOptions {
  /**
   * Longest stretch of decoding between two returns to the event loop, in
   * milliseconds: a 5,000-certificate bundle then never holds a scrape or a
   * probe for longer than this (plus the one item in progress).
   * @default SLICE_MS
   */
  readonly sliceMs?: number;
}

/**
 * {@link decodeItems}, returning to the event loop (a macrotask, so timers and
 * I/O run) whenever it has worked `sliceMs` without a break, with PKCS#12
 * extractions run in the keystore worker. Same items, same order; `onParse`
 * gets the time spent decoding (the worker's included), not the time spent
 * waiting for the event loop.
 */
export async function decodeItemsAsync(
  data: Uint8Array,
  options: AsyncDecodeOptions,
): Promise<Item[]> {
  // A small input cannot hold the loop for long (64 KiB is ~40 certificates, a few ms):
  // decoded in one go, without the stepping's cost (0.6 s of files-10k's first sync).
  const small = data.length <= SMALL_INPUT;
  const slice = new TimeSlice(options.sliceMs ?? SLICE_MS);
  const timer = new BusyTimer();
  const steps = decodeSteps(data, options, timer);
  let outcome: KeystoreOutcome | undefined;
  while (true) {
    const step = steps.next(outcome);
    outcome = undefined;
    if (step.done) return step.value;
    if (step.value) outcome = await extractPkcs12Off(step.value);
    else if (!small) {
      const pause = slice.pause();
      if (pause) {
        timer.pause();
        await pause;
        timer.resume();
      }
    }
  }
}

/** Inputs up to this size are decoded without yielding (see {@link decodeItemsAsync}). */
const SMALL_INPUT = 64 * 1024;

/** Time spent working, not waiting for the event loop: what `onParse` reports. */
class BusyTimer {
  #busy = 0;
  #since = performance.now();
  /** Milliseconds worked so far. */
  now(): number {
    return this.#busy + performance.now() - this.#since;
  }
  pause(): void {
    this.#busy += performance.now() - this.#since;
  }
  resume(): void {
    this.#since = performance.now();
  }
}

/**
 * The decode, as steps: it yields after every unit of work (a PEM block, a
 * certificate, a keystore's extraction) so a driver may stop between them.
 */
function* decodeSteps(
  data: Uint8Array,
  options: DecodeOptions,
  timer: BusyTimer,
): DecodeSteps<Item[]> {
  const { limits } = options;
  if (data.length > limits.maxInputBytes) {
    return [
      wholeError(
        "too_large",
        `Input of ${data.length} bytes is over the limit of ${limits.maxInputBytes}`,
      ),
    ];
  }
  const formats = options.formats ?? ["pem"];
  let failure: { items: Item[]; rank: number } | undefined;
  for (const format of formats) {
    const started = timer.now();
    const items = yield* attempt(format, data, options);
    if (items === null) continue;
    options.onParse?.(format, (timer.now() - started) / 1000);
    // PEM text is unambiguous: its verdict stands, errors and all.
    if (format === "pem" || items.some((i) => i.kind !== "error")) {
      return items.length > 0
        ? items
        : [wholeError("no_certificate_found", "No certificate in data")];
    }
    const wrongPassphrase = items.some((i) => i.kind === "error" && i.reason === "bad_passphrase");
    const rank = wrongPassphrase ? 10 : SNIFF_STRENGTH[format];
    if (failure === undefined || rank > failure.rank) failure = { items, rank };
  }
  if (failure) return failure.items;
  const binary = formats.find((f) => f !== "pem");
  if (binary) {
    return [wholeError(NOT_THIS_FORMAT[binary], `Data is not in any of: ${formats.join(", ")}`)];
  }
  return [wholeError("no_certificate_found", "No PEM certificate block found")];
}

function* attempt(
  format: Format,
  data: Uint8Array,
  options: DecodeOptions,
): DecodeSteps<Attempt> {
  const { cache, limits } = options;
  switch (format) {
    case "pem":
      return hasPemMarker(data) ? yield* decodePem(data, cache, limits) : null;
    case "der":
      return decodeDer(data, cache);
    case "pkcs12": {
      if (!isPkcs12Like(data)) return null;
      const passphrases = options.passphrases?.pkcs12 ?? [""];
      const outcome = yield { data, passphrases, limits };
      return yield* keystore("pkcs12", outcome!, cache, limits);
    }
    case "jks": {
      if (!isJks(data)) return null;
      let outcome: KeystoreOutcome;
      try {
        outcome = { ders: extractJksCertificates(data, options.passphrases?.jks ?? [""], limits) };
      } catch (err) {
        const { reason, message } = errorItemFrom(err, "bad_jks");
        outcome = { reason, message };
      }
      return yield* keystore("jks", outcome, cache, limits);
    }
  }
}

function* keystore(
  format: "pkcs12" | "jks",
  outcome: KeystoreOutcome,
  cache: CertificateCache,
  limits: DecodeLimits,
): DecodeSteps<Item[]> {
  const malformed = format === "pkcs12" ? "bad_pkcs12" : "bad_jks";
  if (outcome.reason !== undefined) {
    const item: ErrorItem = wholeError(outcome.reason, outcome.message);
    return [item.reason === "bad_passphrase" ? { ...item, format } : item];
  }
  const ders = outcome.ders;
  if (ders.length === 0) return [wholeError("no_certificate_found", `Empty ${format} keystore`)];
  // Upstream fails the whole store on one unparsable certificate (bad_pkcs12 / bad_jks);
  // the same reason here, but the good certificates beside it are kept.
  yield;
  const items = new ItemCollector(limits);
  for (const der of ders) {
    if (items.full) items.skip();
    else {
      items.add(certItem(der, cache, items.next, malformed));
      yield;
    }
  }
  return items.finish();
}

function* decodePem(
  data: Uint8Array,
  cache: CertificateCache,
  limits: DecodeLimits,
): DecodeSteps<Item[]> {
  const items = new ItemCollector(limits);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data);
  for (const block of pemBlocks(text)) {
    yield; // between blocks: pemBlocks finds each in time linear in its length
    const isCrl = CRL_BLOCKS.has(block.type);
    // A known non-certificate type (a key) is not our concern, broken or not.
    if (
      !isCrl && !CERT_BLOCKS.has(block.type) && !(block.error !== undefined && block.type === "")
    ) {
      continue;
    }
    if (items.full) {
      items.skip();
      continue;
    }
    const index = items.next;
    if (block.error !== undefined) {
      const what = block.type || "PEM";
      items.add(errorItem(isCrl ? "bad_crl" : "bad_pem", `${block.error} in ${what} block`, index));
    } else if (isCrl) {
      items.add(crlItem(block.der!, index));
    } else {
      items.add(pemCertItem(block.type, block.der!, cache, index));
    }
  }
  return items.finish();
}

/** A certificate block's item; whatever is wrong inside a PEM block is `bad_pem`, as upstream. */
function pemCertItem(type: string, der: Uint8Array, cache: CertificateCache, index: number): Item {
  if (type === "TRUSTED CERTIFICATE") {
    // OpenSSL appends trust settings after the certificate: keep only the first TLV.
    try {
      der = der.subarray(0, readTlv(der, 0).end);
    } catch (err) {
      return errorItem("bad_pem", describe(err), index);
    }
  }
  return certItem(der, cache, index, "bad_pem");
}

function decodeDer(data: Uint8Array, cache: CertificateCache): Attempt {
  // Upstream's DER parser calls empty input "no certificate", anything else unparsable bad_der.
  if (data.length === 0) return [wholeError("no_certificate_found", "Empty input")];
  // A DER certificate or CRL starts with a SEQUENCE; anything else is not ours to claim.
  if (data[0] !== 0x30) return null;
  const item = certItem(data, cache, 0, "bad_der");
  if (item.kind === "cert") return [item];
  const crl = crlItem(data, 0);
  return [crl.kind === "crl" ? crl : { ...item, whole: true } as Item];
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
export function errorItem(reason: Reason, message: string, index = 0): ErrorItem {
  return { kind: "error", reason, message, index };
}

/** An error item standing for the whole input (see {@link Item}'s `whole`). */
export function wholeError(reason: Reason, message: string): ErrorItem {
  return { kind: "error", reason, message, index: 0, whole: true };
}

/** Error item from a thrown value, keeping a SourceError's own reason. */
export function errorItemFrom(err: unknown, fallback: Reason, index = 0): ErrorItem {
  if (err instanceof SourceError) return errorItem(err.reason, err.message, index);
  return errorItem(fallback, describe(err), index);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
