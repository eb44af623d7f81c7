/**
 * Keystore fixtures built at test time with the real tools (openssl, keytool),
 * so the parsers are proven against what users actually have, plus a builder
 * for synthetic JKS files and a mutator for fuzzing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { SourceError } from "../../src/errors.ts";

/** A certificate made for the tests: its files and the SHA-256 of its DER. */
export interface TestCert {
  readonly pem: string;
  readonly key: string;
  readonly der: Uint8Array;
  readonly sha256: string;
}

/** An RSA root, an EC root, an EC intermediate under the RSA root, and an EC leaf under it. */
export interface TestPki {
  readonly dir: string;
  readonly rootRsa: TestCert;
  readonly rootEc: TestCert;
  readonly intermediate: TestCert;
  readonly leaf: TestCert;
  /** PEM file with the three CAs, for truststores. */
  readonly cas: string;
  /** PEM file with intermediate then RSA root, the leaf's chain. */
  readonly chain: string;
}

const JVM_FLAGS = ["-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"];

/** Runs a command, returning stdout; throws with stderr when it fails. */
export async function run(command: string, args: string[]): Promise<Uint8Array> {
  const { code, stdout, stderr } = await new Deno.Command(command, { args }).output();
  if (code !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`);
  }
  return stdout;
}

/** Runs keytool with JVM flags that halve its start-up time. */
export async function keytool(args: string[]): Promise<void> {
  await run("keytool", [...JVM_FLAGS, ...args]);
}

export function sha256(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("hex");
}

/** SHA-256 fingerprints, sorted, so stores that reorder entries still compare equal. */
export function fingerprints(ders: readonly Uint8Array[]): string[] {
  return ders.map(sha256).sort();
}

/** Creates the test PKI in `dir` with openssl. */
export async function makeTestPki(dir: string): Promise<TestPki> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
  const ca = ["-addext", "basicConstraints=critical,CA:TRUE"];
  const [rootRsa, rootEc] = await Promise.all([
    makeCert(dir, "root-rsa", ["-newkey", "rsa:2048", ...ca]),
    makeCert(dir, "root-ec", [...ec, ...ca]),
  ]);
  const intermediate = await makeCert(dir, "intermediate", [...ec, ...ca, ...issuedBy(rootRsa)]);
  const leaf = await makeCert(dir, "leaf", [...ec, ...issuedBy(intermediate)]);
  const cas = `${dir}/cas.pem`;
  const chain = `${dir}/chain.pem`;
  const text = (c: TestCert) => Deno.readTextFileSync(c.pem);
  await Deno.writeTextFile(cas, [rootRsa, rootEc, intermediate].map(text).join(""));
  await Deno.writeTextFile(chain, [intermediate, rootRsa].map(text).join(""));
  return { dir, rootRsa, rootEc, intermediate, leaf, cas, chain };
}

function issuedBy(issuer: TestCert): string[] {
  return ["-CA", issuer.pem, "-CAkey", issuer.key];
}

async function makeCert(dir: string, name: string, args: string[]): Promise<TestCert> {
  const pem = `${dir}/${name}.pem`;
  const key = `${dir}/${name}.key`;
  await run("openssl", [
    "req",
    "-x509",
    "-nodes",
    "-days",
    "30",
    "-subj",
    `/CN=Test ${name}`,
    "-keyout",
    key,
    "-out",
    pem,
    ...args,
  ]);
  const der = await run("openssl", ["x509", "-in", pem, "-outform", "DER"]);
  return { pem, key, der, sha256: sha256(der) };
}

/** `openssl pkcs12 -export` with `args`, returning the file's bytes. */
export async function opensslPkcs12(
  pki: TestPki,
  name: string,
  args: string[],
): Promise<Uint8Array> {
  const out = `${pki.dir}/${name}.p12`;
  await run("openssl", ["pkcs12", "-export", "-out", out, ...args]);
  return Deno.readFile(out);
}

/** The leaf's key, the leaf and its chain, as `openssl pkcs12 -export` arguments. */
export function keyAndChain(pki: TestPki): string[] {
  return ["-inkey", pki.leaf.key, "-in", pki.leaf.pem, "-certfile", pki.chain];
}

/** A keytool truststore of the three CAs, one `-importcert` each, as keytool users build them. */
export async function keytoolTruststore(
  pki: TestPki,
  file: string,
  storetype: "PKCS12" | "JKS" | "JCEKS",
  storepass: string,
): Promise<void> {
  const cas = [pki.rootRsa, pki.rootEc, pki.intermediate];
  for (const [i, ca] of cas.entries()) {
    await keytool([
      "-importcert",
      "-noprompt",
      ...["-alias", `ca${i}`, "-file", ca.pem, "-keystore", file],
      ...["-storetype", storetype, "-storepass", storepass],
    ]);
  }
}

/** An entry of {@link buildJks}. */
export type JksEntry =
  | { readonly kind: "trusted"; readonly der: Uint8Array }
  | { readonly kind: "key"; readonly chain: readonly Uint8Array[] };

/** Options of {@link buildJks}. */
export interface JksOptions {
  /** @default 0xfeedfeed */
  readonly magic?: number;
  /** @default 2 */
  readonly version?: number;
  /** @default entries.length */
  readonly count?: number;
}

/** Builds a JKS byte for byte as `JavaKeyStore.engineStore` does, for shapes keytool never writes. */
export function buildJks(
  entries: readonly JksEntry[],
  password: string,
  options: JksOptions = {},
): Uint8Array {
  const version = options.version ?? 2;
  const out: number[] = [];
  const u16 = (n: number) => out.push(n >> 8 & 0xff, n & 0xff);
  const u32 = (n: number) => out.push(n >>> 24, n >> 16 & 0xff, n >> 8 & 0xff, n & 0xff);
  const bytes = (b: Uint8Array) => out.push(...b);
  const cert = (der: Uint8Array) => {
    if (version === 2) {
      u16(5);
      bytes(new TextEncoder().encode("X.509"));
    }
    u32(der.length);
    bytes(der);
  };
  u32(options.magic ?? 0xfeedfeed);
  u32(version);
  u32(options.count ?? entries.length);
  for (const [i, entry] of entries.entries()) {
    u32(entry.kind === "key" ? 1 : 2);
    u16(1);
    out.push(0x61 + i);
    out.push(0, 0, 0, 0, 0, 0, 0, 0); // creation date
    if (entry.kind === "trusted") {
      cert(entry.der);
    } else {
      u32(3);
      out.push(1, 2, 3); // protected key: never decrypted, any bytes do
      u32(entry.chain.length);
      entry.chain.forEach(cert);
    }
  }
  const body = Uint8Array.from(out);
  const hash = createHash("sha1");
  for (const ch of password) {
    hash.update(Uint8Array.of(ch.charCodeAt(0) >> 8, ch.charCodeAt(0) & 0xff));
  }
  const digest = hash.update("Mighty Aphrodite").update(body).digest();
  return Uint8Array.from([...body, ...digest]);
}

/** mulberry32: a seeded PRNG, so a failing fuzz case can be replayed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` fuzz inputs: random bytes (half of them behind `prefix`, to get past
 * format sniffing) and valid stores bit-flipped, truncated or with a field
 * overwritten by a huge length (0xFFFFFFFF / DER long-form 0x84 7F FF FF FF).
 */
export function fuzzInputs(
  valid: readonly Uint8Array[],
  prefix: Uint8Array,
  count: number,
  seed: number,
): Uint8Array[] {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const inputs: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const base = valid[int(valid.length)]!;
    switch (i % 4) {
      case 0: {
        const noise = Uint8Array.from({ length: int(512) }, () => int(256));
        inputs.push(i % 8 === 0 ? Uint8Array.from([...prefix, ...noise]) : noise);
        break;
      }
      case 1: {
        const copy = base.slice();
        for (let flips = 1 + int(8); flips > 0; flips--) copy[int(copy.length)]! ^= 1 << int(8);
        inputs.push(copy);
        break;
      }
      case 2:
        inputs.push(base.slice(0, int(base.length)));
        break;
      default: {
        const copy = base.slice();
        const inflated = i % 8 === 3 ? [0xff, 0xff, 0xff, 0xff] : [0x84, 0x7f, 0xff, 0xff, 0xff];
        copy.set(inflated.slice(0, copy.length), Math.max(0, int(copy.length - inflated.length)));
        inputs.push(copy);
      }
    }
  }
  return inputs;
}

/** Asserts `fn` throws a SourceError with `reason`. */
export function assertReason(fn: () => unknown, reason: string): void {
  assert.throws(fn, (err) => err instanceof SourceError && err.reason === reason);
}

/**
 * Feeds `extract` the {@link fuzzInputs} of `valid`: each input must give
 * certificates or fail with a SourceError whose reason is in `reasons`, and none
 * may take 500 ms.
 */
export function assertSurvivesFuzz(
  extract: (input: Uint8Array) => Uint8Array[],
  fuzz: { valid: readonly Uint8Array[]; prefix: Uint8Array; count: number; seed: number },
  reasons: ReadonlySet<string>,
): void {
  let slowest = 0;
  for (const [i, input] of fuzzInputs(fuzz.valid, fuzz.prefix, fuzz.count, fuzz.seed).entries()) {
    const started = performance.now();
    try {
      const certs = extract(input);
      assert.ok(certs.length > 0 && certs.every((c) => c instanceof Uint8Array), `case ${i}`);
    } catch (err) {
      assert.ok(err instanceof SourceError && reasons.has(err.reason), `case ${i}: ${err}`);
    }
    slowest = Math.max(slowest, performance.now() - started);
  }
  assert.ok(slowest < 500, `slowest case took ${slowest.toFixed(0)} ms`);
}

/** `make`, run on the first call only; later calls share its promise. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** One test PKI per test process: openssl key generation is the slow part of keystore tests. */
export const sharedTestPki = once(() =>
  Deno.makeTempDir({ prefix: "x509-pki-" }).then(makeTestPki)
);
