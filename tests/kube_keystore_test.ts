import assert from "node:assert/strict";
import {
  keyAndChain,
  keytoolTruststore,
  opensslPkcs12,
  sharedTestPki,
} from "./testing/keystores.ts";
import { secret, withSource } from "./testing/kube_source_harness.ts";

const P12_RULE = (pkcs12: string) =>
  `refreshInterval: 1s\nsecrets:\n  types:\n    - { type: Opaque, key: keystore.p12, format: pkcs12, pkcs12: ${pkcs12} }`;

Deno.test("Secret keystores: the passphrase comes from a sibling key; the passphrase key is never decoded", async () => {
  const p = await sharedTestPki();
  const p12 = await opensslPkcs12(p, "sibling", [...keyAndChain(p), "-passout", "pass:sib ling"]);
  await withSource(P12_RULE("{ passphraseKey: password }"), (s) => {
    s.upsert(
      "secrets",
      secret("app", "ks", { "keystore.p12": p12, password: "sib ling\n" }, { type: "Opaque" }),
    );
  }, (h) => {
    const v = h.view();
    assert.deepEqual(Object.keys(v), ["secret/app/ks/keystore.p12"]);
    assert.equal(v["secret/app/ks/keystore.p12"]?.length, 3, "leaf, intermediate and root");
  });
});

Deno.test("Secret keystores: passphraseSecretRef reads another Secret; a wrong one counts and recovers after a fix", async () => {
  const p = await sharedTestPki();
  const p12 = await opensslPkcs12(p, "ref", [...keyAndChain(p), "-passout", "pass:from-ref"]);
  await withSource(P12_RULE("{ passphraseSecretRef: { name: ks-pass, key: pw } }"), (s) => {
    s.upsert(
      "secrets",
      secret("app", "ks-pass", { pw: "not it" }, { type: "kubernetes.io/basic-auth" }),
    );
    s.upsert("secrets", secret("app", "ks", { "keystore.p12": p12 }, { type: "Opaque" }));
  }, async (h) => {
    assert.deepEqual(h.view(), { "secret/app/ks/keystore.p12": ["bad_passphrase"] });
    assert.equal(h.state().errors.get("bad_passphrase"), 1);
    // Fixing the passphrase Secret alone must be enough: the keystore Secret did not change.
    h.server.upsert(
      "secrets",
      secret("app", "ks-pass", { pw: "from-ref" }, { type: "kubernetes.io/basic-auth" }),
    );
    await h.until(
      () => h.view()["secret/app/ks/keystore.p12"]?.length === 3,
      "keystore opened after the fix",
    );
  }, { secretReaderTtlMs: 0 });
});

Deno.test("ConfigMap keystores: a JKS truststore in binaryData with an inline passphrase", async () => {
  const p = await sharedTestPki();
  const file = `${p.dir}/cm-trust.jks`;
  await keytoolTruststore(p, file, "JKS", "changeit");
  const jks = await Deno.readFile(file);
  const yaml =
    "configMaps:\n  keyPatterns: ['\\.jks$']\n  format: jks\n  pkcs12: { passphrase: changeit }";
  await withSource(yaml, (s) => {
    s.upsert("configmaps", {
      metadata: { name: "trust", namespace: "app" },
      binaryData: { "trust.jks": btoa(String.fromCharCode(...jks)) },
    });
  }, (h) => {
    assert.equal(h.view()["configmap/app/trust/trust.jks"]?.length, 3);
  });
});
