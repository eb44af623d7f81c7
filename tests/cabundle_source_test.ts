import assert from "node:assert/strict";
import { parseConfig } from "../src/config/load.ts";
import type { CabundleSourceSpec } from "../src/sources/kinds/cabundle.ts";
import { extraLabelNames } from "../src/sources/kinds.ts";
import { epoch, makeCert, type TestCert } from "./testing/certs.ts";
import { eventually, sample, startExporter } from "./testing/exporter_process.ts";
import { KubeApiServer, type KubeObj } from "./testing/kube_api_server.ts";
import { type Harness, withSource as withKubeSource } from "./testing/kube_source_harness.ts";

const MWC = "mutatingwebhookconfigurations";
const VWC = "validatingwebhookconfigurations";
const SOURCE = { kind: "cabundle", name: "cab" };

/** A webhook configuration; a `null` bundle leaves `caBundle` out altogether. */
function webhooks(
  name: string,
  hooks: Record<string, string | null>,
  labels: Record<string, string> = {},
): KubeObj {
  return {
    metadata: { name, labels },
    webhooks: Object.entries(hooks).map(([hook, ca]) => ({
      name: hook,
      clientConfig: {
        service: { namespace: "x", name: "svc" },
        ...(ca === null ? {} : { caBundle: ca }),
      },
    })),
  };
}

const b64 = (pem: string) => btoa(pem);

/** Every resource is off by default (as upstream); the tests watch the admission webhooks. */
const WEBHOOKS = "  resources: { mutating: true, validating: true }";

/** The cabundle source under test, on the test API server, webhooks on unless `yaml` says. */
function withSource(
  yaml: string,
  seed: (s: KubeApiServer) => void,
  fn: (h: Harness) => void | Promise<void>,
) {
  const config = yaml.includes("resources:")
    ? yaml
    : yaml.startsWith("cabundles:")
    ? yaml.replace("cabundles:", `cabundles:\n${WEBHOOKS}`)
    : `cabundles:\n${WEBHOOKS}`;
  return withKubeSource(config, seed, fn, { kind: "cabundle" });
}

let certs: TestCert[];
async function serials(): Promise<TestCert[]> {
  certs ??= await Promise.all([1, 2, 3].map((n) => makeCert({ serial: `0${n}` })));
  return certs;
}

Deno.test("CabundleSource: one series per webhook entry, labelled with kind, name and entry", async () => {
  const [c1, c2] = await serials();
  await withSource("", (s) => {
    s.upsert(
      MWC,
      webhooks("inject", { "a.example.com": b64(c1!.pem), "b.example.com": b64(c2!.pem) }),
    );
    // Same object name in the other kind: a distinct series, never a collision.
    s.upsert(VWC, webhooks("inject", { "a.example.com": b64(c2!.pem) }));
  }, (h) => {
    assert.deepEqual(h.view(), {
      "cabundle/MutatingWebhookConfiguration/inject/a.example.com": ["1"],
      "cabundle/MutatingWebhookConfiguration/inject/b.example.com": ["2"],
      "cabundle/ValidatingWebhookConfiguration/inject/a.example.com": ["2"],
    });
    const b = h.store.get(SOURCE, "cabundle/MutatingWebhookConfiguration/inject/b.example.com");
    assert.deepEqual(b?.location, {
      cabundleResourceKind: "MutatingWebhookConfiguration",
      cabundleResourceName: "inject",
      cabundleEntry: "b.example.com",
    });
    assert.equal(h.state().up, true);
  });
});

Deno.test("CabundleSource: rotation replaces a value, a removed entry and a deleted object lose their series", async () => {
  const [c1, c2, c3] = await serials();
  await withSource("", (s) => {
    s.upsert(MWC, webhooks("inject", { a: b64(c1!.pem), b: b64(c2!.pem) }));
  }, async (h) => {
    h.server.upsert(MWC, webhooks("inject", { a: b64(c3!.pem), b: b64(c2!.pem) }));
    const a = "cabundle/MutatingWebhookConfiguration/inject/a";
    const b = "cabundle/MutatingWebhookConfiguration/inject/b";
    await h.until(() => h.view()[a]?.[0] === "3", "rotation");
    h.server.upsert(MWC, webhooks("inject", { a: b64(c3!.pem) }));
    await h.until(() => !(b in h.view()), "entry removal");
    assert.deepEqual(h.view(), { [a]: ["3"] });
    h.server.delete(MWC, undefined, "inject");
    await h.until(() => Object.keys(h.view()).length === 0, "deletion");
  });
});

