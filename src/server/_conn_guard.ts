/**
 * What Go's http.Server does for upstream and neither `Deno.serve` nor Deno's
 * `node:http` does: a deadline for each request's headers (and, over TLS, the
 * handshake), for writing its response and for an idle keep-alive connection,
 * and a cap on open connections kept below the process's file descriptor
 * limit. Measured on Deno 2.9.6: without these, a connection sending half a
 * request line stays open forever, and past the descriptor limit `Deno.serve`
 * stops its listener for good ("Too many open files").
 */

/** The deadlines and the cap one listener applies. */
export interface ConnectionLimits {
  /**
   * Go's ReadTimeout: from a connection's accept (TLS handshake included) to
   * the end of its first request's headers.
   * @default 10_000
   */
  readonly readTimeoutMs: number;
  /** Go's WriteTimeout: from a request's headers to the end of its response. @default 30_000 */
  readonly writeTimeoutMs: number;
  /**
   * Go's IdleTimeout, which defaults to ReadTimeout: a keep-alive connection
   * waiting for (the headers of) its next request.
   * @default readTimeoutMs
   */
  readonly idleTimeoutMs: number;
  /** Open connections; past it the oldest idle one is closed, or else the new one. */
  readonly maxConnections: number;
}

/** Upstream's defaults (server.readTimeout, server.writeTimeout). */
export const DEFAULT_READ_TIMEOUT_MS = 10_000;
export const DEFAULT_WRITE_TIMEOUT_MS = 30_000;

/** Fills what `partial` leaves out; the cap from the descriptor limit when not given. */
export function connectionLimits(partial: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const readTimeoutMs = partial.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  return {
    readTimeoutMs,
    writeTimeoutMs: partial.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS,
    idleTimeoutMs: partial.idleTimeoutMs ?? readTimeoutMs,
    maxConnections: partial.maxConnections ?? defaultMaxConnections(),
  };
}

/**
 * Half of the descriptor limit, less a reserve: what is left is for the
 * sources' files, watches and API connections and for a second listener. One
 * plain or TLS connection costs one descriptor.
 */
export function defaultMaxConnections(nofile = openFileLimit()): number {
  return Math.max(16, Math.min(16_384, Math.floor(nofile / 2) - 32));
}

/** The soft RLIMIT_NOFILE (Deno raises it to the hard one at startup); 1024 when unknown. */
export function openFileLimit(): number {
  if (Deno.build.os !== "linux") return 1024;
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (!m) return 1024;
    return m[1] === "unlimited" ? 1 << 20 : Number(m[1]);
  } catch {
    return 1024;
  }
}

/** One open connection as the guard sees it. */
export interface GuardedConnection {
  /** A request's headers arrived; call the result once its response is written or abandoned. */
  begin(): () => void;
  /** The connection is gone (closed by either side). */
  closed(): void;
}

interface Entry {
  readonly close: () => void;
  inflight: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly writes: Set<ReturnType<typeof setTimeout>>;
  gone: boolean;
}

/** The counters a guard keeps, for tests and logs. */
export interface GuardStats {
  /** Connections open now. */
  open: number;
  /** Closed at a deadline (header, idle, write). */
  timedOut: number;
  /** Refused or evicted at the cap. */
  shed: number;
}

/** Tracks the connections of one listener and closes those past a deadline or the cap. */
export class ConnectionGuard {
  readonly limits: ConnectionLimits;
  readonly stats: GuardStats = { open: 0, timedOut: 0, shed: 0 };
  // Insertion order is age order: eviction takes the oldest idle connection.
  readonly #entries = new Set<Entry>();

  constructor(limits: Partial<ConnectionLimits> = {}) {
    this.limits = connectionLimits(limits);
  }

  /**
   * Admits a connection `close` can end, or refuses it (undefined) when at the
   * cap and no open connection is idle. A refused connection is the caller's to close.
   */
  open(close: () => void): GuardedConnection | undefined {
    if (this.#entries.size >= this.limits.maxConnections && !this.#evictIdle()) {
      this.stats.shed++;
      return undefined;
    }
    const entry: Entry = { close, inflight: 0, timer: undefined, writes: new Set(), gone: false };
    this.#entries.add(entry);
    this.stats.open = this.#entries.size;
    this.#arm(entry, this.limits.readTimeoutMs);
    return {
      begin: () => this.#begin(entry),
      closed: () => this.#forget(entry),
    };
  }

  /** Closes every connection (the listener is stopping). */
  closeAll(): void {
    for (const entry of [...this.#entries]) this.#end(entry);
  }

  #begin(entry: Entry): () => void {
    if (entry.gone) return () => {};
    entry.inflight++;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    const write = setTimeout(() => this.#expire(entry), this.limits.writeTimeoutMs);
    entry.writes.add(write);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      clearTimeout(write);
      entry.writes.delete(write);
      entry.inflight--;
      if (entry.inflight === 0 && !entry.gone) this.#arm(entry, this.limits.idleTimeoutMs);
    };
  }

  #arm(entry: Entry, ms: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.#expire(entry), ms);
  }

  #expire(entry: Entry): void {
    if (entry.gone) return;
    this.stats.timedOut++;
    this.#end(entry);
  }

  #evictIdle(): boolean {
    for (const entry of this.#entries) {
      if (entry.inflight > 0) continue;
      this.stats.shed++;
      this.#end(entry);
      return true;
    }
    return false;
  }

  #end(entry: Entry): void {
    this.#forget(entry);
    try {
      entry.close();
    } catch {
      // already closed by the peer
    }
  }

  #forget(entry: Entry): void {
    if (entry.gone) return;
    entry.gone = true;
    clearTimeout(entry.timer);
    for (const w of entry.writes) clearTimeout(w);
    entry.writes.clear();
    this.#entries.delete(entry);
    this.stats.open = this.#entries.size;
  }
}

/**
 * `response` with `done` called once its body has been read to the end or
 * cancelled (the client went away): the end of the write, as far as the
 * handler can see it.
 */
export function onSent(response: Response, done: () => void): Response {
  const body = response.body;
  if (body === null) {
    done();
    return response;
  }
  const reader = body.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) {
          controller.close();
          done();
        } else controller.enqueue(next.value);
      } catch (err) {
        done();
        controller.error(err);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
  return new Response(stream, response);
}
