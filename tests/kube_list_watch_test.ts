import assert from "node:assert/strict";
import { KubeClient } from "../src/kube/client.ts";
import { loadKubeconfig } from "../src/kube/kubeconfig.ts";
import { ListWatch, type ListWatchOptions } from "../src/kube/list_watch.ts";
import { IdleTimeoutError } from "../src/kube/ndjson.ts";
import { type KubeObject, SECRETS } from "../src/kube/resource.ts";
import {
  generateTestPki,
  KubeApiServer,
  type KubeApiServerOptions,
} from "./testing/kube_api_server.ts";

function secret(namespace: string, name: string, labels: Record<string, string> = {}) {
  return { metadata: { name, namespace, labels }, type: "Opaque", data: {} };
}

/** Everything a ListWatch reported, in order, as short strings easy to compare. */
class Recorder {
  readonly log: string[] = [];
  readonly errors: unknown[] = [];
  seenKeys: string[] = [];
  #page: string[] = [];
  handlers: ListWatchOptions<KubeObject>["handlers"] = {
    onListStart: () => void this.log.push("list-start"),
    // Objects arrive one by one; a page ends when its request completes.
    onListObject: (o) => void this.#page.push(o.metadata.name),
    onRequest: (verb) => {
      if (verb === "list") this.log.push(`page ${this.#page.splice(0).join(",")}`);
    },
    onListDone: (_rv, seen) => {
      this.seenKeys = [...seen].sort();
      this.log.push("list-done");
    },
    onEvent: (type, o) => void this.log.push(`${type} ${o.metadata.name}`),
    onResync: (reason) => void this.log.push(`resync ${reason}`),
    onError: (reason) => void this.log.push(`error ${reason}`),
    onTransportError: (reason, err) => {
      this.errors.push(err);
      this.log.push(`transport ${reason}`);
    },
  };
  count(entry: string): number {
    return this.log.filter((l) => l === entry).length;
  }
}

