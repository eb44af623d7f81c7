import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { decodeOid, DerError, readTlv } from "../src/parse/der.ts";
import { parseCertificate, sha256Hex } from "../src/parse/x509.ts";
import { epoch, type KeyType, makeCert, serialDecimal, withValidity } from "./testing/certs.ts";

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

/** Seconds since the epoch of a UTC date, any year (Date.UTC reads years 0–99 as 19xx). */
function utcSeconds(year: number, month: number, day: number, h = 0, m = 0, s = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(h, m, s);
  return date.getTime() / 1000;
}

Deno.test("parseCertificate() takes GeneralizedTime years literally, 0001 and 0099 included", async () => {
  const { der } = await makeCert();
  const cases: [string, number][] = [
    ["00010101000000Z", utcSeconds(1, 1, 1)],
    ["00990615123456Z", utcSeconds(99, 6, 15, 12, 34, 56)],
    ["99991231235959Z", utcSeconds(9999, 12, 31, 23, 59, 59)],
    ["20240229000000Z", utcSeconds(2024, 2, 29)],
    ["20000229000000Z", utcSeconds(2000, 2, 29)],
    ["20230101000000+0100", utcSeconds(2022, 12, 31, 23)],
    ["20230101000000-0130", utcSeconds(2023, 1, 1, 1, 30)],
  ];
  for (const [generalized, expected] of cases) {
    const cert = parseCertificate(withValidity(der, { notAfter: { generalized } }));
    assert.equal(cert.notAfter, expected, generalized);
  }
  assert.equal(utcSeconds(1, 1, 1), -62135596800, "the helper itself is right about year 1");
});

Deno.test("parseCertificate() reads UTCTime with RFC 5280's window: 50-99 are 19xx, 00-49 are 20xx", async () => {
  const { der } = await makeCert();
  const cases: [string, number][] = [
    ["500101000000Z", utcSeconds(1950, 1, 1)],
    ["991231235959Z", utcSeconds(1999, 12, 31, 23, 59, 59)],
    ["000101000000Z", utcSeconds(2000, 1, 1)],
    ["491231235959Z", utcSeconds(2049, 12, 31, 23, 59, 59)],
    ["2301010000Z", utcSeconds(2023, 1, 1)], // minutes only: Go accepts it
    ["230101000000-0500", utcSeconds(2023, 1, 1, 5)],
  ];
  for (const [utc, expected] of cases) {
    assert.equal(
      parseCertificate(withValidity(der, { notBefore: { utc } })).notBefore,
      expected,
      utc,
    );
  }
});

Deno.test("parseCertificate() rejects impossible and non-canonical times as Go's crypto/x509 does", async () => {
  const { der } = await makeCert();
  // Each was checked against Go's x509.ParseCertificate: all are errors there.
  const generalized = [
    "20230230000000Z", // Feb 30
    "20230431000000Z", // Apr 31
    "20230229000000Z", // Feb 29 of a common year
    "21000229000000Z", // 2100 is not a leap year
    "20231301000000Z", // month 13
    "20230001000000Z", // month 0
    "20230100000000Z", // day 0
    "20230101240000Z", // hour 24
    "20230101006000Z", // minute 60
    "20230101000060Z", // second 60
    "20230101000000.5Z", // fractional seconds
    "202301010000Z", // no seconds
    "20230101000000", // no zone
    "20230101000000+0000", // a zero offset must be Z
    "20230101000000+0060", // offset minute 60
  ];
  const utc = [
    "230230000000Z",
    "230101000060Z",
    "230101000000+0000",
    "230101000000z",
    "2301010000-1Z",
  ];
  const times = [
    ...generalized.map((g) => ({ generalized: g })),
    ...utc.map((u) => ({ utc: u })),
  ];
  for (const time of times) {
    assert.throws(() => parseCertificate(withValidity(der, { notAfter: time })), DerError);
    assert.throws(() => parseCertificate(withValidity(der, { notBefore: time })), DerError);
  }
});

Deno.test("decodeOid() gives the same dotted form from its cache of OIDs as decoded anew", () => {
  const cases: [number[], string][] = [
    [[0x55, 0x04, 0x03], "2.5.4.3"],
    [[0x55, 0x1d, 0x11], "2.5.29.17"],
    [[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01], "1.2.840.10045.2.1"],
    [[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b], "1.2.840.113549.1.1.11"],
    [[0x2b, 0x65, 0x70], "1.3.101.112"],
    [[0x55, 0x04, 0x83, 0x01], "2.5.4.385"],
    [[0x00], "0.0"],
    [[0x00, 0x55, 0x04], "0.0.85.4"],
    [[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x15, 0x14], "1.3.6.1.4.1.311.21.20"],
    // 13 bytes: past the cache, decoded every time.
    [
      [0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0x80, 0x80, 0x80, 0x01, 0x01, 0x02, 0x03],
      "1.3.6.1.4.1.268435457.1.2.3",
    ],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [bytes, dotted] of cases) {
      const der = new Uint8Array([0x06, bytes.length, ...bytes]);
      assert.equal(decodeOid(der, readTlv(der, 0)), dotted, `round ${round}: ${dotted}`);
    }
  }
  // Same bytes at another offset, and a different length with the same leading bytes.
  const shifted = new Uint8Array([0xff, 0x06, 0x02, 0x55, 0x04]);
  assert.equal(decodeOid(shifted, readTlv(shifted, 1)), "2.5.4");
  assert.throws(
    () => decodeOid(new Uint8Array([0x06, 0x00]), readTlv(new Uint8Array([0x06, 0x00]), 0)),
    DerError,
  );
});
