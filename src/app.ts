import { type ListenAddress, parseListen } from "./config/listen.ts";
import type { LoadedConfig } from "./config/load.ts";
import type { Logger } from "./log.ts";
import { CertMetrics } from "./metrics/cert_metrics.ts";
import { Exposition } from "./metrics/exposition.ts";
import { LabelSchema } from "./metrics/labels.ts";
import { type BuildLabels, SelfMetrics } from "./metrics/self_metrics.ts";
import { CertificateCache } from "./parse/cert_cache.ts";
import { serve, type Server } from "./server/listen.ts";
import { createHandler, createProbeHandler } from "./server/routes.ts";
import { loadWebConfig, type WebConfig } from "./server/web_config.ts";
import {
  createSource,
  describeSource,
  extraLabelNames,
  keystoreSources,
  reportedKinds,
} from "./sources/kinds.ts";
import type { Source } from "./sources/source.ts";
import { type SourceState, Store } from "./store.ts";

export interface App {
  readonly store: Store;
  readonly server: Server;
  readonly probeServer: Server | undefined;
  /** Resolves once every source and listener has stopped. */
  readonly finished: Promise<void>;
}

/** A listen address the config layer validated. */
function listenAt(address: string): ListenAddress {
  const parsed = parseListen(address);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

/** A source's first sync in one log line: what it holds and what went wrong. */
function syncSummary(s: SourceState): Record<string, unknown> {
  let certificates = 0;
  let errorItems = 0;
  for (const b of s.bundles.values()) {
    for (const i of b.items) {
      if (i.kind === "cert") certificates++;
      else if (i.kind === "error") errorItems++;
    }
  }
  let errors = 0;
  for (const byReason of s.errorsByKind.values()) for (const n of byReason.values()) errors += n;
  return {
    source_kind: s.id.kind,
    source_name: s.id.name,
    up: s.up,
    bundles: s.bundles.size,
    certificates,
    error_items: errorItems,
    errors,
  };
}

/** Builds every piece from the configuration, starts the sources and the listeners. */
export async function startExporter(
  loaded: LoadedConfig,
  options: {
    logger: Logger;
    signal: AbortSignal;
    build: BuildLabels;
    /** Already loaded by the caller (main validates it before starting anything). */
    webConfig?: WebConfig | undefined;
  },
): Promise<App> {
  const { config } = loaded;
  const { logger, signal } = options;
  const store = new Store({
    onFirstSync: (state) => logger.info("First sync", syncSummary(state)),
  });
  const cache = new CertificateCache();
  const m = config.metrics;
  const self = new SelfMetrics(options.build, { exposeDiagnostics: m.exposeDiagnostics });
  const onPanic = (component: string, err: unknown) => {
    store.countPanic(component);
    logger.error("Recovered from an unexpected error", { component, error: err });
  };
  const certs = new CertMetrics(
    new LabelSchema({
      subjectFields: m.exposeSubjectFields,
      issuerFields: m.exposeIssuerFields,
      trimPathComponents: m.trimPathComponents,
      extraLabelNames: extraLabelNames(config.sources),
    }),
    {
      exposeRelative: m.exposeRelative,
      exposePerCertError: m.exposePerCertError,
      exposeExpired: m.exposeExpired,
      exposeNotBefore: m.exposeNotBefore,
      collision: m.collisionDiscriminator,
      discriminatorLength: m.collisionDiscriminatorLength,
    },
  );
  const exposition = new Exposition(store, certs, self, {
    keystores: keystoreSources(config.sources),
    exposeDiagnostics: m.exposeDiagnostics,
    collisionKinds: reportedKinds(),
  });
  logger.info("Starting", {
    version: options.build.version,
    revision: options.build.revision,
    config: loaded.origin,
    sources: config.sources.map(describeSource),
  });
  const sources: Source[] = [];
  for (const spec of config.sources) {
    const slog = logger.with({ source_kind: spec.kind, source_name: spec.name });
    sources.push(
      await createSource(spec, { cache, limits: config.limits, sink: store, logger: slog }),
    );
  }

  const startedAt = Date.now();
  const webConfig = options.webConfig ??
    (config.server.webConfigFile ? await loadWebConfig(config.server.webConfigFile) : undefined);
  for (const w of webConfig?.warnings ?? []) logger.warn(w);
  const handler = createHandler({
    store,
    exposition,
    logger,
    enableStats: config.web.enableStats,
    onPanic,
    statusInfo: () => ({
      ...options.build,
      configOrigin: loaded.origin,
      startedAt,
      lastScrapeSeconds: exposition.lastDuration,
    }),
  });
  const server = await serve(handler, {
    ...listenAt(config.server.listen),
    webConfig,
    signal,
    onError: (err) => onPanic("server", err),
  });
  logger.info("Listening", {
    address: `${server.scheme}://${server.addr.hostname}:${server.addr.port}`,
  });
  let probeServer: Server | undefined;
  if (config.server.probeListen) {
    probeServer = await serve(createProbeHandler(store), {
      ...listenAt(config.server.probeListen),
      signal,
    });
    logger.info("Probe listener", {
      address: `http://${probeServer.addr.hostname}:${probeServer.addr.port}`,
    });
  }
  const running = sources.map((s) => s.run(signal));
  const finished = Promise.all([...running, server.finished, probeServer?.finished]).then(() => {});
  return { store, server, probeServer, finished };
}
