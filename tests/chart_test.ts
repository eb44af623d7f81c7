import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  CHART,
  example,
  exporterConfigs,
  hasCommand,
  type K8sObject,
  ofKind,
  one,
  podSpecs,
  render,
  renderRaw,
  ROOT,
} from "./chart/_render.ts";

const HAS_GO = hasCommand("go");
if (!HAS_GO) console.warn("SKIPPED chart tests: `go` is not installed (apt-get install golang-go)");
const EXAMPLES = [...Deno.readDirSync(`${CHART}/examples`)].map((e) =>
  e.name.replace(/\.yaml$/, "")
)
  .sort();

function chartTest(name: string, fn: () => Promise<void>) {
  Deno.test({ name, ignore: !HAS_GO, fn });
}

function rulesOf(objs: K8sObject[]): K8sObject[] {
  return one(objs, "ClusterRole", "-secrets").rules;
}

chartTest("chart renders the default values and every example as valid objects", async () => {
  assert.ok(EXAMPLES.length >= 8, `Only ${EXAMPLES.length} examples`);
  for (const name of EXAMPLES) {
    const objs = await render(example(name));
    assert.ok(objs.length > 0, name);
    for (const o of objs) {
      assert.ok(o.apiVersion && o.kind && o.metadata?.name, `${name}: ${o.kind}`);
    }
  }
  const kinds = (await render()).map((o) => o.kind).sort();
  assert.deepStrictEqual(kinds, [
    "ClusterRole",
    "ClusterRoleBinding",
    "ConfigMap",
    "Deployment",
    "PrometheusRule",
    "Service",
    "ServiceAccount",
    "ServiceMonitor",
  ]);
});

