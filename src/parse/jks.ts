/**
 * Certificates out of Java keystores: JKS (magic 0xFEEDFEED) and JCEKS
 * (0xCECECECE), as written by `sun.security.provider.JavaKeyStore` and
 * `com.sun.crypto.provider.JceKeyStore`.
 *
 * The layout is Java `DataOutputStream` output: big-endian u32 counts and
 * lengths, u16-prefixed modified-UTF-8 aliases, u64 timestamps, then a SHA-1
 * over password (UTF-16BE) + "Mighty Aphrodite" + everything before it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { SourceError } from "../errors.ts";
import { DataReader } from "./_data_reader.ts";
import { skipSerializedObject } from "./_java_serialization.ts";
import type { DecodeLimits } from "./limits.ts";

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
 * JCEKS secret-key entries are stepped over. Synchronous.
 *
 * The store's integrity hash must match one of `passphrases` (tried in order),
 * as Java requires when a password is given. `limits.maxNestingDepth` bounds
 * the walk of JCEKS secret-key entries.
 *
 * @throws {SourceError} `bad_passphrase` when no passphrase matches the integrity hash
 *   (Java cannot tell this from tampering either), `bad_jks` for malformed,
 *   truncated or unsupported input, `no_certificate_found` for a store without certificates.
 */
export function extractJksCertificates(
  data: Uint8Array,
  passphrases: readonly string[],
  limits: Pick<DecodeLimits, "maxNestingDepth">,
): Uint8Array[] {
  const reader = new DataReader(data, bad);
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
      // A serialized SealedObject: walked only to find where the next entry starts.
      skipSerializedObject(reader, limits.maxNestingDepth);
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

function pushCertificate(reader: DataReader, version: number, out: Uint8Array[]): void {
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

function bad(detail: string): SourceError {
  return new SourceError("bad_jks", `Cannot parse keystore: ${detail}`);
}
