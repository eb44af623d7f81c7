import assert from "node:assert/strict";
import { copyShortAscii, utf8Length, writeUtf8 } from "../src/metrics/_utf8.ts";

const encoder = new TextEncoder();

/** What writeUtf8 leaves in a buffer with room to spare, and where it says it ended. */
function written(s: string): Uint8Array {
  const buf = new Uint8Array(utf8Length(s) + 8).fill(0xee);
  const end = writeUtf8(buf, 3, s);
  assert.equal(end, 3 + utf8Length(s));
  assert.deepEqual(buf.subarray(end), new Uint8Array(5).fill(0xee), "nothing written past the end");
  return buf.subarray(3, end);
}

Deno.test("writeUtf8() writes the UTF-8 of ASCII and non-ASCII text of every length around its fast path's limit", () => {
  for (const n of [0, 1, 63, 64, 65, 255, 256, 257, 1000]) {
    const ascii = "p".repeat(n);
    assert.deepEqual(written(ascii), encoder.encode(ascii), `ASCII, ${n}`);
    for (const odd of ["é", "€", "😀", "\ud800"]) {
      const s = "a".repeat(Math.max(0, n - 1)) + odd;
      assert.deepEqual(written(s), encoder.encode(s), `${JSON.stringify(odd)} at ${n}`);
      const first = odd + "b".repeat(n);
      assert.deepEqual(written(first), encoder.encode(first), `${JSON.stringify(odd)} first, ${n}`);
    }
  }
});

Deno.test("copyShortAscii() refuses, for a label value, what must be escaped, at any position up to its limit", () => {
  const buf = new Uint8Array(300);
  for (const c of ['"', "\\", "\n"]) {
    for (const n of [1, 64, 200, 256]) {
      assert.equal(
        copyShortAscii(buf, 0, "x".repeat(n - 1) + c, true),
        -1,
        `${JSON.stringify(c)}, ${n}`,
      );
      assert.equal(copyShortAscii(buf, 0, "x".repeat(n - 1) + c), n, "not a label value: copied");
    }
  }
  assert.equal(copyShortAscii(buf, 0, "x".repeat(257)), -1, "past the limit");
});