async function waitUntil(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Puts the client's resume point behind the compaction horizon, the way a real watch
 * falls behind: the stream goes quiet, history moves on and is compacted, it drops.
 */
function expireWatch(server: KubeApiServer, change = () => {}): void {
  server.stallWatches = true;
  server.upsert("configmaps", {
    metadata: { name: `moved-on-${server.resourceVersion}`, namespace: "ns" },
  });
  change();
  server.compact();
  server.dropWatches();
  server.stallWatches = false;
}

interface Harness {
  server: KubeApiServer;
  rec: Recorder;
  lw: ListWatch;
  lists: () => number;
}

/** A server with `seed` secrets and a started ListWatch on it, all torn down afterwards. */
async function withListWatch(
  opts: {
    server?: KubeApiServerOptions;
    lw?: Partial<ListWatchOptions<KubeObject>>;
    seed?: number;
  },
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const server = KubeApiServer.start({ bookmarkIntervalMs: 100, ...opts.server });
  const dir = await Deno.makeTempDir();
  await server.writeKubeconfig(`${dir}/config`);
  const client = KubeClient.fromKubeconfig({ maxFileBytes: 1 << 20, kubeconfig: `${dir}/config` });
  for (let i = 0; i < (opts.seed ?? 3); i++) server.upsert("secrets", secret("ns", `s${i}`));
  const rec = new Recorder();
  const lw = new ListWatch(client, {
    resource: SECRETS,
    pageSize: 2,
    backoff: { initialMs: 20, maxMs: 100 },
    idleTimeoutMs: 2000,
    ...opts.lw,
    handlers: rec.handlers,
  });
  const lists = () => server.requests.filter((r) => r.verb === "list").length;
  try {
    lw.start();
    await fn({ server, rec, lw, lists });
  } finally {
    await lw.stop();
    client.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ListWatch pages the LIST, then streams watch events from its resourceVersion", async () => {
  await withListWatch({ seed: 5 }, async ({ server, rec, lw }) => {
    await waitUntil(() => server.openWatches === 1, "the watch");
    assert.deepEqual(rec.log, ["list-start", "page s0,s1", "page s2,s3", "page s4", "list-done"]);
    assert.deepEqual(rec.seenKeys, ["ns/s0", "ns/s1", "ns/s2", "ns/s3", "ns/s4"]);
    const lists = server.requests.filter((r) => r.verb === "list");
    assert.deepEqual(lists.map((r) => [r.query.limit, r.query.continue !== undefined]), [
      ["2", false],
      ["2", true],
      ["2", true],
    ]);
    const watch = server.requests.find((r) => r.verb === "watch");
    assert.equal(watch?.query.allowWatchBookmarks, "true");
    assert.equal(watch?.query.resourceVersion, lw.resourceVersion);
    server.upsert("secrets", secret("ns", "new"));
    server.upsert("secrets", secret("ns", "s0", { changed: "yes" }));
    server.delete("secrets", "ns", "s1");
    await waitUntil(() => rec.log.includes("DELETED s1"), "the DELETED event");
    assert.deepEqual(rec.log.slice(5), ["ADDED new", "MODIFIED s0", "DELETED s1"]);
    assert.equal(lw.resourceVersion, server.resourceVersion);
  });
});

Deno.test("ListWatch passes selectors and the namespace to the server", async () => {
  await withListWatch({
    lw: { namespace: "ns", labelSelector: "app=web", fieldSelector: "type!=helm.sh/release.v1" },
  }, async ({ server, rec }) => {
    await waitUntil(() => server.openWatches === 1, "the watch");
    server.upsert("secrets", secret("ns", "web", { app: "web" }));
    server.upsert("secrets", secret("other", "web2", { app: "web" }));
    await waitUntil(() => rec.log.includes("ADDED web"), "the matching event");
    assert.deepEqual(rec.log, ["list-start", "page ", "list-done", "ADDED web"]);
    for (const r of server.requests.filter((r) => r.resource === "secrets")) {
      assert.equal(r.path, "/api/v1/namespaces/ns/secrets");
      assert.deepEqual([r.query.labelSelector, r.query.fieldSelector], [
        "app=web",
        "type!=helm.sh/release.v1",
      ]);
    }
  });
});

Deno.test("a dropped watch resumes from the last resourceVersion without a new LIST", async () => {
  await withListWatch({}, async ({ server, rec, lists }) => {
    await waitUntil(() => server.openWatches === 1, "the watch");
    server.upsert("secrets", secret("ns", "before-drop"));
    await waitUntil(() => rec.log.includes("ADDED before-drop"), "the first event");
    const lastSeen = server.resourceVersion;
    assert.equal(server.dropWatches(), 1);
    server.upsert("secrets", secret("ns", "during-drop"));
    await waitUntil(() => rec.log.includes("ADDED during-drop"), "the replayed event");
    assert.equal(lists(), 2);
    const watches = server.requests.filter((r) => r.verb === "watch");
    assert.equal(watches.length, 2);
    assert.equal(watches[1]?.query.resourceVersion, lastSeen);
    assert.equal(rec.count("transport watch_flapped"), 1);
    assert.equal(rec.count("list-start"), 1);
  });
});

Deno.test("bookmarks advance the resume point, so a resumed watch skips nothing and repeats nothing", async () => {
  await withListWatch({}, async ({ server, lw }) => {
    await waitUntil(() => server.openWatches === 1, "the watch");
    server.upsert("configmaps", { metadata: { name: "unrelated", namespace: "ns" } });
    await waitUntil(() => lw.resourceVersion === server.resourceVersion, "a bookmark");
    server.dropWatches();
    await waitUntil(
      () => server.requests.filter((r) => r.verb === "watch").length === 2,
      "the resumed watch",
    );
    assert.equal(server.requests.at(-1)?.query.resourceVersion, server.resourceVersion);
  });
});

Deno.test("a 410 Expired watch re-lists exactly once", async () => {
  await withListWatch({}, async ({ server, rec, lists }) => {
    await waitUntil(() => server.openWatches === 1, "the watch");
    expireWatch(server, () => server.upsert("secrets", secret("ns", "after-compaction")));
    await waitUntil(() => rec.count("list-done") === 2 && server.openWatches === 1, "the re-list");
    assert.equal(rec.count("resync watch_expired"), 1);
    assert.equal(lists(), 4);
    assert.ok(rec.seenKeys.includes("ns/after-compaction"));
    assert.equal(rec.count("ADDED after-compaction"), 0);
  });
});

Deno.test("an expired continue token restarts the LIST", async () => {
  await withListWatch({ seed: 4, lw: { pageSize: 3 } }, async ({ server, rec }) => {
    await waitUntil(() => server.openWatches === 1, "the watch");
    server.expireContinueTokens = true;
    expireWatch(server);
    rec.handlers.onResync = (reason) => {
      rec.log.push(`resync ${reason}`);
      if (reason === "continue_expired") server.expireContinueTokens = false;
    };
    await waitUntil(
      () => rec.count("list-done") === 2 && server.openWatches === 1,
      "the second list",
    );
    assert.deepEqual(rec.log.slice(4), [
      "transport watch_flapped",
      "resync watch_expired",
      "list-start",
      "page s0,s1,s2",
      "resync continue_expired",
      "list-start",
      "page s0,s1,s2",
      "page s3",
      "list-done",
    ]);
    assert.deepEqual(rec.seenKeys, ["ns/s0", "ns/s1", "ns/s2", "ns/s3"]);
  });
});

Deno.test("500s back off and recover, reported as http_500 and list_failed", async () => {
  await withListWatch(
    { lw: { backoff: { initialMs: 50, maxMs: 1000, jitter: 0 } } },
    async ({ server, rec }) => {
      await waitUntil(() => server.openWatches === 1, "the watch");
      server.failNext(3, { match: (r) => r.verb === "watch" });
      const t0 = Date.now();
      server.dropWatches();
      await waitUntil(() => server.openWatches === 1, "the recovered watch");
      // At least 50 + 100 + 200 ms of backoff between the four attempts.
      assert.ok(Date.now() - t0 >= 350, `recovered after ${Date.now() - t0} ms`);
      assert.equal(rec.count("error http_500"), 3);
      assert.equal(rec.count("transport watch_start_failed"), 3);
      server.failNext(1, { status: 403, match: (r) => r.verb === "watch" });
      server.dropWatches();
      await waitUntil(
        () => rec.count("error http_403") === 1 && server.openWatches === 1,
        "403 and recovery",
      );
    },
  );
});

Deno.test("429 with Retry-After is honoured before the LIST is retried with the same page", async () => {
  await withListWatch(
    { seed: 4, lw: { backoff: { initialMs: 10 } } },
    async ({ server: s, rec }) => {
      await waitUntil(() => s.openWatches === 1, "the watch");
      s.throttleNext(1, 1, (r) => r.verb === "list" && r.query.continue !== undefined);
      const t0 = Date.now();
      expireWatch(s);
      await waitUntil(() => rec.count("list-done") === 2, "the second list");
      assert.ok(Date.now() - t0 >= 1000, `retried after ${Date.now() - t0} ms`);
      assert.equal(rec.count("error rate_limited"), 1);
      assert.equal(rec.count("list-start"), 2);
      const retried = s.requests.filter((r) => r.query.continue !== undefined).slice(-2);
      assert.deepEqual(retried.map((r) => r.status), [429, 200]);
      assert.equal(retried[0]?.query.continue, retried[1]?.query.continue);
    },
  );
});

Deno.test("the idle timer aborts a silent watch and resumes it", async () => {
  await withListWatch({ lw: { idleTimeoutMs: 300 } }, async ({ server, rec, lists }) => {
    await waitUntil(() => server.openWatches === 1, "the watch");
    server.stallWatches = true;
    server.upsert("secrets", secret("ns", "unseen-while-stalled"));
    await waitUntil(() => rec.count("transport watch_flapped") >= 1, "the idle timeout");
    assert.ok(rec.errors.some((e) => e instanceof IdleTimeoutError));
    server.stallWatches = false;
    await waitUntil(() => rec.log.includes("ADDED unseen-while-stalled"), "the replayed event");
    assert.equal(lists(), 2);
  });
});

Deno.test("TLS with a CA, client certificate and bearer token from a generated kubeconfig", async () => {
  const pki = await generateTestPki();
  const server = KubeApiServer.start({
    token: "t0ken",
    tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca },
  });
  const dir = await Deno.makeTempDir();
  const clients: KubeClient[] = [];
  try {
    server.upsert("secrets", secret("ns", "tls"));
    await server.writeKubeconfig(`${dir}/good`, {
      clientCert: pki.clientCert,
      clientKey: pki.clientKey,
    });
    await server.writeKubeconfig(`${dir}/bad`, { token: "wrong" });
    const good = KubeClient.fromKubeconfig({ maxFileBytes: 1 << 20, kubeconfig: `${dir}/good` });
    const bad = KubeClient.fromKubeconfig({ maxFileBytes: 1 << 20, kubeconfig: `${dir}/bad` });
    clients.push(good, bad);
    assert.match(good.server, /^https:\/\/127\.0\.0\.1:/);
    const res = await good.get("/api/v1/secrets", {}, new AbortController().signal);
    assert.deepEqual((await res.json()).items.map((o: KubeObject) => o.metadata.name), ["tls"]);
    await assert.rejects(() => bad.get("/api/v1/secrets", {}, new AbortController().signal), {
      name: "KubeHttpError",
      status: 401,
    });
    const target = loadKubeconfig({ maxFileBytes: 1 << 20, kubeconfig: `${dir}/good` });
    assert.match(target.certPem ?? "", /BEGIN CERTIFICATE/);
  } finally {
    for (const c of clients) c.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
