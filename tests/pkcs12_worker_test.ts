/**
 * PKCS#12 off the event loop: the async decode runs extractions in the keystore
 * worker (same items as in-process), and the worker machinery falls back to
 * in-process work when a worker cannot load, as in a binary without it embedded.
 */
import assert from "node:assert/strict";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import { decodeItems, decodeItemsAsync, loadPkcs12 } from "../src/parse/decode.ts";
import { extractPkcs12Off } from "../src/parse/pkcs12_job.ts";
import { OnDemandWorker, WorkerUnavailableError } from "../src/worker.ts";
import { INCLUDE_FILES } from "../scripts/flags.ts";
import { keyAndChain, makeTestPki, once, opensslPkcs12 } from "./testing/keystores.ts";
import { TEST_LIMITS } from "./testing/certs.ts";
import { summary } from "./testing/items.ts";
import { measureStall } from "./testing/stall.ts";

// decodeItems() reads PKCS#12 with the reader loaded, as the CLI does.
await loadPkcs12();

const LIMITS = { ...TEST_LIMITS, maxPkcs12Iterations: 100_000 };

/** Key, chain and MAC at the 100,000-iteration limit: ~0.3 s of key derivation per try. */
const heavy = once(async () => {
  const dir = await Deno.makeTempDir({ prefix: "pkcs12_worker_" });
  const pki = await makeTestPki(dir);
  return await opensslPkcs12(pki, "heavy", [
    ...["-iter", "100000", "-passout", "pass:secret"],
    ...keyAndChain(pki),
  ]);
});

Deno.test("decodeItemsAsync() runs a PKCS#12 at the iteration limit off the event loop, with the same items", async () => {
  const data = await heavy();
  const options = {
    cache: new CertificateCache(),
    limits: LIMITS,
    formats: ["pkcs12"] as const,
    passphrases: { pkcs12: ["wrong", "secret"] },
  };
  const inline = decodeItems(data, options);
  // A first job pays for the worker's start; the second shows the steady state.
  await decodeItemsAsync(data, options);
  const { value, stallMs } = await measureStall(() => decodeItemsAsync(data, options));
  assert.deepEqual(value.map(summary), inline.map(summary));
  assert.equal(value.filter((i) => i.kind === "cert").length, 3);
  assert.ok(stallMs < 60, `the event loop was held ${stallMs.toFixed(0)} ms`);
});

Deno.test("decodeItemsAsync() reports a wrong passphrase from the worker as bad_passphrase", async () => {
  const items = await decodeItemsAsync(await heavy(), {
    cache: new CertificateCache(),
    limits: LIMITS,
    formats: ["pem", "der", "pkcs12", "jks"],
    passphrases: { pkcs12: ["nope"] },
  });
  assert.deepEqual(items.map((i) => i.kind === "error" && [i.reason, i.format]), [[
    "bad_passphrase",
    "pkcs12",
  ]]);
});

Deno.test("OnDemandWorker: a worker that cannot load rejects with WorkerUnavailableError and stays unavailable", async () => {
  const worker = new OnDemandWorker<number, number>(
    new URL("./testing/no_such_worker.ts", import.meta.url),
    { idleMs: 100 },
  );
  await assert.rejects(worker.run(1), WorkerUnavailableError);
  assert.equal(worker.available, false);
  await assert.rejects(worker.run(2), WorkerUnavailableError);
});

Deno.test("extractPkcs12Off() gives the in-process outcome for a file that is not PKCS#12", async () => {
  const outcome = await extractPkcs12Off({
    data: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x03]),
    passphrases: [""],
    limits: LIMITS,
  });
  assert.equal(outcome.reason, "bad_pkcs12");
});

Deno.test("every worker module under src/ is embedded by deno compile (INCLUDE_FILES)", async () => {
  const workers: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(path);
        for (
          const m of text.matchAll(/new URL\("\.\/(_[a-z0-9_]+_worker\.ts)", import\.meta\.url\)/g)
        ) {
          workers.push(`${dir.slice(dir.indexOf("src/"))}/${m[1]}`);
        }
      }
    }
  };
  const root = new URL("..", import.meta.url).pathname;
  await walk(`${root}src`);
  assert.ok(workers.length >= 2, `found ${workers.join(", ")}`);
  for (const w of workers) assert.ok(INCLUDE_FILES.includes(w), `${w} is in INCLUDE_FILES`);
});
