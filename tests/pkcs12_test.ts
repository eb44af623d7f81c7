import assert from "node:assert/strict";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import { decodeItems, loadPkcs12 } from "../src/parse/decode.ts";
import { isJks } from "../src/parse/jks.ts";
import { extractPkcs12Certificates } from "../src/parse/pkcs12.ts";
import { isPkcs12Like } from "../src/parse/pkcs12_job.ts";
import {
  assertReason,
  assertSurvivesFuzz,
  fingerprints,
  keyAndChain,
  keytool,
  keytoolTruststore,
  makeTestPki,
  once,
  opensslPkcs12,
  run,
  sha256,
  type TestPki,
} from "./testing/keystores.ts";
import { TEST_LIMITS } from "./testing/certs.ts";

// decodeItems() reads PKCS#12 with the reader loaded, as the CLI does.
await loadPkcs12();

/** The function under test, with the test limits unless a test states its own. */
function extract(data: Uint8Array, passphrases: readonly string[], limits = TEST_LIMITS) {
  return extractPkcs12Certificates(data, passphrases, limits);
}

interface Fixtures {
  pki: TestPki;
  files: Record<string, Uint8Array>;
  /** Certificate of the keytool-generated EC key pair, as openssl reads it back. */
  keytoolKeyPairCert: string;
}

/** Builds every store once per file (keytool is slow), then keeps only the bytes. */
const fixtures = once(build);

