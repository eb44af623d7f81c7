/**
 * Run by offload.ts in a process of its own with the binary's flags: decodes each
 * input three ways and prints, as JSON, the wall time and the longest the event loop
 * was held (the largest gap between ticks of a 1 ms interval) for each.
 */
import { CertificateCache } from "../src/parse/cert_cache.ts";
import {
  decodeItems,
  decodeItemsAsync,
  type DecodeOptions,
  loadPkcs12,
} from "../src/parse/decode.ts";
import { OnDemandWorker } from "../src/worker.ts";
import type { Item } from "../src/bundle.ts";
import { measureStall } from "../tests/testing/stall.ts";

interface Input {
  readonly name: string;
  readonly path: string;
  readonly options: Omit<DecodeOptions, "cache">;
}

const inputs: Input[] = JSON.parse(Deno.args[0]!);
// The inline decode reads PKCS#12 here, with the reader loaded.
await loadPkcs12();

async function timed(work: () => Promise<unknown> | unknown) {
  const { wallMs, stallMs } = await measureStall(work, 1);
  return { wallMs, stallMs };
}

const worker = new OnDemandWorker<{ data: Uint8Array; options: Input["options"] }, Item[]>(
  new URL("./_decode_worker.ts", import.meta.url),
  { idleMs: 60_000 },
);
const out: Record<string, unknown> = {};
for (const input of inputs) {
  const data = await Deno.readFile(input.path);
  const options = { ...input.options, cache: new CertificateCache() };
  // Warm: each path compiled once, the worker started, before anything is timed.
  decodeItems(data, options);
  await decodeItemsAsync(data, { ...options, cache: new CertificateCache() });
  await worker.run({ data, options: input.options });
  out[input.name] = {
    inline: await timed(() => decodeItems(data, { ...options, cache: new CertificateCache() })),
    sliced: await timed(() =>
      decodeItemsAsync(data, { ...options, cache: new CertificateCache() })
    ),
    worker: await timed(() => worker.run({ data, options: input.options })),
  };
}
console.log(JSON.stringify(out));
Deno.exit(0);
