import { summary } from "./testing/items.ts";
import assert from "node:assert/strict";
import type { Item } from "../src/bundle.ts";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import { decodeItems } from "../src/parse/decode.ts";
import { splitPem } from "../src/parse/pem.ts";
import { makeCert, pemBlock, serialDecimal, TEST_LIMITS, withValidity } from "./testing/certs.ts";

const enc = new TextEncoder();
const reasons = (items: Item[]) => items.map((i) => (i.kind === "cert" ? "cert" : summary(i)));

Deno.test("decodeItems() keeps the good blocks around a corrupt one", async () => {
  const a = await makeCert({ name: "CN=a" });
  const b = await makeCert({ name: "CN=b" });
  const broken = "-----BEGIN CERTIFICATE-----\nMIIB!!!notbase64\n-----END CERTIFICATE-----\n";
  const items = decodeItems(enc.encode(a.pem + broken + b.pem), {
    cache: new CertificateCache(),
    limits: TEST_LIMITS,
  });
  assert.deepEqual(reasons(items), ["cert", "bad_pem", "cert"]);
  assert.deepEqual(items.map((i) => i.index), [0, 1, 2]);
});

Deno.test("decodeItems() reports a block without END as bad_pem and still reads the next one", async () => {
  const a = await makeCert({ name: "CN=a" });
  const cut = a.pem.replace("-----END CERTIFICATE-----", "");
  const b = await makeCert({ name: "CN=b" });
  const items = decodeItems(enc.encode(cut + b.pem), {
    cache: new CertificateCache(),
    limits: TEST_LIMITS,
  });
  assert.deepEqual(reasons(items), ["bad_pem", "cert"]);
});

Deno.test("decodeItems() ignores key blocks and reports valid base64 that is no certificate as bad_pem, as upstream", async () => {
  const a = await makeCert();
  const key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  const notCert = "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n";
  const notTrusted =
    "-----BEGIN TRUSTED CERTIFICATE-----\nMIKAAA==\n-----END TRUSTED CERTIFICATE-----\n";
  const items = decodeItems(enc.encode(key + a.pem + notCert + notTrusted), {
    cache: new CertificateCache(),
    limits: TEST_LIMITS,
  });
  assert.deepEqual(reasons(items), ["cert", "bad_pem", "bad_pem"]);
});

Deno.test("decodeItems() reads TRUSTED CERTIFICATE blocks with OpenSSL trust settings appended", async () => {
  const a = await makeCert({ serial: "0abc" });
  const aux = new Uint8Array([0x30, 0x03, 0x0c, 0x01, 0x78]); // a trailing SEQUENCE, like X509_AUX
  const body = new Uint8Array([...a.der, ...aux]);
  const pem = `-----BEGIN TRUSTED CERTIFICATE-----\n${
    btoa(String.fromCharCode(...body))
  }\n-----END TRUSTED CERTIFICATE-----\n`;
  const items = decodeItems(enc.encode(pem), {
    cache: new CertificateCache(),
    limits: TEST_LIMITS,
  });
  assert.equal(items[0]?.kind === "cert" && items[0].cert.serial, serialDecimal("0abc"));
});

