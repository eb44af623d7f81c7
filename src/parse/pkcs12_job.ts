/**
 * PKCS#12 as seen from the decoder, without node-forge: the sniff, and an
 * extraction as plain data in and out, so it can run in a worker. Its key
 * derivations are iterated hashing in JavaScript (node-forge), 35 ms per
 * 10,000 iterations, and a file may ask for 100,000 per passphrase tried. On
 * the event loop that held every scrape and probe for a third of a second;
 * {@link extractPkcs12Off} runs it in a worker started on demand.
 *
 * The reader itself (`pkcs12.ts`, with node-forge) is imported only when a
 * keystore is met: an exporter of PEM files never loads it (0.8-2.9 MiB of RSS at
 * start, three runs).
 */
import type { Reason } from "../errors.ts";
import { SourceError } from "../errors.ts";
import { OnDemandWorker, WorkerUnavailableError } from "../worker.ts";
import type { DecodeLimits } from "./limits.ts";

export interface Pkcs12Job {
  readonly data: Uint8Array;
  readonly passphrases: readonly string[];
  readonly limits: Pick<DecodeLimits, "maxPkcs12Iterations" | "maxNestingDepth">;
}

/** The certificates' DER, or the reason the file gave none. */
export type KeystoreOutcome =
  | { readonly ders: Uint8Array[]; readonly reason?: undefined }
  | { readonly reason: Reason; readonly message: string };

/** True when `data` starts like a PFX: a SEQUENCE whose first element is INTEGER 3. */
export function isPkcs12Like(data: Uint8Array): boolean {
  const lengthByte = data[1] ?? 0xff;
  // Short form, indefinite (BER, 0x80) or long form with 1 to 4 length bytes.
  if (data[0] !== 0x30 || lengthByte > 0x84) return false;
  const headerLength = lengthByte <= 0x80 ? 2 : 2 + (lengthByte & 0x7f);
  return data[headerLength] === 0x02 && data[headerLength + 1] === 0x01 &&
    data[headerLength + 2] === 0x03;
}

/** The reader's entry point, `extractPkcs12Certificates` of `pkcs12.ts`. */
export type Pkcs12Extractor = (
  data: Uint8Array,
  passphrases: readonly string[],
  limits: Pkcs12Job["limits"],
) => Uint8Array[];

let loaded: Pkcs12Extractor | undefined;

/** Loads the PKCS#12 reader and node-forge, once; {@link extractPkcs12Here} needs it. */
export async function loadPkcs12(): Promise<void> {
  loaded ??= (await import("./pkcs12.ts")).extractPkcs12Certificates;
}

/**
 * Runs `job` here, on the calling thread, with the reader {@link loadPkcs12}
 * loaded (the synchronous `decodeItems` and the CLI await it first).
 */
export function extractPkcs12Here(job: Pkcs12Job): KeystoreOutcome {
  if (!loaded) throw new Error("The PKCS#12 reader is not loaded: await loadPkcs12() first");
  return runPkcs12Job(loaded, job);
}

/** `job`'s outcome from `extract`: its certificates, or the reason it gave none. */
export function runPkcs12Job(extract: Pkcs12Extractor, job: Pkcs12Job): KeystoreOutcome {
  try {
    return { ders: extract(job.data, job.passphrases, job.limits) };
  } catch (err) {
    if (err instanceof SourceError) return { reason: err.reason, message: err.message };
    return { reason: "bad_pkcs12", message: err instanceof Error ? err.message : String(err) };
  }
}

/** How long the worker outlives its last job: a burst of keystores pays its start once. */
const WORKER_IDLE_MS = 10_000;

let worker: OnDemandWorker<Pkcs12Job, KeystoreOutcome> | undefined;

/**
 * Runs `job` in the keystore worker; here instead when the worker cannot run
 * (a binary built without it embedded), with the same outcome either way.
 */
export async function extractPkcs12Off(job: Pkcs12Job): Promise<KeystoreOutcome> {
  worker ??= new OnDemandWorker(new URL("./_pkcs12_worker.ts", import.meta.url), {
    idleMs: WORKER_IDLE_MS,
  });
  if (worker.available) {
    try {
      return await worker.run(job);
    } catch (err) {
      if (!(err instanceof WorkerUnavailableError)) throw err;
    }
  }
  await loadPkcs12();
  return extractPkcs12Here(job);
}
