/**
 * Serves a fetch-style handler over HTTP, TLS or mutual TLS as a web config
 * asks, applying its basic auth and extra headers in front of the handler.
 *
 * `Deno.serve` (fast, HTTP/2) is used whenever it can honour the config. It
 * cannot request client certificates or pin TLS versions, so those configs go
 * through Deno's `node:https`, whose TLS layer does both (verified by
 * tests/listen_test.ts) but speaks HTTP/1.1 only.
 */
import type { BasicAuth } from "./basic_auth.ts";
import { needsNodeTls, type WebConfig } from "./web_config.ts";

export type Handler = (request: Request) => Response | Promise<Response>;

export interface ServeOptions {
  /** @default {"0.0.0.0"} */
  hostname?: string;
  /** 0 picks a free port; read it back from {@link Server.addr}. */
  port: number;
  /** Absent means plain HTTP without authentication. */
  webConfig?: WebConfig | undefined;
  /** Aborting closes the listener and open connections. */
  signal?: AbortSignal;
  onListen?: (addr: Deno.NetAddr) => void;
  /** Called when the handler throws; a 500 is sent either way. */
  onError?: (error: unknown) => void;
}

export interface Server {
  addr: Deno.NetAddr;
  scheme: "http" | "https";
  /** Resolves once the server has stopped after the signal aborted. */
  finished: Promise<void>;
}

/** Starts serving; resolves once the socket is bound. */
export async function serve(handler: Handler, options: ServeOptions): Promise<Server> {
  const config = options.webConfig;
  const wrapped = await wrap(handler, config, options.onError);
  const tls = config?.tls;
  if (config && tls && needsNodeTls(config)) {
    const { serveNode } = await import("./_node_tls.ts");
    return await serveNode(wrapped, tls, options);
  }

  const { promise: bound, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const init = {
    hostname: options.hostname ?? "0.0.0.0",
    port: options.port,
    // Always set: the default onListen prints to stdout, which is for metrics logs only.
    onListen: resolve,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(tls ? { cert: tls.cert, key: tls.key } : {}),
  };
  const server = Deno.serve(init, (request) => wrapped(request));
  const addr = await bound;
  options.onListen?.(addr);
  return { addr, scheme: tls ? "https" : "http", finished: server.finished };
}

/** Auth and headers sit outside the handler, as upstream wraps its mux. */
async function wrap(
  handler: Handler,
  config: WebConfig | undefined,
  onError?: (e: unknown) => void,
): Promise<Handler> {
  const users = config?.basicAuthUsers ?? {};
  // bcrypt is loaded only when basic auth is configured.
  let auth: BasicAuth | undefined;
  let unauthorized: () => Response = () => new Response(null, { status: 401 });
  if (Object.keys(users).length > 0) {
    const mod = await import("./basic_auth.ts");
    auth = mod.createBasicAuth(users);
    unauthorized = mod.unauthorized;
  }
  const extra = Object.entries(config?.headers ?? {});
  const finish = (response: Response) => {
    if (extra.length === 0) return response;
    // Copy: responses built elsewhere (Response.redirect, fetch) have immutable headers.
    const out = new Response(response.body, response);
    for (const [name, value] of extra) out.headers.set(name, value);
    return out;
  };
  return async (request) => {
    if (auth && !await auth.check(request)) return finish(unauthorized());
    try {
      return finish(await handler(request));
    } catch (err) {
      onError?.(err);
      return finish(new Response("Internal Server Error\n", { status: 500 }));
    }
  };
}
