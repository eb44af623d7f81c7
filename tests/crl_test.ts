import assert from "node:assert/strict";
import { CertMetrics } from "../src/metrics/cert_metrics.ts";
import { LabelSchema } from "../src/metrics/labels.ts";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import { parseCrl } from "../src/parse/crl.ts";
import { decodeItems, type DecodeOptions } from "../src/parse/decode.ts";
import { DerError } from "../src/parse/der.ts";
import { Store } from "../src/store.ts";
import { epoch, makeCert, makeCrl, pemBlock, TEST_LIMITS, withCrlTimes } from "./testing/certs.ts";
import { summary } from "./testing/items.ts";
import { promtoolCheckMetrics } from "./testing/promtool.ts";

const enc = new TextEncoder();
const T0 = new Date("2026-01-01T00:00:00Z");
const T1 = new Date("2026-02-01T00:00:00Z");

Deno.test("parseCrl() reads issuer, updates and the CRL number as openssl does", async () => {
  const ca = await makeCert({ name: "CN=Issuing CA, O=Acme", ca: true });
  const crl = await makeCrl({
    issuer: ca,
    thisUpdate: T0,
    nextUpdate: T1,
    number: 123456789012345678901234n,
    revoked: ["01", "02"],
  });
  const parsed = parseCrl(crl.der);
  assert.equal(parsed.thisUpdate, epoch(T0));
  assert.equal(parsed.nextUpdate, epoch(T1));
  assert.equal(parsed.number, "123456789012345678901234");
  assert.deepEqual(parsed.issuer, { CN: "Issuing CA", O: "Acme" });
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/crl.der`, crl.der);
  const out = await new Deno.Command("openssl", {
    args: ["crl", "-inform", "DER", "-in", `${dir}/crl.der`, "-noout", "-crlnumber"],
  }).output();
  const hex = /crlNumber=(?:0x)?([0-9A-Fa-f]+)/.exec(new TextDecoder().decode(out.stdout))?.[1];
  assert.equal(BigInt("0x" + hex).toString(), parsed.number);
});

Deno.test("parseCrl() accepts a CRL without nextUpdate or number, and rejects garbage with DerError", async () => {
  const ca = await makeCert({ ca: true });
  const crl = await makeCrl({ issuer: ca, thisUpdate: T0 });
  const parsed = parseCrl(crl.der);
  assert.equal(parsed.nextUpdate, undefined);
  assert.equal(parsed.number, undefined);
  assert.throws(() => parseCrl(crl.der.subarray(0, crl.der.length - 3)), DerError);
});

Deno.test("parseCrl() decodes thisUpdate and nextUpdate as Go does: literal years, no impossible dates", async () => {
  const ca = await makeCert({ ca: true });
  const crl = await makeCrl({ issuer: ca, thisUpdate: T0, nextUpdate: T1 });
  const year1 = withCrlTimes(crl.der, {
    thisUpdate: { utc: "500101000000Z" },
    nextUpdate: { generalized: "00010101000000Z" },
  });
  assert.equal(parseCrl(year1).thisUpdate, -631152000); // 1950-01-01
  assert.equal(parseCrl(year1).nextUpdate, -62135596800); // 0001-01-01
  for (const time of [{ utc: "230230000000Z" }, { generalized: "20230101000060Z" }]) {
    assert.throws(() => parseCrl(withCrlTimes(crl.der, { thisUpdate: time })), DerError);
    assert.throws(() => parseCrl(withCrlTimes(crl.der, { nextUpdate: time })), DerError);
  }
});

Deno.test("decodeItems() reports a CRL with an impossible date as bad_der in DER input and bad_crl in a PEM block", async () => {
  const ca = await makeCert({ ca: true });
  const crl = await makeCrl({ issuer: ca, thisUpdate: T0, nextUpdate: T1 });
  const apr31 = withCrlTimes(crl.der, { nextUpdate: { generalized: "20260431000000Z" } });
  const options: DecodeOptions = {
    cache: new CertificateCache(),
    limits: TEST_LIMITS,
    formats: ["pem", "der"],
  };
  assert.deepEqual(decodeItems(apr31, options).map(summary), ["bad_der"]);
  assert.deepEqual(
    decodeItems(enc.encode(pemBlock(apr31, "X509 CRL")), options).map(summary),
    ["bad_crl"],
  );
});

Deno.test("decodeItems() reads X509 CRL blocks next to certificates; a CRL-only file is no error", async () => {
  const ca = await makeCert({ serial: "0a", ca: true });
  const crl = await makeCrl({ issuer: ca, thisUpdate: T0, nextUpdate: T1, number: 7n });
  const cache = new CertificateCache();
  assert.deepEqual(
    decodeItems(enc.encode(ca.pem + crl.pem), { cache, limits: TEST_LIMITS }).map(summary),
    [
      "10",
      "crl:7",
    ],
  );
  assert.deepEqual(decodeItems(enc.encode(crl.pem), { cache, limits: TEST_LIMITS }).map(summary), [
    "crl:7",
  ]);
  assert.deepEqual(
    decodeItems(crl.der, { cache, limits: TEST_LIMITS, formats: ["pem", "der"] }).map(summary),
    [
      "crl:7",
    ],
  );
  const broken = "-----BEGIN X509 CRL-----\nAAECAw==\n-----END X509 CRL-----\n";
  assert.deepEqual(
    decodeItems(enc.encode(broken + ca.pem), { cache, limits: TEST_LIMITS }).map(summary),
    [
      "bad_crl",
      "10",
    ],
  );
});

Deno.test("CRL families carry crl_number and issuer labels, gated like the certificate ones", async () => {
  const ca = await makeCert({ name: "CN=CA", ca: true });
  const crl = await makeCrl({ issuer: ca, thisUpdate: T0, nextUpdate: T1, number: 42n });
  const store = new Store();
  store.put({ kind: "file", name: "crls" }, {
    ref: "/crl.pem",
    location: { filepath: "/crl.pem" },
    items: decodeItems(enc.encode(crl.pem), { cache: new CertificateCache(), limits: TEST_LIMITS }),
  });
  const now = epoch(T1) + 60; // a minute stale
  const body = new CertMetrics(new LabelSchema({ issuerFields: ["CN"], subjectFields: ["CN"] }), {
    exposeRelative: true,
    exposePerCertError: true,
  }).render(store, now);
  const value = (name: string) =>
    new RegExp(`^${name}\\{[^}]*crl_number="42"[^}]*issuer_CN="CA"[^}]*\\} (-?\\d+)$`, "m").exec(
      body,
    )?.[1];
  assert.equal(value("x509_crl_this_update"), String(epoch(T0)));
  assert.equal(value("x509_crl_next_update"), String(epoch(T1)));
  assert.equal(value("x509_crl_number"), "42");
  assert.equal(value("x509_crl_stale"), "1");
  assert.equal(value("x509_crl_stale_in_seconds"), "-60");
  assert.equal(value("x509_crl_fresh_since_seconds"), String(now - epoch(T0)));
  assert.equal(
    body.includes("x509_cert_"),
    false,
    "a CRL makes no certificate series, not even x509_cert_error",
  );
  assert.equal(await promtoolCheckMetrics(body), "");
  const plain = new CertMetrics(new LabelSchema(), { exposeExpired: false }).render(store, now);
  assert.equal(plain.includes("x509_crl_stale"), false);
  assert.ok(plain.includes("x509_crl_next_update"));
});
