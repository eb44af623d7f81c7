/**
 * The bench's stand-in for "parse off the main thread" (offload.ts): a worker that
 * decodes a whole input and posts back its items, structured-cloned. The exporter
 * itself offloads PKCS#12 only (src/parse/pkcs12_job.ts); this measures the rest.
 */
import { CertificateCache } from "../src/parse/cert_cache.ts";
import { decodeItems, type DecodeOptions, loadPkcs12 } from "../src/parse/decode.ts";
import { serveJobs } from "../src/worker.ts";
import type { Item } from "../src/bundle.ts";

const cache = new CertificateCache();
await loadPkcs12();

serveJobs((job: { data: Uint8Array; options: Omit<DecodeOptions, "cache"> }): Item[] =>
  decodeItems(job.data, { ...job.options, cache })
);
