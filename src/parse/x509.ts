import { hash } from "node:crypto";
import type { Certificate, DistinguishedName, DnField } from "../bundle.ts";
import { Interner, same } from "../intern.ts";
import {
  children,
  decodeIntegerDecimal,
  decodeOid,
  decodeString,
  decodeTime,
  DerError,
  expect,
  readTlv,
  TAG,
  type Tlv,
  toBinary,
} from "./der.ts";

const DN_OIDS: Record<string, DnField> = {
  "2.5.4.6": "C",
  "2.5.4.8": "ST",
  "2.5.4.7": "L",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.3": "CN",
};

/** SHA-256 of `der`, lowercase hex. */
export function sha256Hex(der: Uint8Array): string {
  // One call: a Hash object and its update and digest calls cost 30% more per certificate.
  return hash("sha256", der, "hex");
}

/**
 * Reads a Name into the values upstream's labels use: the first C, ST, L, O and
 * OU, and the last CN — the same choice Go's pkix.Name makes, so label values
 * match the Go exporter's for multi-valued names.
 */
export function parseName(data: Uint8Array, name: Tlv): DistinguishedName {
  const out: DistinguishedName = {};
  // Indexed loops: without TurboFan, for...of over an array allocates an iterator result per
  // element (a fifth of a first sync's garbage at 100,000 certificates came from `next`).
  const rdns = children(data, name);
  for (let i = 0; i < rdns.length; i++) {
    const rdn = rdns[i]!;
    if (rdn.tag !== TAG.SET) throw new DerError("Expected an RDN SET", rdn.offset);
    const atvs = children(data, rdn);
    for (let j = 0; j < atvs.length; j++) {
      const atv = atvs[j]!;
      if (atv.tag !== TAG.SEQUENCE) {
        throw new DerError("Expected an AttributeTypeAndValue", atv.offset);
      }
      const oid = expect(data, atv.start, TAG.OID, atv.end);
      const field = DN_OIDS[decodeOid(data, oid)];
      if (!field) continue;
      const value = decodeString(data, readTlv(data, oid.end, atv.end));
      if (value === undefined) continue;
      if (field === "CN") out[field] = value;
      else if (out[field] === undefined) out[field] = VALUES.get(value, same);
    }
  }
  return out;
}

/**
 * Parses one DER certificate. Throws DerError when the structure is not a
 * certificate; the signature is not checked here (see src/chain.ts).
 * The outer encoding must span `der` exactly, so trailing garbage is caught.
 */
export function parseCertificate(
  der: Uint8Array,
  fingerprint = sha256Hex(der),
  options: { names?: boolean } = {},
): Certificate {
  const cert = expect(der, 0, TAG.SEQUENCE);
  if (cert.end !== der.length) throw new DerError("Trailing data after certificate", cert.end);
  const tbs = expect(der, cert.start, TAG.SEQUENCE, cert.end);
  let pos = tbs.start;
  let field = readTlv(der, pos, tbs.end);
  if (field.tag === 0xa0) {
    pos = field.end; // explicit [0] version
    field = readTlv(der, pos, tbs.end);
  }
  if (field.tag !== TAG.INTEGER) throw new DerError("Expected the serial number", field.offset);
  const serial = decodeIntegerDecimal(der, field);
  const sigAlg = expect(der, field.end, TAG.SEQUENCE, tbs.end);
  const issuer = expect(der, sigAlg.end, TAG.SEQUENCE, tbs.end);
  const validity = expect(der, issuer.end, TAG.SEQUENCE, tbs.end);
  const subject = expect(der, validity.end, TAG.SEQUENCE, tbs.end);
  const spki = expect(der, subject.end, TAG.SEQUENCE, tbs.end);
  const notBeforeTlv = readTlv(der, validity.start, validity.end);
  const notAfterTlv = readTlv(der, notBeforeTlv.end, validity.end);
  // The signature algorithm and value must follow the TBS.
  const outerSigAlg = expect(der, tbs.end, TAG.SEQUENCE, cert.end);
  expect(der, outerSigAlg.end, TAG.BIT_STRING, cert.end);
  const issuerName = sharedIssuer(der, issuer);
  const key = lenient(() => keyFacts(der, spki), { type: "", bits: 0 });
  const ext = lenient(() => extensionFacts(der, spki.end, tbs.end), NO_EXTENSIONS);
  return {
    fingerprint,
    serial,
    notBefore: decodeTime(der, notBeforeTlv),
    notAfter: decodeTime(der, notAfterTlv),
    issuer: issuerName.dn,
    subject: parseName(der, subject),
    sans: ext.sans,
    keyType: key.type,
    keyBits: key.bits,
    signatureAlgorithm: lenient(() => signatureAlgorithmName(der, outerSigAlg), ""),
    isCa: ext.isCa,
    hasBasicConstraints: ext.hasBasicConstraints,
    // The names' DER, kept only to find issuers (chains): ~300 bytes a certificate otherwise.
    ...(options.names ?? true
      ? {
        subjectKey: byteString(der, subject.offset, subject.end),
        issuerKey: issuerName.key,
      }
      : {}),
  };
}

