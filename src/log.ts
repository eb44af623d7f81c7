export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

/** Structured logging to stderr, as logfmt-style text or JSON lines. */
export class Logger {
  level: Level;
  format: "text" | "json";
  readonly #fields: Fields;
  readonly #write: (line: string) => void;

  constructor(
    options: {
      level?: Level;
      format?: "text" | "json";
      fields?: Fields;
      write?: (line: string) => void;
    } = {},
  ) {
    this.level = options.level ?? "info";
    this.format = options.format ?? "text";
    this.#fields = options.fields ?? {};
    this.#write = options.write ?? ((line) => console.error(line));
  }

  /** A logger that adds `fields` to every line (e.g. the source name). */
  with(fields: Fields): Logger {
    const child = new Logger({
      level: this.level,
      format: this.format,
      fields: { ...this.#fields, ...fields },
      write: this.#write,
    });
    // Children follow later level changes of the root (set once config is loaded).
    Object.defineProperty(child, "level", { get: () => this.level });
    Object.defineProperty(child, "format", { get: () => this.format });
    return child;
  }

  debug(msg: string, fields?: Fields): void {
    this.#log("debug", msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.#log("info", msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.#log("warn", msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.#log("error", msg, fields);
  }

  #log(level: Level, msg: string, fields?: Fields): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const all: Fields = {};
    // An Error serialises to `{}` in JSON: every one is written as its message and causes.
    for (const [k, v] of Object.entries({ ...this.#fields, ...fields })) {
      all[k] = v instanceof Error ? describeError(v) : v;
    }
    const time = new Date().toISOString();
    if (this.format === "json") {
      this.#write(JSON.stringify({ time, level, msg, ...all }));
      return;
    }
    let line = `time=${time} level=${level} msg=${quote(msg)}`;
    for (const [k, v] of Object.entries(all)) line += ` ${k}=${quote(v)}`;
    this.#write(line);
  }
}

/**
 * An error's message followed by its causes (`fetch failed: connect ECONNREFUSED ...`):
 * the cause is what says why, and runtime errors often put everything there.
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = err; e !== undefined && e !== null && !seen.has(e);) {
    seen.add(e);
    const message = e instanceof Error ? e.message : typeof e === "string" ? e : JSON.stringify(e);
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(": ") || (err instanceof Error ? err.name : String(err));
}

function quote(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}
