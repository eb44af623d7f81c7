/**
 * A typed view of the few node-forge primitives the keystore parsers use.
 * node-forge ships no type declarations; describing the subset here keeps the
 * callers strictly typed instead of spreading `any` through them.
 *
 * node-forge works on "binary strings" (one char per byte), hence the
 * converters at the bottom.
 */
import { Buffer } from "node:buffer";
import { pbkdf2Sync } from "node:crypto";
import forgeUntyped from "node-forge";

/** A parsed ASN.1 node: `value` is the raw bytes when primitive, the children when constructed. */
export interface Asn1 {
  readonly tagClass: number;
  readonly type: number;
  readonly constructed: boolean;
  readonly value: string | Asn1[];
}

export interface ByteBuffer {
  getBytes(): string;
  length(): number;
}

export interface MessageDigest {
  readonly digestLength: number;
}

export interface Cipher {
  update(input: ByteBuffer): void;
  finish(): boolean;
  readonly output: ByteBuffer;
}

interface Hmac {
  start(md: MessageDigest, key: ByteBuffer): void;
  update(bytes: string): void;
  digest(): ByteBuffer;
}

export type DigestName = "sha1" | "sha256" | "sha384" | "sha512";

interface Forge {
  asn1: {
    fromDer(
      bytes: string,
      options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
    ): Asn1;
    derToOid(bytes: string): string;
  };
  util: { createBuffer(bytes: string): ByteBuffer };
  pkcs12: {
    generateKey(
      password: string | null,
      salt: ByteBuffer,
      id: number,
      iterations: number,
      length: number,
      md: MessageDigest,
    ): ByteBuffer;
  };
  pki: {
    pbe: {
      getCipherForPBES2(oid: string, params: Asn1, password: string): Cipher;
      getCipherForPKCS12PBE(oid: string, params: Asn1, password: string | null): Cipher;
    };
  };
  hmac: { create(): Hmac };
  md: Record<DigestName, { create(): MessageDigest }>;
}

export const forge = forgeUntyped as unknown as Forge;

/**
 * node-forge derives PBES2 keys (what OpenSSL 3 and keytool write) in pure
 * JavaScript unless handed a digest *name*, and PBES2 hands it a digest object:
 * 10,000 iterations took 130 ms of event loop, natively 6 ms. Its PBKDF2 is
 * swapped for node:crypto's, same bytes in and out (binary strings); a digest
 * node:crypto does not know still goes through node-forge's own.
 */
const pkcs5 = (forgeUntyped as unknown as {
  pkcs5: { pbkdf2: (...args: unknown[]) => unknown };
}).pkcs5;
const forgePbkdf2 = pkcs5.pbkdf2;
const NATIVE_PRF = new Set(["sha1", "sha224", "sha256", "sha384", "sha512"]);
pkcs5.pbkdf2 = (...args: unknown[]): unknown => {
  const [password, salt, iterations, keyLength, md] = args;
  const name = md === undefined || md === null
    ? "sha1"
    : typeof md === "string"
    ? md
    : (md as { algorithm?: string }).algorithm;
  if (args.length > 5 || typeof md === "function" || !name || !NATIVE_PRF.has(name)) {
    return forgePbkdf2(...args);
  }
  return pbkdf2Sync(
    Buffer.from(password as string, "latin1"),
    Buffer.from(salt as string, "latin1"),
    iterations as number,
    keyLength as number,
    name,
  ).toString("latin1");
};

/** ASN.1 tag classes and universal types, as node-forge numbers them. */
export const CONTEXT = 0x80;
export const UNIVERSAL = 0x00;
export const INTEGER = 2;
export const OCTET_STRING = 4;
export const OID = 6;
export const SEQUENCE = 16;

/** Parses DER/BER; `strict` makes node-forge reject lengths that overrun the input. */
export function parseAsn1(bytes: string, parseAllBytes: boolean): Asn1 {
  return forge.asn1.fromDer(bytes, { strict: true, parseAllBytes, decodeBitStrings: false });
}

export { fromBinary, toBinary } from "./der.ts";
