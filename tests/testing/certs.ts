/**
 * Builds real X.509 certificates at test time with exact validity dates,
 * serials and names (openssl 3.0's `req` cannot back-date), so every test
 * states the certificate it checks instead of relying on fixtures.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

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
  const extensions = spec.ca ? [new x509.BasicConstraintsExtension(true, undefined, true)] : [];
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
