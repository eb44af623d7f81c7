/**
 * The fake Kubernetes API server in a process of its own, so the exporter's RSS
 * is measured alone. Usage: `deno run -A bench/_kube_server_main.ts '<json>'`
 * with a {@link KubeServerSpec}; prints one JSON line `{ url, control }` on stdout
 * once loaded. The control listener answers:
 *
 * - `GET /stats`: count, bytes and items of API responses by verb (`?reset=1` clears)
 * - `POST /churn?rate=100&seconds=60`: rotates TLS Secrets on a timer
 * - `GET /churn`: `{ done, rotations: [{ name, namespace, notAfter, t }] }`
 */
import { KubeApiServer, type KubeObj } from "../tests/testing/kube_api_server.ts";
import { certPool, helmPayload } from "./_data.ts";

export interface KubeServerSpec {
  kubeconfig: string;
  tlsSecrets: number;
  /** `helm.sh/release.v1` Secrets beside the TLS ones. @default 0 */
  helmSecrets?: number;
  /** Size of each Helm release payload. @default 0 */
  helmBytes?: number;
  /** Namespaces the Secrets are spread over. @default 50 */
  namespaces?: number;
  /** Certificates rotated in by churn, each with a unique notAfter (seconds). @default 0 */
  churnPool?: number;
  bookmarkIntervalMs?: number;
}

/** notAfter (ms) of the i-th churn certificate: unique whole seconds. */
export function churnNotAfter(i: number): number {
  return Date.UTC(2031, 0, 1) + i * 1000;
}

const given: KubeServerSpec = JSON.parse(Deno.args[0] ?? "{}");
const spec = { helmSecrets: 0, helmBytes: 0, namespaces: 50, churnPool: 0, ...given };
const encodeB64 = (s: string) => btoa(s);
const DUMMY_KEY = encodeB64("-----BEGIN PRIVATE KEY-----\nbench\n-----END PRIVATE KEY-----\n");

function tlsSecret(i: number, pem: string): KubeObj {
  return {
    metadata: {
      name: `tls-${i}`,
      namespace: `ns-${i % spec.namespaces}`,
      labels: { app: `app-${i % 97}` },
    },
    type: "kubernetes.io/tls",
    data: { "tls.crt": encodeB64(pem), "tls.key": DUMMY_KEY },
  };
}

const server = KubeApiServer.start({ bookmarkIntervalMs: spec.bookmarkIntervalMs ?? 60_000 });
const leaves = spec.tlsSecrets > 0 ? await certPool("leaf", spec.tlsSecrets) : [];
server.load("secrets", leaves.map((pem, i) => tlsSecret(i, pem)));
if (spec.helmSecrets > 0) {
  // One shared string: V8 keeps a single copy however many objects point at it.
  const release = helmPayload(spec.helmBytes);
  const helm = function* () {
    for (let i = 0; i < spec.helmSecrets; i++) {
      yield {
        metadata: {
          name: `sh.helm.release.v1.rel-${i}.v${1 + (i % 5)}`,
          namespace: `ns-${i % spec.namespaces}`,
          labels: { owner: "helm", name: `rel-${i}`, status: "deployed" },
        },
        type: "helm.sh/release.v1",
        data: { release },
      } as KubeObj;
    }
  };
  server.load("secrets", helm());
}
const churnCerts = spec.churnPool > 0 ? await certPool("churn", spec.churnPool, churnNotAfter) : [];
await server.writeKubeconfig(spec.kubeconfig);

interface Rotation {
  name: string;
  namespace: string;
  notAfter: number;
  t: number;
}
const rotations: Rotation[] = [];
let churnDone = true;

function startChurn(rate: number, seconds: number): void {
  churnDone = false;
  rotations.length = 0;
  const total = Math.min(churnCerts.length, Math.round(rate * seconds));
  const targets = Math.max(1, Math.min(spec.tlsSecrets, 1000));
  const started = performance.now();
  let next = 0;
  // A 10 ms tick catching up to the schedule keeps the rate exact despite timer drift.
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    for (; next < due; next++) {
      const obj = tlsSecret(next % targets, churnCerts[next]!);
      server.upsert("secrets", obj);
      rotations.push({
        name: obj.metadata.name,
        namespace: obj.metadata.namespace!,
        notAfter: churnNotAfter(next) / 1000,
        t: Date.now(),
      });
    }
    if (next >= total) {
      clearInterval(timer);
      churnDone = true;
    }
  }, 10);
}

function stats(): Record<string, { count: number; bytes: number; items: number }> {
  const out: Record<string, { count: number; bytes: number; items: number }> = {};
  for (const r of server.requests) {
    const s = (out[r.verb] ??= { count: 0, bytes: 0, items: 0 });
    s.count++;
    s.bytes += r.bytes;
    s.items += r.items.length;
  }
  return out;
}

const control = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
  const url = new URL(req.url);
  if (url.pathname === "/stats") {
    const body = stats();
    if (url.searchParams.has("reset")) server.requests.length = 0;
    return Response.json(body);
  }
  if (url.pathname === "/churn" && req.method === "POST") {
    startChurn(Number(url.searchParams.get("rate")), Number(url.searchParams.get("seconds")));
    return Response.json({ started: true });
  }
  if (url.pathname === "/churn") return Response.json({ done: churnDone, rotations });
  return new Response("Not found", { status: 404 });
});

console.log(JSON.stringify({ url: server.url, control: `http://127.0.0.1:${control.addr.port}` }));
