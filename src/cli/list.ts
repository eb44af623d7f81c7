/**
 * `x509-certificate-exporter list`: one scan with the exporter's sources and
 * parsers, no server; every certificate sorted by expiry, exit code 1 when one
 * expires within the window (cron, CI).
 */
import { ConfigErrors } from "../config/decode.ts";
import {
  findConfigFile,
  loadConfigFile,
  type LoadedConfig,
  loadEmbeddedDefault,
  parseConfig,
} from "../config/load.ts";
import { exists } from "../fs.ts";
import { displayName } from "../server/_status_model.ts";
import {
  type Colour,
  daysLeft,
  paint,
  parseWindow,
  shortDate,
  table,
  useColour,
} from "./_format.ts";
import { scanOnce } from "./_scan.ts";

export const LIST_USAGE =
  `Usage: x509-certificate-exporter list [--config FILE | PATH...] [--expiring 30d] [--output table|json]

Scans once with the configured sources (or PATHs: files, directories, globs) and prints every
certificate, soonest to expire first. Exits 1 when one expires within --expiring (default 30d;
also 2w, 720h), 2 on a usage or configuration error.`;

export interface ListArgs {
  readonly config?: string;
  readonly paths: readonly string[];
  readonly window: number;
  /** The window as written (`30d`). */
  readonly windowText: string;
  readonly output: "table" | "json";
}

/** Parses `list`'s arguments; throws a TypeError with a message for the user. */
export function parseListArgs(args: readonly string[]): ListArgs {
  let config: string | undefined;
  let window = 30 * 86_400;
  let windowText = "30d";
  let output: "table" | "json" = "table";
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new TypeError(`${flag} needs a value`);
      return v;
    };
    if (flag === "--config" || flag === "-C") config = value();
    else if (flag === "--expiring") {
      const text = value();
      const w = parseWindow(text);
      if (w === undefined) throw new TypeError(`Not a duration: ${text} (try 30d, 2w, 720h)`);
      window = w;
      windowText = text;
    } else if (flag === "--output" || flag === "-o") {
      const o = value();
      if (o !== "table" && o !== "json") throw new TypeError(`--output is table or json, not ${o}`);
      output = o;
    } else if (flag.startsWith("-")) throw new TypeError(`Unknown option: ${flag}`);
    else paths.push(arg);
  }
  if (config !== undefined && paths.length > 0) {
    throw new TypeError("Give either --config or paths, not both");
  }
  return { ...(config !== undefined ? { config } : {}), paths, window, windowText, output };
}

/** The config `list` scans: --config, PATHs as one file source, else the exporter's own. */
async function configFor(a: ListArgs): Promise<LoadedConfig> {
  if (a.config) return await loadConfigFile(a.config);
  if (a.paths.length > 0) {
    const cwd = Deno.cwd();
    // A directory means its entries, as in a file source.
    const paths = a.paths.map((p) => (p.startsWith("/") ? p : `${cwd}/${p}`));
    const doc = {
      sources: [{ kind: "file", name: "cli", paths, formats: ["pem", "der", "pkcs12", "jks"] }],
    };
    return parseConfig(JSON.stringify(doc), "command line", { baseDir: cwd });
  }
  const found = await findConfigFile((name) => Deno.env.get(name));
  return found ? await loadConfigFile(found) : await loadEmbeddedDefault(exists);
}

interface Entry {
  readonly source: string;
  readonly location: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly daysLeft: number;
  readonly expiring: boolean;
  readonly sans: readonly string[];
  readonly keyType: string;
  readonly keyBits: number;
  readonly signatureAlgorithm: string;
  readonly sha256Fingerprint: string;
  readonly isCa: boolean;
}

/** Runs `list`; returns the exit code. */
export async function listCommand(
  args: readonly string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
): Promise<number> {
  let a: ListArgs;
  let loaded: LoadedConfig;
  try {
    a = parseListArgs(args);
    if (args.includes("--help") || args.includes("-h")) {
      out(LIST_USAGE);
      return 0;
    }
    loaded = await configFor(a);
  } catch (e) {
    if (e instanceof ConfigErrors) err(`Invalid configuration:\n${e.message}`);
    else if (e instanceof TypeError || e instanceof Deno.errors.NotFound) {
      err(`${e.message}\n\n${LIST_USAGE}`);
    } else throw e;
    return 2;
  }
  const { store } = await scanOnce(loaded.config);
  const now = Date.now() / 1000;
  const entries: Entry[] = [];
  const errors: { source: string; location: string; reason: string; message: string }[] = [];
  for (const s of store.sources()) {
    for (const b of s.bundles.values()) {
      for (const item of b.items) {
        if (item.kind === "error") {
          errors.push({
            source: s.id.name,
            location: b.ref,
            reason: item.reason,
            message: item.message,
          });
        }
        if (item.kind !== "cert") continue;
        const c = item.cert;
        entries.push({
          source: s.id.name,
          location: b.ref,
          subject: displayName(c.subject),
          issuer: displayName(c.issuer),
          serial: c.serial,
          notBefore: c.notBefore,
          notAfter: c.notAfter,
          daysLeft: Number(((c.notAfter - now) / 86_400).toFixed(1)),
          expiring: c.notAfter - now < a.window,
          sans: c.sans ?? [],
          keyType: c.keyType ?? "",
          keyBits: c.keyBits ?? 0,
          signatureAlgorithm: c.signatureAlgorithm ?? "",
          sha256Fingerprint: c.fingerprint,
          isCa: c.isCa ?? false,
        });
      }
    }
  }
  entries.sort((x, y) => x.notAfter - y.notAfter);
  const expiring = entries.filter((e) => e.expiring).length;
  if (a.output === "json") {
    out(JSON.stringify(
      { windowSeconds: a.window, expiring, certificates: entries, errors },
      null,
      2,
    ));
  } else {
    const colour = useColour();
    const colours: (Colour | undefined)[] = entries.map((e) =>
      e.notAfter < now ? "red" : e.expiring ? "yellow" : undefined
    );
    out(table(
      ["DAYS", "NOT AFTER (UTC)", "SUBJECT", "ISSUER", "SOURCE", "LOCATION"],
      entries.map((e) => [
        daysLeft(e.notAfter, now),
        shortDate(e.notAfter),
        e.subject,
        e.issuer,
        e.source,
        e.location,
      ]),
      colours,
      colour,
    ));
    out(paint(
      `\n${entries.length} certificate(s), ${expiring} expiring within ${a.windowText}`,
      expiring ? "yellow" : "green",
      colour,
    ));
  }
  if (a.output === "table") {
    for (const e of errors) err(`error: ${e.source}: ${e.location}: ${e.reason}: ${e.message}`);
  }
  for (const s of store.sources()) {
    if (s.up) continue;
    const last = s.lastError;
    err(
      `error: source ${s.id.name} is down${
        last ? `: ${last.reason}${last.where ? ` (${last.where})` : ""}` : ""
      }`,
    );
  }
  return expiring > 0 ? 1 : 0;
}
