/**
 * Plain HTTP through Deno's HTTP stack, fed one connection at a time by our
 * own accept loop, so a connection past a deadline or the cap can be closed
 * and `EMFILE` at accept is waited out instead of stopping the listener (what
 * `Deno.serve` does with its own loop).
 *
 * Deno 2.9.6 exposes no public way to serve HTTP on an accepted connection;
 * its internal `serveHttpOnConnection` (what `Deno.serve` runs per listener)
 * does it. Without it (another Deno), `Deno.serve` is used and said so.
 */
import { ConnectionGuard, onSent } from "./_conn_guard.ts";
import type { Handler, ServeOptions, Server } from "./server.ts";

type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: (request: Request) => Response | Promise<Response>,
  onError: (error: unknown) => Response,
  onListen: (scheme: string) => void,
) => { finished: Promise<void> };

function internalServeOnConnection(): ServeOnConnection | undefined {
  const internal = (Deno as unknown as Record<symbol, Record<string, unknown>>)[
    (Deno as unknown as { internal: symbol }).internal
  ];
  const fn = internal?.["serveHttpOnConnection"];
  return typeof fn === "function" ? fn as ServeOnConnection : undefined;
}

/** Longest wait between accepts after an error, as Go's http.Server. */
const MAX_ACCEPT_BACKOFF_MS = 1_000;

/** Serves plain HTTP on `options.hostname:port` with the guard's deadlines and cap. */
export function serveDenoHttp(handler: Handler, options: ServeOptions): Server {
  const serveOn = internalServeOnConnection();
  const hostname = options.hostname ?? "0.0.0.0";
  if (!serveOn) {
    options.onAcceptError?.(
      new Error("This Deno has no serveHttpOnConnection: serving without connection limits"),
    );
    const { promise: bound, resolve } = Promise.withResolvers<void>();
    const server = Deno.serve({
      hostname,
      port: options.port,
      onListen: () => resolve(),
      ...(options.signal ? { signal: options.signal } : {}),
    }, (request) => handler(request));
    return { addr: server.addr, scheme: "http", finished: bound.then(() => server.finished) };
  }
  const listener = Deno.listen({ hostname, port: options.port });
  const guard = new ConnectionGuard(options.limits);
  const connections = new Set<Promise<void>>();
  let stopping = false;
  const stop = () => {
    stopping = true;
    try {
      listener.close();
    } catch { /* already closed */ }
    guard.closeAll();
  };
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener("abort", stop, { once: true });

  const onError = (error: unknown) => {
    options.onError?.(error);
    return new Response("Internal Server Error\n", { status: 500 });
  };
  const handle = (conn: Deno.Conn) => {
    const aborter = new AbortController();
    const tracked = guard.open(() => aborter.abort());
    if (!tracked) {
      try {
        conn.close();
      } catch { /* gone */ }
      return;
    }
    const served = serveOn(
      conn,
      aborter.signal,
      async (request) => {
        const done = tracked.begin();
        try {
          return onSent(await handler(request), done);
        } catch (err) {
          done();
          throw err;
        }
      },
      onError,
      () => {},
    );
    const finished = served.finished.catch(() => {}).finally(() => {
      tracked.closed();
      connections.delete(finished);
    });
    connections.add(finished);
  };

  const loop = (async () => {
    let backoff = 0;
    while (!stopping) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
        backoff = 0;
      } catch (err) {
        if (stopping || err instanceof Deno.errors.BadResource) break;
        // EMFILE, ENFILE, ECONNABORTED: wait and accept again, as Go's http.Server does.
        backoff = backoff === 0 ? 5 : Math.min(backoff * 2, MAX_ACCEPT_BACKOFF_MS);
        options.onAcceptError?.(err, backoff);
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      handle(conn);
    }
    await Promise.all(connections);
  })();
  const addr = listener.addr as Deno.NetAddr;
  return { addr, scheme: "http", finished: loop, guard };
}
