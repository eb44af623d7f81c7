import assert from "node:assert/strict";
import type { Certificate, Item } from "../src/bundle.ts";
import { ItemCollector } from "../src/parse/_item_collector.ts";
import { summary } from "./testing/items.ts";

const cert = (serial: string, index = 0): Item => ({
  kind: "cert",
  index,
  cert: {
    fingerprint: serial.padStart(64, "0"),
    serial,
    notBefore: 0,
    notAfter: 1,
    subject: {},
    issuer: {},
  } satisfies Certificate,
});
const crl = (number: string): Item => ({
  kind: "crl",
  index: 0,
  crl: { fingerprint: "c".repeat(64), issuer: {}, thisUpdate: 0, number },
});
const error = (index = 0): Item => ({ kind: "error", index, reason: "bad_pem", message: "Bad" });

Deno.test("ItemCollector keeps every item under the caps, in order, with no extra item", () => {
  const c = new ItemCollector({ maxCertificates: 3, maxErrorItems: 3 });
  c.add(cert("1"));
  c.add(error());
  c.add(crl("7"));
  assert.deepEqual(c.finish().map(summary), ["1", "bad_pem", "crl:7"]);
});

Deno.test("ItemCollector drops certificates past maxCertificates into one too_many_items item", () => {
  const c = new ItemCollector({ maxCertificates: 2, maxErrorItems: 10 });
  for (const s of ["1", "2", "3", "4"]) c.add(cert(s));
  const items = c.finish();
  assert.deepEqual(items.map(summary), ["1", "2", "too_many_items"]);
  const last = items.at(-1)!;
  assert.equal(
    last.kind === "error" && last.message,
    "Dropped 2 more items: a bundle keeps at most 2 certificates and 10 errors",
  );
  assert.equal(last.index, 4);
});

Deno.test("ItemCollector counts CRLs against the certificate cap", () => {
  const c = new ItemCollector({ maxCertificates: 1, maxErrorItems: 10 });
  c.add(crl("1"));
  c.add(cert("2"));
  assert.deepEqual(c.finish().map(summary), ["crl:1", "too_many_items"]);
});

Deno.test("ItemCollector caps error items apart from certificates", () => {
  const c = new ItemCollector({ maxCertificates: 10, maxErrorItems: 1 });
  c.add(error());
  c.add(error());
  c.add(cert("1"));
  c.add(error());
  assert.deepEqual(c.finish().map(summary), ["bad_pem", "1", "too_many_items"]);
});

Deno.test("ItemCollector numbers items by position among everything offered, dropped included", () => {
  const c = new ItemCollector({ maxCertificates: 10, maxErrorItems: 1 });
  assert.equal(c.next, 0);
  c.add(error(c.next));
  c.add(error(c.next));
  c.skip();
  assert.equal(c.next, 3);
  c.add(cert("1", c.next));
  assert.deepEqual(c.finish().map((i) => [summary(i), i.index]), [
    ["bad_pem", 0],
    ["1", 3],
    ["too_many_items", 4],
  ]);
});

Deno.test("ItemCollector is full only once both caps are reached", () => {
  const c = new ItemCollector({ maxCertificates: 1, maxErrorItems: 1 });
  assert.equal(c.full, false);
  c.add(cert("1"));
  assert.equal(c.full, false);
  c.add(error());
  assert.equal(c.full, true);
});

Deno.test("ItemCollector counts skipped items in the too_many_items message", () => {
  const c = new ItemCollector({ maxCertificates: 1, maxErrorItems: 1 });
  c.add(cert("1"));
  c.skip();
  c.skip();
  c.skip();
  const last = c.finish().at(-1)!;
  assert.equal(last.kind, "error");
  assert.match(last.kind === "error" ? last.message : "", /^Dropped 3 more items:/);
});