chartTest("ClusterRole grants only what the enabled sources read", async () => {
  assert.deepStrictEqual(rulesOf(await render()), [
    { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
  ]);
  const rules = rulesOf(await render(example("configmaps-labels")));
  assert.deepStrictEqual(rules.map((r) => r.resources[0]), ["secrets", "configmaps", "namespaces"]);
  for (const r of rules) assert.deepStrictEqual(r.verbs, ["get", "list", "watch"]);
  // Globs cannot be listed as Roles: they stay cluster-wide, still without namespaces.
  const glob = await render(["--set", "secretsExporter.includeNamespaces=[team-*]"]);
  assert.deepStrictEqual(rulesOf(glob).map((r) => r.resources[0]), ["secrets"]);
  assert.deepStrictEqual(ofKind(glob, "Role"), []);
});

chartTest("literal namespaces get one Role and RoleBinding each, no ClusterRole", async () => {
  const objs = await render(example("namespaced-literal-namespaces"));
  assert.deepStrictEqual(ofKind(objs, "ClusterRole"), []);
  assert.deepStrictEqual(ofKind(objs, "ClusterRoleBinding"), []);
  const roles = ofKind(objs, "Role");
  assert.deepStrictEqual(roles.map((r) => r.metadata.namespace), ["ingress", "cert-manager"]);
  for (const r of roles) {
    assert.deepStrictEqual(r.rules, [{
      apiGroups: [""],
      resources: ["secrets"],
      verbs: ["get", "list", "watch"],
    }]);
  }
  const bindings = ofKind(objs, "RoleBinding");
  assert.deepStrictEqual(bindings.length, 2);
  const sa = one(objs, "ServiceAccount", "-secrets").metadata;
  for (const b of bindings) {
    assert.deepStrictEqual(b.subjects, [{
      kind: "ServiceAccount",
      name: sa.name,
      namespace: sa.namespace,
    }]);
  }
  // A namespace label rule needs cluster-wide namespace reads again.
  const labelled = await render([
    ...example("namespaced-literal-namespaces"),
    "--set",
    "secretsExporter.includeNamespaceLabels=[team]",
  ]);
  assert.deepStrictEqual(ofKind(labelled, "Role"), []);
  assert.deepStrictEqual(rulesOf(labelled).map((r) => r.resources[0]), ["secrets", "namespaces"]);
});

const CABUNDLE_RULES = [
  ["admissionregistration.k8s.io", "mutatingwebhookconfigurations"],
  ["admissionregistration.k8s.io", "validatingwebhookconfigurations"],
  ["apiregistration.k8s.io", "apiservices"],
  ["apiextensions.k8s.io", "customresourcedefinitions"],
].map(([group, resource]) => ({
  apiGroups: [group],
  resources: [resource],
  verbs: ["get", "list", "watch"],
}));

chartTest("cabundlesExporter grants get/list/watch on exactly the enabled resources", async () => {
  assert.deepStrictEqual(
    ofKind(await render(), "ClusterRole").map((r) => r.metadata.name),
    ["release-x509-certificate-exporter-secrets"],
    "off by default",
  );
  const all = await render(example("cabundles-webhooks"));
  assert.deepStrictEqual(one(all, "ClusterRole", "-cabundles").rules, CABUNDLE_RULES);
  assert.deepStrictEqual(rulesOf(all), [
    { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
  ], "the Secrets ClusterRole is left as it was");
  const sa = one(all, "ServiceAccount", "-secrets").metadata;
  const binding = one(all, "ClusterRoleBinding", "-cabundles");
  assert.deepStrictEqual(binding.roleRef.name, one(all, "ClusterRole", "-cabundles").metadata.name);
  assert.deepStrictEqual(binding.subjects, [{
    kind: "ServiceAccount",
    name: sa.name,
    namespace: sa.namespace,
  }]);
  assert.deepStrictEqual(
    one(all, "Deployment").spec.template.spec.serviceAccountName,
    sa.name,
  );
  // The upstream defaults: admission webhooks only.
  const defaults = await render(["--set", "cabundlesExporter.enabled=true"]);
  assert.deepStrictEqual(
    one(defaults, "ClusterRole", "-cabundles").rules,
    CABUNDLE_RULES.slice(0, 2),
  );
  const crdOnly = await render([
    "--set",
    "cabundlesExporter.enabled=true",
    "--set",
    "cabundlesExporter.resources.mutating=false",
    "--set",
    "cabundlesExporter.resources.validating=false",
    "--set",
    "cabundlesExporter.resources.crdConversion=true",
  ]);
  assert.deepStrictEqual(one(crdOnly, "ClusterRole", "-cabundles").rules, [CABUNDLE_RULES[3]]);
  // Cluster-scoped objects keep a ClusterRole when Secrets are granted per namespace.
  const namespaced = await render([
    ...example("namespaced-literal-namespaces"),
    "--set",
    "cabundlesExporter.enabled=true",
  ]);
  assert.deepStrictEqual(
    ofKind(namespaced, "ClusterRole").map((r) => r.metadata.name),
    ["release-x509-certificate-exporter-cabundles"],
  );
  assert.deepStrictEqual(ofKind(namespaced, "Role").length, 2);
  const nothing = await renderRaw([
    "--set",
    "cabundlesExporter.enabled=true",
    "--set",
    "cabundlesExporter.resources.mutating=false",
    "--set",
    "cabundlesExporter.resources.validating=false",
  ]);
  assert.deepStrictEqual(nothing.code, 1);
  assert.match(nothing.stderr, /cabundlesExporter.resources enables nothing/);
});

chartTest(
  "cabundlesExporter adds a cabundle source to the Deployment, or runs it alone",
  async () => {
    const sources = (objs: K8sObject[]) => parse([...exporterConfigs(objs).values()][0]!).sources;
    const [secrets, cab] = sources(await render(example("cabundles-webhooks")));
    assert.deepStrictEqual(secrets.kind, "kubernetes");
    assert.deepStrictEqual(cab, {
      kind: "cabundle",
      name: "cluster-cabundles",
      refreshInterval: "30m",
      cabundles: {
        resources: { mutating: true, validating: true, apiservice: true, crdConversion: true },
        include: [],
        exclude: ["*-canary"],
        includeLabels: [],
        excludeLabels: ["example.com/ignore=true"],
        exposeLabels: ["app.kubernetes.io/managed-by"],
      },
    });
    const alone = await render([
      ...example("cabundles-webhooks"),
      "--set",
      "secretsExporter.enabled=false",
      "--set",
      "secretsExporter.kubeApiRateLimits.enabled=true",
      "--set",
      "cabundlesExporter.listPageSize=200",
    ]);
    assert.deepStrictEqual(ofKind(alone, "Deployment").length, 1);
    assert.deepStrictEqual(ofKind(alone, "ClusterRole").map((r) => r.metadata.name), [
      "release-x509-certificate-exporter-cabundles",
    ]);
    const [only, ...rest] = sources(alone);
    assert.deepStrictEqual(rest, []);
    assert.deepStrictEqual(only.kind, "cabundle");
    assert.deepStrictEqual(only.listPageSize, 200);
    assert.deepStrictEqual(only.rateLimit, { qps: 5, burst: 10 });
  },
);

chartTest(
  "every pod meets Pod Security Admission restricted, hostPath mounts read-only",
  async () => {
    for (const name of EXAMPLES) {
      for (const [workload, spec] of podSpecs(await render(example(name)))) {
        const where = `${name}/${workload}`;
        assert.deepStrictEqual(
          spec.securityContext.seccompProfile,
          { type: "RuntimeDefault" },
          where,
        );
        for (const c of spec.containers) {
          const sc = c.securityContext;
          assert.deepStrictEqual(sc.allowPrivilegeEscalation, false, where);
          assert.deepStrictEqual(sc.readOnlyRootFilesystem, true, where);
          assert.deepStrictEqual(sc.capabilities, { drop: ["ALL"] }, where);
          assert.ok(!sc.privileged, where);
          // Only the documented kubeadm control-plane override runs as root.
          const root = name === "daemonsets-kubeadm" && workload.endsWith("-control-plane");
          assert.deepStrictEqual(sc.runAsNonRoot, !root, where);
          assert.deepStrictEqual(sc.runAsUser, root ? 0 : 65534, where);
          for (const m of c.volumeMounts) {
            assert.deepStrictEqual(
              m.readOnly,
              true,
              `${where} ${m.name}`,
            );
          }
        }
      }
    }
  },
);

chartTest(
  "probes hit /healthz and /readyz on 9793, or the probe listener with a web config",
  async () => {
    const spec = podSpecs(await render())[0]![1];
    const c = spec.containers[0];
    assert.deepStrictEqual(c.ports, [{ name: "metrics", containerPort: 9793, protocol: "TCP" }]);
    assert.deepStrictEqual(c.livenessProbe.httpGet, { path: "/healthz", port: "metrics" });
    assert.deepStrictEqual(c.readinessProbe.httpGet, { path: "/readyz", port: "metrics" });

    const objs = await render(example("web-config-basic-auth"));
    const web = podSpecs(objs)[0]![1];
    const wc = web.containers[0];
    assert.deepStrictEqual(wc.livenessProbe.httpGet.port, "probes");
    assert.deepStrictEqual(wc.readinessProbe.httpGet.port, "probes");
    assert.ok(wc.ports.some((p: K8sObject) => p.name === "probes" && p.containerPort === 9794));
    const secret = one(objs, "Secret", "-webconfig");
    assert.match(secret.stringData["webconfig.yaml"], /basic_auth_users:/);
    assert.deepStrictEqual(
      web.volumes.find((v: K8sObject) => v.name === "webconfig").secret.secretName,
      secret.metadata.name,
    );
    const cfg = parse([...exporterConfigs(objs).values()][0]!);
    assert.deepStrictEqual(cfg.server, {
      listen: ":9793",
      webConfigFile: "/etc/x509-certificate-exporter-web/webconfig.yaml",
      probeListen: ":9794",
    });
    const endpoint = one(objs, "ServiceMonitor").spec.endpoints[0];
    assert.deepStrictEqual(endpoint.basicAuth.username.name, "x509-scrape-credentials");
  },
);

chartTest("the Service is headless by default and selects every exporter pod", async () => {
  const objs = await render(example("daemonsets-kubeadm"));
  const svc = one(objs, "Service").spec;
  assert.deepStrictEqual(svc.clusterIP, "None");
  assert.deepStrictEqual(svc.ports, [{
    name: "metrics",
    port: 9793,
    targetPort: "metrics",
    protocol: "TCP",
  }]);
  for (const ds of ofKind(objs, "DaemonSet")) {
    const labels = ds.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(svc.selector)) assert.deepStrictEqual(labels[k], v);
  }
  const plain = one(await render(["--set", "service.headless=false"]), "Service").spec;
  assert.deepStrictEqual(plain.clusterIP, undefined);
});

chartTest("the config checksum rolls pods only when the generated config changes", async () => {
  const sum = async (args: string[]) =>
    one(await render(args), "Deployment").spec.template.metadata.annotations["checksum/config"];
  const base = await sum([]);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.deepStrictEqual(await sum([]), base);
  assert.deepStrictEqual(await sum(["--set", "service.port=8080"]), base);
  assert.notStrictEqual(await sum(["--set", "secretsExporter.debugMode=true"]), base);
  assert.notStrictEqual(await sum(["--set", "exposeNotBeforeMetric=true"]), base);
});

chartTest("image references: tag from appVersion, suffix, digest precedence", async () => {
  const image = async (args: string[]) => podSpecs(await render(args))[0]![1].containers[0].image;
  assert.deepStrictEqual(await image([]), "ghcr.io/enix/x509-certificate-exporter:4.0.0");
  assert.deepStrictEqual(
    await image(example("busybox-suffix")),
    "docker.io/enix/x509-certificate-exporter:4.0.0-busybox",
  );
  assert.deepStrictEqual(
    await image(example("digest-image")),
    "quay.io/enix/x509-certificate-exporter@sha256:0d4b0ac1ec4bd0f2a0d3d8fa4bd2b0d0b37c0a5e0fd5c7ee0c1b1e7a6f3a9c21",
  );
  assert.deepStrictEqual(
    await image(["--set", "image.tag=v9", "--set", "image.registry="]),
    "enix/x509-certificate-exporter:v9",
  );
  const pull = podSpecs(await render(example("busybox-suffix")))[0]![1].imagePullSecrets;
  assert.deepStrictEqual(pull, [{ name: "registry-credentials" }]);
});

chartTest(
  "kubeadm DaemonSets mount parent dirs under /mnt/host and map symlink targets",
  async () => {
    const objs = await render(example("daemonsets-kubeadm"));
    assert.deepStrictEqual(ofKind(objs, "Deployment"), []);
    assert.deepStrictEqual(ofKind(objs, "ClusterRole"), []);
    const [cp, workers] = ["-control-plane", "-workers"].map((s) => one(objs, "DaemonSet", s));
    const cpSpec = cp!.spec.template.spec;
    assert.deepStrictEqual(cpSpec.nodeSelector, { "node-role.kubernetes.io/control-plane": "" });
    assert.deepStrictEqual(cpSpec.tolerations[0].key, "node-role.kubernetes.io/control-plane");
    assert.deepStrictEqual(cpSpec.automountServiceAccountToken, false);
    const hostPaths = cpSpec.volumes.filter((v: K8sObject) => v.hostPath).map((v: K8sObject) =>
      v.hostPath
    );
    // /etc/kubernetes (kubeconfigs' parent) already covers /etc/kubernetes/pki{,/etcd}.
    assert.deepStrictEqual(hostPaths, [
      { path: "/etc/kubernetes", type: "Directory" },
      { path: "/var/lib/kubelet/pki", type: "Directory" },
    ]);
    const mounts = cpSpec.containers[0].volumeMounts.map((m: K8sObject) => m.mountPath);
    assert.deepStrictEqual(mounts.slice(1), [
      "/mnt/host/etc/kubernetes",
      "/mnt/host/var/lib/kubelet/pki",
    ]);
    assert.deepStrictEqual(workers!.spec.template.spec.containers[0].resources.limits, {
      memory: "96Mi",
    });
    assert.deepStrictEqual(
      one(
        await render(["--set", "hostPathsExporter.daemonSets.n.watchFiles=[/a/b.pem]"]),
        "DaemonSet",
      )
        .spec.template.spec.containers[0].resources,
      { limits: { cpu: 1, memory: "128Mi" }, requests: { cpu: "10m", memory: "80Mi" } },
    );

    const cfg = parse(exporterConfigs(objs).get(cp!.metadata.name)!);
    const [files, kubeconfigs] = cfg.sources;
    assert.deepStrictEqual(files.kind, "file");
    assert.ok(files.paths.includes("/mnt/host/var/lib/kubelet/pki/kubelet-client-current.pem"));
    assert.ok(files.paths.includes("/mnt/host/etc/kubernetes/pki"));
    assert.deepStrictEqual(files.pathMappings, [
      { from: "/etc/kubernetes", to: "/mnt/host/etc/kubernetes" },
      { from: "/var/lib/kubelet/pki", to: "/mnt/host/var/lib/kubelet/pki" },
    ]);
    assert.deepStrictEqual(kubeconfigs.kind, "kubeconfig");
    assert.deepStrictEqual(kubeconfigs.paths[0], "/mnt/host/etc/kubernetes/admin.conf");
    assert.deepStrictEqual(cfg.metrics.trimPathComponents, 2);
    const sa = one(objs, "ServiceAccount", "-hostpaths");
    assert.deepStrictEqual(sa.automountServiceAccountToken, false);
  },
);

chartTest("secret, PKCS#12, ConfigMap and label values map onto the exporter config", async () => {
  const src = (objs: K8sObject[]) => parse([...exporterConfigs(objs).values()][0]!).sources[0];
  const p12 = src(await render(example("pkcs12-secrets")));
  assert.deepStrictEqual(p12.rateLimit, { qps: 20, burst: 30 });
  assert.deepStrictEqual(p12.listPageSize, 100);
  assert.deepStrictEqual(p12.secrets.types[1], {
    type: "Opaque",
    keyPatterns: ["^.*\\.crt$"],
    format: "pem",
  });
  assert.deepStrictEqual(p12.secrets.types[2].pkcs12, { passphraseKey: "keystore-passphrase" });
  assert.deepStrictEqual(p12.secrets.types[4].jks, { tryEmptyPassphrase: true });
  assert.deepStrictEqual(p12.configMaps, undefined);

  const cm = src(await render(example("configmaps-labels")));
  assert.deepStrictEqual(cm.configMaps.keyPatterns, ["^ca\\.crt$", "^bundle\\.pem$"]);
  assert.deepStrictEqual(cm.configMaps.exposeLabels, ["team"]);
  assert.deepStrictEqual(cm.namespaces.includeLabels, [
    "monitoring.example.com/certificates=enabled",
  ]);
  assert.deepStrictEqual(cm.namespaces.exclude, ["kube-*"]);
  assert.deepStrictEqual(cm.secrets.exposeLabels, ["team", "environment"]);
  assert.deepStrictEqual(cm.secrets.excludeLabels, ["example.com/ignore=true"]);

  const filtered = parse(
    [
      ...exporterConfigs(await render(["-f", `${ROOT}tests/chart/values/tuned.good.yaml`]))
        .values(),
    ][0]!,
  );
  assert.deepStrictEqual(filtered.metrics.exposeSubjectFields, ["CN"]);
  assert.deepStrictEqual(filtered.log.format, "json");
});

chartTest("the Grafana dashboard ConfigMap carries the sidecar label and valid JSON", async () => {
  const objs = await render(example("configmaps-labels"));
  const cm = one(objs, "ConfigMap", "-dashboard");
  assert.deepStrictEqual(cm.metadata.labels.grafana_dashboard, "1");
  const dash = JSON.parse(cm.data["x509-certificate-exporter.json"]);
  const exprs = dash.panels.flatMap((p: K8sObject) => p.targets.map((t: K8sObject) => t.expr)).join(
    "\n",
  );
  for (
    const m of [
      "x509_cert_not_after",
      "x509_source_up",
      "x509_source_errors_total",
      "x509_crl_next_update",
    ]
  ) {
    assert.ok(exprs.includes(m), m);
  }
  assert.deepStrictEqual(
    one(objs, "ServiceMonitor").metadata.labels.release,
    "kube-prometheus-stack",
  );
});

chartTest("PodMonitor replaces the ServiceMonitor, and both at once is refused", async () => {
  const objs = await render([
    "--set",
    "prometheusPodMonitor.create=true",
    "--set",
    "prometheusServiceMonitor.create=false",
  ]);
  assert.deepStrictEqual(ofKind(objs, "ServiceMonitor"), []);
  assert.deepStrictEqual(one(objs, "PodMonitor").spec.podMetricsEndpoints[0].port, "metrics");
  const both = await renderRaw(["--set", "prometheusPodMonitor.create=true"]);
  assert.deepStrictEqual(both.code, 1);
  assert.match(both.stderr, /exclusive/);
});

chartTest(
  "values fixtures: *.good.yaml render, *.bad.yaml fail with the expected paths",
  async () => {
    const dir = `${ROOT}tests/chart/values`;
    let bad = 0;
    for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
      const res = await renderRaw(["-f", `${dir}/${e.name}`]);
      if (e.name.endsWith(".good.yaml")) {
        assert.deepStrictEqual(res.code, 0, `${e.name}: ${res.stderr}`);
        continue;
      }
      bad++;
      assert.deepStrictEqual(res.code, 1, e.name);
      const expected = [
        ...Deno.readTextFileSync(`${dir}/${e.name}`).matchAll(/^# expect: (.+)$/gm),
      ];
      assert.ok(expected.length > 0, `${e.name} has no "# expect:" line`);
      for (const [, line] of expected) {
        assert.ok(
          res.stderr.includes(`- ${line}`),
          `${e.name}: ${line}\n${res.stderr}`,
        );
      }
    }
    assert.ok(bad >= 4);
  },
);

const MAIN = `${ROOT}main.ts`;
const HAS_MAIN = (() => {
  try {
    return Deno.statSync(MAIN).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "every generated exporter config passes the exporter's --config.check",
  ignore: !HAS_GO || !HAS_MAIN,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "x509-chart-config-" });
    for (const name of EXAMPLES) {
      const objs = await render(example(name));
      // The web config Secret is checked too: the pod's mount path is swapped for a local copy.
      const web = objs.find((o) => o.kind === "Secret" && o.stringData?.["webconfig.yaml"]);
      const webFile = `${dir}/${name}-webconfig.yaml`;
      if (web) await Deno.writeTextFile(webFile, web.stringData["webconfig.yaml"]);
      for (const [cm, original] of exporterConfigs(objs)) {
        const file = `${dir}/${name}-${cm}.yaml`;
        const text = web
          ? original.replace(/webConfigFile: \S+/, `webConfigFile: ${webFile}`)
          : original;
        await Deno.writeTextFile(file, text);
        const res = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--allow-read",
            "--allow-env",
            "--allow-net",
            "--allow-sys",
            MAIN,
            "--config.check",
            "--config",
            file,
          ],
          cwd: ROOT,
        }).output();
        const err = new TextDecoder().decode(res.stderr) + new TextDecoder().decode(res.stdout);
        assert.ok(res.success, `${name}/${cm}: ${err}\n${text}`);
      }
    }
  },
});

