import assert from "node:assert/strict";
import { DataReader } from "../src/parse/_data_reader.ts";

class TruncatedError extends Error {}
const fail = (detail: string) => new TruncatedError(detail);
const reader = (...bytes: number[]) => new DataReader(new Uint8Array(bytes), fail);

Deno.test("DataReader reads big-endian u8, u16 and u32 and moves its offset", () => {
  const r = reader(0x01, 0x02, 0x03, 0xde, 0xad, 0xbe, 0xef);
  assert.equal(r.u8(), 0x01);
  assert.equal(r.u16(), 0x0203);
  assert.equal(r.u32(), 0xdeadbeef);
  assert.equal(r.offset, 7);
});

Deno.test("DataReader reads a writeUTF string: a u16 length, then UTF-8", () => {
  const name = new TextEncoder().encode("clé");
  const r = new DataReader(new Uint8Array([0, name.length, ...name, 0x42]), fail);
  assert.equal(r.utf(), "clé");
  assert.equal(r.u8(), 0x42);
});

Deno.test("DataReader returns bytes as a view of its input, not a copy", () => {
  const data = new Uint8Array([1, 2, 3, 4]);
  const r = new DataReader(data, fail);
  r.skip(1);
  const view = r.bytes(2);
  assert.deepEqual([...view], [2, 3]);
  data[1] = 9;
  assert.equal(view[0], 9);
  assert.equal(r.offset, 3);
});

Deno.test("DataReader honours the byte offset of a subarray input", () => {
  const whole = new Uint8Array([0xff, 0xff, 0x00, 0x07]);
  assert.equal(new DataReader(whole.subarray(2), fail).u16(), 7);
});

Deno.test("DataReader fails through its failure builder when the input ends early", () => {
  const r = reader(0x00, 0x01, 0x02);
  r.u8();
  assert.throws(() => r.u32(), {
    name: "Error",
    message: "truncated at offset 1: 4 more bytes needed",
  });
  assert.throws(() => r.u32(), TruncatedError);
  assert.equal(r.offset, 1, "a failed read consumes nothing");
});

Deno.test("DataReader refuses a hostile length before allocating or skipping it", () => {
  const r = reader(0xff, 0xff, 0x61);
  assert.throws(() => r.utf(), /truncated at offset 2: 65535 more bytes needed/);
  assert.throws(() => reader(1, 2).skip(0x7fffffff), TruncatedError);
  assert.throws(() => reader(1, 2).bytes(3), TruncatedError);
});

Deno.test("DataReader reads an empty input's zero-length fields", () => {
  const r = reader();
  assert.deepEqual([...r.bytes(0)], []);
  r.skip(0);
  assert.throws(() => r.u8(), /truncated at offset 0: 1 more bytes needed/);
});