Deno.test("CabundleSource: empty or absent caBundle fields make no series and no error", async () => {
  const [c1] = await serials();
  await withSource("", (s) => {
    s.upsert(MWC, webhooks("mixed", { empty: "", absent: null, set: b64(c1!.pem) }));
    s.upsert(VWC, webhooks("url-only", { hook: null }));
  }, (h) => {
    assert.deepEqual(Object.keys(h.view()), ["cabundle/MutatingWebhookConfiguration/mixed/set"]);
    assert.equal([...h.state().errors.values()].reduce((x, y) => x + y, 0), 0);
  });
});

Deno.test("CabundleSource: a malformed caBundle is an error item with its reason", async () => {
  const [c1] = await serials();
  await withSource("", (s) => {
    s.upsert(
      MWC,
      webhooks("broken", {
        base64: "%%% not base64 %%%",
        pem: b64("-----BEGIN CERTIFICATE-----\n@@\n-----END CERTIFICATE-----\n"),
        text: b64("hello"),
        good: b64(c1!.pem),
      }),
    );
  }, (h) => {
    const ref = (e: string) => `cabundle/MutatingWebhookConfiguration/broken/${e}`;
    assert.deepEqual(h.view(), {
      [ref("base64")]: ["decode_failed"],
      [ref("pem")]: ["bad_pem"],
      [ref("text")]: ["no_certificate_found"],
      [ref("good")]: ["1"],
    });
    assert.equal(h.state().errors.get("decode_failed"), 1);
    assert.equal(h.state().errors.get("bad_pem"), 1);
  });
});

Deno.test("CabundleSource: APIService and CRD conversion bundles have an empty entry; webhooks off are never requested", async () => {
  const [c1, c2] = await serials();
  const yaml =
    "cabundles:\n  resources: { mutating: false, validating: false, apiservice: true, crdConversion: true }";
  await withSource(yaml, (s) => {
    s.upsert("apiservices", {
      metadata: { name: "v1beta1.metrics.k8s.io" },
      spec: { caBundle: b64(c1!.pem) },
    });
    s.upsert("apiservices", { metadata: { name: "v1.apps" }, spec: { service: null } });
    s.upsert("customresourcedefinitions", {
      metadata: { name: "widgets.example.com" },
      spec: {
        conversion: { strategy: "Webhook", webhook: { clientConfig: { caBundle: b64(c2!.pem) } } },
      },
    });
    s.upsert("customresourcedefinitions", {
      metadata: { name: "plain.example.com" },
      spec: { conversion: { strategy: "None" } },
    });
    s.upsert(MWC, webhooks("inject", { a: b64(c1!.pem) }));
  }, async (h) => {
    assert.deepEqual(h.view(), {
      "cabundle/APIService/v1beta1.metrics.k8s.io/": ["1"],
      "cabundle/CustomResourceDefinition/widgets.example.com/": ["2"],
    });
    const crd = h.store.get(SOURCE, "cabundle/CustomResourceDefinition/widgets.example.com/");
    assert.deepEqual(crd?.location, {
      cabundleResourceKind: "CustomResourceDefinition",
      cabundleResourceName: "widgets.example.com",
      cabundleEntry: "",
    });
    await h.until(() => h.server.openWatches === 2, "two watches");
    assert.deepEqual([...h.requested()].sort(), ["apiservices", "customresourcedefinitions"]);
    assert.match(
      await h.metric("x509_kube_watch_resyncs_total"),
      /resource="apiservices"} 0[^]*resource="customresourcedefinitions"} 0/,
    );
  });
});

Deno.test("CabundleSource: with the admission webhooks enabled, only they are watched", async () => {
  const [c1] = await serials();
  await withSource("", (s) => {
    s.upsert("apiservices", { metadata: { name: "v1.x" }, spec: { caBundle: b64(c1!.pem) } });
  }, async (h) => {
    await h.until(() => h.server.openWatches === 2, "two watches");
    assert.deepEqual([...h.requested()].sort(), [MWC, VWC]);
    assert.deepEqual(h.view(), {});
    const declared = await h.metric("x509_kube_transport_errors_total");
    assert.doesNotMatch(declared, /apiservices/);
    assert.match(declared, /resource="validatingwebhookconfigurations",reason="list_failed"} 0/);
  });
});