/** Name values other than the CN (organisation, unit, country...): a few repeat everywhere. */
const VALUES = new Interner(4096);

/** Issuers, by their Name's DER: a handful of CAs sign thousands of certificates. */
const ISSUERS = new Interner<{ readonly key: string; readonly dn: DistinguishedName }>(1000);

/**
 * The issuer's parsed Name and its DER as a string, one shared copy per distinct
 * issuer (the object and its strings were ~150 bytes a certificate).
 */
function sharedIssuer(der: Uint8Array, issuer: Tlv): { key: string; dn: DistinguishedName } {
  return ISSUERS.get(
    byteString(der, issuer.offset, issuer.end),
    (key) => ({ key, dn: Object.freeze(parseName(der, issuer)) }),
  );
}

/**
 * What a signature check needs, as views into the certificate's DER (the cache
 * keeps one copy of it, never a whole file's buffer): the signed TBS bytes, the
 * signature, its algorithm (OID and parameters' DER) and the certificate's own
 * SubjectPublicKeyInfo.
 */
export interface SignedParts {
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
  readonly algorithm: string;
  readonly algorithmParams: Uint8Array | undefined;
  readonly spki: Uint8Array;
}

/**
 * Reads {@link SignedParts} of a certificate {@link parseCertificate} accepted,
 * as views into `der` (which they keep alive).
 */
export function signedParts(der: Uint8Array): SignedParts {
  const cert = expect(der, 0, TAG.SEQUENCE);
  const tbs = expect(der, cert.start, TAG.SEQUENCE, cert.end);
  let field = readTlv(der, tbs.start, tbs.end);
  if (field.tag === 0xa0) field = readTlv(der, field.end, tbs.end);
  let at = field.end; // past the serial: signature, issuer, validity, subject, then the SPKI
  for (let i = 0; i < 4; i++) at = readTlv(der, at, tbs.end).end;
  const spki = expect(der, at, TAG.SEQUENCE, tbs.end);
  const alg = expect(der, tbs.end, TAG.SEQUENCE, cert.end);
  const sig = expect(der, alg.end, TAG.BIT_STRING, cert.end);
  const oid = expect(der, alg.start, TAG.OID, alg.end);
  return {
    tbs: der.subarray(tbs.offset, tbs.end),
    signature: der.subarray(sig.start + 1, sig.end),
    algorithm: decodeOid(der, oid),
    algorithmParams: oid.end < alg.end ? der.subarray(oid.end, alg.end) : undefined,
    spki: der.subarray(spki.offset, spki.end),
  };
}

function byteString(der: Uint8Array, start: number, end: number): string {
  return toBinary(der.subarray(start, end));
}

