import assert from "node:assert/strict";
import { Interner, same } from "../src/intern.ts";

Deno.test("Interner keeps one value per key, made once", () => {
  const interner = new Interner<{ n: number }>(10);
  let made = 0;
  const a = interner.get("k", () => ({ n: ++made }));
  const b = interner.get("k", () => ({ n: ++made }));
  assert.equal(a, b);
  assert.equal(made, 1);
  assert.equal(new Interner(10).get("x".repeat(3), same), "xxx");
});

Deno.test("Interner forgets everything past its bound instead of growing", () => {
  const interner = new Interner<number>(3);
  let made = 0;
  for (const k of ["a", "b", "c", "d"]) interner.get(k, () => ++made);
  assert.equal(made, 4);
  interner.get("a", () => ++made);
  assert.equal(made, 5, "cleared when d came: a is made again");
  interner.get("d", () => ++made);
  assert.equal(made, 5, "d was kept after the clear");
});
