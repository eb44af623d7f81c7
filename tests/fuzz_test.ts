/** Each fuzzer of fuzz/ for about 2 s, with a fresh seed each run: the message replays a failure. */
import assert from "node:assert/strict";
import { fuzzers, randomSeed } from "../fuzz/_run.ts";

const all = await fuzzers();
for (const name of Object.keys(all)) {
  Deno.test(`the ${name} fuzzer survives 2 s of mutated inputs`, async () => {
    const seed = randomSeed();
    const result = await all[name]!({ seed, seconds: 2, slowMs: 2000 });
    const f = result.failure;
    assert.ok(
      f === undefined,
      f && `${f.message}\nreplay: deno task fuzz --seed=${seed} --case=${f.case} ${name}`,
    );
    assert.ok(result.cases > 0, "no case ran");
  });
}
