/**
 * Starts the exporter as a real process with the permissions the compiled
 * binary gets (scripts/flags.ts), so a missing permission fails here first.
 */
import { PERMISSION_FLAGS, V8_FLAGS } from "../../scripts/flags.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface ExporterProcess {
  readonly url: string;
  readonly pid: number;
  readonly stderr: () => string;
  metrics(): Promise<string>;
  get(path: string, init?: RequestInit): Promise<Response>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number>;
}

export interface StartOptions {
  readonly permissions?: readonly string[];
  readonly env?: Record<string, string>;
  /** How long to wait for the "Listening" log line. @default 20_000 */
  readonly timeoutMs?: number;
}

/** Runs main.ts with `args`; the config must listen on `127.0.0.1:0`. */
export async function startExporter(
  args: readonly string[],
  options: StartOptions = {},
): Promise<ExporterProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...(options.permissions ?? PERMISSION_FLAGS),
      ...V8_FLAGS,
      MAIN,
      ...args,
    ],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  let log = "";
  const decoder = new TextDecoder();
  const { promise: listening, resolve, reject } = Promise.withResolvers<string>();
  const reading = (async () => {
    for await (const chunk of child.stderr) {
      log += decoder.decode(chunk, { stream: true });
      const m = /msg=Listening address=(\S+)/.exec(log) ??
        /"msg":"Listening","address":"([^"]+)"/.exec(log);
      if (m) resolve(m[1]!.replace("0.0.0.0", "127.0.0.1"));
    }
    reject(new Error(`Exporter exited before listening:\n${log}`));
  })();
  const timer = setTimeout(
    () => reject(new Error(`Exporter did not start in time:\n${log}`)),
    options.timeoutMs ?? 20_000,
  );
  let url: string;
  try {
    url = await listening;
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await reading.catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const get = (path: string, init?: RequestInit) => fetch(url + path, init);
  return {
    url,
    pid: child.pid,
    stderr: () => log,
    get,
    metrics: async () => {
      const res = await get("/metrics");
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
      return await res.text();
    },
    stop: async () => {
      child.kill("SIGTERM");
      const status = await child.status;
      await reading.catch(() => {});
      return status.code;
    },
  };
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** Finds the value of the sample of `name` whose labels include every `labels` pair. */
export function sample(
  body: string,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  for (const line of body.split("\n")) {
    if (!line.startsWith(name + "{")) continue;
    const has = ([k, v]: [string, string]) =>
      line.includes(`{${k}="${v}"`) || line.includes(`,${k}="${v}"`);
    if (Object.entries(labels).every(has)) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}
