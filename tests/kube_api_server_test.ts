import assert from "node:assert/strict";
import { generateTestPki, KubeApiServer, type KubeObj } from "./testing/kube_api_server.ts";

function secret(
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
  type = "Opaque",
): KubeObj {
  return { metadata: { name, namespace, labels }, type, data: { "tls.crt": btoa(name) } };
}

/** A server, a kubeconfig for it and a private kubectl discovery cache, torn down together. */
async function withServer(
  fn: (
    s: KubeApiServer,
    kubectl: (...args: string[]) => Promise<string>,
    dir: string,
  ) => Promise<void>,
  opts: Parameters<typeof KubeApiServer.start>[0] = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kube_api_server_test_" });
  const server = KubeApiServer.start(opts);
  await server.writeKubeconfig(`${dir}/kubeconfig`);
  const kubectl = async (...args: string[]) => {
    const out = await new Deno.Command("kubectl", {
      args: ["--kubeconfig", `${dir}/kubeconfig`, "--cache-dir", `${dir}/cache`, ...args],
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    if (!out.success) throw new Error(`kubectl ${args.join(" ")} failed: ${stderr}`);
    return new TextDecoder().decode(out.stdout);
  };
  try {
    await fn(server, kubectl, dir);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Reads newline-delimited watch events until `n` arrived or the stream ended. */
async function readEvents(res: Response, n: number): Promise<{ type: string; object: KubeObj }[]> {
  const events: { type: string; object: KubeObj }[] = [];
  const lines = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (events.length < n) {
    const { value, done } = await lines.read();
    if (done) break;
    buf += value;
    let i;
    while ((i = buf.indexOf("\n")) >= 0 && events.length < n) {
      events.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  }
  await lines.cancel();
  return events;
}

Deno.test("kubectl pages through a chunked LIST and sees every secret", async () => {
  await withServer(async (server, kubectl) => {
    const names = ["a/one", "a/two", "b/three", "b/four", "c/five"];
    for (const n of names) server.upsert("secrets", secret(n.split("/")[0]!, n.split("/")[1]!));
    const out = await kubectl("get", "secrets", "-A", "--chunk-size=2", "-o", "name");
    assert.deepEqual(
      out.trim().split("\n").sort(),
      names.map((n) => `secret/${n.split("/")[1]}`).sort(),
    );
    const lists = server.requests.filter((r) => r.verb === "list" && r.resource === "secrets");
    assert.deepEqual(lists.length, 3);
    assert.deepEqual(lists.filter((r) => r.query.continue).length, 2);
    assert.deepEqual(lists.every((r) => r.query.limit === "2"), true);
    assert.deepEqual(lists.flatMap((r) => r.items).sort(), [...names].sort());
  });
});

Deno.test("kubectl label and field selectors filter on the server", async () => {
  await withServer(async (server, kubectl) => {
    server.upsert("secrets", secret("a", "web", { app: "web", tier: "front" }));
    server.upsert("secrets", secret("a", "db", { app: "db" }));
    server.upsert("secrets", secret("b", "cache", { app: "cache" }, "kubernetes.io/tls"));
    server.upsert("secrets", secret("b", "helm", { owner: "helm" }, "helm.sh/release.v1"));
    const names = async (...args: string[]) =>
      (await kubectl("get", "secrets", "-o", "name", ...args)).trim().split("\n").filter((l) => l)
        .sort();
    assert.deepEqual(await names("-A", "-l", "app in (web,db)"), ["secret/db", "secret/web"]);
    assert.deepEqual(await names("-A", "-l", "app,app notin (db),!tier"), ["secret/cache"]);
    assert.deepEqual(await names("-n", "a", "-l", "app!=web"), ["secret/db"]);
    assert.deepEqual(
      await names("-A", "--field-selector", "type!=helm.sh/release.v1,metadata.namespace==b"),
      [
        "secret/cache",
      ],
    );
    assert.deepEqual(await names("-A", "--field-selector", "metadata.name=helm"), ["secret/helm"]);
    const helm = server.requests.filter((r) => r.query.fieldSelector?.startsWith("type!="));
    assert.deepEqual(helm.flatMap((r) => r.items), ["b/cache"]);
  });
});

Deno.test("kubectl --watch prints ADDED, MODIFIED and DELETED events", async () => {
  await withServer(async (server, _kubectl, dir) => {
    server.upsert("secrets", secret("a", "before"));
    const child = new Deno.Command("kubectl", {
      args: [
        "--kubeconfig",
        `${dir}/kubeconfig`,
        "--cache-dir",
        `${dir}/cache`,
        "get",
        "secrets",
        "-A",
        "--watch",
        "--output-watch-events",
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    // A whole line: kubectl may flush a line in two chunks.
    const waitFor = async (text: string) => {
      while (!new RegExp(`${text}[^\n]*\n`).test(out)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`kubectl ended before printing ${text}: ${out}`);
        out += value;
      }
    };
    try {
      await waitFor("before");
      while (server.openWatches === 0) await new Promise((r) => setTimeout(r, 20));
      server.upsert("secrets", secret("a", "live"));
      server.upsert("secrets", secret("a", "live", { changed: "yes" }));
      server.delete("secrets", "a", "live");
      await waitFor("DELETED");
    } finally {
      child.kill();
      await reader.cancel();
      await child.status;
    }
    const events = out.trim().split("\n").slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(" "));
    assert.deepEqual(events, [
      "ADDED a before",
      "ADDED a live",
      "MODIFIED a live",
      "DELETED a live",
    ]);
  });
});

Deno.test("a paginated LIST is a consistent snapshot at its first page's resourceVersion", async () => {
  await withServer(async (server) => {
    for (const n of ["s1", "s2", "s3", "s4"]) server.upsert("secrets", secret("ns", n));
    const first = await (await fetch(`${server.url}/api/v1/namespaces/ns/secrets?limit=2`)).json();
    server.delete("secrets", "ns", "s3");
    server.upsert("secrets", secret("ns", "s5"));
    server.upsert("secrets", secret("ns", "s4", { changed: "yes" }));
    const token = encodeURIComponent(first.metadata.continue);
    const second =
      await (await fetch(`${server.url}/api/v1/namespaces/ns/secrets?limit=2&continue=${token}`))
        .json();
    assert.deepEqual(second.metadata.resourceVersion, first.metadata.resourceVersion);
    assert.deepEqual(second.items.map((o: KubeObj) => o.metadata.name), ["s3", "s4"]);
    assert.deepEqual(second.items[1].metadata.labels, {});
    assert.deepEqual(second.metadata.continue, undefined);
    assert.deepEqual(first.kind, "SecretList");
  });
});

Deno.test("a continue token answers 410 Expired when forced or past compaction", async () => {
  await withServer(async (server) => {
    for (const n of ["s1", "s2", "s3"]) server.upsert("secrets", secret("ns", n));
    const first = await (await fetch(`${server.url}/api/v1/secrets?limit=1`)).json();
    const next = `${server.url}/api/v1/secrets?limit=1&continue=${
      encodeURIComponent(first.metadata.continue)
    }`;
    server.expireContinueTokens = true;
    const forced = await fetch(next);
    assert.deepEqual([forced.status, (await forced.json()).reason], [410, "Expired"]);
    server.expireContinueTokens = false;
    assert.deepEqual((await (await fetch(next)).json()).items.length, 1);
    server.upsert("secrets", secret("ns", "s4"));
    server.compact();
    const compacted = await fetch(next);
    assert.deepEqual([compacted.status, (await compacted.json()).code], [410, 410]);
  });
});

Deno.test("a watch replays history after its resourceVersion and ends with 410 when compacted", async () => {
  await withServer(async (server) => {
    const rv = server.resourceVersion;
    server.upsert("secrets", secret("ns", "x"));
    server.upsert("secrets", secret("ns", "x", { v: "2" }));
    const replay = await readEvents(
      await fetch(`${server.url}/api/v1/secrets?watch=1&resourceVersion=${rv}`),
      2,
    );
    assert.deepEqual(replay.map((e) => e.type), ["ADDED", "MODIFIED"]);
    server.compact();
    const res = await fetch(`${server.url}/api/v1/secrets?watch=1&resourceVersion=${rv}`);
    assert.deepEqual(res.status, 200);
    const events = await readEvents(res, 5);
    assert.deepEqual(events.length, 1);
    assert.deepEqual(events[0]?.type, "ERROR");
    assert.deepEqual([events[0]?.object.code, events[0]?.object.reason], [410, "Expired"]);
  });
});

Deno.test("a watch turns selector transitions into ADDED and DELETED", async () => {
  await withServer(async (server) => {
    server.upsert("secrets", secret("ns", "x", { keep: "yes" }));
    const res = await fetch(
      `${server.url}/api/v1/namespaces/ns/secrets?watch=1&labelSelector=keep%3Dyes&resourceVersion=${server.resourceVersion}`,
    );
    server.upsert("secrets", secret("other", "y", { keep: "yes" }));
    server.upsert("secrets", secret("ns", "x", { keep: "no" }));
    server.upsert("secrets", secret("ns", "x", { keep: "no", again: "1" }));
    server.upsert("secrets", secret("ns", "x", { keep: "yes" }));
    const events = await readEvents(res, 2);
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.labels?.keep]), [[
      "DELETED",
      "yes",
    ], ["ADDED", "yes"]]);
  });
});

Deno.test("watch bookmarks carry the current resourceVersion and timeoutSeconds ends the stream cleanly", async () => {
  await withServer(async (server) => {
    server.upsert("secrets", secret("ns", "x"));
    const started = Date.now();
    const res = await fetch(
      `${server.url}/api/v1/secrets?watch=1&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${server.resourceVersion}`,
    );
    const events = await readEvents(res, 100);
    assert(Date.now() - started >= 900, "the stream ended before its timeout");
    assert(events.length >= 3, `expected bookmarks every 200 ms, got ${events.length}`);
    assert.deepEqual(new Set(events.map((e) => e.type)), new Set(["BOOKMARK"]));
    assert.deepEqual(events[0]?.object.metadata.resourceVersion, server.resourceVersion);
    assert.deepEqual(server.requests.at(-1)?.ended, "closed");
  }, { bookmarkIntervalMs: 200 });
});

Deno.test("injected faults: 500s by predicate, 429 with Retry-After, dropped and stalled watches", async () => {
  await withServer(async (server) => {
    server.failNext(2, { match: (r) => r.verb === "list" });
    assert.deepEqual((await (await fetch(`${server.url}/api`)).json()).kind, "APIVersions");
    for (const expected of [500, 500, 200]) {
      const res = await fetch(`${server.url}/api/v1/secrets`);
      await res.body?.cancel();
      assert.deepEqual(res.status, expected);
    }
    server.throttleNext(1, 7);
    const throttled = await fetch(`${server.url}/api/v1/configmaps`);
    assert.deepEqual([throttled.status, throttled.headers.get("retry-after")], [429, "7"]);
    assert.deepEqual((await throttled.json()).reason, "TooManyRequests");

    const watch = await fetch(
      `${server.url}/api/v1/secrets?watch=1&resourceVersion=${server.resourceVersion}`,
    );
    const reader = watch.body!.getReader();
    server.upsert("secrets", secret("ns", "x"));
    assert((await reader.read()).value);
    assert.deepEqual(server.dropWatches(), 1);
    await assert.rejects(() => reader.read());
    assert.deepEqual(server.requests.at(-1)?.ended, "dropped");

    server.stallWatches = true;
    server.latencyMs = 50;
    const t0 = Date.now();
    const stalled = await fetch(
      `${server.url}/api/v1/secrets?watch=1&allowWatchBookmarks=true&timeoutSeconds=1`,
    );
    assert(Date.now() - t0 >= 50);
    server.upsert("secrets", secret("ns", "y"));
    assert.deepEqual(await readEvents(stalled, 1), []);
    assert.deepEqual(server.requests.at(-1)?.bytes, 0);
  }, { bookmarkIntervalMs: 100 });
});

Deno.test("over TLS, a bearer token is required and kubectl sends it", async () => {
  const pki = await generateTestPki();
  const tls = { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca };
  await withServer(async (server, kubectl) => {
    assert.match(server.url, /^https:/);
    const client = Deno.createHttpClient({ caCerts: [pki.ca] });
    try {
      const res = await fetch(`${server.url}/api/v1/secrets`, { client });
      assert.deepEqual([res.status, (await res.json()).reason], [401, "Unauthorized"]);
    } finally {
      client.close();
    }
    server.upsert("namespaces", { metadata: { name: "kube-system" } });
    assert.deepEqual(
      (await kubectl("get", "namespaces", "-o", "name")).trim(),
      "namespace/kube-system",
    );
  }, { token: "s3cret", tls });
});

Deno.test("kubectl lists the caBundle-holding resources the cabundle source watches", async () => {
  await withServer(async (server, kubectl) => {
    const caBundle = btoa("not a certificate: kubectl only lists");
    server.upsert("mutatingwebhookconfigurations", {
      metadata: { name: "inject" },
      webhooks: [{ name: "a.example.com", clientConfig: { caBundle } }],
    });
    server.upsert("apiservices", {
      metadata: { name: "v1beta1.metrics.k8s.io" },
      spec: { caBundle },
    });
    server.upsert("customresourcedefinitions", {
      metadata: { name: "widgets.example.com" },
      spec: { conversion: { strategy: "Webhook", webhook: { clientConfig: { caBundle } } } },
    });
    const out = await kubectl("get", "mutatingwebhookconfigurations,apiservices,crd", "-o", "name");
    assert.deepEqual(out.trim().split("\n").sort(), [
      "apiservice.apiregistration.k8s.io/v1beta1.metrics.k8s.io",
      "customresourcedefinition.apiextensions.k8s.io/widgets.example.com",
      "mutatingwebhookconfiguration.admissionregistration.k8s.io/inject",
    ]);
    const json = JSON.parse(await kubectl("get", "mutatingwebhookconfigurations", "-o", "json"));
    assert.deepEqual(json.items[0].webhooks[0].clientConfig.caBundle, caBundle);
  });
});
