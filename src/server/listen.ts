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
import type { Handler, ServeOptions, Server } from "./server.ts";
import { needsNodeTls, type WebConfig } from "./web_config.ts";

export type { Handler, ServeOptions, Server } from "./server.ts";

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
