/**
 * TLS, mutual TLS and pinned TLS versions through Deno's `node:https`, with
 * the guard's deadlines and cap: node's handshake timeout closes a stalled
 * handshake, which `Deno.listenTls` cannot. Loaded only when a web config asks
 * for TLS, so plain exporters never pay for the node compatibility layer.
 */
import { once } from "node:events";
import { createServer, type Server as HttpsServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { ConnectionGuard, type GuardedConnection } from "./_conn_guard.ts";
import type { Handler, ServeOptions, Server } from "./server.ts";
import type { WebTlsConfig } from "./web_config.ts";

export async function serveNode(
  handler: Handler,
  tls: WebTlsConfig,
  options: ServeOptions,
): Promise<Server> {
  const mode = tls.clientAuthType;
  const limits = new ConnectionGuard(options.limits).limits;
  const { readTimeoutMs, writeTimeoutMs, maxConnections } = limits;
  // Deadlines from the end of the handshake; the cap is applied to raw connections below.
  const guard = new ConnectionGuard({ ...limits, maxConnections: Infinity });
  const tracked = new WeakMap<object, GuardedConnection>();
  const server: HttpsServer = createServer({
    // Go's tlsHandshakeTimeout: the shorter of ReadTimeout and WriteTimeout.
    handshakeTimeout: Math.min(readTimeoutMs, writeTimeoutMs),
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa ? { ca: tls.clientCa } : {}),
    requestCert: mode !== "NoClientCert",
    // Only full verification can be left to the handshake; the softer modes are judged per connection.
    rejectUnauthorized: mode === "RequireAndVerifyClientCert",
    minVersion: tls.minVersion === "TLS13" ? "TLSv1.3" : "TLSv1.2",
    maxVersion: tls.maxVersion === "TLS12" ? "TLSv1.2" : "TLSv1.3",
  }, (req, res) => {
    if (!clientAllowed(req.socket as TLSSocket, tls)) return void req.socket.destroy();
    const done = tracked.get(req.socket)?.begin() ?? (() => {});
    res.on("close", done);
    respond(handler, req, res).catch((err) => {
      options.onError?.(err);
      res.destroy();
    });
  });
  // Refuse before any HTTP is parsed, the nearest node gets to failing the handshake.
  server.on("secureConnection", (socket: TLSSocket) => {
    if (!clientAllowed(socket, tls)) return void socket.destroy();
    // The handshake was bounded by handshakeTimeout; from here the guard's deadlines hold.
    const conn = guard.open(() => socket.destroy());
    if (!conn) return void socket.destroy();
    tracked.set(socket, conn);
    socket.on("close", () => conn.closed());
  });
  // The cap counts raw connections, handshakes in progress included: each holds a descriptor.
  let open = 0;
  server.on("connection", (socket: Socket) => {
    if (open >= maxConnections) {
      guard.stats.shed++;
      return void socket.destroy();
    }
    open++;
    socket.once("close", () => open--);
  });
  // A handshake failure (no cert, wrong CA, old TLS) is the client's problem, not a server error.
  server.on("tlsClientError", () => {});

  server.listen(options.port, options.hostname ?? "0.0.0.0");
  await once(server, "listening");
  const info = server.address() as AddressInfo;
  const addr: Deno.NetAddr = { transport: "tcp", hostname: info.address, port: info.port };
  const finished = once(server, "close").then(() => {});
  const stop = () => {
    server.close();
    server.closeAllConnections();
    guard.closeAll();
  };
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener("abort", stop, { once: true });
  options.onListen?.(addr);
  return { addr, scheme: "https", finished, guard };
}

/** Go's client_auth_type semantics for what node's handshake let through. */
function clientAllowed(socket: TLSSocket, tls: WebTlsConfig): boolean {
  const peer = socket.getPeerCertificate();
  const presented = peer !== null && Object.keys(peer).length > 0;
  switch (tls.clientAuthType) {
    case "NoClientCert":
    case "RequestClientCert":
      return true;
    case "VerifyClientCertIfGiven":
      return !presented || socket.authorized;
    case "RequireAnyClientCert":
      return presented && sanAllowed(peer.subjectaltname, tls.clientAllowedSans);
    case "RequireAndVerifyClientCert":
      return presented && socket.authorized &&
        sanAllowed(peer.subjectaltname, tls.clientAllowedSans);
  }
}

/** Matches upstream: any DNS, email, IP or URI SAN equal to an allowed value. */
function sanAllowed(subjectAltName: string | undefined, allowed: string[] | undefined): boolean {
  if (allowed === undefined) return true;
  // Node renders SANs as `DNS:a, IP Address:1.2.3.4, email:x@y, URI:https://z`.
  const values = (subjectAltName ?? "").split(", ").map((entry) =>
    entry.slice(entry.indexOf(":") + 1)
  );
  return values.some((v) => allowed.includes(v));
}

async function respond(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const aborted = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) aborted.abort();
  });
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const request = new Request(requestUrl(req), {
    method,
    headers,
    signal: aborted.signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  });

  const response = await handler(request);
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (response.body === null || method === "HEAD") return void res.end();
  // Stream rather than buffer: a /metrics body for many certificates is large.
  for await (const chunk of response.body) {
    if (!res.write(chunk)) await once(res, "drain");
  }
  res.end();
}

function requestUrl(req: IncomingMessage): string {
  const path = req.url ?? "/";
  try {
    return new URL(path, `https://${req.headers.host ?? "localhost"}`).href;
  } catch {
    // A Host header that is not a valid authority must not take the request down.
    return new URL(path.startsWith("/") ? path : "/", "https://localhost").href;
  }
}
