/**
 * Signature checks for the chain resolver (src/chain.ts): each (certificate,
 * issuer key) pair is checked once with WebCrypto, which runs off the main
 * thread, a few at a time; a certificate checked under a key lets its signed
 * bytes go. The algorithm table maps X.509 signature OIDs to WebCrypto's.
 */
import { createHash } from "node:crypto";
import type { Certificate } from "./bundle.ts";
import type { CertificateCache } from "./parse/cert_cache.ts";
import { pssHash, type SignedParts } from "./parse/x509.ts";

/** Signature checks in flight at once (they run on Deno's blocking thread pool). */
const CONCURRENCY = 8;

interface KeyRecord {
  readonly spki: Uint8Array;
  /** SHA-256 of the SPKI: a signature checked under one key is checked for every issuer with it. */
  readonly id: string;
  readonly imported: Map<string, Promise<CryptoKey | undefined>>;
}

interface Memo {
  /** The key id that verified this certificate's signature. */
  signer?: string;
  /** Made on first need: most certificates verify at the first try. */
  rejected?: Set<string>;
  pending?: Map<string, Promise<Verdict>>;
}

export type Verdict = "ok" | "bad" | "unsupported" | "unverifiable";

/** Checks signatures, each (certificate, issuer key) pair once. */
export class Verifier {
  readonly #cache: CertificateCache;
  readonly #keys = new WeakMap<Certificate, KeyRecord | null>();
  readonly #memo = new WeakMap<Certificate, Memo>();
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(cache: CertificateCache) {
    this.#cache = cache;
  }

  /** The public key of `cert`, while known. */
  keyOf(cert: Certificate): KeyRecord | undefined {
    let rec = this.#keys.get(cert);
    if (rec === undefined) {
      const spki = this.#cache.signed(cert)?.spki;
      rec = spki
        ? { spki, id: createHash("sha256").update(spki).digest("hex"), imported: new Map() }
        : null;
      this.#keys.set(cert, rec);
    }
    return rec ?? undefined;
  }

  verify(cert: Certificate, issuer: Certificate): Promise<Verdict> {
    const key = this.keyOf(issuer);
    if (canIssue(cert)) this.keyOf(cert); // an issuer's key, captured before its bytes may go
    let memo = this.#memo.get(cert);
    if (!memo) {
      memo = {};
      this.#memo.set(cert, memo);
    }
    if (!key) return Promise.resolve("unverifiable");
    if (memo.signer !== undefined) return Promise.resolve(memo.signer === key.id ? "ok" : "bad");
    if (memo.rejected?.has(key.id)) return Promise.resolve("bad");
    const parts = this.#cache.signed(cert);
    if (!parts) return Promise.resolve("unverifiable");
    let pending = memo.pending?.get(key.id);
    if (!pending) {
      const m = memo;
      pending = this.#check(parts, issuer, key).then((verdict) => {
        m.pending?.delete(key.id);
        if (m.pending?.size === 0) delete m.pending;
        if (verdict === "ok") {
          m.signer = key.id;
          // Checked: a different key cannot have made the same signature, so the bytes go.
          if (cert !== issuer) this.#cache.dropSigned(cert);
        } else if (verdict === "bad") (m.rejected ??= new Set()).add(key.id);
        return verdict;
      });
      (memo.pending ??= new Map()).set(key.id, pending);
    }
    return pending;
  }

  async #check(parts: SignedParts, issuer: Certificate, key: KeyRecord): Promise<Verdict> {
    const alg = webCryptoAlgorithm(parts, issuer);
    if (!alg) return "unsupported";
    let imported = key.imported.get(alg.cacheKey);
    if (!imported) {
      imported = crypto.subtle.importKey(
        "spki",
        key.spki as BufferSource,
        alg.importParams,
        false,
        [
          "verify",
        ],
      ).catch(() => undefined);
      key.imported.set(alg.cacheKey, imported);
    }
    const cryptoKey = await imported;
    if (!cryptoKey) return "unsupported";
    const signature = alg.rawSignature
      ? derToRaw(parts.signature, alg.rawSignature)
      : parts.signature;
    if (!signature) return "bad";
    await this.#slot();
    try {
      const ok = await crypto.subtle.verify(
        alg.verifyParams,
        cryptoKey,
        signature as BufferSource,
        parts.tbs as BufferSource,
      );
      return ok ? "ok" : "bad";
    } catch {
      return "bad";
    } finally {
      this.#release();
    }
  }

  async #slot(): Promise<void> {
    while (this.#inFlight >= CONCURRENCY) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#inFlight++;
  }

  #release(): void {
    this.#inFlight--;
    this.#waiting.shift()?.();
  }
}

