import assert from "node:assert/strict";
import { makeCert, type TestCert } from "./testing/certs.ts";
import { namespace, secret, withSource } from "./testing/kube_source_harness.ts";

const TLS = "secrets:\n  types: [{ type: kubernetes.io/tls, key: tls.crt }]";
let certs: TestCert[];
async function serials(): Promise<TestCert[]> {
  certs ??= await Promise.all([1, 2, 3, 4].map((n) => makeCert({ serial: `0${n}` })));
  return certs;
}

Deno.test("KubernetesSource: rotation replaces a Secret's series and deletion removes it", async () => {
  const [c1, c2] = await serials();
  await withSource(
    TLS,
    (s) => s.upsert("secrets", secret("app", "web", { "tls.crt": c1!.pem, "tls.key": "x" })),
    async (h) => {
      assert.deepEqual(h.view(), { "secret/app/web/tls.crt": ["1"] });
      assert.equal(h.state().up, true);
      h.server.upsert("secrets", secret("app", "web", { "tls.crt": c2!.pem }));
      await h.until(() => h.view()["secret/app/web/tls.crt"]?.[0] === "2", "rotation");
      h.server.delete("secrets", "app", "web");
      await h.until(() => Object.keys(h.view()).length === 0, "deletion");
      const loc = h.store.sources().next().value;
      assert.ok(loc);
    },
  );
});

Deno.test("KubernetesSource: a Secret and a ConfigMap with the same name stay apart", async () => {
  const [c1, c2] = await serials();
  const yaml = `${TLS}\nconfigMaps:\n  keyPatterns: ['^ca\\.crt$']`;
  await withSource(yaml, (s) => {
    s.upsert("secrets", secret("app", "same", { "tls.crt": c1!.pem }));
    s.upsert("configmaps", {
      metadata: { name: "same", namespace: "app" },
      data: { "ca.crt": c2!.pem, "other": "x" },
    });
  }, (h) => {
    assert.deepEqual(h.view(), {
      "secret/app/same/tls.crt": ["1"],
      "configmap/app/same/ca.crt": ["2"],
    });
    const cm = h.store.get({ kind: "kubernetes", name: "k8s" }, "configmap/app/same/ca.crt");
    assert.deepEqual(cm?.location, {
      configmapNamespace: "app",
      configmapName: "same",
      configmapKey: "ca.crt",
    });
  });
});

Deno.test("KubernetesSource: excluded namespaces and Secrets never appear, by name, glob and label", async () => {
  const [c1] = await serials();
  const yaml = `namespaces: { exclude: [kube-*, secret-ns], excludeLabels: [skip=true] }
secrets:
  exclude: [internal-*]
  excludeLabels: [hide]
  types: [{ type: kubernetes.io/tls, key: tls.crt }]`;
  await withSource(yaml, (s) => {
    for (const ns of ["app", "kube-system", "secret-ns", "skipped"]) {
      s.upsert("namespaces", namespace(ns, ns === "skipped" ? { skip: "true" } : {}));
    }
    for (const ns of ["app", "kube-system", "secret-ns", "skipped"]) {
      s.upsert("secrets", secret(ns, "web", { "tls.crt": c1!.pem }));
    }
    s.upsert("secrets", secret("app", "internal-ca", { "tls.crt": c1!.pem }));
    s.upsert("secrets", secret("app", "hidden", { "tls.crt": c1!.pem }, { labels: { hide: "1" } }));
  }, async (h) => {
    assert.deepEqual(Object.keys(h.view()), ["secret/app/web/tls.crt"]);
    const lists = h.server.requests.filter((r) => r.verb === "list" && r.resource === "secrets");
    assert.ok(
      lists.every((r) => r.query.labelSelector === "!hide"),
      "label rules go to the server",
    );
    assert.ok(
      lists.every((r) => !r.items.includes("app/hidden")),
      "the server filtered the labelled Secret",
    );
    // A namespace that loses its exclusion label is re-evaluated at once, not at the next resync.
    h.server.upsert("namespaces", namespace("skipped", {}));
    await h.until(() => "secret/skipped/web/tls.crt" in h.view(), "namespace label change");
    h.server.upsert("namespaces", namespace("app", { skip: "true" }));
    await h.until(
      () => !("secret/app/web/tls.crt" in h.view()),
      "namespace excluded by a new label",
    );
  });
});

