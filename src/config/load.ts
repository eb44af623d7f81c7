import { dirname } from "node:path";
import { ConfigError } from "../errors.ts";
import { ConfigErrors, decodeYaml } from "./decode.ts";
import type { Config, SourceConfig } from "./schema.ts";
import { CONFIG_SPEC } from "./schema.ts";

export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
  /** Where it came from: a path, or "embedded default". */
  readonly origin: string;
}

/** Parses and validates config text; `file` is used in messages and to resolve relative paths. */
export function parseConfig(text: string, file: string, baseDir = dirname(file)): LoadedConfig {
  const { value, warnings } = decodeYaml(text, CONFIG_SPEC, { file, baseDir });
  const config = value as unknown as Config;
  const errors: ConfigError[] = [];
  const names = new Set<string>();
  config.sources.forEach((s, i) => {
    const at = (key: string) => ({ file, path: `sources[${i}].${key}` });
    if (names.has(s.name)) {
      errors.push(new ConfigError(`Duplicate source name "${s.name}"`, at("name")));
    }
    names.add(s.name);
    if (s.kind === "file" || s.kind === "kubeconfig") {
      s.refreshInterval ??= config.cache.filePoll.interval;
    }
    if (s.kind === "kubernetes" || s.kind === "cabundle") {
      // Upstream clamps rather than rejects; so do we, for shared config files.
      s.listPageSize = Math.min(1000, Math.max(1, s.listPageSize));
    }
    if (s.kind === "cabundle" && !Object.values(s.cabundles.resources).some(Boolean)) {
      errors.push(
        new ConfigError(
          "Enable at least one of mutating, validating, apiservice or crdConversion",
          at("cabundles.resources"),
        ),
      );
    }
    if (s.kind === "kubernetes") {
      if (!s.secrets && !s.configMaps) {
        errors.push(
          new ConfigError("A kubernetes source must configure secrets or configMaps", at("kind")),
        );
      }
      s.secrets?.types.forEach((t, j) => {
        const where = at(`secrets.types[${j}]`);
        if (t.key !== undefined && t.keyPatterns.length > 0) {
          errors.push(new ConfigError("Set either key or keyPatterns, not both", where));
        } else if (t.key === undefined && t.keyPatterns.length === 0) {
          errors.push(new ConfigError("One of key or keyPatterns is required", where));
        }
        for (const p of t.keyPatterns) checkRegex(p, errors, where);
      });
      for (const p of s.configMaps?.keyPatterns ?? []) {
        checkRegex(p, errors, at("configMaps.keyPatterns"));
      }
    }
  });
  if (errors.length) throw new ConfigErrors(errors);
  return { config, warnings, origin: file };
}

function checkRegex(pattern: string, errors: ConfigError[], where: { file: string; path: string }) {
  try {
    new RegExp(pattern);
  } catch (err) {
    errors.push(
      new ConfigError(`Invalid regular expression "${pattern}": ${(err as Error).message}`, where),
    );
  }
}

/** Reads and parses a config file. */
export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new ConfigErrors([
      new ConfigError(`Cannot read config file: ${(err as Error).message}`, {
        file: path,
        path: "",
      }),
    ]);
  }
  return parseConfig(text, path);
}

/** The documented search order when `--config` is not given. */
export function configSearchPath(env: (name: string) => string | undefined): string[] {
  const out: string[] = [];
  const xdg = env("XDG_CONFIG_HOME");
  const home = env("HOME");
  if (xdg) out.push(`${xdg}/x509-certificate-exporter/config.yaml`);
  else if (home) out.push(`${home}/.config/x509-certificate-exporter/config.yaml`);
  out.push("/etc/x509-certificate-exporter/config.yaml");
  return out;
}

/** The first existing file of the search path, if any. */
export async function findConfigFile(
  env: (name: string) => string | undefined,
): Promise<string | undefined> {
  for (const candidate of configSearchPath(env)) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // absent: try the next one
    }
  }
  return undefined;
}

const DEFAULT_URL = new URL("./default.yaml", import.meta.url);

/**
 * The embedded default, reduced to the locations that exist on this host.
 * `exists` is injected so tests can describe any host.
 */
export async function loadEmbeddedDefault(
  exists: (path: string) => Promise<boolean>,
): Promise<LoadedConfig & { chosen: string[] }> {
  const text = await Deno.readTextFile(DEFAULT_URL);
  const loaded = parseConfig(text, "embedded default", "/");
  const chosen: string[] = [];
  const sources: SourceConfig[] = [];
  for (const source of loaded.config.sources) {
    if (source.kind === "kubernetes" || source.kind === "cabundle") continue;
    const paths: string[] = [];
    for (const p of source.paths) if (await exists(staticPrefix(p))) paths.push(p);
    if (paths.length === 0) continue;
    chosen.push(...paths);
    sources.push({ ...source, paths });
  }
  loaded.config.sources = sources;
  return { ...loaded, chosen };
}

/** The part of a glob before its first wildcard, trimmed to a whole path component. */
export function staticPrefix(pattern: string): string {
  const i = pattern.search(/[*?[]/);
  if (i < 0) return pattern;
  const cut = pattern.lastIndexOf("/", i);
  return cut <= 0 ? "/" : pattern.slice(0, cut);
}
