/**
 * Certificates out of Java keystores: JKS (magic 0xFEEDFEED) and JCEKS
 * (0xCECECECE), as written by `sun.security.provider.JavaKeyStore` and
 * `com.sun.crypto.provider.JceKeyStore`.
 *
 * The layout is Java `DataOutputStream` output: big-endian u32 counts and
 * lengths, u16-prefixed modified-UTF-8 aliases, u64 timestamps, then a SHA-1
 * over password (UTF-16BE) + "Mighty Aphrodite" + everything before it. Every
 * length is checked against the bytes actually left before anything is read,
 * so hostile counts cost nothing.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { SourceError } from "../errors.ts";

const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;
const PRIVATE_KEY_ENTRY = 1;
const TRUSTED_CERT_ENTRY = 2;
const SECRET_KEY_ENTRY = 3;
const DIGEST_LENGTH = 20;
const WHITENER = new TextEncoder().encode("Mighty Aphrodite");

/** True when `data` starts with the JKS or JCEKS magic number. */
export function isJks(data: Uint8Array): boolean {
  if (data.length < 4) return false;
  const magic = new DataView(data.buffer, data.byteOffset, 4).getUint32(0);
  return magic === JKS_MAGIC || magic === JCEKS_MAGIC;
}

/**
 * Returns the DER of every certificate in a JKS or JCEKS keystore: trusted
 * certificate entries and the chains of private-key entries, in file order.
 * Synchronous.
 *
 * The store's integrity hash must match one of `passphrases` (tried in order),
 * as Java requires when a password is given.
 *
 * @throws {SourceError} `bad_passphrase` when no passphrase matches the integrity hash
 *   (Java cannot tell this from tampering either), `bad_jks` for malformed,
 *   truncated or unsupported input, `no_certificate_found` for a store without certificates.
 */
export function extractJksCertificates(
  data: Uint8Array,
  passphrases: readonly string[],
): Uint8Array[] {
  const reader = new Reader(data);
  const magic = reader.u32();
  if (magic !== JKS_MAGIC && magic !== JCEKS_MAGIC) throw bad("not a JKS or JCEKS keystore");
  const version = reader.u32();
  // Version 1 predates certificate type strings; keytool has written version 2 since JDK 1.2.
  if (version !== 1 && version !== 2) throw bad(`unsupported version ${version}`);

  const certs: Uint8Array[] = [];
  // No preallocation from the count: each entry consumes bytes, so the input bounds the loop.
  const count = reader.u32();
  for (let i = 0; i < count; i++) {
    const tag = reader.u32();
    reader.skip(reader.u16()); // alias
    reader.skip(8); // creation date
    if (tag === PRIVATE_KEY_ENTRY) {
      reader.skip(reader.u32()); // protected key, not needed for expiry
      const chainLength = reader.u32();
      for (let j = 0; j < chainLength; j++) pushCertificate(reader, version, certs);
    } else if (tag === TRUSTED_CERT_ENTRY) {
      pushCertificate(reader, version, certs);
    } else if (tag === SECRET_KEY_ENTRY && magic === JCEKS_MAGIC) {
      // A serialized Java SealedObject: its length is only known by decoding Java
      // serialization, so the entries after it (and the hash) cannot be located.
      throw bad("JCEKS secret-key entries are not supported");
    } else {
      throw bad(`unknown entry type ${tag}`);
    }
  }

  const signed = data.subarray(0, reader.offset);
  const digest = reader.bytes(DIGEST_LENGTH);
  if (!passphrases.some((passphrase) => digestMatches(signed, passphrase, digest))) {
    throw new SourceError(
      "bad_passphrase",
      "Keystore integrity check failed: wrong passphrase or tampered file",
    );
  }
  if (certs.length === 0) {
    throw new SourceError("no_certificate_found", "Keystore holds no certificate");
  }
  return certs;
}

function pushCertificate(reader: Reader, version: number, out: Uint8Array[]): void {
  const type = version === 2 ? reader.utf() : "X.509";
  const encoded = reader.bytes(reader.u32());
  // Other certificate types are legal in the format but carry nothing we can report.
  if (type === "X.509") out.push(encoded.slice());
}

function digestMatches(signed: Uint8Array, passphrase: string, expected: Uint8Array): boolean {
  // Java feeds each password char as two bytes, high byte first.
  const password = new Uint8Array(passphrase.length * 2);
  for (let i = 0; i < passphrase.length; i++) {
    const unit = passphrase.charCodeAt(i);
    password[i * 2] = unit >> 8;
    password[i * 2 + 1] = unit & 0xff;
  }
  const actual = createHash("sha1").update(password).update(WHITENER).update(signed).digest();
  return actual.length === expected.length && actual.every((byte, i) => byte === expected[i]);
}

/** A bounds-checked big-endian reader over the keystore bytes. */
class Reader {
  offset = 0;
  readonly #data: Uint8Array;
  readonly #view: DataView;

  constructor(data: Uint8Array) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  u16(): number {
    this.#need(2);
    const value = this.#view.getUint16(this.offset);
    this.offset += 2;
    return value;
  }

  u32(): number {
    this.#need(4);
    const value = this.#view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  /** A view, not a copy: callers copy only what they keep. */
  bytes(length: number): Uint8Array {
    this.#need(length);
    const out = this.#data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  skip(length: number): void {
    this.#need(length);
    this.offset += length;
  }

  /** A `writeUTF` string. Modified UTF-8 differs from UTF-8 only outside ASCII, which type names never use. */
  utf(): string {
    return new TextDecoder().decode(this.bytes(this.u16()));
  }

  #need(length: number): void {
    if (length > this.#data.length - this.offset) {
      throw bad(`truncated at offset ${this.offset}: ${length} more bytes needed`);
    }
  }
}

function bad(detail: string): SourceError {
  return new SourceError("bad_jks", `Cannot parse keystore: ${detail}`);
}
