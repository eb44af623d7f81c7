/**
 * Command-line entry point: parse flags, load the configuration, start the
 * exporter, stop cleanly on SIGTERM/SIGINT. Everything else lives in src/.
 */
import { startExporter } from "./src/app.ts";
import { BUILD_INFO, formatBuildInfo } from "./src/build_info.ts";
import { ConfigErrors } from "./src/config/decode.ts";
import {
  type FlagDocument,
  flagDocument,
  FlagError,
  type Flags,
  hasSourceFlags,
  parseFlags,
  USAGE,
} from "./src/config/flags.ts";
import {
  EMBEDDED,
  findConfigFile,
  loadConfigFile,
  type LoadedConfig,
  loadEmbeddedDefault,
  parseConfig,
} from "./src/config/load.ts";
import { ConfigError } from "./src/errors.ts";
import { exists } from "./src/fs.ts";
import { Logger } from "./src/log.ts";
import { loadWebConfig, type WebConfig } from "./src/server/web_config.ts";

/** How long SIGTERM waits for sources and listeners to stop before exiting anyway. */
const SHUTDOWN_GRACE_MS = 5_000;

async function resolveConfig(
  configPath: string | undefined,
  flags: { doc: FlagDocument; definesSources: boolean },
  logger: Logger,
) {
  if (configPath) return await loadConfigFile(configPath, flags.doc);
  const found = await findConfigFile((name) => Deno.env.get(name));
  if (found) return await loadConfigFile(found, flags.doc);
  if (flags.definesSources) {
    return parseConfig("", "command-line flags", { baseDir: Deno.cwd(), flags: flags.doc });
  }
  const embedded = await loadEmbeddedDefault(exists, flags.doc);
  if (embedded.chosen.length === 0) {
    logger.warn(
      "No configuration given and none of the standard certificate locations exists on this host",
    );
  } else {
    logger.info("No configuration given: watching the standard locations found on this host", {
      paths: embedded.chosen,
    });
  }
  return embedded;
}

/** A configuration that cannot start, with what to print (one located line per problem). */
class InvalidConfig extends Error {
  override name = "InvalidConfig";
}

/**
 * The configuration and its web config, validated: what startup, `--config.check` and
 * a reload (SIGHUP, POST /-/reload) all go through. Throws {@link InvalidConfig}.
 */
async function loadValidated(
  flags: Flags,
  logger: Logger,
): Promise<{ loaded: LoadedConfig; webConfig: WebConfig | undefined }> {
  let loaded: LoadedConfig;
  try {
    loaded = await resolveConfig(flags.configPath, {
      doc: flagDocument(flags, Deno.cwd()),
      definesSources: hasSourceFlags(flags),
    }, logger);
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    const warnings = err.warnings.map((w) => `\nwarning: ${w}`).join("");
    throw new InvalidConfig(`Invalid configuration:\n${err.message}${warnings}`);
  }
  // As upstream: a configuration without sources cannot work. The embedded default is
  // exempt: on a host where none of its locations exists it still serves its own health.
  if (loaded.config.sources.length === 0 && loaded.origin !== EMBEDDED) {
    throw new InvalidConfig(
      `Invalid configuration:\n${loaded.origin}: sources: No source configured ` +
        "(add sources to the config file or use -f, -d, -k or --watch-kube-secrets)",
    );
  }
  // The web config is part of the configuration: a broken one must fail the check
  // and the startup alike, naming its file, line and key.
  try {
    const file = loaded.config.server.webConfigFile;
    return { loaded, webConfig: file ? await loadWebConfig(file) : undefined };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new InvalidConfig(`Invalid web configuration:\n${err.message}`);
  }
}

async function main(args: string[]): Promise<number> {
  if (args[0] === "list" || args[0] === "inspect") {
    // One-shot subcommands (docs/cli.md), loaded only when asked for.
    const { runCommand } = await import("./src/cli/commands.ts");
    return await runCommand(args);
  }
  const logger = new Logger();
  let flags;
  try {
    flags = parseFlags(args);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    console.error(`${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  if (flags.version) {
    console.log(formatBuildInfo(BUILD_INFO));
    return 0;
  }
  let loaded: LoadedConfig;
  let webConfig: WebConfig | undefined;
  try {
    ({ loaded, webConfig } = await loadValidated(flags, logger));
  } catch (err) {
    if (!(err instanceof InvalidConfig)) throw err;
    console.error(err.message);
    return 1;
  }
  logger.level = loaded.config.log.level;
  logger.format = loaded.config.log.format;
  const warnings = [...flags.warnings, ...loaded.warnings];
  if (flags.check) { for (const w of warnings) console.error(`warning: ${w}`); }
  else for (const w of warnings) logger.warn(w);
  if (flags.check) {
    if (flags.strict && warnings.length > 0) {
      console.error(`Configuration has ${warnings.length} warning(s) and --strict is set`);
      return 1;
    }
    console.log(`Configuration OK: ${loaded.origin} (${loaded.config.sources.length} source(s))`);
    return 0;
  }
  if (loaded.config.sources.length === 0) {
    logger.warn("No source configured: only the exporter's own metrics will be served");
  }

  const controller = new AbortController();
  const stop = (signal: string) => {
    logger.info("Shutting down", { signal });
    controller.abort();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, () => stop(s));
  let app: Awaited<ReturnType<typeof startExporter>> | undefined;
  // Prometheus' convention: SIGHUP reloads (as POST /-/reload does), and never kills; one
  // arriving while starting is ignored with a log line. Windows has no SIGHUP.
  const onHup = () => {
    if (!app) return logger.warn("SIGHUP while starting: ignored", { signal: "SIGHUP" });
    logger.info("Reloading the configuration", { signal: "SIGHUP" });
    void app.reload();
  };
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGHUP", onHup);
  try {
    app = await startExporter(loaded, {
      logger,
      signal: controller.signal,
      build: BUILD_INFO,
      webConfig,
      // A reload goes through the same path as startup, with the same flags.
      load: async () => {
        const next = await loadValidated(flags, logger);
        for (const w of next.loaded.warnings) logger.warn(w);
        return next;
      },
    });
  } catch (err) {
    // Port taken, address not available, no permission to bind: say so, no stack trace.
    if (
      !(err instanceof Deno.errors.AddrInUse || err instanceof Deno.errors.AddrNotAvailable ||
        err instanceof Deno.errors.PermissionDenied)
    ) throw err;
    logger.error("Cannot listen", { address: loaded.config.server.listen, error: err });
    return 1;
  }
  // Graceful, but bounded: a source that does not wind down in time must not keep a
  // terminating pod (or a systemd stop) waiting for its SIGKILL.
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const forced = new Promise<boolean>((resolve) => {
    controller.signal.addEventListener("abort", () => {
      deadline = setTimeout(() => resolve(true), SHUTDOWN_GRACE_MS);
    }, { once: true });
  });
  const timedOut = await Promise.race([app.finished.then(() => false), forced]);
  clearTimeout(deadline);
  if (timedOut) {
    logger.warn("Shutdown grace period over: exiting with work still pending", {
      graceMs: SHUTDOWN_GRACE_MS,
    });
  } else logger.info("Stopped");
  return 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    // Never a stack trace for the operator: one line saying what failed.
    console.error(`Fatal: ${err instanceof Error ? err.message : String(err)}`);
    if (Deno.env.get("X509_DEBUG_STACK")) console.error(err);
    code = 1;
  }
  Deno.exit(code);
}
