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

Deno.test("CertificateCache forgets certificates no bundle holds any more", async () => {
  // A process of its own, where gc() can be called.
  const script = `
    import { CertificateCache } from "${new URL("../src/parse/cert_cache.ts", import.meta.url)}";
    import { makeCert } from "${new URL("./testing/certs.ts", import.meta.url)}";
    const certs = await Promise.all([1, 2, 3].map(() => makeCert()));
    const cache = new CertificateCache();
    const kept = cache.parse(certs[0].der);
    for (const c of certs.slice(1)) cache.parse(c.der); // parsed, then dropped
    for (let i = 0; i < 5 && cache.size > 1; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 20)); // finalizers run as tasks
    }
    const again = cache.parse(certs[0].der);
    console.log(JSON.stringify({ size: cache.size, same: again === kept, hits: cache.hits }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", "--ext=ts", script],
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    size: 1,
    same: true,
    hits: 1,
  });
});

Deno.test("splitPem() skips RFC 1421 headers inside a block", async () => {
  const a = await makeCert();
  const withHeader = a.pem.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n");
  const blocks = splitPem(withHeader);
  assert.equal(blocks.length, 1);
  assert.deepEqual(blocks[0]?.der, a.der);
});
