import assert from "node:assert/strict";
import type { Bundle, Certificate, Item } from "../src/bundle.ts";
import { chainProblem, Chains, chainVerified } from "../src/chain.ts";
import { CertMetrics } from "../src/metrics/cert_metrics.ts";
import { LabelSchema } from "../src/metrics/labels.ts";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import { Store } from "../src/store.ts";
import { makeCert, type TestCert } from "./testing/certs.ts";

const SRC = { kind: "file", name: "pki" };
const now = () => Date.now() / 1000;

async function pki() {
  const root = await makeCert({ name: "CN=Chain Root", key: "rsa2048", ca: true, days: 3650 });
  const inter = await makeCert({
    name: "CN=Chain Int",
    key: "p384",
    ca: true,
    issuer: root,
    days: 30,
  });
  const leaf = await makeCert({
    name: "CN=leaf",
    issuer: inter,
    days: 300,
    dnsNames: ["a.example"],
  });
  return { root, inter, leaf };
}

function setup(roots: TestCert[] = []) {
  const cache = new CertificateCache({ keepSigned: true });
  const chains = new Chains(cache);
  for (const r of roots) chains.addRoot(cache.parse(r.der));
  const store = new Store();
  store.observe(chains);
  const bundle = (ref: string, ...certs: TestCert[]): Bundle => ({
    ref,
    location: { filepath: ref },
    items: certs.map((c, index): Item => ({ kind: "cert", index, cert: cache.parse(c.der) })),
  });
  const put = (b: Bundle) => {
    store.put(SRC, b);
    return b;
  };
  return { cache, chains, store, bundle, put };
}

Deno.test("Chains verify a leaf through its bundle's intermediate up to a configured root", async () => {
  const { root, inter, leaf } = await pki();
  const t = setup([root]);
  const b = t.put(t.bundle("/a.pem", leaf, inter));
  await t.chains.settled();
  const [l, i] = t.chains.states(b)!;
  assert.equal(chainVerified(l!, now()), 1);
  assert.deepEqual(l!.path.map((c) => c.subject.CN), ["Chain Int", "Chain Root"]);
  assert.equal(l!.anchor, "roots");
  // The leaf lasts 300 days, its intermediate 30: the chain ends with the intermediate.
  assert.equal(l!.notAfter, Math.floor(inter.notAfter.getTime() / 1000));
  assert.equal(chainVerified(i!, now()), 1);
});

Deno.test("Chains report issuer_not_found, then re-resolve when the issuer arrives in the source", async () => {
  const { root, inter, leaf } = await pki();
  const t = setup([root]);
  const b = t.put(t.bundle("/leaf.pem", leaf));
  await t.chains.settled();
  assert.equal(t.chains.states(b)![0]!.reason, "issuer_not_found");
  assert.equal(chainVerified(t.chains.states(b)![0]!, now()), 0);
  const before = t.chains.version;
  t.put(t.bundle("/int.pem", inter));
  await t.chains.settled();
  assert.ok(t.chains.version > before);
  assert.equal(chainVerified(t.chains.states(b)![0]!, now()), 1);
  // And again when the intermediate goes.
  t.store.delete(SRC, "/int.pem");
  await t.chains.settled();
  assert.equal(t.chains.states(b)![0]!.reason, "issuer_not_found");
});

Deno.test("Chains report bad_signature for an issuer of the right name but another key", async () => {
  const { root, leaf } = await pki();
  const impostor = await makeCert({ name: "CN=Chain Int", key: "p256", ca: true, issuer: root });
  const t = setup([root]);
  const b = t.put(t.bundle("/a.pem", leaf, impostor));
  await t.chains.settled();
  const state = t.chains.states(b)![0]!;
  assert.equal(state.reason, "bad_signature");
  assert.equal(chainVerified(state, now()), 0);
});

Deno.test("Chains flag an expired intermediate, and a self-signed leaf that is no CA", async () => {
  const root = await makeCert({ name: "CN=Old Root", key: "rsa2048", ca: true, days: 3650 });
  const inter = await makeCert({
    name: "CN=Old Int",
    key: "p384",
    ca: true,
    issuer: root,
    days: -2,
  });
  const leaf = await makeCert({ name: "CN=leaf", issuer: inter, days: 100 });
  const self = await makeCert({ name: "CN=self", key: "ed25519", days: 100 });
  const t = setup([root]);
  const b = t.put(t.bundle("/a.pem", leaf, inter));
  const s = t.put(t.bundle("/self.pem", self));
  await t.chains.settled();
  const state = t.chains.states(b)![0]!;
  assert.equal(state.anchored, true);
  assert.equal(chainVerified(state, now()), 0);
  assert.equal(chainProblem(state, now())?.reason, "expired_intermediate");
  assert.equal(t.chains.states(s)![0]!.reason, "self_signed");
});

Deno.test("A self-signed CA of the same source is a trust anchor", async () => {
  const { root, inter, leaf } = await pki();
  const t = setup();
  const b = t.put(t.bundle("/a.pem", leaf, inter));
  t.put(t.bundle("/ca.pem", root));
  await t.chains.settled();
  const state = t.chains.states(b)![0]!;
  assert.equal(state.anchor, "source");
  assert.equal(chainVerified(state, now()), 1);
});

Deno.test("x509_cert_info and the chain families render from sync-time state", async () => {
  const { root, inter, leaf } = await pki();
  const t = setup([root]);
  t.put(t.bundle("/a.pem", leaf, inter));
  await t.chains.settled();
  const metrics = new CertMetrics(new LabelSchema({ subjectFields: ["CN"], issuerFields: [] }), {
    exposeInfo: true,
    chains: t.chains,
  });
  const text = metrics.render(t.store, now());
  const line = (name: string, cn: string) =>
    text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(`subject_CN="${cn}"`));
  const info = line("x509_cert_info", "leaf")!;
  assert.match(
    info,
    /,subject_CN="leaf",sans="a\.example",key_type="ecdsa",key_bits="256",signature_algorithm="ECDSA-SHA384",sha256_fingerprint="[0-9a-f]{64}",is_ca="false"\} 1$/,
  );
  assert.match(
    line("x509_cert_info", "Chain Int")!,
    /key_bits="384",signature_algorithm="SHA256-RSA",.*is_ca="true"\} 1$/,
  );
  assert.match(line("x509_cert_chain_verified", "leaf")!, / 1$/);
  assert.ok(
    line("x509_cert_chain_not_after", "leaf")!.endsWith(
      ` ${Math.floor(inter.notAfter.getTime() / 1000)}`,
    ),
  );
  // Off by default: the families exist only when asked for.
  const plain = new CertMetrics(new LabelSchema()).render(t.store, now());
  assert.doesNotMatch(plain, /x509_cert_info|x509_cert_chain/);
});

Deno.test("parseCertificate() reads SANs, key, signature algorithm and CA flag", async () => {
  const rsa = await makeCert({
    name: "CN=facts",
    key: "rsa2048",
    ca: true,
    dnsNames: ["one.example", "two.example"],
  });
  const cert: Certificate = new CertificateCache().parse(rsa.der);
  assert.deepEqual(
    [cert.sans, cert.keyType, cert.keyBits, cert.signatureAlgorithm, cert.isCa],
    [["one.example", "two.example"], "rsa", 2048, "SHA256-RSA", true],
  );
});
