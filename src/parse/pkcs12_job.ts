/**
 * A PKCS#12 extraction as plain data in and out, so it can run in a worker:
 * its key derivations are iterated hashing in JavaScript (node-forge), 35 ms
 * per 10,000 iterations, and a file may ask for 100,000 per passphrase tried.
 * On the event loop that held every scrape and probe for a third of a second;
 * {@link extractPkcs12Off} runs it in a worker started on demand.
 */
import type { Reason } from "../errors.ts";
import { SourceError } from "../errors.ts";
import { OnDemandWorker, WorkerUnavailableError } from "../worker.ts";
import type { DecodeLimits } from "./limits.ts";
import { extractPkcs12Certificates } from "./pkcs12.ts";

export interface Pkcs12Job {
  readonly data: Uint8Array;
  readonly passphrases: readonly string[];
  readonly limits: Pick<DecodeLimits, "maxPkcs12Iterations" | "maxNestingDepth">;
}

/** The certificates' DER, or the reason the file gave none. */
export type KeystoreOutcome =
  | { readonly ders: Uint8Array[]; readonly reason?: undefined }
  | { readonly reason: Reason; readonly message: string };

/** Runs `job` here, on the calling thread. */
export function extractPkcs12Here(job: Pkcs12Job): KeystoreOutcome {
  try {
    return { ders: extractPkcs12Certificates(job.data, job.passphrases, job.limits) };
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
  return extractPkcs12Here(job);
}