const KEY_TYPES: Record<string, string> = {
  "1.2.840.113549.1.1.1": "rsa",
  "1.2.840.113549.1.1.10": "rsa",
  "1.2.840.10045.2.1": "ecdsa",
  "1.3.101.112": "ed25519",
  "1.3.101.113": "ed448",
  "1.2.840.10040.4.1": "dsa",
};

const CURVE_BITS: Record<string, number> = {
  "1.2.840.10045.3.1.7": 256, // P-256
  "1.3.132.0.34": 384, // P-384
  "1.3.132.0.35": 521, // P-521
  "1.3.132.0.10": 256, // secp256k1
  "1.2.840.10045.3.1.1": 192, // P-192
  "1.3.132.0.33": 224, // P-224
};

/** Go's crypto/x509 names, so a dashboard built on either exporter reads the same. */
const SIGNATURE_NAMES: Record<string, string> = {
  "1.2.840.113549.1.1.4": "MD5-RSA",
  "1.2.840.113549.1.1.5": "SHA1-RSA",
  "1.2.840.113549.1.1.11": "SHA256-RSA",
  "1.2.840.113549.1.1.12": "SHA384-RSA",
  "1.2.840.113549.1.1.13": "SHA512-RSA",
  "1.2.840.10045.4.1": "ECDSA-SHA1",
  "1.2.840.10045.4.3.2": "ECDSA-SHA256",
  "1.2.840.10045.4.3.3": "ECDSA-SHA384",
  "1.2.840.10045.4.3.4": "ECDSA-SHA512",
  "1.3.101.112": "Ed25519",
  "1.3.101.113": "Ed448",
  "1.2.840.10040.4.3": "DSA-SHA1",
  "2.16.840.1.101.3.4.3.2": "DSA-SHA256",
};

/** Hash OIDs inside RSASSA-PSS parameters. */
export const HASH_OIDS: Record<string, "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512"> = {
  "1.3.14.3.2.26": "SHA-1",
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

/** The hash an RSASSA-PSS AlgorithmIdentifier's parameters name (SHA-1 when absent, per RFC 4055). */
export function pssHash(params: Uint8Array | undefined): string | undefined {
  if (!params || params.length === 0) return "SHA-1";
  try {
    const seq = expect(params, 0, TAG.SEQUENCE);
    if (seq.start === seq.end) return "SHA-1";
    const first = readTlv(params, seq.start, seq.end);
    if (first.tag !== 0xa0) return "SHA-1";
    const alg = expect(params, first.start, TAG.SEQUENCE, first.end);
    return HASH_OIDS[decodeOid(params, expect(params, alg.start, TAG.OID, alg.end))];
  } catch {
    return undefined;
  }
}

function signatureAlgorithmName(der: Uint8Array, alg: Tlv): string {
  const oidTlv = expect(der, alg.start, TAG.OID, alg.end);
  const oid = decodeOid(der, oidTlv);
  if (oid === "1.2.840.113549.1.1.10") {
    const hash = pssHash(oidTlv.end < alg.end ? der.subarray(oidTlv.end, alg.end) : undefined);
    return hash ? `${hash.replace("-", "")}-RSAPSS` : "RSAPSS";
  }
  return SIGNATURE_NAMES[oid] ?? oid;
}

/** Bits of a big-endian unsigned INTEGER's magnitude. */
function integerBits(der: Uint8Array, tlv: Tlv): number {
  let i = tlv.start;
  while (i < tlv.end && der[i] === 0) i++;
  if (i === tlv.end) return 0;
  return (tlv.end - i - 1) * 8 + (32 - Math.clz32(der[i]!));
}

function keyFacts(der: Uint8Array, spki: Tlv): { type: string; bits: number } {
  const alg = expect(der, spki.start, TAG.SEQUENCE, spki.end);
  const oidTlv = expect(der, alg.start, TAG.OID, alg.end);
  const oid = decodeOid(der, oidTlv);
  const type = KEY_TYPES[oid] ?? oid;
  let bits = 0;
  try {
    if (type === "rsa") {
      const key = expect(der, alg.end, TAG.BIT_STRING, spki.end);
      const seq = expect(der, key.start + 1, TAG.SEQUENCE, key.end);
      bits = integerBits(der, expect(der, seq.start, TAG.INTEGER, seq.end));
    } else if (type === "ecdsa" && oidTlv.end < alg.end) {
      const curve = readTlv(der, oidTlv.end, alg.end);
      if (curve.tag === TAG.OID) bits = CURVE_BITS[decodeOid(der, curve)] ?? 0;
    } else if (type === "ed25519") bits = 256;
    else if (type === "ed448") bits = 456;
    else if (type === "dsa" && oidTlv.end < alg.end) {
      const params = expect(der, oidTlv.end, TAG.SEQUENCE, alg.end);
      bits = integerBits(der, expect(der, params.start, TAG.INTEGER, params.end));
    }
  } catch (err) {
    if (!(err instanceof DerError)) throw err;
  }
  return { type, bits };
}

const EXT_SAN = "2.5.29.17";
const EXT_BASIC_CONSTRAINTS = "2.5.29.19";

interface ExtensionFacts {
  readonly sans: readonly string[];
  readonly isCa: boolean;
  readonly hasBasicConstraints: boolean;
}

const NO_SANS: readonly string[] = Object.freeze([]);

const NO_EXTENSIONS: ExtensionFacts = { sans: NO_SANS, isCa: false, hasBasicConstraints: false };

/** Facts only: a malformed key or extension costs its facts, never the expiry series. */
function lenient<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof DerError)) throw err;
    return fallback;
  }
}

