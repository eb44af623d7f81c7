import assert from "node:assert/strict";
import type { Certificate, Crl, Item } from "../src/bundle.ts";
import { families, type Family } from "../src/metrics/families.ts";

const NOW = 1_800_000_000;
const CERT: Certificate = {
  fingerprint: "aa".repeat(32),
  serial: "1",
  notBefore: NOW - 100,
  notAfter: NOW + 500,
  subject: { CN: "leaf" },
  issuer: { CN: "ca" },
};
const CRL: Crl = {
  fingerprint: "bb".repeat(32),
  issuer: { CN: "ca" },
  thisUpdate: NOW - 60,
  nextUpdate: NOW + 3600,
  number: "42",
};
const certItem = (over: Partial<Certificate> = {}): Item => ({
  kind: "cert",
  index: 0,
  cert: { ...CERT, ...over },
});
const crlItem = (over: Partial<Crl> = {}): Item => ({
  kind: "crl",
  index: 0,
  crl: { ...CRL, ...over },
});
/** A CRL item without the optional field `key`. */
function crlWithout(key: "number" | "nextUpdate"): Item {
  const { [key]: _, ...crl } = CRL;
  return { kind: "crl", index: 0, crl };
}
const ERROR: Item = { kind: "error", index: 0, reason: "bad_pem", message: "Invalid base64" };

function named(list: Family[], name: string): Family {
  const f = list.find((f) => f.name === name);
  assert.ok(f, `${name} is enabled`);
  return f;
}

Deno.test("families() enables upstream's default families, in exposition order", () => {
  assert.deepEqual(families({}).map((f) => f.name), [
    "x509_cert_not_after",
    "x509_cert_expired",
    "x509_crl_this_update",
    "x509_crl_next_update",
    "x509_crl_number",
    "x509_crl_stale",
  ]);
});

Deno.test("families() puts not_before first and adds the relative and error families when asked", () => {
  assert.deepEqual(
    families({ exposeNotBefore: true, exposeRelative: true, exposePerCertError: true }).map((f) =>
      f.name
    ),
    [
      "x509_cert_not_before",
      "x509_cert_not_after",
      "x509_cert_expired",
      "x509_cert_expires_in_seconds",
      "x509_cert_valid_since_seconds",
      "x509_cert_error",
      "x509_crl_this_update",
      "x509_crl_next_update",
      "x509_crl_number",
      "x509_crl_stale",
      "x509_crl_stale_in_seconds",
      "x509_crl_fresh_since_seconds",
    ],
  );
});

Deno.test("families() drops both expired and stale with exposeExpired: false", () => {
  const names = families({ exposeExpired: false }).map((f) => f.name);
  assert.ok(!names.includes("x509_cert_expired"));
  assert.ok(!names.includes("x509_crl_stale"));
  assert.ok(names.includes("x509_cert_not_after"));
});

Deno.test("every family has a help text and a name Prometheus accepts", () => {
  for (
    const f of families({ exposeNotBefore: true, exposeRelative: true, exposePerCertError: true })
  ) {
    assert.match(f.name, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
    assert.ok(f.help.length > 0 && !f.help.includes("\n"), f.name);
  }
});

Deno.test("certificate families give dates in seconds and skip CRLs and errors", () => {
  const all = families({ exposeNotBefore: true });
  assert.equal(named(all, "x509_cert_not_after").value(certItem(), NOW), NOW + 500);
  assert.equal(named(all, "x509_cert_not_before").value(certItem(), NOW), NOW - 100);
  for (const item of [crlItem(), ERROR]) {
    assert.equal(named(all, "x509_cert_not_after").value(item, NOW), undefined);
    assert.equal(named(all, "x509_cert_expired").value(item, NOW), undefined);
  }
});

Deno.test("x509_cert_expired is 0 up to notAfter itself and 1 after it, flipping at notAfter", () => {
  const expired = named(families({}), "x509_cert_expired");
  assert.equal(expired.value(certItem(), NOW + 499), 0);
  assert.equal(expired.value(certItem(), NOW + 500), 0);
  assert.equal(expired.value(certItem(), NOW + 501), 1);
  assert.equal(expired.flipsAt?.(certItem()), NOW + 500);
  assert.equal(expired.flipsAt?.(crlItem()), undefined);
  assert.equal(expired.ticking, undefined);
});

Deno.test("relative families tick with the clock and go negative once expired", () => {
  const all = families({ exposeRelative: true });
  const left = named(all, "x509_cert_expires_in_seconds");
  const since = named(all, "x509_cert_valid_since_seconds");
  assert.equal(left.ticking, true);
  assert.equal(since.ticking, true);
  assert.equal(left.value(certItem(), NOW), 500);
  assert.equal(left.value(certItem(), NOW + 600), -100);
  assert.equal(since.value(certItem(), NOW), 100);
  assert.equal(named(all, "x509_cert_not_after").ticking, undefined);
});

Deno.test("x509_cert_error is 1 for an error item, 0 for a certificate and absent for a CRL", () => {
  const error = named(families({ exposePerCertError: true }), "x509_cert_error");
  assert.equal(error.value(ERROR, NOW), 1);
  assert.equal(error.value(certItem(), NOW), 0);
  assert.equal(error.value(crlItem(), NOW), undefined);
});

Deno.test("x509_cert_error is absent for an error standing for the whole input", () => {
  const error = named(families({ exposePerCertError: true }), "x509_cert_error");
  assert.equal(error.value({ ...ERROR, whole: true }, NOW), undefined);
});

Deno.test("CRL families give the update dates and the number, and skip certificates", () => {
  const all = families({});
  assert.equal(named(all, "x509_crl_this_update").value(crlItem(), NOW), NOW - 60);
  assert.equal(named(all, "x509_crl_next_update").value(crlItem(), NOW), NOW + 3600);
  assert.equal(named(all, "x509_crl_number").value(crlItem(), NOW), 42);
  assert.equal(named(all, "x509_crl_number").value(crlWithout("number"), NOW), undefined);
  for (const f of all.filter((f) => f.name.startsWith("x509_crl_"))) {
    assert.equal(f.value(certItem(), NOW), undefined, f.name);
    assert.equal(f.value(ERROR, NOW), undefined, f.name);
  }
});

Deno.test("x509_crl_stale flips after nextUpdate and is absent for a CRL without one", () => {
  const all = families({ exposeRelative: true });
  const stale = named(all, "x509_crl_stale");
  assert.equal(stale.value(crlItem(), NOW + 3600), 0);
  assert.equal(stale.value(crlItem(), NOW + 3601), 1);
  assert.equal(stale.flipsAt?.(crlItem()), NOW + 3600);
  const noNext = crlWithout("nextUpdate");
  assert.equal(stale.value(noNext, NOW), undefined);
  assert.equal(named(all, "x509_crl_next_update").value(noNext, NOW), undefined);
  assert.equal(named(all, "x509_crl_stale_in_seconds").value(noNext, NOW), undefined);
  assert.equal(named(all, "x509_crl_stale_in_seconds").value(crlItem(), NOW), 3600);
  assert.equal(named(all, "x509_crl_fresh_since_seconds").value(crlItem(), NOW), 60);
});