Deno.test("CabundleSource: label rules go to the server, name globs apply here, exposed labels are columns", async () => {
  const [c1] = await serials();
  const yaml = `cabundles:
  include: [keep-*]
  exclude: [keep-not-*]
  excludeLabels: [skip]
  exposeLabels: [app.kubernetes.io/name]`;
  await withSource(yaml, (s) => {
    const ca = { hook: b64(c1!.pem) };
    s.upsert(MWC, webhooks("keep-me", ca, { "app.kubernetes.io/name": "istio" }));
    s.upsert(MWC, webhooks("keep-not-this", ca));
    s.upsert(MWC, webhooks("other", ca));
    s.upsert(MWC, webhooks("keep-skipped", ca, { skip: "yes" }));
  }, async (h) => {
    assert.deepEqual(Object.keys(h.view()), ["cabundle/MutatingWebhookConfiguration/keep-me/hook"]);
    const b = h.store.get(SOURCE, "cabundle/MutatingWebhookConfiguration/keep-me/hook");
    assert.deepEqual(b?.location.extraLabels, { cabundle_label_app_kubernetes_io_name: "istio" });
    const lists = h.server.requests.filter((r) => r.verb === "list");
    assert.ok(lists.length >= 2 && lists.every((r) => r.query.labelSelector === "!skip"));
    assert.ok(lists.every((r) => !r.items.includes("keep-skipped")), "filtered by the server");
    // An object that gains an excluded label leaves the watch, and its series go with it.
    h.server.upsert(MWC, webhooks("keep-me", { hook: b64(c1!.pem) }, { skip: "now" }));
    await h.until(() => Object.keys(h.view()).length === 0, "relabelled object dropped");
  });
});

Deno.test("CabundleSource: a failing stream holds the source down, not readiness; it recovers", async () => {
  const [c1] = await serials();
  let failing = true;
  await withSource("", (s) => {
    s.failNext(1_000_000, { status: 403, match: (r) => failing && r.resource === VWC });
    s.upsert(MWC, webhooks("inject", { a: b64(c1!.pem) }));
  }, async (h) => {
    assert.equal(h.state().up, false);
    assert.deepEqual(Object.keys(h.view()), ["cabundle/MutatingWebhookConfiguration/inject/a"]);
    assert.ok((h.store.apiErrors.get("http_403") ?? 0) >= 1);
    assert.match(
      await h.metric("x509_kube_transport_errors_total"),
      /resource="validatingwebhookconfigurations",reason="list_failed"} [1-9]/,
    );
    failing = false;
    await h.until(() => h.state().up, "recovery");
  });
});

Deno.test("parseConfig() fills cabundle defaults, and exposeLabels become label columns", () => {
  const { config } = parseConfig(
    "sources:\n  - kind: cabundle\n    name: c\n" +
      "    cabundles: { resources: { validating: true }, exposeLabels: [team] }\n",
    "c.yaml",
  );
  const s = config.sources[0] as CabundleSourceSpec;
  // Every resource is off unless asked for, as upstream: each one needs its own RBAC grant.
  assert.deepEqual(s.cabundles.resources, {
    mutating: false,
    validating: true,
    apiservice: false,
    crdConversion: false,
  });
  assert.equal(s.refreshInterval, 30 * 60_000);
  assert.equal(s.listPageSize, 500);
  assert.deepEqual(extraLabelNames(config.sources), ["cabundle_label_team"]);
});

Deno.test("e2e: the exporter process wires a cabundle source into /metrics with its label columns", async () => {
  const [c1] = await serials();
  const server = KubeApiServer.start({ bookmarkIntervalMs: 100 });
  const dir = await Deno.makeTempDir({ prefix: "x509-cabundle-e2e-" });
  try {
    await server.writeKubeconfig(`${dir}/kubeconfig`);
    server.upsert(MWC, webhooks("inject", { "a.example.com": b64(c1!.pem) }, { team: "mesh" }));
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `server: { listen: "127.0.0.1:0" }
sources:
  - kind: cabundle
    name: cab
    kubeconfig: kubeconfig
    cabundles: { resources: { mutating: true, validating: true }, exposeLabels: [team] }
`,
    );
    const exporter = await startExporter(["--config", `${dir}/config.yaml`]);
    try {
      const labels = {
        cabundle_resource_kind: "MutatingWebhookConfiguration",
        cabundle_resource_name: "inject",
        cabundle_entry: "a.example.com",
        cabundle_label_team: "mesh",
      };
      const body = await eventually(
        async () => {
          const text = await exporter.metrics();
          return sample(text, "x509_cert_not_after", labels) === undefined ? undefined : text;
        },
        10_000,
        "the webhook's series",
      );
      assert.equal(sample(body, "x509_cert_not_after", labels), epoch(c1!.notAfter));
      assert.equal(sample(body, "x509_source_up", { source_kind: "cabundle" }), 1);
      assert.equal(
        sample(body, "x509_kube_watch_resyncs_total", {
          resource: "validatingwebhookconfigurations",
        }),
        0,
      );
    } finally {
      await exporter.stop();
    }
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
