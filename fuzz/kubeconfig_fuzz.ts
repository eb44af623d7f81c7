/**
 * Mutated kubeconfig files through the kubeconfig source's whole read: the YAML
 * parse, the entries, base64, the referenced file, the decode. A sync must never
 * throw (that would be a panic), and must finish within `slowMs`.
 */
import { sourceSpec } from "../src/config/load.ts";
import { Logger } from "../src/log.ts";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import { KubeconfigSource } from "../src/sources/kubeconfig.ts";
import { Store } from "../src/store.ts";
import { corpus } from "./_corpus.ts";
import { caseSeed, mutate, prng } from "./_mutate.ts";
import type { FuzzOptions, FuzzResult } from "./_run.ts";

export async function fuzzKubeconfig(options: FuzzOptions): Promise<FuzzResult> {
  const c = await corpus();
  const enc = new TextEncoder();
  const seeds = [enc.encode(c.kubeconfig), c.pem];
  const dir = await Deno.makeTempDir({ prefix: "x509-fuzz-kc-" });
  await Deno.writeFile(`${dir}/ca.crt`, c.pem);
  const store = new Store();
  const src = new KubeconfigSource({
    cache: new CertificateCache(),
    limits: {
      maxInputBytes: 1024 * 1024,
      maxCertificates: 200,
      maxErrorItems: 20,
      maxPkcs12Iterations: 10_000,
      maxNestingDepth: 32,
    },
    sink: store,
    logger: new Logger({ write: () => {} }),
    spec: sourceSpec({ kind: "kubeconfig", name: "fuzz", paths: [`${dir}/config`] }),
  });
  const deadline = performance.now() + options.seconds * 1000;
  let slowest = 0;
  let cases = 0;
  try {
    for (let i = options.case ?? 0;; i++) {
      if (options.case === undefined && performance.now() > deadline) break;
      const random = prng(caseSeed(options.seed, i));
      await Deno.writeFile(`${dir}/config`, mutate(seeds[0]!, random, seeds));
      const started = performance.now();
      try {
        await src.sync();
      } catch (err) {
        return { cases, failure: { case: i, message: `threw: ${(err as Error)?.stack ?? err}` } };
      }
      const ms = performance.now() - started;
      slowest = Math.max(slowest, ms);
      if (ms > options.slowMs) {
        return {
          cases,
          slowestMs: slowest,
          failure: { case: i, message: `took ${ms.toFixed(0)} ms` },
        };
      }
      const panics = [...store.panics.values()].reduce((a, b) => a + b, 0);
      if (panics > 0) return { cases, failure: { case: i, message: "a panic was counted" } };
      cases++;
      if (options.case !== undefined) break;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return { cases, slowestMs: slowest };
}
