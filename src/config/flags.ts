import type { Config, SourceConfig } from "./schema.ts";

/** What the command line asked for. */
export interface Flags {
  configPath?: string;
  check: boolean;
  version: boolean;
  help: boolean;
  watchFiles: string[];
  watchDirs: string[];
  watchKubeconfs: string[];
  watchKubeSecrets: boolean;
  listen?: string;
  webConfigFile?: string;
  debug: boolean;
  /** Deprecation warnings to log once logging is set up. */
  warnings: string[];
}

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

type Kind = "value" | "list" | "bool";
const FLAGS: Record<string, { key: keyof Flags; kind: Kind; deprecated?: boolean }> = {
  "--config": { key: "configPath", kind: "value" },
  "-C": { key: "configPath", kind: "value" },
  "--config.check": { key: "check", kind: "bool" },
  "--version": { key: "version", kind: "bool" },
  "-v": { key: "version", kind: "bool" },
  "--help": { key: "help", kind: "bool" },
  "-h": { key: "help", kind: "bool" },
  "--watch-file": { key: "watchFiles", kind: "list", deprecated: true },
  "-f": { key: "watchFiles", kind: "list", deprecated: true },
  "--watch-dir": { key: "watchDirs", kind: "list", deprecated: true },
  "-d": { key: "watchDirs", kind: "list", deprecated: true },
  "--watch-kubeconf": { key: "watchKubeconfs", kind: "list", deprecated: true },
  "-k": { key: "watchKubeconfs", kind: "list", deprecated: true },
  "--watch-kube-secrets": { key: "watchKubeSecrets", kind: "bool", deprecated: true },
  "--listen-address": { key: "listen", kind: "value", deprecated: true },
  "-b": { key: "listen", kind: "value", deprecated: true },
  "--web.config.file": { key: "webConfigFile", kind: "value", deprecated: true },
  "--debug": { key: "debug", kind: "bool", deprecated: true },
};

export const USAGE = `Usage: x509-certificate-exporter [--config FILE] [--config.check]

  -C, --config FILE        YAML configuration (default: $XDG_CONFIG_HOME/x509-certificate-exporter/config.yaml,
                           then /etc/x509-certificate-exporter/config.yaml, then an embedded default
                           watching the standard certificate locations of this host)
      --config.check       validate the configuration and exit 0 (valid) or 1 (invalid)
  -v, --version            print version, commit and Deno version
  -h, --help               this help

Deprecated shortcuts (mapped onto the YAML schema; prefer a config file):
  -f, --watch-file PATH    -d, --watch-dir DIR      -k, --watch-kubeconf PATH
  --watch-kube-secrets     -b, --listen-address ADDR
  --web.config.file FILE   --debug
`;

/** Parses argv; `--flag=value` and `--flag value` are both accepted. */
export function parseFlags(args: readonly string[]): Flags {
  const flags: Flags = {
    check: false,
    version: false,
    help: false,
    watchFiles: [],
    watchDirs: [],
    watchKubeconfs: [],
    watchKubeSecrets: false,
    debug: false,
    warnings: [],
  };
  const record = flags as unknown as Record<string, unknown>;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name === "--profile") {
      flags.warnings.push("--profile is ignored: pprof is a Go facility");
      continue;
    }
    const spec = FLAGS[name];
    if (!spec) throw new FlagError(`Unknown flag: ${name}`);
    if (spec.deprecated) {
      flags.warnings.push(`${name} is deprecated: express it in the YAML config file instead`);
    }
    if (spec.kind === "bool") {
      record[spec.key] = eq > 0 ? arg.slice(eq + 1) !== "false" : true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === "") throw new FlagError(`Flag ${name} needs a value`);
    if (spec.kind === "list") (record[spec.key] as string[]).push(value);
    else record[spec.key] = value;
  }
  return flags;
}

/** True when the flags define sources by themselves (so the embedded default is not used). */
export function hasSourceFlags(flags: Flags): boolean {
  return flags.watchFiles.length > 0 || flags.watchDirs.length > 0 ||
    flags.watchKubeconfs.length > 0 ||
    flags.watchKubeSecrets;
}

/** Maps the legacy shortcut flags onto the schema, as upstream does. */
export function applyFlags(config: Config, flags: Flags): void {
  if (flags.listen) config.server.listen = flags.listen;
  if (flags.webConfigFile) config.server.webConfigFile = flags.webConfigFile;
  if (flags.debug) config.log.level = "debug";
  const fileSource = (name: string, paths: string[]): SourceConfig => ({
    kind: "file",
    name,
    paths,
    excludePaths: [],
    followSymlinks: true,
    followSymlinkDirs: false,
    refreshInterval: config.cache.filePoll.interval,
    formats: ["pem"],
    pathMappings: [],
  });
  if (flags.watchFiles.length) config.sources.push(fileSource("cli-files", flags.watchFiles));
  for (const dir of flags.watchDirs) {
    const name = "cli-dir-" + (dir.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "") || "root");
    config.sources.push(fileSource(name, [dir.replace(/\/+$/, "") + "/*"]));
  }
  if (flags.watchKubeconfs.length) {
    config.sources.push({
      kind: "kubeconfig",
      name: "cli-kubeconf",
      paths: flags.watchKubeconfs,
      refreshInterval: config.cache.filePoll.interval,
    });
  }
  if (flags.watchKubeSecrets) {
    const none = { include: [], exclude: [], includeLabels: [], excludeLabels: [] };
    config.sources.push({
      kind: "kubernetes",
      name: "cli-kube",
      kubeconfig: "",
      rateLimit: { qps: 20, burst: 30 },
      listPageSize: 50,
      refreshInterval: 30 * 60_000,
      namespaces: { ...none },
      secrets: {
        ...none,
        types: [{ type: "kubernetes.io/tls", key: "tls.crt", keyPatterns: [], format: "pem" }],
        exposeLabels: [],
      },
    });
  }
}
