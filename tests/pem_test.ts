import assert from "node:assert/strict";
import { pemBlocks, splitPem } from "../src/parse/pem.ts";
import { makeCert } from "./testing/certs.ts";

Deno.test("splitPem() keeps good blocks in place around a missing END, a mismatched END and a malformed BEGIN", async () => {
  const a = await makeCert();
  const text = [
    a.pem,
    "-----BEGIN CERTIFICATE-----\nAAAA\n", // no END before the next BEGIN
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n", // mismatched END
    "-----BEGIN CERTIFICATE\n", // no closing dashes on the BEGIN line
    a.pem,
  ].join("");
  const blocks = splitPem(text);
  assert.deepEqual(blocks.map((b) => b.error ?? "ok"), [
    "ok",
    'Missing "-----END CERTIFICATE-----"',
    'Missing "-----END CERTIFICATE-----"',
    "Malformed BEGIN line",
    "ok",
  ]);
  assert.deepEqual(blocks[4]?.der, a.der);
});

Deno.test("splitPem() does not let one block's END overlap the next BEGIN", () => {
  const blocks = splitPem("-----BEGIN -----END -----BEGIN CERTIFICATE-----\nAAAA\n");
  assert.deepEqual(blocks.map((b) => [b.type, b.error]), [
    ["", 'Missing "-----END -----"'],
    ["CERTIFICATE", 'Missing "-----END CERTIFICATE-----"'],
  ]);
});

Deno.test("pemBlocks() is linear in the text, even on one line of BEGIN markers", () => {
  // Each case was quadratic before: every block searched for its END, or its line end, to the end.
  const cases = [
    "-----BEGIN CERTIFICATE-----\n".repeat(37_449),
    "-----BEGIN CERTIFICATE-----".repeat(38_836),
    "-----BEGIN CERTIFICATE-----\nAAAA".repeat(32_000),
  ];
  for (const text of cases) {
    const started = performance.now();
    let count = 0;
    for (const _ of pemBlocks(text)) count++;
    const elapsed = performance.now() - started;
    assert.ok(count > 30_000);
    assert.ok(elapsed < 500, `${count} blocks took ${elapsed} ms`);
  }
});

Deno.test("splitPem() reads bodies as Go's pem.Decode does: CRLF, spaces and tabs anywhere, headers skipped", async () => {
  const a = await makeCert();
  const body = a.pem.split("\n").slice(1, -2);
  const wrap = (lines: string[]) =>
    ["-----BEGIN CERTIFICATE-----", ...lines, "-----END CERTIFICATE-----", ""].join("\n");
  const variants = [
    wrap(body.map((l) => `${l}\r`)),
    wrap(body.map((l) => `  ${l.slice(0, 10)} \t${l.slice(10)}\t`)),
    wrap(["Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,00", "", ...body]),
    wrap(body.map((l) => `${l}\u000b`)), // a vertical tab: trimmed off the line by the fallback
  ];
  for (const text of variants) assert.deepEqual(splitPem(text).map((b) => b.der), [a.der]);
  const broken = [wrap(["AA*A", ...body]), wrap([" "]), wrap([body[0]!, "=", ...body.slice(1)])];
  assert.deepEqual(splitPem(broken.join("")).map((b) => b.error), [
    "Invalid base64 in body",
    "Empty body",
    "Invalid base64 in body",
  ]);
});
