import type { Certificate } from "../bundle.ts";
import { parseCertificate, sha256Hex } from "./x509.ts";

/**
 * Parsed certificates keyed by the SHA-256 of their DER. Intermediate and root
 * CAs repeat in thousands of bundles; with this cache each distinct
 * certificate is parsed once and every bundle shares the same object, which
 * saves both CPU on sync and memory at rest.
 *
 * Entries are weak: a certificate no bundle holds any more is forgotten once
 * collected. A bounded LRU kept up to its bound of certificates that rotation
 * had replaced (measured: +6 MiB a minute under 100 rotations a second).
 */
export class CertificateCache {
  readonly #entries = new Map<string, WeakRef<Certificate>>();
  readonly #forget = new FinalizationRegistry<string>((key) => {
    // The key may hold a newer object by now (same bytes parsed again after collection).
    if (this.#entries.get(key)?.deref() === undefined) this.#entries.delete(key);
  });
  hits = 0;
  misses = 0;

  /** Certificates remembered (some may be collected and not yet forgotten). */
  get size(): number {
    return this.#entries.size;
  }

  /** Returns the parsed certificate for `der`; throws DerError on a malformed one. */
  parse(der: Uint8Array): Certificate {
    const key = sha256Hex(der);
    const hit = this.#entries.get(key)?.deref();
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const cert = parseCertificate(der, key);
    this.#entries.set(key, new WeakRef(cert));
    this.#forget.register(cert, key);
    return cert;
  }
}