Deno.test("decodeItems() says no_certificate_found for keys only and for text without PEM", () => {
  const cache = new CertificateCache();
  const key = enc.encode("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
  assert.deepEqual(reasons(decodeItems(key, { cache, limits: TEST_LIMITS })), [
    "no_certificate_found",
  ]);
  assert.deepEqual(reasons(decodeItems(enc.encode("hello"), { cache, limits: TEST_LIMITS })), [
    "no_certificate_found",
  ]);
  assert.deepEqual(reasons(decodeItems(new Uint8Array(), { cache, limits: TEST_LIMITS })), [
    "no_certificate_found",
  ]);
});

Deno.test("decodeItems() reads DER when configured and says bad_der for binary garbage", async () => {
  const a = await makeCert({ serial: "07" });
  const cache = new CertificateCache();
  const der = decodeItems(a.der, { cache, limits: TEST_LIMITS, formats: ["pem", "der"] });
  assert.equal(der[0]?.kind === "cert" && der[0].cert.serial, "7");
  assert.deepEqual(
    reasons(
      decodeItems(new Uint8Array([0x30, 0x82, 0xff, 0xff, 1]), {
        cache,
        limits: TEST_LIMITS,
        formats: ["der"],
      }),
    ),
    [
      "bad_der",
    ],
  );
  assert.deepEqual(
    reasons(
      decodeItems(new Uint8Array([0, 1, 2]), {
        cache,
        limits: TEST_LIMITS,
        formats: ["pem", "der"],
      }),
    ),
    ["bad_der"],
  );
  // Without der in formats, a DER file is simply not a certificate file.
  assert.deepEqual(reasons(decodeItems(a.der, { cache, limits: TEST_LIMITS })), [
    "no_certificate_found",
  ]);
});

Deno.test("CertificateCache parses repeated bytes once and shares the object", async () => {
  const ca = await makeCert({ name: "CN=intermediate" });
  const cache = new CertificateCache();
  const first = decodeItems(enc.encode(ca.pem), { cache, limits: TEST_LIMITS });
  const second = decodeItems(enc.encode(ca.pem + ca.pem), { cache, limits: TEST_LIMITS });
  assert.equal(cache.misses, 1);
  assert.equal(cache.hits, 2);
  assert.ok(
    first[0]?.kind === "cert" && second[1]?.kind === "cert" && first[0].cert === second[1].cert,
  );
});

Deno.test("CertificateCache forgets certificates no bundle holds any more, in a sweep as it grows", async () => {
  // A process of its own, where gc() can be called.
  const script = `
    import { CertificateCache } from "${new URL("../src/parse/cert_cache.ts", import.meta.url)}";
    import { makeCert, withValidity } from "${new URL("./testing/certs.ts", import.meta.url)}";
    const base = await makeCert();
    const pad = (n) => String(n).padStart(2, "0");
    // A distinct certificate for each i: its notAfter moves (signatures are not checked here).
    const variant = (i) => withValidity(base.der, {
      notAfter: { utc: "30" + pad(1 + (i % 12)) + pad(1 + (Math.floor(i / 12) % 28)) + pad(Math.floor(i / 336) % 24) + "0000Z" },
    });
    const cache = new CertificateCache();
    const kept = cache.parse(variant(0));
    for (let i = 1; i < 1000; i++) cache.parse(variant(i)); // parsed, then dropped
    await new Promise((r) => setTimeout(r, 0));
    globalThis.gc();
    // The next sweep (at twice the entries of the last one) forgets the 999 collected.
    for (let i = 1000; i < 2000; i++) cache.parse(variant(i));
    const again = cache.parse(variant(0));
    console.log(JSON.stringify({ size: cache.size, same: again === kept, hits: cache.hits }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", "--ext=ts", script],
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  const { size, same, hits } = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.ok(size <= 1100, `${size} of 2,000 entries kept`);
  assert.deepEqual({ same, hits }, { same: true, hits: 1 });
});

Deno.test("splitPem() skips RFC 1421 headers inside a block", async () => {
  const a = await makeCert();
  const withHeader = a.pem.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n");
  const blocks = splitPem(withHeader);
  assert.equal(blocks.length, 1);
  assert.deepEqual(blocks[0]?.der, a.der);
});

Deno.test("decodeItems() reports an impossible date as bad_der in DER input and bad_pem in a PEM block", async () => {
  const a = await makeCert();
  const cache = new CertificateCache();
  const feb30 = withValidity(a.der, { notAfter: { generalized: "20230230000000Z" } });
  const options = { cache, limits: TEST_LIMITS, formats: ["pem", "der"] } as const;
  assert.deepEqual(reasons(decodeItems(feb30, options)), ["bad_der"]);
  assert.deepEqual(reasons(decodeItems(enc.encode(a.pem + pemBlock(feb30)), options)), [
    "cert",
    "bad_pem",
  ]);
  const year1 = withValidity(a.der, { notBefore: { generalized: "00010101000000Z" } });
  const [item] = decodeItems(year1, options);
  assert.equal(item?.kind === "cert" && item.cert.notBefore, -62135596800);
});

Deno.test("decodeItems() says no_certificate_found for empty DER input, as upstream", () => {
  const options = { cache: new CertificateCache(), limits: TEST_LIMITS };
  assert.deepEqual(reasons(decodeItems(new Uint8Array(), { ...options, formats: ["der"] })), [
    "no_certificate_found",
  ]);
});

Deno.test("decodeItems() refuses an input over maxInputBytes as one too_large item", async () => {
  const a = await makeCert();
  const data = enc.encode(a.pem);
  const cache = new CertificateCache();
  const at = (maxInputBytes: number) =>
    reasons(decodeItems(data, { cache, limits: { ...TEST_LIMITS, maxInputBytes } }));
  assert.deepEqual(at(data.length), ["cert"]);
  assert.deepEqual(at(data.length - 1), ["too_large"]);
});

Deno.test("decodeItems() keeps maxCertificates certificates and says how many more it dropped", async () => {
  const certs = await Promise.all([1, 2, 3, 4, 5].map(() => makeCert()));
  const limits = { ...TEST_LIMITS, maxCertificates: 2 };
  const items = decodeItems(enc.encode(certs.map((c) => c.pem).join("")), {
    cache: new CertificateCache(),
    limits,
  });
  assert.deepEqual(reasons(items), ["cert", "cert", "too_many_items"]);
  assert.deepEqual(items.map((i) => i.index), [0, 1, 5]);
  assert.match(items[2]?.kind === "error" ? items[2].message : "", /Dropped 3 more items/);
});

Deno.test("decodeItems() keeps maxErrorItems errors, and the certificates after them keep their index", async () => {
  const a = await makeCert();
  const broken = "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n";
  const items = decodeItems(enc.encode(broken.repeat(5) + a.pem), {
    cache: new CertificateCache(),
    limits: { ...TEST_LIMITS, maxErrorItems: 2 },
  });
  assert.deepEqual(reasons(items), ["bad_pem", "bad_pem", "cert", "too_many_items"]);
  assert.deepEqual(items.map((i) => i.index), [0, 1, 5, 6]);
});

Deno.test("decodeItems() reads 1 MiB of BEGIN lines without END in linear time, into capped items", () => {
  const line = "-----BEGIN CERTIFICATE-----\n";
  const data = enc.encode(line.repeat(Math.floor((1 << 20) / line.length)));
  const started = performance.now();
  const items = decodeItems(data, { cache: new CertificateCache(), limits: TEST_LIMITS });
  const elapsed = performance.now() - started;
  assert.equal(items.length, TEST_LIMITS.maxErrorItems + 1);
  assert.deepEqual(items.at(-1), {
    kind: "error",
    reason: "too_many_items",
    message: "Dropped 37349 more items: a bundle keeps at most 10000 certificates and 100 errors",
    index: 37449,
  });
  assert.ok(elapsed < 1000, `took ${elapsed} ms`); // 11 s when each block searched to the end
});

Deno.test("decodeItems() turns 50 MiB of empty CERTIFICATE blocks into capped items, not a million", () => {
  const block = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
  const count = Math.floor((50 << 20) / block.length);
  const items = decodeItems(enc.encode(block.repeat(count)), {
    cache: new CertificateCache(),
    limits: TEST_LIMITS,
  });
  assert.equal(items.length, TEST_LIMITS.maxErrorItems + 1);
  assert.equal(items.filter((i) => i.kind === "error" && i.reason === "bad_pem").length, 100);
  const last = items.at(-1);
  assert.match(
    last?.kind === "error" ? last.message : "",
    new RegExp(`Dropped ${count - 100} more`),
  );
});