Deno.test("KubernetesSource: a type field selector keeps Helm releases and tokens on the server", async () => {
  const [c1] = await serials();
  await withSource(TLS, (s) => {
    s.upsert("secrets", secret("app", "web", { "tls.crt": c1!.pem }));
    s.upsert(
      "secrets",
      secret("app", "sh.helm.release.v1.web.v1", { release: "x".repeat(50_000) }, {
        type: "helm.sh/release.v1",
      }),
    );
    s.upsert(
      "secrets",
      secret("app", "token", { token: "abc" }, { type: "kubernetes.io/service-account-token" }),
    );
  }, async (h) => {
    h.server.upsert(
      "secrets",
      secret("app", "sh.helm.release.v1.web.v2", { release: "y" }, { type: "helm.sh/release.v1" }),
    );
    h.server.upsert("secrets", secret("app", "web2", { "tls.crt": c1!.pem }));
    await h.until(() => "secret/app/web2/tls.crt" in h.view(), "watch event");
    const sent = h.server.requests.filter((r) => r.resource === "secrets").flatMap((r) => r.items);
    assert.ok(sent.includes("app/web"));
    assert.deepEqual(sent.filter((k) => k.includes("helm") || k.includes("token")), []);
    assert.ok(
      h.server.requests.filter((r) => r.resource === "secrets").every((r) =>
        r.query.fieldSelector === "type=kubernetes.io/tls"
      ),
    );
  });
});

Deno.test("KubernetesSource: literal namespaces get one namespace-scoped LIST+WATCH each", async () => {
  const [c1, c2] = await serials();
  await withSource(`namespaces: { include: [team-a, team-b] }\n${TLS}`, (s) => {
    s.upsert("secrets", secret("team-a", "web", { "tls.crt": c1!.pem }));
    s.upsert("secrets", secret("team-b", "web", { "tls.crt": c2!.pem }));
    s.upsert("secrets", secret("team-c", "web", { "tls.crt": c2!.pem }));
  }, async (h) => {
    await h.until(() => h.server.openWatches === 2, "two watches");
    assert.deepEqual(Object.keys(h.view()).sort(), [
      "secret/team-a/web/tls.crt",
      "secret/team-b/web/tls.crt",
    ]);
    const paths = new Set(
      h.server.requests.filter((r) => r.resource === "secrets").map((r) => r.path),
    );
    assert.deepEqual([...paths].sort(), [
      "/api/v1/namespaces/team-a/secrets",
      "/api/v1/namespaces/team-b/secrets",
    ]);
    assert.match(await h.metric("x509_kube_informer_scope"), /scope="namespace"} 1/);
  });
});

Deno.test("KubernetesSource: a dropped watch resumes without a re-LIST; 410 Gone re-lists exactly once", async () => {
  const [c1, c2, c3] = await serials();
  await withSource(
    TLS,
    (s) => s.upsert("secrets", secret("app", "a", { "tls.crt": c1!.pem })),
    async (h) => {
      const lists = () =>
        h.server.requests.filter((r) => r.verb === "list" && r.resource === "secrets").length;
      await h.until(() => h.server.openWatches === 1, "watch");
      assert.equal(lists(), 1);
      h.server.dropWatches();
      h.server.upsert("secrets", secret("app", "b", { "tls.crt": c2!.pem }));
      await h.until(() => "secret/app/b/tls.crt" in h.view(), "event after the drop");
      assert.equal(lists(), 1, "resumed from the last resourceVersion, no LIST");
      // Fall behind the compaction horizon: the next watch gets 410 Gone.
      h.server.stallWatches = true;
      h.server.upsert("secrets", secret("app", "c", { "tls.crt": c3!.pem }));
      h.server.delete("secrets", "app", "a");
      h.server.compact();
      h.server.dropWatches();
      h.server.stallWatches = false;
      await h.until(
        () => "secret/app/c/tls.crt" in h.view() && !("secret/app/a/tls.crt" in h.view()),
        "state after the re-LIST",
      );
      assert.equal(lists(), 2);
      assert.match(await h.metric("x509_kube_watch_resyncs_total"), /resource="secrets"} 1/);
    },
  );
});

