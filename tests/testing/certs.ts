/**
 * Builds real X.509 certificates at test time with exact validity dates,
 * serials and names (openssl 3.0's `req` cannot back-date), so every test
 * states the certificate it checks instead of relying on fixtures.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { DecodeLimits } from "../../src/parse/limits.ts";

export type KeyType = "rsa2048" | "rsa4096" | "p256" | "p384" | "ed25519";

const ALGORITHMS: Record<KeyType, RsaHashedKeyGenParams | EcKeyGenParams | Algorithm> = {
  rsa2048: {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  } as RsaHashedKeyGenParams,
  rsa4096: {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 4096,
  } as RsaHashedKeyGenParams,
  p256: { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as EcKeyGenParams,
  p384: { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" } as EcKeyGenParams,
  ed25519: { name: "Ed25519" },
};

// Key generation dominates test time (RSA 4096 takes seconds): one key per type.
const keyCache = new Map<KeyType, Promise<CryptoKeyPair>>();
function keysFor(type: KeyType): Promise<CryptoKeyPair> {
  let keys = keyCache.get(type);
  if (!keys) {
    keys = crypto.subtle.generateKey(ALGORITHMS[type], true, ["sign", "verify"]) as Promise<
      CryptoKeyPair
    >;
    keyCache.set(type, keys);
  }
  return keys;
}

export interface TestCert {
  readonly pem: string;
  readonly der: Uint8Array;
  readonly keys: CryptoKeyPair;
  readonly keyType: KeyType;
  readonly name: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Serial as given (hex). */
  readonly serialHex: string;
}

export interface CertSpec {
  /** RFC 4514-style name, e.g. `CN=web, O=Acme+OU=Ops`. @default "CN=test" */
  readonly name?: string;
  /** @default "p256" */
  readonly key?: KeyType;
  /** Hex serial; leading zeros are kept in the encoding. @default random */
  readonly serial?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Days from now, as a shortcut for notAfter (negative = expired). */
  readonly days?: number;
  /** Signs with this certificate's key and uses its subject as issuer. */
  readonly issuer?: TestCert;
  readonly ca?: boolean;
  /** DNS names for a subjectAltName extension. */
  readonly dnsNames?: readonly string[];
}

let counter = 0;

export async function makeCert(spec: CertSpec = {}): Promise<TestCert> {
  const keyType = spec.key ?? "p256";
  const keys = await keysFor(keyType);
  const now = Date.now();
  const notBefore = spec.notBefore ?? new Date(Math.floor(now / 1000) * 1000 - 86_400_000);
  const notAfter = spec.notAfter ??
    new Date(Math.floor(now / 1000) * 1000 + (spec.days ?? 365) * 86_400_000);
  const serialHex = spec.serial ??
    (0x10000 + ++counter).toString(16) + crypto.randomUUID().replace(/-/g, "").slice(0, 12);
  const name = spec.name ?? "CN=test";
  const signingAlgorithm = ALGORITHMS[keyType];
  const extensions: x509.Extension[] = spec.ca
    ? [new x509.BasicConstraintsExtension(true, undefined, true)]
    : [];
  if (spec.dnsNames?.length) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        spec.dnsNames.map((value) => ({ type: "dns" as const, value })),
      ),
    );
  }
  const cert = spec.issuer
    ? await x509.X509CertificateGenerator.create({
      serialNumber: serialHex,
      subject: name,
      issuer: spec.issuer.name,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHMS[spec.issuer.keyType],
      publicKey: keys.publicKey,
      signingKey: spec.issuer.keys.privateKey,
      extensions,
    })
    : await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialHex,
      name,
      notBefore,
      notAfter,
      signingAlgorithm,
      keys,
      extensions,
    });
  return {
    pem: cert.toString("pem") + "\n",
    der: new Uint8Array(cert.rawData),
    keys,
    keyType,
    name,
    notBefore,
    notAfter,
    serialHex,
  };
}

/** Decimal rendering of a hex serial, as the exporter must label it. */
export function serialDecimal(hex: string): string {
  return BigInt("0x" + hex).toString();
}

/** Seconds since the epoch. */
export function epoch(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

export interface TestCrl {
  readonly pem: string;
  readonly der: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

/** DER of a non-negative INTEGER, for the cRLNumber extension. */
function derInteger(value: bigint): Uint8Array<ArrayBuffer> {
  let hex = value.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = "00" + hex;
  const bytes = hex.match(/../g)!.map((h) => parseInt(h, 16));
  return new Uint8Array([0x02, bytes.length, ...bytes]);
}

/** A CRL signed by `issuer`, with an optional cRLNumber and revoked serials. */
export async function makeCrl(spec: {
  issuer: TestCert;
  thisUpdate: Date;
  nextUpdate?: Date;
  number?: bigint;
  revoked?: string[];
}): Promise<TestCrl> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: spec.issuer.name,
    thisUpdate: spec.thisUpdate,
    ...(spec.nextUpdate ? { nextUpdate: spec.nextUpdate } : {}),
    signingAlgorithm: ALGORITHMS[spec.issuer.keyType],
    signingKey: spec.issuer.keys.privateKey,
    entries: (spec.revoked ?? []).map((serialNumber) => ({
      serialNumber,
      revocationDate: spec.thisUpdate,
    })),
    extensions: spec.number === undefined
      ? []
      : [new x509.Extension("2.5.29.20", false, derInteger(spec.number))],
  });
  return {
    pem: crl.toString("pem") + "\n",
    der: new Uint8Array(crl.rawData),
    thisUpdate: spec.thisUpdate,
    ...(spec.nextUpdate ? { nextUpdate: spec.nextUpdate } : {}),
  };
}

