/**
 * Serves a fetch-style handler over HTTP, TLS or mutual TLS as a web config
 * asks, applying its basic auth and extra headers in front of the handler.
 *
 * Every listener holds Go's http.Server deadlines and a connection cap
 * (`_conn_guard.ts`). Plain HTTP goes through Deno's HTTP stack fed by our own
 * accept loop (`_deno_http.ts`). TLS goes through Deno's `node:https`, which
 * also requests client certificates and pins TLS versions (verified by
 * tests/listen_test.ts) but speaks HTTP/1.1 only: `Deno.listenTls` cannot close
 * a connection whose handshake stalls (measured on 2.9.6: the socket stays open
 * after `close()`), so it would hold a descriptor for as long as a client likes.
 */
import type { BasicAuth } from "./basic_auth.ts";
import type { Handler, ServeOptions, Server } from "./server.ts";
import { serveDenoHttp } from "./_deno_http.ts";
import type { WebConfig } from "./web_config.ts";

export type { Handler, ServeOptions, Server } from "./server.ts";

/** Starts serving; resolves once the socket is bound. */
export async function serve(handler: Handler, options: ServeOptions): Promise<Server> {
  const config = options.webConfig;
  const wrapped = await wrap(handler, config, options.onError, options.signal);
  const tls = config?.tls;
  if (tls) {
    const { serveNode } = await import("./_node_tls.ts");
    return await serveNode(wrapped, tls, options);
  }
  const server = serveDenoHttp(wrapped, options);
  options.onListen?.(server.addr);
  return server;
}

/** Auth and headers sit outside the handler, as upstream wraps its mux. */
async function wrap(
  handler: Handler,
  config: WebConfig | undefined,
  onError?: (e: unknown) => void,
  signal?: AbortSignal,
): Promise<Handler> {
  const users = config?.basicAuthUsers ?? {};
  // bcrypt is loaded only when basic auth is configured.
  let auth: BasicAuth | undefined;
  let unauthorized: () => Response = () => new Response(null, { status: 401 });
  if (Object.keys(users).length > 0) {
    const mod = await import("./basic_auth.ts");
    auth = mod.createBasicAuth(users, { signal });
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
