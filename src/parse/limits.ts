/**
 * How much work one input may cost the parse layer. Every decode is
 * synchronous on the event loop, so each bound here is what keeps one hostile
 * or broken file from stalling every other source and the scrape. The values
 * come from the config layer; the parse layer has no defaults of its own.
 *
 * @module
 */

export interface DecodeLimits {
  /** Bytes of one input (a file, an object value); a larger one is not decoded: `too_large`. */
  readonly maxInputBytes: number;
  /**
   * Certificates and CRLs kept per bundle. The rest are dropped and counted in
   * one `too_many_items` error item.
   */
  readonly maxCertificates: number;
  /**
   * Error items kept per bundle (broken blocks, unreadable entries). The rest
   * are dropped and counted in the same single `too_many_items` item.
   */
  readonly maxErrorItems: number;
  /**
   * Highest PKCS#12 MAC or key-derivation iteration count worked through; a
   * file asking for more is refused before any KDF runs: `too_many_iterations`.
   */
  readonly maxPkcs12Iterations: number;
  /**
   * Deepest nesting walked by the recursive parsers: ASN.1 handed to the
   * PKCS#12 parser, Java serialization streams in JCEKS keystores. Deeper
   * input is malformed for every practical purpose: `bad_pkcs12` / `bad_jks`.
   */
  readonly maxNestingDepth: number;
}
