import type { Config } from "./config/schema.ts";
import type { LoadedConfig } from "./config/load.ts";
import type { Logger } from "./log.ts";
import { CertMetrics } from "./metrics/cert_metrics.ts";
import { Exposition } from "./metrics/exposition.ts";
import { LabelSchema, sanitizeLabelName } from "./metrics/labels.ts";
import { type BuildLabels, SelfMetrics } from "./metrics/self_metrics.ts";
import { CertificateCache } from "./parse/cert_cache.ts";
import { serve, type Server } from "./server/listen.ts";
import { createHandler, createProbeHandler } from "./server/routes.ts";
import { loadWebConfig, type WebConfig } from "./server/web_config.ts";
import { FileSource } from "./sources/file.ts";
import { KubeconfigSource } from "./sources/kubeconfig.ts";
import type { Source } from "./sources/source.ts";
import { Store } from "./store.ts";

export interface App {
  readonly store: Store;
  readonly server: Server;
  readonly probeServer: Server | undefined;
  /** Resolves once every source and listener has stopped. */
  readonly finished: Promise<void>;
}

/** Splits a Go-style listen address (`:9793`, `127.0.0.1:0`, `[::1]:9793`). */
export function parseListen(address: string): { hostname: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address);
  if (!m) throw new Error(`Invalid listen address "${address}": expected HOST:PORT or :PORT`);
  const host = m[1] ?? m[2] ?? "";
  return { hostname: host === "" ? "0.0.0.0" : host, port: Number(m[3]) };
}

/** The `secret_label_*` / `configmap_label_*` / `cabundle_label_*` columns sources may fill. */
export function extraLabelNames(config: Config): string[] {
  const names = new Set<string>();
  for (const s of config.sources) {
    if (s.kind === "cabundle") {
      for (const l of s.cabundles.exposeLabels) names.add(`cabundle_label_${sanitizeLabelName(l)}`);
    }
    if (s.kind !== "kubernetes") continue;
    for (const l of s.secrets?.exposeLabels ?? []) {
      names.add(`secret_label_${sanitizeLabelName(l)}`);
    }
    for (const l of s.configMaps?.exposeLabels ?? []) {
      names.add(`configmap_label_${sanitizeLabelName(l)}`);
    }
  }
  return [...names];
}

/** Names of the sources that read each keystore format (their passphrase-failure series exist). */
export function keystoreSources(config: Config): { pkcs12: Set<string>; jks: Set<string> } {
  const out = { pkcs12: new Set<string>(), jks: new Set<string>() };
  for (const s of config.sources) {
    const formats: string[] = s.kind === "file" ? s.formats : s.kind === "kubernetes"
      ? [
        ...(s.secrets?.types.map((t) => t.format) ?? []),
        ...(s.configMaps ? [s.configMaps.format] : []),
      ]
      : [];
    if (formats.includes("pkcs12")) out.pkcs12.add(s.name);
    if (formats.includes("jks")) out.jks.add(s.name);
  }
  return out;
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
  const store = new Store();
  const cache = new CertificateCache();
  const self = new SelfMetrics(options.build, {
    exposeDiagnostics: config.metrics.exposeDiagnostics,
  });
  const onPanic = (component: string, err: unknown) => {
    self.panics.inc({ component });
    logger.error("Recovered from an unexpected error", { component, error: err });
  };
  const onParse = self.parseDuration
    ? (format: string, seconds: number) => self.parseDuration!.observe({ format }, seconds)
    : undefined;
  const m = config.metrics;
  const certs = new CertMetrics(
    new LabelSchema({
      subjectFields: m.exposeSubjectFields,
      issuerFields: m.exposeIssuerFields,
      trimPathComponents: m.trimPathComponents,
      extraLabelNames: extraLabelNames(config),
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
  const exposition = new Exposition(store, certs, self, { keystores: keystoreSources(config) });
  const sources: Source[] = [];
  const kubeMetrics = config.sources.some((s) => s.kind === "kubernetes" || s.kind === "cabundle")
    ? new (await import("./metrics/kube_metrics.ts")).KubeMetrics(self.registry, {
      exposeDiagnostics: m.exposeDiagnostics,
    })
    : undefined;
  for (const s of config.sources) {
    const slog = logger.with({ source_kind: s.kind, source_name: s.name });
    const common = {
      name: s.name,
      cache,
      sink: store,
      logger: slog,
      onPanic,
      skipUnchanged: config.cache.filePoll.skipUnchanged,
    };
    if (s.kind === "file") {
      sources.push(
        new FileSource({
          ...common,
          paths: s.paths,
          excludePaths: s.excludePaths,
          followSymlinks: s.followSymlinks,
          followSymlinkDirs: s.followSymlinkDirs,
          pathMappings: s.pathMappings,
          formats: s.formats,
          keystores: {
            ...(s.pkcs12 ? { pkcs12: s.pkcs12 } : {}),
            ...(s.jks ? { jks: s.jks } : {}),
          },
          refreshInterval: s.refreshInterval ?? config.cache.filePoll.interval,
          watchChanges: config.cache.filePoll.watchChanges,
          ...(onParse ? { onParse } : {}),
        }),
      );
    } else if (s.kind === "kubeconfig") {
      sources.push(
        new KubeconfigSource({
          ...common,
          paths: s.paths,
          refreshInterval: s.refreshInterval ?? config.cache.filePoll.interval,
        }),
      );
    } else {
      // Loaded on demand: the Kubernetes client costs ~15 MB that file-only hosts never need.
      const deps = {
        cache,
        sink: store,
        logger: slog,
        metrics: kubeMetrics!,
        onPanic,
        ...(onParse ? { onParse } : {}),
      };
      if (s.kind === "cabundle") {
        const { CabundleSource } = await import("./sources/cabundle.ts");
        sources.push(new CabundleSource({ config: s, ...deps }));
      } else {
        const { KubernetesSource } = await import("./sources/kubernetes.ts");
        sources.push(new KubernetesSource({ config: s, ...deps }));
      }
    }
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
    ...parseListen(config.server.listen),
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
      ...parseListen(config.server.probeListen),
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
