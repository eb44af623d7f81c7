/**
 * The command line. Upstream's shortcut flags (`--watch-file`, `--listen-address`,
 * ...) become a config document that goes through the same schema as a file,
 * so they get the same defaults and checks.
 */
import { resolve } from "node:path";

/** What the command line asked for. */
export interface Flags {
  configPath?: string;
  check: boolean;
  /** With `--config.check`: warnings fail the check too. */
  strict: boolean;
  version: boolean;
  help: boolean;
  watchFiles: string[];
  watchDirs: string[];
  watchKubeconfs: string[];
  watchKubeSecrets: boolean;
  listen?: string;
  probeListen?: string;
  webConfigFile?: string;
  debug: boolean;
  /** `--web.enable-lifecycle`: POST /-/reload, as Prometheus. */
  enableLifecycle: boolean;
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
  "--strict": { key: "strict", kind: "bool" },
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
  "--probe.listen-address": { key: "probeListen", kind: "value", deprecated: true },
  "--debug": { key: "debug", kind: "bool", deprecated: true },
  "--web.enable-lifecycle": { key: "enableLifecycle", kind: "bool" },
};

export const USAGE = `Usage: x509-certificate-exporter [--config FILE] [--config.check]

  -C, --config FILE        YAML configuration (default: $XDG_CONFIG_HOME/x509-certificate-exporter/config.yaml,
                           then /etc/x509-certificate-exporter/config.yaml, then an embedded default
                           watching the standard certificate locations of this host)
      --config.check       validate the configuration and exit 0 (valid) or 1 (invalid);
                           warnings (keys that are accepted but ignored) are printed
      --strict             with --config.check: exit 1 on warnings too
      --web.enable-lifecycle  reload the configuration on POST /-/reload (SIGHUP always does)
  -v, --version            print version, commit and Deno version
  -h, --help               this help

Deprecated shortcuts (mapped onto the YAML schema; prefer a config file):
  -f, --watch-file PATH    -d, --watch-dir DIR      -k, --watch-kubeconf PATH
  --watch-kube-secrets     -b, --listen-address ADDR   --probe.listen-address ADDR
  --web.config.file FILE   --debug                     --profile (accepted; does nothing here)
Repeatable flags also take comma-separated lists, as upstream's: -f a.pem,b.pem
`;

/** Parses argv; `--flag=value` and `--flag value` are both accepted. */
export function parseFlags(args: readonly string[]): Flags {
  const flags: Flags = {
    check: false,
    strict: false,
    version: false,
    help: false,
    watchFiles: [],
    watchDirs: [],
    watchKubeconfs: [],
    watchKubeSecrets: false,
    debug: false,
    enableLifecycle: false,
    warnings: [],
  };
  const record = flags as unknown as Record<string, unknown>;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name === "--profile") {
      flags.warnings.push(
        "--profile does nothing here: pprof is a Go facility; for a heap profile run under " +
          "`deno run --inspect` or take a V8 heap snapshot",
      );
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
    // As kong does for upstream's slice flags: a comma separates values.
    if (spec.kind === "list") {
      (record[spec.key] as string[]).push(...value.split(",").filter((v) => v !== ""));
    } else record[spec.key] = value;
  }
  return flags;
}

/** True when the flags define sources by themselves (so the embedded default is not used). */
export function hasSourceFlags(flags: Flags): boolean {
  return flags.watchFiles.length > 0 || flags.watchDirs.length > 0 ||
    flags.watchKubeconfs.length > 0 ||
    flags.watchKubeSecrets;
}

/** What the flags add to a config document: keys to set and sources to append. */
export interface FlagDocument {
  readonly settings: readonly (readonly [path: readonly string[], value: unknown])[];
  readonly sources: readonly Record<string, unknown>[];
}

/** The config document the shortcut flags stand for, as upstream maps them. Paths resolve against `cwd`. */
export function flagDocument(flags: Flags, cwd: string): FlagDocument {
  const settings: [string[], unknown][] = [];
  if (flags.listen) settings.push([["server", "listen"], flags.listen]);
  if (flags.probeListen) settings.push([["server", "probeListen"], flags.probeListen]);
  if (flags.webConfigFile) {
    settings.push([["server", "webConfigFile"], resolve(cwd, flags.webConfigFile)]);
  }
  if (flags.debug) settings.push([["log", "level"], "debug"]);
  if (flags.enableLifecycle) settings.push([["web", "enableLifecycle"], true]);
  const abs = (paths: string[]) => paths.map((p) => resolve(cwd, p));
  const sources: Record<string, unknown>[] = [];
  if (flags.watchFiles.length) {
    sources.push({ kind: "file", name: "cli-files", paths: abs(flags.watchFiles) });
  }
  for (const dir of flags.watchDirs) {
    const name = "cli-dir-" + (dir.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "") || "root");
    const base = resolve(cwd, dir);
    // One level, as upstream's --watch-dir.
    sources.push({ kind: "file", name, paths: [base === "/" ? "/*" : `${base}/*`] });
  }
  if (flags.watchKubeconfs.length) {
    sources.push({ kind: "kubeconfig", name: "cli-kubeconf", paths: abs(flags.watchKubeconfs) });
  }
  if (flags.watchKubeSecrets) {
    sources.push({
      kind: "kubernetes",
      name: "cli-kube",
      secrets: { types: [{ type: "kubernetes.io/tls", key: "tls.crt" }] },
    });
  }
  return { settings, sources };
}