/** SANs and basicConstraints from the optional fields after the SPKI (`[3] extensions`). */
function extensionFacts(der: Uint8Array, from: number, end: number): ExtensionFacts {
  let sans = NO_SANS;
  let isCa = false;
  let hasBasicConstraints = false;
  for (let pos = from; pos < end;) {
    const field = readTlv(der, pos, end);
    pos = field.end;
    if (field.tag !== 0xa3) continue;
    const list = expect(der, field.start, TAG.SEQUENCE, field.end);
    const exts = children(der, list);
    for (let i = 0; i < exts.length; i++) {
      const ext = exts[i]!;
      const oid = decodeOid(der, expect(der, ext.start, TAG.OID, ext.end));
      if (oid !== EXT_SAN && oid !== EXT_BASIC_CONSTRAINTS) continue;
      let value = readTlv(der, readTlv(der, ext.start, ext.end).end, ext.end);
      if (value.tag === TAG.BOOLEAN) value = readTlv(der, value.end, ext.end); // critical
      if (value.tag !== TAG.OCTET_STRING) {
        throw new DerError("Expected an extension value", value.offset);
      }
      const inner = expect(der, value.start, TAG.SEQUENCE, value.end);
      if (oid === EXT_SAN) sans = generalNames(der, inner);
      else {
        hasBasicConstraints = true;
        const first = inner.start < inner.end ? readTlv(der, inner.start, inner.end) : undefined;
        isCa = first?.tag === TAG.BOOLEAN && der[first.start] !== 0;
      }
    }
  }
  return { sans, isCa, hasBasicConstraints };
}

function generalNames(der: Uint8Array, seq: Tlv): string[] {
  const out: string[] = [];
  const names = children(der, seq);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const bytes = der.subarray(name.start, name.end);
    switch (name.tag) {
      case 0x81: // rfc822Name
      case 0x82: // dNSName
      case 0x86: // uniformResourceIdentifier
        out.push(toBinary(bytes));
        break;
      case 0x87: // iPAddress
        out.push(ipText(bytes));
        break;
    }
  }
  return out;
}

/** An IPv4 or IPv6 address as Go's net.IP prints it. */
export function ipText(b: Uint8Array): string {
  if (b.length === 4) return b.join(".");
  if (b.length !== 16) return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // The longest run of two or more zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}