Deno.test("KubernetesSource: keeps serving through an API outage, reports it, and recovers", async () => {
  const [c1, c2] = await serials();
  await withSource(
    TLS,
    (s) => s.upsert("secrets", secret("app", "a", { "tls.crt": c1!.pem })),
    async (h) => {
      await h.until(() => h.server.openWatches === 1, "watch");
      h.server.failNext(6, { status: 503 });
      h.server.dropWatches();
      await h.until(() => !h.state().up, "source down");
      assert.deepEqual(
        h.view(),
        { "secret/app/a/tls.crt": ["1"] },
        "last known certificates are kept",
      );
      // Counted as upstream: on the kube-api pseudo-source, with the real status.
      assert.ok((h.store.apiErrors.get("http_503") ?? 0) >= 1);
      assert.match(
        await h.metric("x509_kube_transport_errors_total"),
        /reason="watch_start_failed"} [1-9]/,
      );
      h.server.upsert("secrets", secret("app", "b", { "tls.crt": c2!.pem }));
      await h.until(() => h.state().up && "secret/app/b/tls.crt" in h.view(), "recovery");
    },
  );
});

Deno.test("KubernetesSource: 429 with Retry-After counts as rate_limited", async () => {
  await withSource(TLS, (s) => s.throttleNext(1, 1, (r) => r.verb === "list"), async (h) => {
    await h.until(() => h.state().up, "up after the retry");
    assert.equal(h.store.apiErrors.get("rate_limited"), 1);
  });
});

Deno.test("KubernetesSource: a watched type whose keys match nothing makes no series and no error", async () => {
  await withSource("secrets:\n  types: [{ type: Opaque, keyPatterns: ['\\.crt$'] }]", (s) => {
    s.upsert(
      "secrets",
      secret("app", "creds", { password: "hunter2", "ca.pem": "not matched" }, { type: "Opaque" }),
    );
  }, (h) => {
    assert.deepEqual(h.view(), {});
    assert.equal([...h.state().errors.values()].reduce((a, b) => a + b, 0), 0);
  });
});

Deno.test("KubernetesSource: bad data is an error item; exposed labels are sanitised columns", async () => {
  const [c1] = await serials();
  const yaml =
    `secrets:\n  exposeLabels: [app.kubernetes.io/name]\n  types: [{ type: "", keyPatterns: ['\\.crt$'] }]`;
  await withSource(yaml, (s) => {
    s.upsert(
      "secrets",
      secret("app", "web", {
        "tls.crt": c1!.pem,
        "broken.crt": "-----BEGIN CERTIFICATE-----\n@@\n-----END CERTIFICATE-----\n",
      }, { labels: { "app.kubernetes.io/name": "shop" } }),
    );
  }, (h) => {
    assert.deepEqual(h.view(), {
      "secret/app/web/tls.crt": ["1"],
      "secret/app/web/broken.crt": ["bad_pem"],
    });
    const b = h.store.get({ kind: "kubernetes", name: "k8s" }, "secret/app/web/tls.crt");
    assert.deepEqual(b?.location.extraLabels, { "secret_label_app_kubernetes_io_name": "shop" });
    assert.equal(h.state().errors.get("bad_pem"), 1);
  });
});

Deno.test("KubernetesSource: rules of several types get one field-selected stream each", async () => {
  const [c1, c2] = await serials();
  const yaml =
    "secrets:\n  types:\n    - { type: kubernetes.io/tls, key: tls.crt }\n    - { type: Opaque, keyPatterns: ['\\.crt$'] }";
  await withSource(yaml, (s) => {
    s.upsert("secrets", secret("app", "web", { "tls.crt": c1!.pem }));
    s.upsert("secrets", secret("app", "ca", { "ca.crt": c2!.pem }, { type: "Opaque" }));
    s.upsert(
      "secrets",
      secret("app", "sh.helm.release.v1.x.v1", { release: "x" }, { type: "helm.sh/release.v1" }),
    );
  }, (h) => {
    assert.deepEqual(Object.keys(h.view()).sort(), [
      "secret/app/ca/ca.crt",
      "secret/app/web/tls.crt",
    ]);
    const selectors = new Set(
      h.server.requests.filter((r) => r.resource === "secrets").map((r) => r.query.fieldSelector),
    );
    assert.deepEqual([...selectors].sort(), ["type=Opaque", "type=kubernetes.io/tls"]);
    const sent = h.server.requests.filter((r) => r.resource === "secrets").flatMap((r) => r.items);
    assert.equal(sent.some((k) => k.includes("helm")), false);
  });
});
