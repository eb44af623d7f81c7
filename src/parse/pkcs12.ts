/**
 * Certificates out of PKCS#12 (.p12/.pfx) files.
 *
 * The PFX structure is walked here and the certificate bags are copied out
 * byte for byte: node-forge's own `pkcs12FromAsn1` re-parses every
 * certificate (and gives up on EC ones) and decrypts private keys we never
 * need. node-forge is used only for its cryptography: the PKCS#12 KDF, HMAC,
 * PBES2 (AES/3DES) and the legacy PKCS#12 PBE ciphers (RC2-40, 3DES), which
 * WebCrypto and Deno's node:crypto lack.
 *
 * @module
 */
import { SourceError } from "../errors.ts";
import { checkNesting } from "./der.ts";
import type { DecodeLimits } from "./limits.ts";
import { isPkcs12Like } from "./pkcs12_job.ts";
import {
  type Asn1,
  type Cipher,
  CONTEXT,
  type DigestName,
  forge,
  fromBinary,
  INTEGER,
  OCTET_STRING,
  OID,
  parseAsn1,
  SEQUENCE,
  toBinary,
  UNIVERSAL,
} from "./_forge.ts";

const OIDS = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  certBag: "1.2.840.113549.1.12.10.1.3",
  safeContentsBag: "1.2.840.113549.1.12.10.1.6",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  pbes2: "1.2.840.113549.1.5.13",
} as const;

/** Legacy PKCS#12 PBE schemes node-forge implements (`openssl pkcs12 -legacy` uses both). */
const PKCS12_PBE = new Set([
  "1.2.840.113549.1.12.1.3", // pbeWithSHAAnd3-KeyTripleDES-CBC
  "1.2.840.113549.1.12.1.6", // pbeWithSHAAnd40BitRC2-CBC
]);

const MAC_DIGESTS: Readonly<Record<string, DigestName>> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

/** What one file may cost: the KDFs run in JavaScript, on the event loop. */
type Pkcs12Limits = Pick<DecodeLimits, "maxPkcs12Iterations" | "maxNestingDepth">;
/** Nested SafeContents bags are legal but never deep in practice. */
const MAX_NESTING = 8;

/** A passphrase in the two encodings PKCS#12 uses for it. */
interface Candidate {
  /** For the PKCS#12 KDF (MAC, legacy PBE): node-forge encodes it as BMPString; null is "no password". */
  readonly bmp: string | null;
  /** For PBES2: the UTF-8 bytes, as OpenSSL and Java feed PBKDF2. */
  readonly utf8: string;
}

interface MacData {
  readonly digest: DigestName;
  readonly expected: string;
  readonly salt: string;
  readonly iterations: number;
}

interface EncryptedContent {
  readonly oid: string;
  readonly params: Asn1;
  readonly ciphertext: string;
}

/**
 * Returns the DER of every X.509 certificate in a PKCS#12 file, in file order,
 * from plain and encrypted safe contents alike. Synchronous.
 *
 * `passphrases` are tried in order; an empty one also stands for "no
 * password", which some tools write instead.
 *
 * Iteration counts are checked against `limits.maxPkcs12Iterations` before
 * any key derivation runs, and every ASN.1 structure against
 * `limits.maxNestingDepth` before node-forge (which recurses) parses it.
 *
 * @throws {SourceError} `bad_passphrase` when none verifies the MAC or decrypts the contents,
 *   `too_many_iterations` when a KDF asks for more iterations than allowed,
 *   `bad_pkcs12` for malformed, truncated, too deeply nested or unsupported input,
 *   `no_certificate_found` for a file without certificates.
 */
export function extractPkcs12Certificates(
  data: Uint8Array,
  passphrases: readonly string[],
  limits: Pkcs12Limits,
): Uint8Array[] {
  try {
    return extract(data, passphrases, limits);
  } catch (err) {
    if (err instanceof SourceError) throw err;
    // node-forge throws plain Errors (and RangeError on absurd nesting) for malformed input.
    const detail = err instanceof Error ? err.message : String(err);
    throw new SourceError("bad_pkcs12", `Cannot parse PKCS#12: ${detail}`, { cause: err });
  }
}

