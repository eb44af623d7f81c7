import type { Certificate } from "../bundle.ts";
import { fromBinary, toBinary } from "./der.ts";
import { parseCertificate, sha256Hex, type SignedParts, signedParts } from "./x509.ts";

export interface CertificateCacheOptions {
  /**
   * Keep what a signature check needs (`metrics.exposeChain`) until {@link CertificateCache.dropSigned}.
   * @default false
   */
  readonly keepSigned?: boolean;
}

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
  /**
   * The DER of each certificate, held only while a chain check may still need it:
   * one copy, as a one-byte string, cut into its signed parts when checked. For
   * 10,000 leaves whose issuer is not at hand (files-10k-facts), four byte arrays
   * of the parts held 19.4 MiB of malloc heap, one string 9.4 MiB: a byte array
   * is three objects and a malloc block beside its bytes.
   */
  readonly #signed: WeakMap<Certificate, string> | undefined;
  hits = 0;
  misses = 0;

  constructor(options: CertificateCacheOptions = {}) {
    this.#signed = options.keepSigned ? new WeakMap() : undefined;
  }

  /** True when signed bytes are kept (chains are checked). */
  get keepsSigned(): boolean {
    return this.#signed !== undefined;
  }

  /** What a signature check of `cert` needs, while kept. */
  signed(cert: Certificate): SignedParts | undefined {
    const der = this.#signed?.get(cert);
    return der === undefined ? undefined : signedParts(fromBinary(der));
  }

  /** Forgets the signed bytes of `cert` (its signature was checked). */
  dropSigned(cert: Certificate): void {
    this.#signed?.delete(cert);
  }

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
    const cert = parseCertificate(der, key, { names: this.#signed !== undefined });
    // A copy: `der` is often a view into a whole file or Secret value.
    this.#signed?.set(cert, toBinary(der));
    this.#entries.set(key, new WeakRef(cert));
    this.#forget.register(cert, key);
    return cert;
  }
}
