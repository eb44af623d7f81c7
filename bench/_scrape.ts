/**
 * One `/metrics` scrape as Prometheus makes it, timed. curl reads like Prometheus
 * does (a native client): timing through this process's own fetch counted its GC
 * of 11-120 MB bodies, ~5x the server's time at p99. Without curl, fetch it is.
 */
import { percentile } from "./_harness.ts";

/** What Prometheus sends (its `Accept`, and gzip). */
export const PROMETHEUS_HEADERS = {
  accept: "text/plain;version=0.0.4;q=0.9,*/*;q=0.1",
  "accept-encoding": "gzip",
};

let curlFound: boolean | undefined;

async function hasCurl(): Promise<boolean> {
  if (curlFound !== undefined) return curlFound;
  try {
    const out = await new Deno.Command("curl", { args: ["--version"], stdout: "null" }).output();
    return curlFound = out.success;
  } catch {
    return curlFound = false;
  }
}

/** One scrape of `${base}/metrics`: milliseconds and bytes received (compressed, if gzip). */
export async function scrapeOnce(base: string, gzip: boolean): Promise<[number, number]> {
  const url = `${base}/metrics`;
  if (await hasCurl()) {
    const out = await new Deno.Command("curl", {
      args: [
        ...["-s", "-o", "/dev/null", "-H", `Accept: ${PROMETHEUS_HEADERS.accept}`],
        ...(gzip ? ["-H", "Accept-Encoding: gzip"] : []),
        ...["-w", "%{time_total} %{size_download}", url],
      ],
      stdout: "piped",
    }).output();
    const [seconds, bytes] = new TextDecoder().decode(out.stdout).split(" ").map(Number);
    return [seconds! * 1000, bytes!];
  }
  const t = performance.now();
  const res = await fetch(url, {
    headers: { ...PROMETHEUS_HEADERS, "accept-encoding": gzip ? "gzip" : "identity" },
  });
  const bytes = (await res.arrayBuffer()).byteLength;
  return [performance.now() - t, bytes];
}

/** `n` scrapes in a row: p50, p99 (ms) and the body's size. */
export async function scrapeSeries(
  base: string,
  n: number,
  gzip: boolean,
): Promise<{ p50: number; p99: number; bytes: number }> {
  const latencies: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const [ms, size] = await scrapeOnce(base, gzip);
    latencies.push(ms);
    bytes = size;
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), bytes };
}