function extract(
  data: Uint8Array,
  passphrases: readonly string[],
  limits: Pkcs12Limits,
): Uint8Array[] {
  if (!isPkcs12Like(data)) throw bad("not a PFX structure");
  checkNesting(data, limits.maxNestingDepth);
  // Trailing bytes after the PFX are ignored, as OpenSSL does.
  const pfx = children(parseAsn1(toBinary(data), false), 2, "PFX");
  const authSafe = contentInfo(pfx[1]!, "authSafe");
  if (authSafe.oid !== OIDS.data) throw bad(`unsupported authSafe content type ${authSafe.oid}`);
  const authSafeBytes = octets(explicitContent(authSafe.content), "authSafe");

  let candidates = passphrases.flatMap(toCandidates);
  if (pfx[2] !== undefined) {
    const mac = macData(pfx[2], limits.maxPkcs12Iterations);
    const index = candidates.findIndex((c) => macMatches(mac, authSafeBytes, c));
    if (index < 0) {
      throw new SourceError("bad_passphrase", "PKCS#12 MAC check failed: wrong passphrase");
    }
    // The MAC passphrase almost always encrypts the contents too; try it first.
    candidates = [candidates[index]!, ...candidates.filter((_, i) => i !== index)];
  }

  const certs: Uint8Array[] = [];
  const authenticatedSafe = parse(authSafeBytes, "AuthenticatedSafe", limits);
  for (const item of children(authenticatedSafe, 0, "AuthenticatedSafe")) {
    const info = contentInfo(item, "AuthenticatedSafe entry");
    if (info.oid === OIDS.data) {
      const safeContents = parse(
        octets(explicitContent(info.content), "SafeContents"),
        "SafeContents",
        limits,
      );
      collectCertificates(safeContents, certs, 0);
    } else if (info.oid === OIDS.encryptedData) {
      const encrypted = encryptedContent(explicitContent(info.content), limits);
      const found = decryptWithAny(encrypted, candidates, limits);
      if (found === undefined) {
        throw new SourceError(
          "bad_passphrase",
          "Cannot decrypt PKCS#12 contents: wrong passphrase",
        );
      }
      candidates = [found.candidate, ...candidates.filter((c) => c !== found.candidate)];
      collectCertificates(found.safeContents, certs, 0);
    } else {
      // envelopedData (public-key privacy mode) needs the recipient's private key.
      throw bad(`unsupported content type ${info.oid}`);
    }
  }
  if (certs.length === 0) {
    throw new SourceError("no_certificate_found", "PKCS#12 file holds no certificate");
  }
  return certs;
}

function toCandidates(passphrase: string): Candidate[] {
  const utf8 = toBinary(new TextEncoder().encode(passphrase));
  // OpenSSL MACs an empty password as the BMPString terminator, Windows as zero bytes.
  return passphrase === "" ? [{ bmp: "", utf8 }, { bmp: null, utf8 }] : [{ bmp: passphrase, utf8 }];
}

function macData(node: Asn1, maxIterations: number): MacData {
  const [digestInfo, salt, iterations] = children(node, 2, "MacData");
  const [algorithm, digest] = children(digestInfo!, 2, "MacData digest");
  const oid = oidOf(children(algorithm!, 1, "MAC algorithm")[0]!);
  const name = MAC_DIGESTS[oid];
  if (name === undefined) throw bad(`unsupported MAC algorithm ${oid}`);
  return {
    digest: name,
    expected: primitive(digest!, OCTET_STRING, "MAC digest"),
    salt: primitive(salt!, OCTET_STRING, "MAC salt"),
    iterations: iterations === undefined ? 1 : iterationCount(iterations, maxIterations),
  };
}

function macMatches(mac: MacData, content: string, candidate: Candidate): boolean {
  const md = forge.md[mac.digest].create();
  const salt = forge.util.createBuffer(mac.salt);
  const key = forge.pkcs12.generateKey(candidate.bmp, salt, 3, mac.iterations, md.digestLength, md);
  const hmac = forge.hmac.create();
  hmac.start(forge.md[mac.digest].create(), key);
  hmac.update(content);
  return hmac.digest().getBytes() === mac.expected;
}

function encryptedContent(node: Asn1, limits: Pkcs12Limits): EncryptedContent {
  const [, info] = children(node, 2, "EncryptedData");
  const [, algorithm, ciphertext] = children(info!, 3, "EncryptedContentInfo");
  const [oidNode, params] = children(algorithm!, 2, "encryption algorithm");
  const oid = oidOf(oidNode!);
  if (oid !== OIDS.pbes2 && !PKCS12_PBE.has(oid)) throw bad(`unsupported encryption ${oid}`);
  checkIterations(oid, params!, limits.maxPkcs12Iterations);
  // encryptedContent is [0] IMPLICIT OCTET STRING, primitive or (BER) chunked.
  if (ciphertext!.tagClass !== CONTEXT || ciphertext!.type !== 0) {
    throw bad("missing encrypted content");
  }
  return { oid, params: params!, ciphertext: octets(ciphertext!, "encrypted content", true) };
}

/** Refuses huge KDF iteration counts before node-forge starts looping on them. */
function checkIterations(oid: string, params: Asn1, maxIterations: number): void {
  if (oid === OIDS.pbes2) {
    const [kdf] = children(params, 2, "PBES2 parameters");
    const [, kdfParams] = children(kdf!, 2, "PBES2 key derivation");
    iterationCount(children(kdfParams!, 2, "PBKDF2 parameters")[1]!, maxIterations);
  } else {
    iterationCount(children(params, 2, "PBE parameters")[1]!, maxIterations);
  }
}

