import type { SourceId } from "./bundle.ts";
import { type ListenAddress, parseListen } from "./config/listen.ts";
import type { LoadedConfig } from "./config/load.ts";
import type { Logger } from "./log.ts";
import { CertMetrics } from "./metrics/cert_metrics.ts";
import { Exposition } from "./metrics/exposition.ts";
import { LabelSchema } from "./metrics/labels.ts";
import { type BuildLabels, SelfMetrics } from "./metrics/self_metrics.ts";
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
import { type Facts, prepareFacts } from "./facts.ts";

export interface App {
  readonly store: Store;
  readonly server: Server;
  readonly probeServer: Server | undefined;
  /** Resolves once every source and listener has stopped. */
  readonly finished: Promise<void>;
  /**
   * Replaces the configuration, atomically: `options.load` reads and validates
   * it (as startup does); on any failure the running one is kept and the error
   * returned. Sources are stopped and started again on the same store; the
   * listeners stay (a changed `server.*` is logged as needing a restart).
   * Reloads never overlap. Resolves to an error message, or undefined.
   */
  reload(): Promise<string | undefined>;
}

/** A configuration and its web config, validated. */
export interface Loaded {
  readonly loaded: LoadedConfig;
  readonly webConfig?: WebConfig | undefined;
}

/** How long a reload waits for the old sources to stop before starting the new ones anyway. */
const RELOAD_STOP_GRACE_MS = 5_000;

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

