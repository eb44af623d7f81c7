/**
 * Certificate facts: the parse cache (which keeps what chains need only when they are
 * on) and the chain resolver, which the store tells of every bundle change (the caller
 * has it observe the store), so chains are resolved at sync time, never at scrape.
 */
import { Chains } from "./chain.ts";
import type { MetricsSettings } from "./config/schema.ts";
import { CertificateCache } from "./parse/cert_cache.ts";
import type { DecodeLimits } from "./parse/limits.ts";

/** What `startExporter` builds for certificate facts: the cache, the resolver, the metric options. */
export interface Facts {
  readonly cache: CertificateCache;
  readonly chains: Chains | undefined;
  readonly certOptions: { readonly exposeInfo: boolean; readonly chains: Chains | undefined };
}

/** The parse cache and, with `exposeChain`, the chain resolver. */
export async function prepareFacts(
  metrics: MetricsSettings,
  limits: DecodeLimits,
): Promise<Facts> {
  const cache = new CertificateCache({ keepSigned: metrics.exposeChain });
  const chains = metrics.exposeChain
    ? await Chains.create(cache, {
      rootFiles: metrics.chainRoots,
      systemRoots: metrics.chainSystemRoots,
      limits,
    })
    : undefined;
  return { cache, chains, certOptions: { exposeInfo: metrics.exposeInfo, chains } };
}