function decryptWithAny(
  encrypted: EncryptedContent,
  candidates: readonly Candidate[],
  limits: Pkcs12Limits,
): { candidate: Candidate; safeContents: Asn1 } | undefined {
  for (const candidate of candidates) {
    const cipher = startCipher(encrypted, candidate);
    cipher.update(forge.util.createBuffer(encrypted.ciphertext));
    // A wrong key shows as bad padding or, when the padding happens to pass, as non-DER.
    if (!cipher.finish()) continue;
    const plaintext = cipher.output.getBytes();
    // Outside the try: too deep is a bad file, not a wrong key (whose random bytes all but
    // never nest that deep).
    checkNesting(fromBinary(plaintext), limits.maxNestingDepth);
    try {
      const safeContents = parseAsn1(plaintext, true);
      if (safeContents.type === SEQUENCE) return { candidate, safeContents };
    } catch {
      continue;
    }
  }
  return undefined;
}

function startCipher(encrypted: EncryptedContent, candidate: Candidate): Cipher {
  const { pbe } = forge.pki;
  return encrypted.oid === OIDS.pbes2
    ? pbe.getCipherForPBES2(encrypted.oid, encrypted.params, candidate.utf8)
    : pbe.getCipherForPKCS12PBE(encrypted.oid, encrypted.params, candidate.bmp);
}

function collectCertificates(safeContents: Asn1, out: Uint8Array[], depth: number): void {
  if (depth > MAX_NESTING) throw bad("SafeContents nested too deeply");
  for (const bag of children(safeContents, 0, "SafeContents")) {
    const [idNode, valueNode] = children(bag, 2, "SafeBag");
    const bagId = oidOf(idNode!);
    if (bagId === OIDS.certBag) {
      const [certId, certValue] = children(explicitContent(valueNode), 2, "CertBag");
      // Other certificate types (SDSI) carry nothing we can report.
      if (oidOf(certId!) !== OIDS.x509Certificate) continue;
      out.push(fromBinary(octets(explicitContent(certValue), "certificate")));
    } else if (bagId === OIDS.safeContentsBag) {
      collectCertificates(explicitContent(valueNode), out, depth + 1);
    }
    // Key, shrouded-key, CRL and secret bags are skipped: only certificates are reported.
  }
}

function contentInfo(node: Asn1, what: string): { oid: string; content: Asn1 | undefined } {
  const [oid, content] = children(node, 1, what);
  return { oid: oidOf(oid!), content };
}

/** Unwraps `[0] EXPLICIT`. */
function explicitContent(node: Asn1 | undefined): Asn1 {
  if (node === undefined || node.tagClass !== CONTEXT || node.type !== 0) {
    throw bad("missing [0] content");
  }
  return children(node, 1, "[0] content")[0]!;
}

function children(node: Asn1, min: number, what: string): Asn1[] {
  if (!node.constructed || typeof node.value === "string" || node.value.length < min) {
    throw bad(`malformed ${what}`);
  }
  return node.value;
}

function primitive(node: Asn1, type: number, what: string): string {
  if (node.tagClass !== UNIVERSAL || node.type !== type || typeof node.value !== "string") {
    throw bad(`malformed ${what}`);
  }
  return node.value;
}

function oidOf(node: Asn1): string {
  return forge.asn1.derToOid(primitive(node, OID, "object identifier"));
}

/** The bytes of an OCTET STRING, joining the chunks of a BER constructed one. */
function octets(node: Asn1, what: string, implicit = false): string {
  if (!implicit && (node.tagClass !== UNIVERSAL || node.type !== OCTET_STRING)) {
    throw bad(`malformed ${what}`);
  }
  if (typeof node.value === "string") return node.value;
  return node.value.map((chunk) => octets(chunk, what)).join("");
}

function iterationCount(node: Asn1, maxIterations: number): number {
  const bytes = primitive(node, INTEGER, "iteration count");
  if (bytes.length === 0 || bytes.charCodeAt(0) >= 0x80) throw bad("iteration count out of range");
  // Leading zero bytes are legal in BER; more than four significant ones exceed any limit.
  const significant = bytes.replace(/^\0+/, "");
  let value = 0;
  for (const ch of significant.slice(0, 4)) value = value * 256 + ch.charCodeAt(0);
  if (significant.length === 0) throw bad("iteration count out of range"); // zero
  if (significant.length > 4 || value > maxIterations) {
    const count = significant.length > 4 ? "2^32 or more" : String(value);
    throw new SourceError(
      "too_many_iterations",
      `PKCS#12 asks for ${count} KDF iterations, more than the limit of ${maxIterations}`,
    );
  }
  return value;
}

function parse(bytes: string, what: string, limits: Pkcs12Limits): Asn1 {
  checkNesting(fromBinary(bytes), limits.maxNestingDepth);
  try {
    return parseAsn1(bytes, true);
  } catch (err) {
    throw bad(`malformed ${what}`, err);
  }
}

function bad(detail: string, cause?: unknown): SourceError {
  return new SourceError("bad_pkcs12", `Cannot parse PKCS#12: ${detail}`, { cause });
}
