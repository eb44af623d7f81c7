import { KubeClient } from "./src/kube/client.ts";
import { ListWatch } from "./src/kube/list_watch.ts";
import { SECRETS } from "./src/kube/resource.ts";
import { KubeApiServer } from "./tests/testing/kube_api_server.ts";
const server = KubeApiServer.start();
const data = btoa("x".repeat(37_000)); // ~50 KiB base64
let t = performance.now();
server.load(
  "secrets",
  Array.from(
    { length: 50_000 },
    (_, i) => ({
      metadata: { name: `s${i}`, namespace: `ns${i % 100}` },
      type: "Opaque",
      data: { "tls.crt": data },
    }),
  ),
);
console.log(
  "load ms",
  Math.round(performance.now() - t),
  "rss MB",
  Math.round(Deno.memoryUsage().rss / 1e6),
);
await server.writeKubeconfig("/tmp/kw/perf-kc");
const client = KubeClient.fromKubeconfig({ kubeconfig: "/tmp/kw/perf-kc" });
let n = 0;
t = performance.now();
let resolve!: () => void;
const done = new Promise<void>((r) => resolve = r);
const lw = new ListWatch(client, {
  resource: SECRETS,
  pageSize: 500,
  handlers: { onPage: (o) => void (n += o.length), onListDone: () => resolve(), onEvent: () => {} },
});
lw.start();
await done;
console.log(
  "list ms",
  Math.round(performance.now() - t),
  n,
  "rss MB",
  Math.round(Deno.memoryUsage().rss / 1e6),
);
await lw.stop();
client.close();
await server.close();
