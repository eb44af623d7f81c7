/** What every source under test is built with: a store as sink, a quiet logger, default limits. */
import { parseConfig } from "../../src/config/load.ts";
import { Logger } from "../../src/log.ts";
import { CertificateCache } from "../../src/parse/cert_cache.ts";
import type { SourceDeps } from "../../src/sources/kind.ts";
import { Store } from "../../src/store.ts";

/** The limits of an empty config file: the defaults, from their one home. */
export const DEFAULT_LIMITS = parseConfig("", "defaults").config.limits;

export function sourceDeps(store = new Store()): SourceDeps & { sink: Store } {
  return {
    cache: new CertificateCache(),
    limits: DEFAULT_LIMITS,
    sink: store,
    logger: new Logger({ write: () => {} }),
  };
}
