/**
 * Mutated PEM, DER, PKCS#12, JKS and CRL inputs through decodeItems and
 * decodeItemsAsync. Each case must: not throw, give at least one item, give the
 * same items both ways, keep under the caps, and finish within `slowMs`.
 */
import type { Item } from "../src/bundle.ts";
import { decodeItems, decodeItemsAsync, FORMATS, loadPkcs12 } from "../src/parse/decode.ts";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import type { DecodeLimits } from "../src/parse/limits.ts";
import { corpus } from "./_corpus.ts";
import { caseSeed, mutate, prng } from "./_mutate.ts";
import type { FuzzOptions, FuzzResult } from "./_run.ts";

const LIMITS: DecodeLimits = {
  maxInputBytes: 1024 * 1024,
  maxCertificates: 200,
  maxErrorItems: 20,
  maxPkcs12Iterations: 10_000,
  maxNestingDepth: 32,
};

function describe(items: readonly Item[]): string {
  return items.map((i) => (i.kind === "error" ? `${i.reason}@${i.index}` : `${i.kind}@${i.index}`))
    .join(",");
}

export async function fuzzDecode(options: FuzzOptions): Promise<FuzzResult> {
  await loadPkcs12(); // decodeItems reads PKCS#12 with the reader loaded
  const c = await corpus();
  const seeds = [c.pem, c.der, c.pkcs12, c.jks, c.crl];
  const cache = new CertificateCache();
  const deadline = performance.now() + options.seconds * 1000;
  let slowest = 0;
  let cases = 0;
  for (let i = options.case ?? 0;; i++) {
    if (options.case === undefined && performance.now() > deadline) break;
    const random = prng(caseSeed(options.seed, i));
    const base = seeds[Math.floor(random() * seeds.length)]!;
    const input = mutate(base, random, seeds);
    // Formats in a random order: the verdict must not depend on it beyond what is documented.
    const formats = [...FORMATS].sort(() => random() - 0.5);
    const opts = { formats, cache, limits: LIMITS, passphrases: { pkcs12: [""], jks: [""] } };
    const started = performance.now();
    let sync: Item[];
    let async: Item[];
    try {
      sync = decodeItems(input, opts);
      async = await decodeItemsAsync(input, { ...opts, sliceMs: 5 });
    } catch (err) {
      return { cases, failure: { case: i, message: `threw: ${(err as Error)?.stack ?? err}` } };
    }
    const ms = performance.now() - started;
    slowest = Math.max(slowest, ms);
    const fail = (message: string) => ({
      cases,
      slowestMs: slowest,
      failure: { case: i, message },
    });
    if (sync.length === 0) return fail("no item");
    if (describe(sync) !== describe(async)) {
      return fail(`sync and async differ: ${describe(sync)} / ${describe(async)}`);
    }
    if (sync.length > LIMITS.maxCertificates + LIMITS.maxErrorItems + 1) {
      return fail(`${sync.length} items, over the caps`);
    }
    if (ms > options.slowMs) return fail(`took ${ms.toFixed(0)} ms`);
    cases++;
    if (options.case !== undefined) break;
  }
  return { cases, slowestMs: slowest };
}