async function build(): Promise<Fixtures> {
  const dir = await Deno.makeTempDir({ prefix: "pkcs12_test_" });
  try {
    const pki = await makeTestPki(dir);
    const secret = ["-passout", "pass:secret"];
    const p12 = (name: string, args: string[]) => opensslPkcs12(pki, name, args);
    const keytoolPair = `${dir}/keytool-pair.p12`;
    const keytoolTrust = `${dir}/keytool-trust.p12`;
    const [
      opensslDefault,
      legacy,
      empty,
      nomacAes,
      nomacRc2,
      plainCerts,
      truststore,
      keyOnly,
      hugeIterations,
      millionIterations,
    ] = await Promise.all([
      p12("default", [...keyAndChain(pki), ...secret]),
      p12("legacy", ["-legacy", ...keyAndChain(pki), ...secret]),
      p12("empty", [...keyAndChain(pki), "-passout", "pass:"]),
      p12("nomac-aes", ["-nomac", "-certpbe", "AES-256-CBC", ...keyAndChain(pki), ...secret]),
      p12("nomac-rc2", [
        ...["-legacy", "-nomac", "-certpbe", "PBE-SHA1-RC2-40"],
        ...keyAndChain(pki),
        ...secret,
      ]),
      p12("plain-certs", ["-certpbe", "NONE", ...keyAndChain(pki), ...secret]),
      p12("truststore", ["-nokeys", "-in", pki.cas, ...secret]),
      p12("key-only", ["-nocerts", "-inkey", pki.leaf.key, ...secret]),
      p12("huge-iterations", [
        ...["-nomac", "-nokeys", "-iter", "1000001", "-in", pki.rootEc.pem],
        ...secret,
      ]),
      // The case: key, chain and MAC all at 1,000,000 iterations.
      p12("million-iterations", ["-iter", "1000000", ...keyAndChain(pki), ...secret]),
      keytool([
        ...["-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "pair"],
        ...["-dname", "CN=keytool pair", "-validity", "30"],
        ...["-keystore", keytoolPair, "-storetype", "PKCS12", "-storepass", "changeit"],
      ]),
      keytoolTruststore(pki, keytoolTrust, "PKCS12", "changeit"),
    ]);
    const pem = await run("openssl", [
      ...["pkcs12", "-in", keytoolPair, "-nokeys", "-passin", "pass:changeit"],
    ]);
    const pairPem = `${dir}/keytool-pair.pem`;
    await Deno.writeFile(pairPem, pem);
    const pairDer = await run("openssl", ["x509", "-in", pairPem, "-outform", "DER"]);
    return {
      pki,
      keytoolKeyPairCert: sha256(pairDer),
      files: {
        opensslDefault,
        legacy,
        empty,
        nomacAes,
        nomacRc2,
        plainCerts,
        truststore,
        keyOnly,
        hugeIterations,
        millionIterations,
        keytoolPair: await Deno.readFile(keytoolPair),
        keytoolTrust: await Deno.readFile(keytoolTrust),
      },
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function file(fx: Fixtures, name: string): Uint8Array {
  const bytes = fx.files[name];
  if (bytes === undefined) throw new Error(`No fixture ${name}`);
  return bytes;
}

function leafAndChain(pki: TestPki): string[] {
  return [pki.leaf.sha256, pki.intermediate.sha256, pki.rootRsa.sha256].sort();
}

function threeCas(pki: TestPki): string[] {
  return [pki.rootRsa.sha256, pki.rootEc.sha256, pki.intermediate.sha256].sort();
}

/** True when `data` contains the DER encoding of `oid`, which proves which algorithm a tool used. */
function mentions(data: Uint8Array, oidHex: string): boolean {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("").includes(oidHex);
}
const AES_256_CBC = "060960864801650304012a";
const SHA256 = "0609608648016503040201";
const RC2_40 = "060a2a864886f70d010c0106";
const TRIPLE_DES = "060a2a864886f70d010c0103";
const SHA1 = "06052b0e03021a";

Deno.test("extractPkcs12Certificates() reads key, leaf and chain from an OpenSSL 3 default file", async () => {
  const fx = await fixtures();
  const data = file(fx, "opensslDefault");
  assert.ok(mentions(data, AES_256_CBC) && mentions(data, SHA256));
  const certs = extract(data, ["secret"]);
  assert.deepEqual(fingerprints(certs), leafAndChain(fx.pki));
  assert.equal(sha256(certs[0]!), fx.pki.leaf.sha256, "file order is kept");
});

Deno.test("extractPkcs12Certificates() decrypts -legacy files (RC2-40 certificates, 3DES key, SHA-1 MAC)", async () => {
  const fx = await fixtures();
  const data = file(fx, "legacy");
  assert.ok(mentions(data, RC2_40) && mentions(data, TRIPLE_DES) && mentions(data, SHA1));
  assert.deepEqual(fingerprints(extract(data, ["secret"])), leafAndChain(fx.pki));
});

Deno.test("extractPkcs12Certificates() opens an empty-password file with the empty passphrase", async () => {
  const fx = await fixtures();
  const data = file(fx, "empty");
  assert.deepEqual(fingerprints(extract(data, [""])), leafAndChain(fx.pki));
  assert.deepEqual(
    fingerprints(extract(data, ["wrong", ""])),
    leafAndChain(fx.pki),
  );
  assertReason(() => extract(data, ["wrong"]), "bad_passphrase");
});

Deno.test("extractPkcs12Certificates() decrypts -nomac files and detects a wrong passphrase without a MAC", async () => {
  const fx = await fixtures();
  for (const name of ["nomacAes", "nomacRc2"]) {
    const data = file(fx, name);
    assert.deepEqual(
      fingerprints(extract(data, ["secret"])),
      leafAndChain(fx.pki),
    );
    assertReason(() => extract(data, ["wrong", ""]), "bad_passphrase");
  }
});

Deno.test("extractPkcs12Certificates() reads certificates from unencrypted safe contents", async () => {
  const fx = await fixtures();
  const certs = extract(file(fx, "plainCerts"), ["secret"]);
  assert.deepEqual(fingerprints(certs), leafAndChain(fx.pki));
});

Deno.test("extractPkcs12Certificates() returns every CA of an OpenSSL truststore", async () => {
  const fx = await fixtures();
  const certs = extract(file(fx, "truststore"), ["secret"]);
  assert.deepEqual(fingerprints(certs), threeCas(fx.pki));
});

Deno.test("extractPkcs12Certificates() reads a keytool -genkeypair EC store", async () => {
  const fx = await fixtures();
  const certs = extract(file(fx, "keytoolPair"), ["changeit"]);
  assert.deepEqual(certs.map(sha256), [fx.keytoolKeyPairCert]);
});

Deno.test("extractPkcs12Certificates() returns every CA of a keytool -importcert truststore", async () => {
  const fx = await fixtures();
  const certs = extract(file(fx, "keytoolTrust"), ["changeit"]);
  assert.deepEqual(fingerprints(certs), threeCas(fx.pki));
});

Deno.test("extractPkcs12Certificates() tries passphrases in order and rejects when none fits", async () => {
  const fx = await fixtures();
  const data = file(fx, "opensslDefault");
  assert.equal(extract(data, ["nope", "", "secret"]).length, 3);
  assertReason(() => extract(data, ["nope", ""]), "bad_passphrase");
  assertReason(() => extract(data, []), "bad_passphrase");
});

Deno.test("extractPkcs12Certificates() reports a store without certificates", async () => {
  const fx = await fixtures();
  assertReason(
    () => extract(file(fx, "keyOnly"), ["secret"]),
    "no_certificate_found",
  );
});

Deno.test("extractPkcs12Certificates() refuses iteration counts over the limit before running any KDF", async () => {
  const fx = await fixtures();
  const started = performance.now();
  assertReason(() => extract(file(fx, "hugeIterations"), ["secret"]), "too_many_iterations");
  // A wrong passphrase took 2.6 s here (9.6 s in the run) before the limit existed.
  assertReason(() => extract(file(fx, "millionIterations"), ["wrong", ""]), "too_many_iterations");
  assert.ok(performance.now() - started < 100);
  // OpenSSL 3 writes 2048 iterations: the limit is inclusive.
  const data = file(fx, "opensslDefault");
  assert.equal(extract(data, ["secret"], { ...TEST_LIMITS, maxPkcs12Iterations: 2048 }).length, 3);
  assertReason(
    () => extract(data, ["secret"], { ...TEST_LIMITS, maxPkcs12Iterations: 2047 }),
    "too_many_iterations",
  );
});

Deno.test("extractPkcs12Certificates() refuses ASN.1 nested deeper than maxNestingDepth, without recursing", () => {
  // A PFX header, then SEQUENCEs of indefinite length nested 100,000 deep.
  const depth = 100_000;
  const data = new Uint8Array(5 + depth * 4 + 2);
  data.set([0x30, 0x80, 0x02, 0x01, 0x03]);
  for (let i = 0; i < depth; i++) data.set([0x30, 0x80], 5 + i * 2);
  assert.ok(isPkcs12Like(data));
  const started = performance.now();
  assert.throws(
    () => extract(data, [""]),
    (err: Error) =>
      /bad_pkcs12/.test(String((err as { reason?: string }).reason)) &&
      /Nested deeper than 32 levels/.test(err.message),
  );
  assert.ok(performance.now() - started < 100);
});

Deno.test("extractPkcs12Certificates() reads every fixture at a nesting limit of 10, the depth real files reach", async () => {
  const fx = await fixtures();
  for (const name of ["opensslDefault", "legacy", "nomacAes", "truststore", "keytoolPair"]) {
    assert.ok(
      extract(file(fx, name), [name.startsWith("keytool") ? "changeit" : "secret"], {
        ...TEST_LIMITS,
        maxNestingDepth: 10,
      }).length > 0,
      name,
    );
  }
});

Deno.test("decodeItems() reports a wrong PKCS#12 passphrase as bad_passphrase whatever the order of formats", async () => {
  const fx = await fixtures();
  const data = file(fx, "opensslDefault");
  for (const formats of permutations(["pem", "der", "pkcs12", "jks"] as const)) {
    const items = decodeItems(data, {
      cache: new CertificateCache(),
      limits: TEST_LIMITS,
      formats,
      passphrases: { pkcs12: ["wrong"] },
    });
    assert.deepEqual(
      items.map((i) => i.kind === "error" && `${i.reason}/${i.format}`),
      ["bad_passphrase/pkcs12"],
      formats.join(","),
    );
  }
});

Deno.test("decodeItems() reports a malformed PKCS#12 as bad_pkcs12 even when der comes first", async () => {
  const fx = await fixtures();
  const data = file(fx, "opensslDefault").slice(0, 200);
  const items = decodeItems(data, {
    cache: new CertificateCache(),
    limits: TEST_LIMITS,
    formats: ["pem", "der", "pkcs12", "jks"],
  });
  assert.deepEqual(items.map((i) => i.kind === "error" && i.reason), ["bad_pkcs12"]);
});

/** Every ordering of `items`. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest])
  );
}

Deno.test("extractPkcs12Certificates() rejects garbage and truncated files as bad_pkcs12", async () => {
  const fx = await fixtures();
  const data = file(fx, "opensslDefault");
  assertReason(() => extract(new Uint8Array(), ["secret"]), "bad_pkcs12");
  assertReason(
    () => extract(new TextEncoder().encode("-----BEGIN"), []),
    "bad_pkcs12",
  );
  for (const length of [1, 5, 40, data.length / 2, data.length - 1]) {
    assertReason(
      () => extract(data.subarray(0, length), ["secret"]),
      "bad_pkcs12",
    );
  }
});

Deno.test("isPkcs12Like() recognises every PKCS#12 fixture and nothing else", async () => {
  const fx = await fixtures();
  for (const [name, data] of Object.entries(fx.files)) {
    assert.ok(isPkcs12Like(data), name);
    assert.ok(!isJks(data), name);
  }
  assert.ok(!isPkcs12Like(fx.pki.leaf.der));
  assert.ok(!isPkcs12Like(new TextEncoder().encode("-----BEGIN CERTIFICATE-----")));
  assert.ok(!isPkcs12Like(new Uint8Array([0x30])));
});

Deno.test("extractPkcs12Certificates() fails only with SourceErrors, quickly, on fuzzed input", async () => {
  const fx = await fixtures();
  const seeds = ["opensslDefault", "legacy", "nomacAes", "nomacRc2", "plainCerts"].map((n) =>
    file(fx, n)
  );
  const prefix = Uint8Array.of(0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03);
  assertSurvivesFuzz(
    (input) => extract(input, ["secret"]),
    { valid: seeds, prefix, count: 400, seed: 0x5eed },
    new Set(["bad_pkcs12", "bad_passphrase", "no_certificate_found", "too_many_iterations"]),
  );
});