/**
 * Decode limits for tests, stated here because the parse layer has no
 * defaults (the config layer owns them). Roomy enough for every fixture; a
 * test about a limit spreads these and overrides the one it checks.
 */
export const TEST_LIMITS: DecodeLimits = {
  maxInputBytes: 64 * 1024 * 1024,
  maxCertificates: 10_000,
  maxErrorItems: 100,
  maxPkcs12Iterations: 100_000,
  maxNestingDepth: 32,
};

/** An ASN.1 time as written in DER: UTCTime (tag 0x17) or GeneralizedTime (tag 0x18). */
export type Asn1Time = { readonly utc: string } | { readonly generalized: string };

/**
 * A copy of certificate `der` whose validity holds the given times, verbatim
 * (impossible dates included) and re-encoded with the right lengths. The
 * signature no longer verifies, which the exporter never checks.
 */
export function withValidity(
  der: Uint8Array,
  times: { readonly notBefore?: Asn1Time; readonly notAfter?: Asn1Time },
): Uint8Array {
  return mapTbs(der, (fields) => {
    const at = fields[0]![0] === 0xa0 ? 4 : 3; // after [version], serial, signature, issuer
    const [notBefore, notAfter] = tlvChildren(fields[at]!);
    fields[at] = tlv(0x30, [
      times.notBefore ? timeTlv(times.notBefore) : notBefore!,
      times.notAfter ? timeTlv(times.notAfter) : notAfter!,
    ]);
    return fields;
  });
}

/** A copy of CRL `der` with thisUpdate and/or nextUpdate replaced (nextUpdate must be present). */
export function withCrlTimes(
  der: Uint8Array,
  times: { readonly thisUpdate?: Asn1Time; readonly nextUpdate?: Asn1Time },
): Uint8Array {
  return mapTbs(der, (fields) => {
    const at = fields.findIndex((f) => f[0] === 0x17 || f[0] === 0x18);
    if (times.thisUpdate) fields[at] = timeTlv(times.thisUpdate);
    if (times.nextUpdate) fields[at + 1] = timeTlv(times.nextUpdate);
    return fields;
  });
}

function timeTlv(time: Asn1Time): Uint8Array {
  const [tag, text] = "utc" in time ? [0x17, time.utc] : [0x18, time.generalized];
  return tlv(tag, [new TextEncoder().encode(text)]);
}

/** Rewrites the fields (whole TLVs) of the TBS part of a signed structure, re-encoding lengths. */
function mapTbs(der: Uint8Array, edit: (fields: Uint8Array[]) => Uint8Array[]): Uint8Array {
  const [tbs, ...rest] = tlvChildren(der);
  return tlv(0x30, [tlv(0x30, edit(tlvChildren(tbs!))), ...rest]);
}

/** The whole encodings of the TLVs inside the constructed TLV `der`. */
function tlvChildren(der: Uint8Array): Uint8Array[] {
  const header = (at: number): [number, number] => {
    const first = der[at + 1]!;
    if (first < 0x80) return [2, first];
    let length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + der[at + 2 + i]!;
    return [2 + (first & 0x7f), length];
  };
  const [outerHeader, outerLength] = header(0);
  const out: Uint8Array[] = [];
  for (let pos = outerHeader; pos < outerHeader + outerLength;) {
    const [h, l] = header(pos);
    out.push(der.subarray(pos, pos + h + l));
    pos += h + l;
  }
  return out;
}

function tlv(tag: number, parts: readonly Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const lengthBytes = length < 0x80 ? [length] : [];
  if (length >= 0x80) {
    for (let n = length; n > 0; n = Math.floor(n / 256)) lengthBytes.unshift(n % 256);
    lengthBytes.unshift(0x80 | lengthBytes.length);
  }
  const out = new Uint8Array(1 + lengthBytes.length + length);
  out.set([tag, ...lengthBytes]);
  let pos = 1 + lengthBytes.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** `der` in a PEM block of `type`. */
export function pemBlock(der: Uint8Array, type = "CERTIFICATE"): string {
  const b64 = btoa(Array.from(der, (b) => String.fromCharCode(b)).join(""));
  return `-----BEGIN ${type}-----\n${b64.replace(/.{64}/g, "$&\n")}\n-----END ${type}-----\n`;
}
