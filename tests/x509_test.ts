import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { DerError } from "../src/parse/der.ts";
import { parseCertificate, sha256Hex } from "../src/parse/x509.ts";
import { epoch, type KeyType, makeCert, serialDecimal } from "./testing/certs.ts";

for (const key of ["rsa2048", "rsa4096", "p256", "p384", "ed25519"] as KeyType[]) {
  Deno.test(`parseCertificate() reads a ${key} certificate exactly as node:crypto does`, async () => {
    const made = await makeCert({ key, name: `CN=${key}.example, O=Acme, C=FR` });
    const parsed = parseCertificate(made.der);
    const reference = new X509Certificate(made.der);
    assert.deepEqual(parsed.serial, BigInt("0x" + reference.serialNumber).toString());
    assert.deepEqual(parsed.notAfter, epoch(new Date(reference.validTo)));
    assert.deepEqual(parsed.notBefore, epoch(new Date(reference.validFrom)));
    assert.deepEqual(parsed.subject, { CN: `${key}.example`, O: "Acme", C: "FR" });
    assert.deepEqual(parsed.fingerprint, reference.fingerprint256.replace(/:/g, "").toLowerCase());
  });
}

Deno.test("parseCertificate() renders serials with leading zeros and long serials in decimal", async () => {
  const short = await makeCert({ serial: "0001" });
  assert.deepEqual(parseCertificate(short.der).serial, "1");
  const long = await makeCert({ serial: "00ff0000000000000000000000000000000001" });
  assert.deepEqual(
    parseCertificate(long.der).serial,
    serialDecimal("ff0000000000000000000000000000000001"),
  );
});

Deno.test("parseCertificate() keeps the first O/OU and the last CN of multi-valued names", async () => {
  const made = await makeCert({ name: "CN=first, CN=second, O=Acme+OU=Ops, OU=Later, O=Other" });
  const dn = parseCertificate(made.der).subject;
  assert.deepEqual(dn.CN, "second");
  assert.deepEqual(dn.O, "Acme");
  assert.deepEqual(dn.OU, "Ops");
});

Deno.test("parseCertificate() decodes non-ASCII names", async () => {
  const made = await makeCert({ name: "CN=héllo wörld ✓, O=Société Générale, L=東京" });
  const dn = parseCertificate(made.der).subject;
  assert.deepEqual(dn, { CN: "héllo wörld ✓", O: "Société Générale", L: "東京" });
});

Deno.test("parseCertificate() reads GeneralizedTime dates after 2049", async () => {
  const notAfter = new Date("2061-06-15T12:34:56Z");
  const made = await makeCert({ notAfter });
  assert.deepEqual(parseCertificate(made.der).notAfter, epoch(notAfter));
});

Deno.test("parseCertificate() rejects truncated and padded input with DerError", async () => {
  const made = await makeCert();
  for (const cut of [0, 1, 2, 10, made.der.length - 1]) {
    assert.throws(() => parseCertificate(made.der.subarray(0, cut)), DerError);
  }
  const padded = new Uint8Array(made.der.length + 1);
  padded.set(made.der);
  assert.throws(() => parseCertificate(padded), DerError);
});

Deno.test("parseCertificate() survives random mutations with only DerError", async () => {
  const made = await makeCert({ key: "rsa2048" });
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const started = performance.now();
  for (let i = 0; i < 3000; i++) {
    const m = made.der.slice();
    const flips = 1 + Math.floor(rand() * 4);
    for (let f = 0; f < flips; f++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
    try {
      parseCertificate(m);
    } catch (err) {
      if (!(err instanceof DerError)) throw new Error(`Mutation ${i} threw ${err}`);
    }
  }
  const random = new Uint8Array(512);
  for (let i = 0; i < 1000; i++) {
    crypto.getRandomValues(random);
    try {
      parseCertificate(random.subarray(0, 1 + (i % 512)));
    } catch (err) {
      if (!(err instanceof DerError)) throw new Error(`Random input ${i} threw ${err}`);
    }
  }
  assert.ok(performance.now() - started < 5000);
});

Deno.test("sha256Hex() is the certificate fingerprint", async () => {
  const made = await makeCert();
  assert.deepEqual(
    sha256Hex(made.der),
    new X509Certificate(made.der).fingerprint256.replace(/:/g, "").toLowerCase(),
  );
});
