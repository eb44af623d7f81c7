import type { Logger } from "../log.ts";
import { CONTENT_TYPE, type Exposition } from "../metrics/exposition.ts";
import type { Store } from "../store.ts";
import { renderStatusPage, type StatusInfo } from "./status_page.ts";

export interface RoutesOptions {
  readonly store: Store;
  readonly exposition: Pick<Exposition, "render">;
  readonly logger: Logger;
  readonly enableStats: boolean;
  readonly statusInfo: () => StatusInfo;
  readonly onPanic?: (component: string, err: unknown) => void;
  /** `POST /-/reload` when set (`web.enableLifecycle`): resolves to an error message or undefined. */
  readonly reload?: (() => Promise<string | undefined>) | undefined;
}

type Handler = (req: Request) => Promise<Response>;

function text(body: string, status = 200, type = "text/plain; charset=utf-8"): Response {
  return new Response(body, { status, headers: { "content-type": type } });
}

/** `/healthz` and `/readyz`: also served alone on `server.probeListen`. */
export function probeRoute(store: Store, path: string): Response | undefined {
  if (path === "/healthz") return text("ok\n");
  if (path === "/readyz") {
    return store.ready()
      ? text("ready\n")
      : text("not ready: waiting for the first sync of every source\n", 503);
  }
  return undefined;
}

/**
 * Whether an Accept-Encoding header accepts gzip (`gzip`, `x-gzip` or `*`, with
 * a non-zero q). Prometheus always sends `gzip`; curl without --compressed sends none.
 */
export function acceptsGzip(header: string | null): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.toLowerCase().split(",")) {
    const [coding = "", ...params] = part.trim().split(";").map((p) => p.trim());
    const q = params.find((p) => p.startsWith("q="));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    if (coding === "gzip" || coding === "x-gzip") return ok;
    if (coding === "*") star = ok;
  }
  return star;
}

/** The main listener's routes. */
export function createHandler(o: RoutesOptions): Handler {
  return async (req) => {
    const path = new URL(req.url).pathname;
    // As Prometheus' lifecycle API: POST or PUT, 403 unless enabled.
    if (path === "/-/reload") {
      if (req.method !== "POST" && req.method !== "PUT") return text("method not allowed\n", 405);
      if (!o.reload) return text("Lifecycle API is not enabled.\n", 403);
      const error = await o.reload();
      return error === undefined ? text("") : text(`failed to reload config: ${error}\n`, 500);
    }
    if (req.method !== "GET" && req.method !== "HEAD") return text("method not allowed\n", 405);
    const probe = probeRoute(o.store, path);
    if (probe) return probe;
    try {
      if (path === "/metrics") {
        const body = await o.exposition.render(acceptsGzip(req.headers.get("accept-encoding")));
        const headers: Record<string, string> = {
          "content-type": CONTENT_TYPE,
          "vary": "Accept-Encoding",
        };
        if (body.length !== undefined) headers["content-length"] = String(body.length);
        if (body.encoding === "gzip") headers["content-encoding"] = "gzip";
        if (req.method === "HEAD") return new Response(null, { headers });
        // Chunks go out as they are (the cached certificate part is never copied), each
        // written when the connection asks for it: a slow reader holds one chunk, not the text.
        const chunks = Symbol.asyncIterator in body.chunks
          ? body.chunks[Symbol.asyncIterator]()
          : body.chunks[Symbol.iterator]();
        const stream = new ReadableStream<Uint8Array>({
          async pull(c) {
            try {
              const next = await chunks.next();
              if (next.done) c.close();
              else c.enqueue(next.value);
            } catch (err) {
              o.onPanic?.("scrape", err);
              o.logger.error("Writing /metrics failed", { error: err });
              c.error(err);
            }
          },
          async cancel() {
            await chunks.return?.();
          },
        }, { highWaterMark: 0 });
        return new Response(stream, { headers });
      }
      if (path === "/") {
        if (!o.enableStats) {
          return text(
            '<!doctype html><title>x509-certificate-exporter</title><p><a href="/metrics">/metrics</a></p>\n',
            200,
            "text/html; charset=utf-8",
          );
        }
        return text(renderStatusPage(o.store, o.statusInfo()), 200, "text/html; charset=utf-8");
      }
    } catch (err) {
      o.onPanic?.(path === "/metrics" ? "scrape" : "server", err);
      o.logger.error("Request failed", { path, error: err });
      return text("internal error\n", 500);
    }
    return text("not found\n", 404);
  };
}

/** Handler for the plain probe listener. */
export function createProbeHandler(store: Store): Handler {
  return (req) =>
    Promise.resolve(probeRoute(store, new URL(req.url).pathname) ?? text("not found\n", 404));
}
