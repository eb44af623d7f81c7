import assert from "node:assert/strict";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import { decodeItems, loadPkcs12 } from "../src/parse/decode.ts";
import { extractJksCertificates, isJks } from "../src/parse/jks.ts";
import { isPkcs12Like } from "../src/parse/pkcs12_job.ts";
import {
  assertReason,
  assertSurvivesFuzz,
  buildJks,
  fingerprints,
  type JksEntry,
  keyAndChain,
  keytool,
  keytoolTruststore,
  makeTestPki,
  once,
  opensslPkcs12,
  type TestPki,
} from "./testing/keystores.ts";
import { TEST_LIMITS } from "./testing/certs.ts";

// decodeItems() reads PKCS#12 with the reader loaded, as the CLI does.
await loadPkcs12();

/** The function under test, with the test limits unless a test states its own. */
function extract(data: Uint8Array, passphrases: readonly string[], limits = TEST_LIMITS) {
  return extractJksCertificates(data, passphrases, limits);
}

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
  assert.deepEqual(fingerprints(extract(fx.jks, ["changeit"])), expected(fx.pki));
});

Deno.test("extractJksCertificates() reads trusted certificates and key chains from a keytool JCEKS with a secret key", async () => {
  const fx = await fixtures();
  assert.deepEqual(Array.from(fx.jceks.subarray(0, 4)), [0xce, 0xce, 0xce, 0xce]);
  assert.deepEqual(fingerprints(extract(fx.jceks, ["changeit"])), expected(fx.pki));
});

Deno.test("extractJksCertificates() tries passphrases in order and rejects when none fits", async () => {
  const fx = await fixtures();
  assert.equal(extract(fx.jks, ["wrong", "", "changeit"]).length, 6);
  assertReason(() => extract(fx.jks, ["wrong", ""]), "bad_passphrase");
  assertReason(() => extract(fx.jceks, []), "bad_passphrase");
});

Deno.test("extractJksCertificates() treats a modified certificate as a failed integrity check", async () => {
  const fx = await fixtures();
  const tampered = fx.jks.slice();
  tampered[tampered.length - 100]! ^= 1;
  assertReason(() => extract(tampered, ["changeit"]), "bad_passphrase");
});

Deno.test("extractJksCertificates() reports a store without certificates", async () => {
  const fx = await fixtures();
  const secretOnly = fx.jceksWithSecretKey;
  assertReason(() => extract(secretOnly, ["changeit"]), "no_certificate_found");
  assertReason(() => extract(buildJks([], "pw"), ["pw"]), "no_certificate_found");
  const jceks = buildJks([], "pw", { magic: 0xcececece });
  assertReason(() => extract(jceks, ["pw"]), "no_certificate_found");
});

Deno.test("extractJksCertificates() reads version 1 stores, whose certificates have no type", async () => {
  const { pki } = await fixtures();
  const store = buildJks(
    [{ kind: "trusted", der: pki.rootEc.der }, { kind: "key", chain: [pki.leaf.der] }],
    "pw",
    { version: 1 },
  );
  const certs = extract(store, ["pw"]);
  assert.deepEqual(fingerprints(certs), [pki.rootEc.sha256, pki.leaf.sha256].sort());
});

Deno.test("extractJksCertificates() rejects unsupported versions and entry types as bad_jks", async () => {
  const fx = await fixtures();
  const der = fx.pki.rootEc.der;
  assertReason(() => extract(buildJks([], "pw", { version: 3 }), ["pw"]), "bad_jks");
  const unknownTag = buildJks([{ kind: "trusted", der }], "pw");
  unknownTag[15] = 9;
  assertReason(() => extract(unknownTag, ["pw"]), "bad_jks");
});

Deno.test("extractJksCertificates() rejects huge counts and lengths without allocating them", async () => {
  const { pki } = await fixtures();
  const started = performance.now();
  const hugeCount = buildJks([{ kind: "trusted", der: pki.rootEc.der }], "pw", {
    count: 0xffffffff,
  });
  assertReason(() => extract(hugeCount, ["pw"]), "bad_jks");
  const hugeChain = buildJks([{ kind: "key", chain: [pki.rootEc.der] }], "pw");
  hugeChain.set([0xff, 0xff, 0xff, 0xff], 4 * 3 + 4 + 3 + 8 + 4 + 3); // chain length
  assertReason(() => extract(hugeChain, ["pw"]), "bad_jks");
  const hugeCert = buildJks([{ kind: "trusted", der: pki.rootEc.der }], "pw");
  hugeCert.set([0x7f, 0xff, 0xff, 0xff], 4 * 3 + 4 + 3 + 8 + 7); // certificate length
  assertReason(() => extract(hugeCert, ["pw"]), "bad_jks");
  assert.ok(performance.now() - started < 100);
});

Deno.test("extractJksCertificates() rejects garbage and truncated files as bad_jks", async () => {
  const fx = await fixtures();
  assertReason(() => extract(new Uint8Array(), ["changeit"]), "bad_jks");
  assertReason(() => extract(fx.pki.leaf.der, ["changeit"]), "bad_jks");
  for (const length of [3, 11, 40, fx.jks.length / 2, fx.jks.length - 1]) {
    assertReason(() => extract(fx.jks.subarray(0, length), ["changeit"]), "bad_jks");
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
    (input) => extract(input, ["changeit"]),
    { valid: [fx.jks, fx.jceks, fx.jceksWithSecretKey], prefix, count: 600, seed: 0x1ce },
    new Set(["bad_jks", "bad_passphrase", "no_certificate_found"]),
  );
});

Deno.test("extractJksCertificates() walks a JCEKS secret key no deeper than maxNestingDepth", async () => {
  const fx = await fixtures();
  assert.equal(extract(fx.jceks, ["changeit"]).length, 6);
  assert.throws(
    () => extract(fx.jceks, ["changeit"], { ...TEST_LIMITS, maxNestingDepth: 1 }),
    /serialized object nested too deeply/,
  );
});

Deno.test("decodeItems() reports a wrong JKS passphrase as bad_passphrase whatever the order of formats", async () => {
  const fx = await fixtures();
  const orders = [["pem", "der", "pkcs12", "jks"], ["jks", "der"], [
    "der",
    "pkcs12",
    "jks",
  ]] as const;
  for (const formats of orders) {
    for (const data of [fx.jks, fx.jceks]) {
      const items = decodeItems(data, {
        cache: new CertificateCache(),
        limits: TEST_LIMITS,
        formats,
        passphrases: { jks: ["wrong"] },
      });
      assert.deepEqual(
        items.map((i) => i.kind === "error" && `${i.reason}/${i.format}`),
        ["bad_passphrase/jks"],
      );
    }
  }
});

Deno.test("decodeItems() turns a JKS of 100,000 empty entries into capped bad_jks items", () => {
  const empty = Array.from({ length: 100_000 }, () => ({ kind: "trusted", der: new Uint8Array() }));
  const store = buildJks(empty as JksEntry[], "pw");
  const items = decodeItems(store, {
    cache: new CertificateCache(),
    limits: TEST_LIMITS,
    formats: ["jks"],
    passphrases: { jks: ["pw"] },
  });
  assert.equal(items.length, TEST_LIMITS.maxErrorItems + 1);
  assert.ok(items.slice(0, -1).every((i) => i.kind === "error" && i.reason === "bad_jks"));
  const last = items.at(-1);
  assert.equal(last?.kind === "error" && last.reason, "too_many_items");
  assert.match(last?.kind === "error" ? last.message : "", /Dropped 99900 more/);
});
