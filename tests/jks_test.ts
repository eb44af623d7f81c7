import assert from "node:assert/strict";
import { extractJksCertificates, isJks } from "../src/parse/jks.ts";
import { isPkcs12Like } from "../src/parse/pkcs12.ts";
import {
  assertReason,
  assertSurvivesFuzz,
  buildJks,
  fingerprints,
  keyAndChain,
  keytool,
  keytoolTruststore,
  makeTestPki,
  once,
  opensslPkcs12,
  type TestPki,
} from "./testing/keystores.ts";

interface Fixtures {
  pki: TestPki;
  jks: Uint8Array;
  jceks: Uint8Array;
  jceksWithSecretKey: Uint8Array;
}

/** Builds the keytool stores once per file (keytool is slow), then keeps only the bytes. */
const fixtures = once(build);

async function build(): Promise<Fixtures> {
  const dir = await Deno.makeTempDir({ prefix: "jks_test_" });
  try {
    const pki = await makeTestPki(dir);
    // keytool cannot import a bare key, so the key entry comes from an OpenSSL PKCS#12.
    await opensslPkcs12(pki, "key", [...keyAndChain(pki), "-passout", "pass:secret"]);
    const genseckey = (path: string, alias: string) =>
      keytool([
        ...["-genseckey", "-alias", alias, "-keyalg", "AES", "-keysize", "128"],
        ...["-keystore", path, "-storetype", "JCEKS", "-storepass", "changeit"],
        ...["-keypass", "changeit"],
      ]);
    const store = async (storetype: "JKS" | "JCEKS") => {
      const path = `${dir}/store.${storetype.toLowerCase()}`;
      await keytoolTruststore(pki, path, storetype, "changeit");
      await keytool([
        ...["-importkeystore", "-noprompt", "-srckeystore", `${dir}/key.p12`],
        ...["-srcstoretype", "PKCS12", "-srcstorepass", "secret"],
        ...["-destkeystore", path, "-deststoretype", storetype, "-deststorepass", "changeit"],
      ]);
      // JCEKS is mostly used for secret keys; mixing one in proves the parser steps over it.
      if (storetype === "JCEKS") await genseckey(path, "aes");
      return Deno.readFile(path);
    };
    const secretKeyStore = `${dir}/secret.jceks`;
    const [jks, jceks] = await Promise.all([
      store("JKS"),
      store("JCEKS"),
      genseckey(secretKeyStore, "only"),
    ]);
    return { pki, jks, jceks, jceksWithSecretKey: await Deno.readFile(secretKeyStore) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The three trusted CAs plus the key entry's chain (leaf, intermediate, RSA root). */
function expected(pki: TestPki): string[] {
  const { rootRsa, rootEc, intermediate, leaf } = pki;
  return [rootRsa, rootEc, intermediate, leaf, intermediate, rootRsa].map((c) => c.sha256).sort();
}

Deno.test("extractJksCertificates() reads trusted certificates and key chains from a keytool JKS", async () => {
  const fx = await fixtures();
  assert.deepEqual(Array.from(fx.jks.subarray(0, 4)), [0xfe, 0xed, 0xfe, 0xed]);
  assert.deepEqual(fingerprints(extractJksCertificates(fx.jks, ["changeit"])), expected(fx.pki));
});

Deno.test("extractJksCertificates() reads trusted certificates and key chains from a keytool JCEKS with a secret key", async () => {
  const fx = await fixtures();
  assert.deepEqual(Array.from(fx.jceks.subarray(0, 4)), [0xce, 0xce, 0xce, 0xce]);
  assert.deepEqual(fingerprints(extractJksCertificates(fx.jceks, ["changeit"])), expected(fx.pki));
});

Deno.test("extractJksCertificates() tries passphrases in order and rejects when none fits", async () => {
  const fx = await fixtures();
  assert.equal(extractJksCertificates(fx.jks, ["wrong", "", "changeit"]).length, 6);
  assertReason(() => extractJksCertificates(fx.jks, ["wrong", ""]), "bad_passphrase");
  assertReason(() => extractJksCertificates(fx.jceks, []), "bad_passphrase");
});

Deno.test("extractJksCertificates() treats a modified certificate as a failed integrity check", async () => {
  const fx = await fixtures();
  const tampered = fx.jks.slice();
  tampered[tampered.length - 100]! ^= 1;
  assertReason(() => extractJksCertificates(tampered, ["changeit"]), "bad_passphrase");
});

Deno.test("extractJksCertificates() reports a store without certificates", async () => {
  const fx = await fixtures();
  const secretOnly = fx.jceksWithSecretKey;
  assertReason(() => extractJksCertificates(secretOnly, ["changeit"]), "no_certificate_found");
  assertReason(() => extractJksCertificates(buildJks([], "pw"), ["pw"]), "no_certificate_found");
  const jceks = buildJks([], "pw", { magic: 0xcececece });
  assertReason(() => extractJksCertificates(jceks, ["pw"]), "no_certificate_found");
});

Deno.test("extractJksCertificates() reads version 1 stores, whose certificates have no type", async () => {
  const { pki } = await fixtures();
  const store = buildJks(
    [{ kind: "trusted", der: pki.rootEc.der }, { kind: "key", chain: [pki.leaf.der] }],
    "pw",
    { version: 1 },
  );
  const certs = extractJksCertificates(store, ["pw"]);
  assert.deepEqual(fingerprints(certs), [pki.rootEc.sha256, pki.leaf.sha256].sort());
});

Deno.test("extractJksCertificates() rejects unsupported versions and entry types as bad_jks", async () => {
  const fx = await fixtures();
  const der = fx.pki.rootEc.der;
  assertReason(() => extractJksCertificates(buildJks([], "pw", { version: 3 }), ["pw"]), "bad_jks");
  const unknownTag = buildJks([{ kind: "trusted", der }], "pw");
  unknownTag[15] = 9;
  assertReason(() => extractJksCertificates(unknownTag, ["pw"]), "bad_jks");
});

Deno.test("extractJksCertificates() rejects huge counts and lengths without allocating them", async () => {
  const { pki } = await fixtures();
  const started = performance.now();
  const hugeCount = buildJks([{ kind: "trusted", der: pki.rootEc.der }], "pw", {
    count: 0xffffffff,
  });
  assertReason(() => extractJksCertificates(hugeCount, ["pw"]), "bad_jks");
  const hugeChain = buildJks([{ kind: "key", chain: [pki.rootEc.der] }], "pw");
  hugeChain.set([0xff, 0xff, 0xff, 0xff], 4 * 3 + 4 + 3 + 8 + 4 + 3); // chain length
  assertReason(() => extractJksCertificates(hugeChain, ["pw"]), "bad_jks");
  const hugeCert = buildJks([{ kind: "trusted", der: pki.rootEc.der }], "pw");
  hugeCert.set([0x7f, 0xff, 0xff, 0xff], 4 * 3 + 4 + 3 + 8 + 7); // certificate length
  assertReason(() => extractJksCertificates(hugeCert, ["pw"]), "bad_jks");
  assert.ok(performance.now() - started < 100);
});

Deno.test("extractJksCertificates() rejects garbage and truncated files as bad_jks", async () => {
  const fx = await fixtures();
  assertReason(() => extractJksCertificates(new Uint8Array(), ["changeit"]), "bad_jks");
  assertReason(() => extractJksCertificates(fx.pki.leaf.der, ["changeit"]), "bad_jks");
  for (const length of [3, 11, 40, fx.jks.length / 2, fx.jks.length - 1]) {
    assertReason(() => extractJksCertificates(fx.jks.subarray(0, length), ["changeit"]), "bad_jks");
  }
});

Deno.test("isJks() recognises JKS and JCEKS by magic number and nothing else", async () => {
  const fx = await fixtures();
  for (const data of [fx.jks, fx.jceks, fx.jceksWithSecretKey]) {
    assert.ok(isJks(data));
    assert.ok(!isPkcs12Like(data));
  }
  assert.ok(!isJks(fx.pki.leaf.der));
  assert.ok(!isJks(Uint8Array.of(0xfe, 0xed, 0xfe)));
});

Deno.test("extractJksCertificates() fails only with SourceErrors, quickly, on fuzzed input", async () => {
  const fx = await fixtures();
  const prefix = Uint8Array.of(0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2);
  assertSurvivesFuzz(
    (input) => extractJksCertificates(input, ["changeit"]),
    { valid: [fx.jks, fx.jceks, fx.jceksWithSecretKey], prefix, count: 600, seed: 0x1ce },
    new Set(["bad_jks", "bad_passphrase", "no_certificate_found"]),
  );
});