/** The parts built from a configuration that a reload replaces. */
interface Generation {
  readonly loaded: LoadedConfig;
  readonly exposition: Exposition;
  readonly facts: Facts;
  readonly controller: AbortController;
  readonly ids: Map<string, SourceId>;
  /** Stops telling this generation's chains and render cache of the store's changes. */
  readonly detach: () => void;
  running: Promise<void>;
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
    /** Reads and validates the configuration again, for {@link App.reload}. */
    load?: () => Promise<Loaded>;
  },
): Promise<App> {
  const { config } = loaded;
  const { logger, signal } = options;
  const store = new Store({
    onFirstSync: (state) => logger.info("First sync", syncSummary(state)),
  });
  const self = new SelfMetrics(options.build, {
    exposeDiagnostics: config.metrics.exposeDiagnostics,
  });
  const onPanic = (component: string, err: unknown) => {
    store.countPanic(component);
    logger.error("Recovered from an unexpected error", { component, error: err });
  };
  /** The exposition and sources of `l`, built but not started (sources register on build). */
  const build = async (l: LoadedConfig) => {
    const m = l.config.metrics;
    const facts = await prepareFacts(m, l.config.limits);
    const certs = new CertMetrics(
      new LabelSchema({
        subjectFields: m.exposeSubjectFields,
        issuerFields: m.exposeIssuerFields,
        trimPathComponents: m.trimPathComponents,
        extraLabelNames: extraLabelNames(l.config.sources),
      }),
      {
        exposeRelative: m.exposeRelative,
        exposePerCertError: m.exposePerCertError,
        exposeExpired: m.exposeExpired,
        exposeNotBefore: m.exposeNotBefore,
        collision: m.collisionDiscriminator,
        discriminatorLength: m.collisionDiscriminatorLength,
        ...facts.certOptions,
      },
    );
    // Told of every bundle change: chains are resolved then, and a stale render is let go.
    const detached = [certs, ...(facts.chains ? [facts.chains] : [])].map((o) => store.observe(o));
    const detach = () => detached.forEach((unobserve) => unobserve());
    const exposition = new Exposition(store, certs, self, {
      keystores: keystoreSources(l.config.sources),
      exposeDiagnostics: m.exposeDiagnostics,
      collisionKinds: reportedKinds(),
    });
    logger.info("Starting", {
      version: options.build.version,
      revision: options.build.revision,
      config: l.origin,
      sources: l.config.sources.map(describeSource),
    });
    const sources: Source[] = [];
    try {
      for (const spec of l.config.sources) {
        const slog = logger.with({ source_kind: spec.kind, source_name: spec.name });
        sources.push(
          await createSource(spec, {
            cache: facts.cache,
            limits: l.config.limits,
            sink: store,
            logger: slog,
          }),
        );
      }
    } catch (err) {
      detach();
      throw err;
    }
    const ids = new Map(
      l.config.sources.map((s) => [`${s.kind}\u0000${s.name}`, { kind: s.kind, name: s.name }]),
    );
    return { exposition, facts, sources, ids, detach };
  };
  const start = (l: LoadedConfig, built: Awaited<ReturnType<typeof build>>): Generation => {
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener("abort", stop, { once: true });
    const running = Promise.all(built.sources.map((s) => s.run(controller.signal))).then(() => {
      signal.removeEventListener("abort", stop);
    });
    return {
      loaded: l,
      exposition: built.exposition,
      facts: built.facts,
      controller,
      ids: built.ids,
      detach: built.detach,
      running,
    };
  };

  let current = start(loaded, await build(loaded));
  const startedAt = Date.now();
  const webConfig = options.webConfig ??
    (config.server.webConfigFile ? await loadWebConfig(config.server.webConfigFile) : undefined);
  for (const w of webConfig?.warnings ?? []) logger.warn(w);

  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (): Promise<string | undefined> => {
    const next = reloading.then(async () => {
      let error: string | undefined;
      try {
        if (!options.load) throw new Error("This exporter was started without a way to reload");
        error = await apply(await options.load());
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      self.configLoaded(error === undefined, Date.now());
      if (error !== undefined) {
        logger.error("Configuration reload failed: the running configuration is kept", { error });
      }
      return error;
    });
    reloading = next;
    return next;
  };
  const apply = async ({ loaded: l }: Loaded): Promise<string | undefined> => {
    if (signal.aborted) return "Shutting down";
    const old = current;
    let built;
    try {
      built = await build(l);
    } catch (err) {
      // Sources that registered for nothing are forgotten again.
      for (const [key, id] of idsOf(l)) if (!old.ids.has(key)) store.unregister(id);
      throw err;
    }
    const changed = serverChanges(old.loaded, l);
    if (changed.length > 0) {
      logger.warn("Changed server settings take effect at the next restart", { keys: changed });
    }
    old.controller.abort();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopped = await Promise.race([
      old.running.then(() => true),
      new Promise<false>((r) => timer = setTimeout(() => r(false), RELOAD_STOP_GRACE_MS)),
    ]);
    clearTimeout(timer);
    if (!stopped) {
      logger.warn("Old sources still stopping: starting the new ones anyway", {
        graceMs: RELOAD_STOP_GRACE_MS,
      });
    }
    for (const [key, id] of old.ids) if (!built.ids.has(key)) store.unregister(id);
    old.detach();
    current = start(l, built);
    self.exposeDiagnostics = l.config.metrics.exposeDiagnostics;
    logger.level = l.config.log.level;
    logger.format = l.config.log.format;
    logger.info("Configuration reloaded", {
      origin: l.origin,
      sources: l.config.sources.length,
    });
    return undefined;
  };

  const handler = createHandler({
    store,
    exposition: { render: (gzip) => current.exposition.render(gzip) },
    logger,
    get enableStats() {
      return current.loaded.config.web.enableStats;
    },
    onPanic,
    statusInfo: () => ({
      ...options.build,
      configOrigin: current.loaded.origin,
      startedAt,
      lastScrapeSeconds: current.exposition.lastDuration,
      facts: current.facts,
    }),
    get reload() {
      return current.loaded.config.web.enableLifecycle ? reload : undefined;
    },
  });
  const limits = {
    readTimeoutMs: config.server.readTimeout,
    writeTimeoutMs: config.server.writeTimeout,
  };
  const onAcceptError = acceptErrorLogger(logger);
  const server = await serve(handler, {
    ...listenAt(config.server.listen),
    webConfig,
    signal,
    limits,
    onAcceptError,
    onError: (err) => onPanic("server", err),
  });
  logger.info("Listening", {
    address: `${server.scheme}://${server.addr.hostname}:${server.addr.port}`,
    maxConnections: server.guard?.limits.maxConnections,
  });
  let probeServer: Server | undefined;
  if (config.server.probeListen) {
    // Its own small cap: a flood on the main listener must not take the probes' descriptors.
    probeServer = await serve(createProbeHandler(store), {
      ...listenAt(config.server.probeListen),
      signal,
      limits: { ...limits, maxConnections: PROBE_MAX_CONNECTIONS },
      onAcceptError,
    });
    logger.info("Probe listener", {
      address: `http://${probeServer.addr.hostname}:${probeServer.addr.port}`,
    });
  }
  const finished = Promise.all([server.finished, probeServer?.finished])
    .then(() => reloading)
    .then(() => current.running);
  return { store, server, probeServer, finished, reload };
}

/** Connections of the probe listener: kubelets and load balancers, a handful. */
const PROBE_MAX_CONNECTIONS = 64;

function idsOf(l: LoadedConfig): Map<string, SourceId> {
  return new Map(
    l.config.sources.map((s) => [`${s.kind}\u0000${s.name}`, { kind: s.kind, name: s.name }]),
  );
}

/** The `server.*` keys whose values differ: listeners are not rebuilt by a reload. */
function serverChanges(a: LoadedConfig, b: LoadedConfig): string[] {
  const x = a.config.server as Record<string, unknown>;
  const y = b.config.server as Record<string, unknown>;
  return Object.keys({ ...x, ...y }).filter((k) => x[k] !== y[k]).map((k) => `server.${k}`);
}

/** Logs accept failures (EMFILE under a connection flood) once per burst, not once per retry. */
function acceptErrorLogger(logger: Logger): (error: unknown, retryMs?: number) => void {
  let last = 0;
  return (error, retryMs) => {
    const now = Date.now();
    if (now - last < 10_000) return;
    last = now;
    logger.warn("Cannot accept connections: retrying", { error, retryMs });
  };
}
