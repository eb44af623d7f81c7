import { summary } from "./testing/items.ts";
import assert from "node:assert/strict";
import type { Item } from "../src/bundle.ts";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import { decodeItems } from "../src/parse/decode.ts";
import { splitPem } from "../src/parse/pem.ts";
import { makeCert, serialDecimal } from "./testing/certs.ts";

const enc = new TextEncoder();
const reasons = (items: Item[]) => items.map((i) => (i.kind === "cert" ? "cert" : summary(i)));

Deno.test("decodeItems() keeps the good blocks around a corrupt one", async () => {
  const a = await makeCert({ name: "CN=a" });
  const b = await makeCert({ name: "CN=b" });
  const broken = "-----BEGIN CERTIFICATE-----\nMIIB!!!notbase64\n-----END CERTIFICATE-----\n";
  const items = decodeItems(enc.encode(a.pem + broken + b.pem), { cache: new CertificateCache() });
  assert.deepEqual(reasons(items), ["cert", "bad_pem", "cert"]);
  assert.deepEqual(items.map((i) => i.index), [0, 1, 2]);
});

Deno.test("decodeItems() reports a block without END as bad_pem and still reads the next one", async () => {
  const a = await makeCert({ name: "CN=a" });
  const cut = a.pem.replace("-----END CERTIFICATE-----", "");
  const b = await makeCert({ name: "CN=b" });
  const items = decodeItems(enc.encode(cut + b.pem), { cache: new CertificateCache() });
  assert.deepEqual(reasons(items), ["bad_pem", "cert"]);
});

Deno.test("decodeItems() ignores key blocks and reports valid base64 that is no certificate as decode_failed", async () => {
  const a = await makeCert();
  const key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  const notCert = "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n";
  const items = decodeItems(enc.encode(key + a.pem + notCert), { cache: new CertificateCache() });
  assert.deepEqual(reasons(items), ["cert", "decode_failed"]);
});

Deno.test("decodeItems() reads TRUSTED CERTIFICATE blocks with OpenSSL trust settings appended", async () => {
  const a = await makeCert({ serial: "0abc" });
  const aux = new Uint8Array([0x30, 0x03, 0x0c, 0x01, 0x78]); // a trailing SEQUENCE, like X509_AUX
  const body = new Uint8Array([...a.der, ...aux]);
  const pem = `-----BEGIN TRUSTED CERTIFICATE-----\n${
    btoa(String.fromCharCode(...body))
  }\n-----END TRUSTED CERTIFICATE-----\n`;
  const items = decodeItems(enc.encode(pem), { cache: new CertificateCache() });
  assert.equal(items[0]?.kind === "cert" && items[0].cert.serial, serialDecimal("0abc"));
});

Deno.test("decodeItems() says no_certificate_found for keys only and for text without PEM", () => {
  const cache = new CertificateCache();
  const key = enc.encode("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
  assert.deepEqual(reasons(decodeItems(key, { cache })), ["no_certificate_found"]);
  assert.deepEqual(reasons(decodeItems(enc.encode("hello"), { cache })), ["no_certificate_found"]);
  assert.deepEqual(reasons(decodeItems(new Uint8Array(), { cache })), ["no_certificate_found"]);
});

Deno.test("decodeItems() reads DER when configured and says bad_der for binary garbage", async () => {
  const a = await makeCert({ serial: "07" });
  const cache = new CertificateCache();
  const der = decodeItems(a.der, { cache, formats: ["pem", "der"] });
  assert.equal(der[0]?.kind === "cert" && der[0].cert.serial, "7");
  assert.deepEqual(
    reasons(decodeItems(new Uint8Array([0x30, 0x82, 0xff, 0xff, 1]), { cache, formats: ["der"] })),
    [
      "bad_der",
    ],
  );
  assert.deepEqual(
    reasons(decodeItems(new Uint8Array([0, 1, 2]), { cache, formats: ["pem", "der"] })),
    ["bad_der"],
  );
  // Without der in formats, a DER file is simply not a certificate file.
  assert.deepEqual(reasons(decodeItems(a.der, { cache })), ["no_certificate_found"]);
});

Deno.test("CertificateCache parses repeated bytes once and shares the object", async () => {
  const ca = await makeCert({ name: "CN=intermediate" });
  const cache = new CertificateCache();
  const first = decodeItems(enc.encode(ca.pem), { cache });
  const second = decodeItems(enc.encode(ca.pem + ca.pem), { cache });
  assert.equal(cache.misses, 1);
  assert.equal(cache.hits, 2);
  assert.ok(
    first[0]?.kind === "cert" && second[1]?.kind === "cert" && first[0].cert === second[1].cert,
  );
});

Deno.test("CertificateCache evicts the least recently used entry past its bound", async () => {
  const cache = new CertificateCache(2);
  const [a, b, c] = await Promise.all([makeCert(), makeCert(), makeCert()]);
  cache.parse(a.der);
  cache.parse(b.der);
  cache.parse(a.der); // a is now the most recent
  cache.parse(c.der); // evicts b
  assert.equal(cache.size, 2);
  cache.parse(a.der);
  assert.equal(cache.misses, 3);
  cache.parse(b.der);
  assert.equal(cache.misses, 4);
});

Deno.test("splitPem() skips RFC 1421 headers inside a block", async () => {
  const a = await makeCert();
  const withHeader = a.pem.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n");
  const blocks = splitPem(withHeader);
  assert.equal(blocks.length, 1);
  assert.deepEqual(blocks[0]?.der, a.der);
});