async function promtool(args: string[]): Promise<{ ok: boolean; out: string }> {
  const res = await new Deno.Command("promtool", { args }).output();
  const dec = new TextDecoder();
  return { ok: res.success, out: dec.decode(res.stdout) + dec.decode(res.stderr) };
}

/** Writes the rendered rule groups (annotations stripped) beside a copy of rules_test.yaml. */
async function ruleFiles(args: string[]): Promise<{ full: string; test: string }> {
  const dir = await Deno.makeTempDir({ prefix: "x509-chart-rules-" });
  const groups = one(await render(args), "PrometheusRule").spec.groups;
  const full = `${dir}/full.yaml`;
  await Deno.writeTextFile(full, JSON.stringify({ groups }));
  for (const g of groups) for (const r of g.rules) delete r.annotations;
  await Deno.writeTextFile(`${dir}/rules.yaml`, JSON.stringify({ groups }));
  await Deno.copyFile(`${ROOT}tests/chart/rules_test.yaml`, `${dir}/rules_test.yaml`);
  return { full, test: `${dir}/rules_test.yaml` };
}

Deno.test({
  name: "alert rules pass promtool check and fire exactly on the right series",
  ignore: !HAS_GO || !hasCommand("promtool"),
  async fn() {
    const files = await ruleFiles([]);
    const check = await promtool(["check", "rules", files.full]);
    assert.ok(check.ok, check.out);
    assert.match(check.out, /12 rules found/);
    const test = await promtool(["test", "rules", files.test]);
    assert.ok(test.ok, test.out);
    // The unit tests are sharp: a 15-day warning threshold misses the 20-day certificate.
    const shifted = await promtool([
      "test",
      "rules",
      (await ruleFiles(["--set", "prometheusRules.warningDaysLeft=15"])).test,
    ]);
    assert.ok(!shifted.ok);
    assert.match(shifted.out, /CertificateRenewal/);
  },
});
