import type { Certificate } from "../bundle.ts";
import { fromBinary, toBinary } from "./der.ts";
import { parseCertificate, sha256Hex, type SignedParts, signedParts } from "./x509.ts";

/** No sweep below this many entries: they weigh ~20 KiB. */
const SWEEP_MIN = 256;

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
 * Collected entries are swept when the map has doubled since the last sweep,
 * not through a FinalizationRegistry, whose cell per entry weighed 72 bytes
 * (7 MiB at 100,000 certificates, more than the WeakRefs themselves).
 */
export class CertificateCache {
  readonly #entries = new Map<string, WeakRef<Certificate>>();
  /** Entries after the last sweep: the next one runs at twice as many. */
  #swept = 0;
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
    if (this.#entries.size >= Math.max(SWEEP_MIN, 2 * this.#swept)) this.#sweep();
    return cert;
  }

  /** Forgets the entries whose certificate was collected: amortized O(1) a parse. */
  #sweep(): void {
    for (const [key, ref] of this.#entries) {
      if (ref.deref() === undefined) this.#entries.delete(key);
    }
    this.#swept = this.#entries.size;
  }
}