interface WebCryptoAlgorithm {
  readonly cacheKey: string;
  readonly importParams: AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams;
  readonly verifyParams: AlgorithmIdentifier | RsaPssParams | EcdsaParams;
  /** ECDSA: WebCrypto wants r‖s, each this many bytes, not the DER of X.509. */
  readonly rawSignature?: number;
}

const RSA_HASHES: Record<string, string> = {
  "1.2.840.113549.1.1.5": "SHA-1",
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
};
const ECDSA_HASHES: Record<string, string> = {
  "1.2.840.10045.4.1": "SHA-1",
  "1.2.840.10045.4.3.2": "SHA-256",
  "1.2.840.10045.4.3.3": "SHA-384",
  "1.2.840.10045.4.3.4": "SHA-512",
};
const CURVES: Record<number, [string, number]> = {
  256: ["P-256", 32],
  384: ["P-384", 48],
  521: ["P-521", 66],
};
const HASH_BYTES: Record<string, number> = {
  "SHA-1": 20,
  "SHA-256": 32,
  "SHA-384": 48,
  "SHA-512": 64,
};

function webCryptoAlgorithm(
  parts: SignedParts,
  issuer: Certificate,
): WebCryptoAlgorithm | undefined {
  const oid = parts.algorithm;
  const rsaHash = RSA_HASHES[oid];
  if (rsaHash) {
    const name = "RSASSA-PKCS1-v1_5";
    return {
      cacheKey: `${name}/${rsaHash}`,
      importParams: { name, hash: rsaHash },
      verifyParams: name,
    };
  }
  if (oid === "1.2.840.113549.1.1.10") {
    const hash = pssHash(parts.algorithmParams);
    if (!hash) return undefined;
    return {
      cacheKey: `RSA-PSS/${hash}`,
      importParams: { name: "RSA-PSS", hash },
      verifyParams: { name: "RSA-PSS", saltLength: HASH_BYTES[hash]! },
    };
  }
  const ecHash = ECDSA_HASHES[oid];
  if (ecHash) {
    const curve = CURVES[issuer.keyBits ?? 0];
    if (!curve || issuer.keyType !== "ecdsa") return undefined;
    return {
      cacheKey: `ECDSA/${curve[0]}`,
      importParams: { name: "ECDSA", namedCurve: curve[0] },
      verifyParams: { name: "ECDSA", hash: ecHash },
      rawSignature: curve[1],
    };
  }
  if (oid === "1.3.101.112") {
    return { cacheKey: "Ed25519", importParams: "Ed25519", verifyParams: "Ed25519" };
  }
  return undefined;
}

/** An ECDSA-Sig-Value `SEQUENCE { r INTEGER, s INTEGER }` as r‖s of `n` bytes each. */
function derToRaw(sig: Uint8Array, n: number): Uint8Array | undefined {
  const read = (at: number): [number, number] | undefined => {
    if (sig[at] !== 0x02) return undefined;
    const len = sig[at + 1]!;
    if (len >= 0x80) return undefined;
    return [at + 2, at + 2 + len];
  };
  if (sig[0] !== 0x30) return undefined;
  const headerLen = sig[1]! < 0x80 ? 2 : 2 + (sig[1]! & 0x7f);
  const r = read(headerLen);
  if (!r) return undefined;
  const s = read(r[1]);
  if (!s) return undefined;
  const out = new Uint8Array(2 * n);
  for (const [[start, end], offset] of [[r, 0], [s, n]] as const) {
    let from = start;
    while (end - from > n && sig[from] === 0) from++;
    if (end - from > n) return undefined;
    out.set(sig.subarray(from, end), offset + n - (end - from));
  }
  return out;
}

/**
 * Only CAs issue, as Go's verifier has it (trust-store roots are taken whatever their
 * extensions). Leaves are then never indexed nor keep their key: 10,000 leaves cost nothing.
 */
export function canIssue(cert: Certificate): boolean {
  return cert.isCa === true;
}
