/**
 * From text (and flags) to the resolved configuration: parse, merge the flags'
 * document, decode against the schema, resolve inherited values, freeze. This
 * is the only place a config value is defaulted, inherited or clamped.
 */
import { dirname } from "node:path";
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from "yaml";
import { ConfigError } from "../errors.ts";
import { resolveSource } from "../sources/kinds.ts";
import { ConfigErrors, parseYaml } from "./decode.ts";
import type { FlagDocument } from "./flags.ts";
import { type Config, CONFIG_SCHEMA, type SourceSpec } from "./schema.ts";

export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
  /** Where it came from: a path, or "embedded default". */
  readonly origin: string;
}

export interface ParseConfigOptions {
  /** Relative paths resolve against it. @default the file's directory */
  readonly baseDir?: string;
  /** What the command-line shortcut flags add. */
  readonly flags?: FlagDocument;
}

/** Parses and validates config text; `file` is used in messages and to resolve relative paths. */
export function parseConfig(
  text: string,
  file: string,
  options: ParseConfigOptions | string = {},
): LoadedConfig {
  const o = typeof options === "string" ? { baseDir: options } : options;
  // As upstream's go-yaml: YAML 1.1 (`yes` is true, `<<` merges), unknown keys ignored
  // (here with a warning, located, with a "did you mean").
  const { doc, decoder: d } = parseYaml(text, file, { version: "1.1", lenient: true });
  if (o.flags) mergeFlags(doc, o.flags);
  const raw = CONFIG_SCHEMA.decode(
    (doc.contents as Node | null) ?? doc.createNode({}),
    { d, baseDir: o.baseDir ?? dirname(file) },
    "",
  );
  d.throwIfFailed();
  // Upstream runs two sources of one name; so do we, the second renamed, since a source's
  // series are told apart by kind and name.
  const names = new Set<string>();
  const sources = raw.sources.map((s, i) => {
    const source = s as { kind: string; name: string };
    let name = source.name;
    for (let n = 2; names.has(`${source.kind}\u0000${name}`); n++) name = `${source.name}-${n}`;
    names.add(`${source.kind}\u0000${name}`);
    if (name !== source.name) {
      d.warnings.push(
        `${file}: sources[${i}].name: Duplicate source name "${source.name}": this one is "${name}"`,
      );
    }
    return resolveSource({ ...source, name }, raw);
  });
  const config: Config = { ...raw, sources };
  return { config: deepFreeze(config), warnings: d.warnings, origin: file };
}

/** Adds the flags' keys and sources to the document, as if the file had them. */
function mergeFlags(doc: ReturnType<typeof parseYaml>["doc"], flags: FlagDocument): void {
  if (doc.contents === null) doc.contents = doc.createNode({});
  // A root or section that is not a mapping is the schema's to report, flags or not.
  if (!isMap(doc.contents)) return;
  for (const [path, value] of flags.settings) setIn(doc, path, value);
  if (flags.sources.length === 0) return;
  const existing = doc.get("sources", true) as Node | undefined;
  if (existing === undefined || (isScalar(existing) && existing.value === null)) {
    doc.set("sources", doc.createNode([]));
  } else if (!isSeq(existing)) return;
  for (const s of flags.sources) doc.addIn(["sources"], doc.createNode(s));
}

/**
 * Sets `path` in the document, making missing sections as mappings (`Document.setIn` would
 * make them YAML 1.1 ordered maps, which are lists). A section that is not a mapping is left
 * for the schema to report.
 */
function setIn(doc: ReturnType<typeof parseYaml>["doc"], path: readonly string[], value: unknown) {
  let map = doc.contents as YAMLMap;
  for (const key of path.slice(0, -1)) {
    let next = map.get(key, true) as Node | undefined;
    if (next === undefined || (isScalar(next) && next.value === null)) {
      next = doc.createNode({});
      map.set(key, next);
    }
    if (!isMap(next)) return;
    map = next;
  }
  map.set(path.at(-1)!, doc.createNode(value));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Reads and parses a config file. */
export async function loadConfigFile(
  path: string,
  flags?: FlagDocument,
): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const error = new ConfigError(`Cannot read config file: ${(err as Error).message}`, {
      file: path,
      path: "",
    });
    error.cause = err;
    throw new ConfigErrors([error]);
  }
  return parseConfig(text, path, flags ? { flags } : {});
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

/** The origin of the embedded default, in messages and on the status page. */
export const EMBEDDED = "embedded default";

/**
 * The embedded default, reduced to the locations that exist on this host.
 * `exists` is injected so tests can describe any host.
 */
export async function loadEmbeddedDefault(
  exists: (path: string) => Promise<boolean>,
  flags?: FlagDocument,
): Promise<LoadedConfig & { chosen: string[] }> {
  const text = await Deno.readTextFile(DEFAULT_URL);
  const loaded = parseConfig(text, EMBEDDED, {
    baseDir: "/",
    ...(flags ? { flags } : {}),
  });
  const chosen: string[] = [];
  const sources = [];
  for (const source of loaded.config.sources) {
    if (!("paths" in source)) continue;
    const paths: string[] = [];
    for (const p of source.paths) if (await exists(staticPrefix(p))) paths.push(p);
    if (paths.length === 0) continue;
    chosen.push(...paths);
    sources.push({ ...source, paths });
  }
  const config = deepFreeze({ ...loaded.config, sources });
  return { ...loaded, config, chosen };
}

/** The part of a glob before its first wildcard, trimmed to a whole path component. */
export function staticPrefix(pattern: string): string {
  const i = pattern.search(/[*?[]/);
  if (i < 0) return pattern;
  const cut = pattern.lastIndexOf("/", i);
  return cut <= 0 ? "/" : pattern.slice(0, cut);
}

/** One source from a plain object, decoded and resolved as a config file's would be (tests, tools). */
export function sourceSpec<K extends SourceSpec["kind"]>(
  plain: { kind: K } & Record<string, unknown>,
): Extract<SourceSpec, { kind: K }> {
  const { config } = parseConfig("", "source", {
    baseDir: "/",
    flags: { settings: [], sources: [plain] },
  });
  return config.sources[0] as Extract<SourceSpec, { kind: K }>;
}
