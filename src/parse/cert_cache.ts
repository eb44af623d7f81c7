import type { Certificate } from "../bundle.ts";
import { parseCertificate, sha256Hex } from "./x509.ts";

/**
 * Parsed certificates keyed by the SHA-256 of their DER. Intermediate and root
 * CAs repeat in thousands of bundles; with this cache each distinct
 * certificate is parsed once and every bundle shares the same object, which
 * saves both CPU on sync and memory at rest.
 *
 * Least-recently-used eviction bounds it: Map iteration order is insertion
 * order, so re-inserting on a hit keeps the oldest entries first.
 */
export class CertificateCache {
  readonly #entries = new Map<string, Certificate>();
  readonly #max: number;
  hits = 0;
  misses = 0;

  /** @param max entries kept at most. @default 100_000 */
  constructor(max = 100_000) {
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Returns the parsed certificate for `der`; throws DerError on a malformed one. */
  parse(der: Uint8Array): Certificate {
    const key = sha256Hex(der);
    const hit = this.#entries.get(key);
    if (hit) {
      this.hits++;
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    this.misses++;
    const cert = parseCertificate(der, key);
    this.#entries.set(key, cert);
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return cert;
  }
}
