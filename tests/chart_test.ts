import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  CHART,
  clusterFile,
  example,
  exporterConfigs,
  hasCommand,
  type K8sObject,
  notes,
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
).sort();
const FULL = "release-x509-certificate-exporter";

function chartTest(name: string, fn: () => Promise<void>) {
  Deno.test({ name, ignore: !HAS_GO, fn });
}

function set(...pairs: string[]): string[] {
  return pairs.flatMap((p) => ["--set", p]);
}

function configOf(objs: K8sObject[], name: string): K8sObject {
  const text = exporterConfigs(objs).get(name);
  assert.ok(text, `no ConfigMap ${name}`);
  return parse(text);
}

chartTest("chart renders the default values and every example as valid objects", async () => {
  assert.ok(EXAMPLES.length >= 10, `Only ${EXAMPLES.length} examples`);
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

chartTest("objects keep upstream's names, labels and immutable selectors", async () => {
  const objs = await render(
    example("daemonsets-kubeadm").concat(set("secretsExporter.enabled=true")),
  );
  const deploy = one(objs, "Deployment");
  assert.deepStrictEqual(deploy.metadata.name, FULL);
  const base = {
    "app.kubernetes.io/name": "x509-certificate-exporter",
    "app.kubernetes.io/instance": "release",
  };
  assert.deepStrictEqual(deploy.spec.selector.matchLabels, {
    ...base,
    "app.kubernetes.io/component": "secrets",
  });
  assert.deepStrictEqual(
    deploy.spec.template.metadata.labels["app.kubernetes.io/component"],
    "secrets",
  );
  assert.deepStrictEqual(deploy.spec.template.spec.serviceAccountName, FULL);
  for (const name of ["control-plane", "workers"]) {
    const ds = one(objs, "DaemonSet", `-${name}`);
    assert.deepStrictEqual(ds.metadata.name, `${FULL}-${name}`);
    assert.deepStrictEqual(ds.spec.selector.matchLabels, {
      ...base,
      "app.kubernetes.io/component": `host-${name}`,
    });
    const labels = ds.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(ds.spec.selector.matchLabels)) {
      assert.deepStrictEqual(labels[k], v);
    }
    assert.deepStrictEqual(ds.spec.template.spec.serviceAccountName, `${FULL}-node`);
    assert.ok(exporterConfigs(objs).has(`${FULL}-${name}`));
  }
  assert.ok(exporterConfigs(objs).has(`${FULL}-secrets`));
  assert.deepStrictEqual(
    ofKind(objs, "ServiceAccount").map((o) => o.metadata.name).sort(),
    [FULL, `${FULL}-node`],
  );
  assert.deepStrictEqual(
    ofKind(objs, "ClusterRole").map((o) => o.metadata.name).sort(),
    [FULL, `${FULL}-node`],
  );
  assert.deepStrictEqual(
    one(objs, "ClusterRole", "-node").rules,
    [],
    "host files need no API access",
  );
  for (const o of objs) {
    assert.deepStrictEqual(o.metadata.labels["helm.sh/chart"], "x509-certificate-exporter-4.2.0");
  }
});

chartTest("extraDeploy templates can use upstream's helper names", async () => {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(
    file,
    `extraDeploy:
  - apiVersion: v1
    kind: Service
    metadata:
      name: '{{ include "x509-certificate-exporter.fullname" . }}-nodes'
      namespace: '{{ include "x509-certificate-exporter.namespace" . }}'
      labels:
        chart: '{{ include "x509-certificate-exporter.chart" . }}'
        sa: '{{ include "x509-certificate-exporter.hostPathsExporterServiceAccountName" . }}'
    spec:
      selector:
        app.kubernetes.io/name: '{{ include "x509-certificate-exporter.name" . }}'
  - |
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: {{ include "x509-certificate-exporter.secretsExporterName" . }}-extra
      labels: {{- include "x509-certificate-exporter.selectorLabels" . | nindent 8 }}
    data:
      image: {{ include "x509-certificate-exporter.image" . | quote }}
`,
  );
  const objs = await render(["-f", file]);
  const svc = one(objs, "Service", "-nodes");
  assert.deepStrictEqual(svc.metadata.namespace, "monitoring");
  assert.deepStrictEqual(svc.metadata.labels, {
    chart: "x509-certificate-exporter-4.2.0",
    sa: `${FULL}-node`,
  });
  assert.deepStrictEqual(svc.spec.selector["app.kubernetes.io/name"], "x509-certificate-exporter");
  const cm = one(objs, "ConfigMap", "-extra");
  assert.deepStrictEqual(cm.metadata.labels["app.kubernetes.io/instance"], "release");
  assert.match(cm.data.image, /x509-certificate-exporter-deno:/);
});

chartTest(
  "the default image is this project's, at its version, in the flavours it builds",
  async () => {
    const image = async (args: string[]) => podSpecs(await render(args))[0]![1].containers[0].image;
    const version = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).version;
    const chart = parse(await Deno.readTextFile(`${CHART}/Chart.yaml`));
    assert.deepStrictEqual(chart.appVersion, version);
    // release.yml pushes ghcr.io/<install.sh's REPO>, tagged {{version}} plus the variant's suffix.
    const release = await Deno.readTextFile(`${ROOT}.github/workflows/release.yml`);
    const repo = (await Deno.readTextFile(`${ROOT}install.sh`)).match(/^REPO=(\S+)$/m)![1];
    assert.ok(release.includes(`ghcr.io/${repo}\n`), `release.yml publishes ghcr.io/${repo}`);
    assert.deepStrictEqual(await image([]), `ghcr.io/${repo}:${version}`);
    const suffixes = [...release.matchAll(/target: "?([\w-]*)"?, suffix: "?([\w-]*)"?/g)];
    const dockerfile = await Deno.readTextFile(`${ROOT}Dockerfile`);
    assert.ok(suffixes.length >= 2);
    for (const [, target, suffix] of suffixes) {
      if (target) assert.match(dockerfile, new RegExp(`^FROM .* AS ${target}$`, "m"), target);
      assert.deepStrictEqual(
        await image(set(`image.tagSuffix=${suffix}`)),
        `ghcr.io/${repo}:${version}${suffix}`,
      );
    }
    assert.deepStrictEqual(
      await image(example("digest-image")),
      "quay.io/x509-exporter/x509-certificate-exporter-deno@sha256:0d4b0ac1ec4bd0f2a0d3d8fa4bd2b0d0b37c0a5e0fd5c7ee0c1b1e7a6f3a9c21",
    );
    assert.deepStrictEqual(await image(set("image.tag=v9", "image.registry=")), `${repo}:v9`);
    assert.deepStrictEqual(
      await image(set("global.imageRegistry=mirror.example")),
      `mirror.example/${repo}:${version}`,
    );
    const pull = podSpecs(await render(example("busybox-suffix")))[0]![1].imagePullSecrets;
    assert.deepStrictEqual(pull, [{ name: "registry-credentials" }]);
  },
);

chartTest(
  "host-path DaemonSets run as root with nothing else; the Deployment is restricted",
  async () => {
    for (const name of EXAMPLES) {
      for (const [workload, spec] of podSpecs(await render(example(name)))) {
        const where = `${name}/${workload}`;
        const host = !workload.endsWith("exporter");
        assert.deepStrictEqual(
          spec.securityContext.seccompProfile,
          { type: "RuntimeDefault" },
          where,
        );
        assert.deepStrictEqual(
          spec.automountServiceAccountToken,
          !host || name === "rbac-proxy",
          where,
        );
        for (const c of spec.containers) {
          const sc = c.securityContext;
          assert.deepStrictEqual(sc.allowPrivilegeEscalation, false, where);
          assert.deepStrictEqual(sc.readOnlyRootFilesystem, true, where);
          assert.deepStrictEqual(sc.capabilities, { drop: ["ALL"] }, where);
          assert.ok(!sc.privileged, where);
          if (c.name === "kube-rbac-proxy") continue;
          // kubelet-client-current.pem and /etc/kubernetes/*.conf are 0600 root.
          assert.deepStrictEqual(sc.runAsUser, host ? 0 : 65534, where);
          if (!host) assert.deepStrictEqual(spec.securityContext.runAsNonRoot, true, where);
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

chartTest("a watchDirectories glob mounts its static prefix; one without is refused", async () => {
  const objs = await render(example("kubelet-pod-volumes-glob"));
  const spec = one(objs, "DaemonSet", "-pods").spec.template.spec;
  assert.deepStrictEqual(
    spec.volumes.filter((v: K8sObject) => v.hostPath).map((v: K8sObject) => v.hostPath),
    [
      { path: "/var/lib/kubelet/pods", type: "Directory" },
    ],
  );
  assert.deepStrictEqual(
    spec.containers[0].volumeMounts.map((m: K8sObject) => m.mountPath),
    ["/etc/x509-certificate-exporter", "/mnt/host/var/lib/kubelet/pods"],
  );
  const cfg = configOf(objs, `${FULL}-pods`);
  assert.deepStrictEqual(cfg.sources[0].paths, ["/mnt/host/var/lib/kubelet/pods/**/*.crt"]);
  assert.deepStrictEqual(cfg.sources[0].pathMappings, [
    { from: "/var/lib/kubelet/pods", to: "/mnt/host/var/lib/kubelet/pods" },
  ]);
  for (const bad of ["/*/pki/*.crt", "**/*.pem", "/etc/[ab]/x.pem".replace("/etc", "")]) {
    const res = await renderRaw(
      set(`hostPathsExporter.daemonSets.n.watchDirectories=[${JSON.stringify(bad)}]`),
    );
    assert.deepStrictEqual(res.code, 1, bad);
    assert.match(res.stderr, /invalid watchDirectories entry .*refusing to widen to \//, bad);
  }
});

chartTest(
  "kubeadm DaemonSets mount parent dirs under /mnt/host and map symlink targets",
  async () => {
    const objs = await render(example("daemonsets-kubeadm"));
    assert.deepStrictEqual(ofKind(objs, "Deployment"), []);
    const cp = one(objs, "DaemonSet", "-control-plane").spec.template.spec;
    assert.deepStrictEqual(cp.nodeSelector, { "node-role.kubernetes.io/control-plane": "" });
    const hostPaths = cp.volumes.filter((v: K8sObject) => v.hostPath).map((v: K8sObject) =>
      v.hostPath
    );
    // /etc/kubernetes (the kubeconfigs' parent) already covers /etc/kubernetes/pki{,/etcd}.
    assert.deepStrictEqual(hostPaths, [
      { path: "/etc/kubernetes", type: "Directory" },
      { path: "/var/lib/kubelet/pki", type: "Directory" },
    ]);
    const workers = one(objs, "DaemonSet", "-workers").spec.template.spec.containers[0];
    assert.deepStrictEqual(
      workers.resources.limits,
      { memory: "96Mi" },
      "an entry's key replaces the default whole",
    );
    const cfg = configOf(objs, `${FULL}-control-plane`);
    const [files, kubeconfigs] = cfg.sources;
    assert.ok(files.paths.includes("/mnt/host/var/lib/kubelet/pki/kubelet-client-current.pem"));
    assert.ok(files.paths.includes("/mnt/host/etc/kubernetes/pki"));
    assert.deepStrictEqual(files.pathMappings, [
      { from: "/etc/kubernetes", to: "/mnt/host/etc/kubernetes" },
      { from: "/var/lib/kubelet/pki", to: "/mnt/host/var/lib/kubelet/pki" },
    ]);
    assert.deepStrictEqual(kubeconfigs.paths[0], "/mnt/host/etc/kubernetes/admin.conf");
    assert.deepStrictEqual(cfg.metrics.trimPathComponents, 2);
  },
);

chartTest("a DaemonSet with nothing to watch, and both monitors at once, render", async () => {
  const objs = await render(
    set("hostPathsExporter.daemonSets.edge.debugMode=true", "prometheusPodMonitor.create=true"),
  );
  assert.deepStrictEqual(configOf(objs, `${FULL}-edge`).sources, []);
  assert.deepStrictEqual(
    one(objs, "DaemonSet", "-edge").spec.template.spec.volumes.map((v: K8sObject) => v.name),
    ["config"],
  );
  assert.deepStrictEqual(one(objs, "PodMonitor").spec.podMetricsEndpoints[0].port, "metrics");
  assert.deepStrictEqual(one(objs, "ServiceMonitor").spec.endpoints[0].port, "metrics");
});

chartTest("ClusterRole grants only what the enabled sources read", async () => {
  const rules = async (args: string[]) => one(await render(args), "ClusterRole").rules;
  const rw = (...resources: string[]) =>
    resources.map((r) => ({ apiGroups: [""], resources: [r], verbs: ["get", "list", "watch"] }));
  assert.deepStrictEqual(await rules([]), rw("secrets"));
  assert.deepStrictEqual(
    await rules(example("configmaps-labels")),
    rw("secrets", "configmaps", "namespaces"),
  );
  const cab = await rules(example("cabundles-webhooks"));
  assert.deepStrictEqual(cab.slice(0, 1), rw("secrets"));
  assert.deepStrictEqual(cab.slice(1).map((r: K8sObject) => r.resources[0]), [
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "apiservices",
    "customresourcedefinitions",
  ]);
  const nothing = await renderRaw(set(
    "cabundlesExporter.enabled=true",
    "cabundlesExporter.resources.mutating=false",
    "cabundlesExporter.resources.validating=false",
  ));
  assert.deepStrictEqual(nothing.code, 1);
  assert.match(nothing.stderr, /cabundlesExporter.resources enables nothing/);
});

chartTest("literal namespaces get one Role and RoleBinding each, no ClusterRole", async () => {
  const objs = await render(example("namespaced-literal-namespaces"));
  assert.deepStrictEqual(ofKind(objs, "ClusterRole"), []);
  const roles = ofKind(objs, "Role");
  assert.deepStrictEqual(roles.map((r) => r.metadata.namespace), ["ingress", "cert-manager"]);
  for (const b of ofKind(objs, "RoleBinding")) {
    assert.deepStrictEqual(b.subjects, [{
      kind: "ServiceAccount",
      name: FULL,
      namespace: "monitoring",
    }]);
  }
  const labelled = await render([
    ...example("namespaced-literal-namespaces"),
    ...set("secretsExporter.includeNamespaceLabels=[team]"),
  ]);
  assert.deepStrictEqual(ofKind(labelled, "Role"), []);
  assert.deepStrictEqual(one(labelled, "ClusterRole").rules.map((r: K8sObject) => r.resources[0]), [
    "secrets",
    "namespaces",
  ]);
});

chartTest(
  "secret, PKCS#12, ConfigMap and name filter values map onto the exporter config",
  async () => {
    const src = (objs: K8sObject[]) => configOf(objs, `${FULL}-secrets`).sources[0];
    const p12 = src(await render(example("pkcs12-secrets")));
    assert.deepStrictEqual(p12.rateLimit, { qps: 20, burst: 30 });
    assert.deepStrictEqual(p12.secrets.types[1], {
      type: "Opaque",
      keyPatterns: ["^.*\\.crt$"],
      format: "pem",
    });
    assert.deepStrictEqual(p12.secrets.types[2].pkcs12, { passphraseKey: "keystore-passphrase" });
    assert.deepStrictEqual(p12.secrets.types[4].jks, { tryEmptyPassphrase: true });
    const cm = src(await render(example("configmaps-labels")));
    assert.deepStrictEqual(cm.configMaps.keyPatterns, ["^ca\\.crt$", "^bundle\\.pem$"]);
    assert.deepStrictEqual(cm.namespaces.exclude, ["kube-*"]);
    assert.deepStrictEqual(cm.secrets.excludeLabels, ["example.com/ignore=true"]);
    const names = src(
      await render(set(
        "secretsExporter.configMapKeys=[ca.crt]",
        "secretsExporter.excludeSecrets=[x509ce-skip-*]",
        "secretsExporter.includeConfigMaps=[trust-*]",
      )),
    );
    assert.deepStrictEqual(names.secrets.exclude, ["x509ce-skip-*"]);
    assert.deepStrictEqual(names.configMaps.include, ["trust-*"]);
    const der = src(await render(set("secretsExporter.secretTypes[0].type=Opaque")));
    assert.ok(der.secrets.types.length >= 1);
    const tuned = configOf(
      await render(["-f", `${ROOT}tests/chart/values/tuned.good.yaml`]),
      `${FULL}-secrets`,
    );
    assert.deepStrictEqual(tuned.metrics.exposeSubjectFields, ["CN"]);
    assert.deepStrictEqual(tuned.log.format, "json");
  },
);

chartTest("an enabled alert turns on the metric it reads", async () => {
  const metrics = async (args: string[]) => configOf(await render(args), `${FULL}-secrets`).metrics;
  const on = await metrics([]);
  assert.deepStrictEqual([on.exposePerCertError, on.exposeNotBefore], [true, true]);
  const off = await metrics(set(
    "prometheusRules.alertOnCertificateError=false",
    "prometheusRules.alertOnCertificateNotYetValid=false",
  ));
  assert.deepStrictEqual([off.exposePerCertError, off.exposeNotBefore], [false, false]);
  const noRules = await metrics(set("prometheusRules.create=false", "exposeNotBeforeMetric=true"));
  assert.deepStrictEqual([noRules.exposePerCertError, noRules.exposeNotBefore], [false, true]);
});

chartTest("probes use the plain probe listener when /metrics needs credentials", async () => {
  const c = podSpecs(await render())[0]![1].containers[0];
  assert.deepStrictEqual(c.ports, [{ name: "metrics", containerPort: 9793, protocol: "TCP" }]);
  assert.deepStrictEqual(c.livenessProbe.httpGet, { path: "/healthz", port: "metrics" });
  assert.deepStrictEqual(c.readinessProbe.httpGet, { path: "/readyz", port: "metrics" });
  assert.deepStrictEqual(c.readinessProbe.periodSeconds, 3);

  const objs = await render(example("web-config-basic-auth"));
  const web = podSpecs(objs)[0]![1];
  const wc = web.containers[0];
  assert.deepStrictEqual(wc.readinessProbe.httpGet.port, "probe");
  assert.ok(wc.ports.some((p: K8sObject) => p.name === "probe" && p.containerPort === 8080));
  const secret = one(objs, "Secret", "-webconf");
  assert.match(secret.stringData["webconfig.yaml"], /basic_auth_users:/);
  assert.deepStrictEqual(
    web.volumes.find((v: K8sObject) => v.name === "web-configuration").secret.secretName,
    secret.metadata.name,
  );
  assert.deepStrictEqual(configOf(objs, `${FULL}-secrets`).server, {
    listen: ":9793",
    webConfigFile: "/etc/x509-certificate-exporter-web/webconfig.yaml",
    probeListen: ":8080",
  });
  const endpoint = one(objs, "ServiceMonitor").spec.endpoints[0];
  assert.deepStrictEqual(endpoint.scheme, "https");
  assert.deepStrictEqual(endpoint.basicAuth.username.name, "x509-scrape-credentials");
  const explicit = await render([
    ...example("web-config-basic-auth"),
    ...set("probeListenPort=8081"),
  ]);
  assert.deepStrictEqual(configOf(explicit, `${FULL}-secrets`).server.probeListen, ":8081");
});

chartTest("rbacProxy puts kube-rbac-proxy in front of every exporter", async () => {
  const objs = await render(example("rbac-proxy"));
  for (const [workload, spec] of podSpecs(objs)) {
    const [exporter, proxy] = spec.containers;
    assert.deepStrictEqual(proxy.name, "kube-rbac-proxy", workload);
    assert.deepStrictEqual(proxy.image, "quay.io/brancz/kube-rbac-proxy:v0.22.1");
    assert.ok(proxy.args.includes("--upstream=http://127.0.0.1:9091/"));
    assert.ok(proxy.args.includes("--secure-listen-address=:9793"));
    assert.deepStrictEqual(proxy.ports, [{
      name: "metrics",
      containerPort: 9793,
      protocol: "TCP",
    }]);
    assert.ok(!exporter.ports.some((p: K8sObject) => p.name === "metrics"), workload);
    assert.deepStrictEqual(exporter.readinessProbe.httpGet.port, "probe");
    assert.deepStrictEqual(
      spec.volumes.find((v: K8sObject) => v.name === "rbac-proxy-tls").secret.secretName,
      `${FULL}-rbac-proxy-tls`,
    );
  }
  for (const cfg of exporterConfigs(objs).values()) {
    assert.deepStrictEqual(parse(cfg).server, { listen: "127.0.0.1:9091", probeListen: ":8080" });
  }
  const tls = one(objs, "Secret", "-rbac-proxy-tls");
  assert.deepStrictEqual(tls.type, "kubernetes.io/tls");
  assert.match(atob(tls.data["tls.crt"]), /BEGIN CERTIFICATE/);
  for (const role of ofKind(objs, "ClusterRole")) {
    assert.ok(
      role.rules.some((r: K8sObject) => r.resources[0] === "tokenreviews"),
      role.metadata.name,
    );
    assert.ok(
      role.rules.some((r: K8sObject) => r.resources[0] === "subjectaccessreviews"),
      role.metadata.name,
    );
  }
  const endpoint = one(objs, "ServiceMonitor").spec.endpoints[0];
  assert.deepStrictEqual(endpoint.scheme, "https");
  assert.deepStrictEqual(
    endpoint.bearerTokenFile,
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
  );
  // An existing Secret replaces the generated one; one kept in the cluster is reused.
  const existing = await render([
    ...example("rbac-proxy"),
    ...set("rbacProxy.tls.existingSecretName=mine"),
  ]);
  assert.deepStrictEqual(ofKind(existing, "Secret"), []);
  const kept = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `${FULL}-rbac-proxy-tls`, namespace: "monitoring" },
    data: { "tls.crt": "Y3J0", "tls.key": "a2V5" },
  };
  const again = await render([
    ...example("rbac-proxy"),
    "--upgrade",
    "--lookup",
    await clusterFile([kept]),
  ]);
  assert.deepStrictEqual(one(again, "Secret", "-rbac-proxy-tls").data, kept.data);
  const both = await renderRaw([...example("rbac-proxy"), ...example("web-config-basic-auth")]);
  assert.deepStrictEqual(both.code, 1);
  assert.match(both.stderr, /basicAuth cannot be combined with rbacProxy.enabled/);
});

/** An object as a v3 (or any earlier) release of upstream's chart left it in the cluster. */
function live(
  kind: string,
  name: string,
  chart: string,
  selector: Record<string, string>,
  spec: K8sObject = {},
) {
  return {
    apiVersion: kind === "Service" ? "v1" : "apps/v1",
    kind,
    metadata: { name, namespace: "monitoring", labels: { "helm.sh/chart": chart } },
    spec: kind === "Service"
      ? { selector, ...spec }
      : { selector: { matchLabels: selector }, ...spec },
  };
}

chartTest(
  "the pre-upgrade hook deletes what Kubernetes cannot change in place, as upstream",
  async () => {
    const base = {
      "app.kubernetes.io/name": "x509-certificate-exporter",
      "app.kubernetes.io/instance": "release",
    };
    const nodes = set(
      "hostPathsExporter.daemonSets.nodes.watchFiles=[/var/lib/kubelet/pki/kubelet.crt]",
    );
    const hook = async (cluster: K8sObject[], args: string[] = []) => {
      const objs = await render([
        ...nodes,
        ...args,
        "--upgrade",
        "--lookup",
        await clusterFile(cluster),
      ]);
      const job = objs.find((o) => o.kind === "Job");
      return job?.spec.template.spec.containers[0].command as string[] | undefined;
    };
    // v3: no component label, a Service with a cluster IP.
    const v3 = [
      live("Service", FULL, "x509-certificate-exporter-3.19.1", base, { clusterIP: "10.0.0.7" }),
      live("Deployment", FULL, "x509-certificate-exporter-3.19.1", base),
      live("DaemonSet", `${FULL}-nodes`, "x509-certificate-exporter-3.19.1", base),
    ];
    assert.deepStrictEqual(await hook(v3), [
      "kubectl",
      "delete",
      "--ignore-not-found=true",
      "-n",
      "monitoring",
      `service/${FULL}`,
      `deployment/${FULL}`,
      `daemonset/${FULL}-nodes`,
    ]);
    const objs = await render([...nodes, "--upgrade", "--lookup", await clusterFile(v3)]);
    const job = one(objs, "Job");
    assert.deepStrictEqual(job.metadata.annotations["helm.sh/hook"], "pre-upgrade");
    assert.deepStrictEqual(
      job.spec.template.spec.containers[0].image,
      "registry.k8s.io/kubectl:v1.30.0",
    );
    assert.deepStrictEqual(one(objs, "Role", "-pre-upgrade").rules, [
      { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "delete"] },
      {
        apiGroups: ["apps"],
        resources: ["deployments", "daemonsets"],
        verbs: ["get", "list", "delete"],
      },
    ]);
    // 4.0: DaemonSets predate their host-<name> component; the rest is in place.
    const v40 = [
      live("Service", FULL, "x509-certificate-exporter-4.0.3", base, { clusterIP: "None" }),
      live("Deployment", FULL, "x509-certificate-exporter-4.0.3", {
        ...base,
        "app.kubernetes.io/component": "secrets",
      }),
      live("DaemonSet", `${FULL}-nodes`, "x509-certificate-exporter-4.0.3", base),
    ];
    assert.deepStrictEqual((await hook(v40))?.slice(5), [`daemonset/${FULL}-nodes`]);
    // A current release: nothing to delete, no hook.
    const current = [
      live("Service", FULL, "x509-certificate-exporter-4.2.0", base, { clusterIP: "None" }),
      live("Deployment", FULL, "x509-certificate-exporter-4.2.0", {
        ...base,
        "app.kubernetes.io/component": "secrets",
      }),
      live("DaemonSet", `${FULL}-nodes`, "x509-certificate-exporter-4.2.0", {
        ...base,
        "app.kubernetes.io/component": "host-nodes",
      }),
    ];
    assert.deepStrictEqual(await hook(current), undefined);
    const pinned = await render([
      ...nodes,
      ...set("migration.image.tag=v1.31.2"),
      "--upgrade",
      "--lookup",
      await clusterFile(v3),
    ]);
    assert.deepStrictEqual(
      one(pinned, "Job").spec.template.spec.containers[0].image,
      "registry.k8s.io/kubectl:v1.31.2",
    );
    // Whatever the version says, a selector that differs is replaced.
    const drifted = [
      live("Deployment", FULL, "x509-certificate-exporter-4.2.0", {
        ...base,
        "app.kubernetes.io/component": "secrets-exporter",
      }),
    ];
    assert.deepStrictEqual((await hook(drifted))?.slice(5), [`deployment/${FULL}`]);
    const fresh = await render([...nodes]);
    assert.deepStrictEqual(ofKind(fresh, "Job"), [], "a first install has nothing to migrate");
  },
);

chartTest("the config checksum rolls pods only when the generated config changes", async () => {
  const sum = async (args: string[]) =>
    one(await render(args), "Deployment").spec.template.metadata.annotations["checksum/config"];
  const base = await sum([]);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.deepStrictEqual(await sum(set("service.port=8080")), base);
  assert.notStrictEqual(await sum(set("secretsExporter.debugMode=true")), base);
  assert.notStrictEqual(await sum(set("exposeRelativeMetrics=true")), base);
});

chartTest("the Grafana dashboard ConfigMap carries the sidecar label and valid JSON", async () => {
  const objs = await render(example("configmaps-labels"));
  const cm = one(objs, "ConfigMap", "-dashboard");
  assert.deepStrictEqual(cm.metadata.labels.grafana_dashboard, "1");
  const dash = JSON.parse(cm.data["x509-certificate-exporter.json"]);
  const exprs = dash.panels.flatMap((p: K8sObject) => p.targets.map((t: K8sObject) => t.expr)).join(
    "\n",
  );
  for (const m of ["x509_cert_not_after", "x509_source_up", "x509_source_errors_total"]) {
    assert.ok(exprs.includes(m), m);
  }
  assert.deepStrictEqual(
    one(objs, "ServiceMonitor").metadata.labels.release,
    "kube-prometheus-stack",
  );
});

chartTest("NOTES.txt says where /metrics and the status page are", async () => {
  const text = await notes();
  assert.match(text, new RegExp(`http://${FULL}\\.monitoring\\.svc:9793/metrics`));
  assert.match(text, /port-forward/);
  assert.match(text, /Status page\n\s+http:\/\/localhost:9793\//);
  assert.match(await notes(set("web.enableStats=false")), /Disabled \(web\.enableStats is false\)/);
  assert.match(
    await notes(example("rbac-proxy")),
    /https:\/\/.*\/metrics[\s\S]*bearer token|Bearer/i,
  );
});

chartTest(
  "values fixtures: *.good.yaml render, *.bad.yaml fail with their expected lines",
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
          res.stderr.includes(line!),
          `${e.name}: ${line}\n${res.stderr}`,
        );
      }
    }
    assert.ok(bad >= 5);
  },
);

async function promtool(args: string[]): Promise<{ ok: boolean; out: string }> {
  const res = await new Deno.Command("promtool", { args }).output();
  const dec = new TextDecoder();
  return { ok: res.success, out: dec.decode(res.stdout) + dec.decode(res.stderr) };
}

/** Writes the rendered rule groups (annotations stripped) beside a copy of rules_test.yaml. */
async function ruleFiles(
  args: string[],
): Promise<{ full: string; test: string; groups: K8sObject[] }> {
  const dir = await Deno.makeTempDir({ prefix: "x509-chart-rules-" });
  const groups = one(await render(args), "PrometheusRule").spec.groups;
  const full = `${dir}/full.yaml`;
  await Deno.writeTextFile(full, JSON.stringify({ groups }));
  const bare = structuredClone(groups);
  for (const g of bare) for (const r of g.rules) delete r.annotations;
  await Deno.writeTextFile(`${dir}/rules.yaml`, JSON.stringify({ groups: bare }));
  await Deno.copyFile(`${ROOT}tests/chart/rules_test.yaml`, `${dir}/rules_test.yaml`);
  return { full, test: `${dir}/rules_test.yaml`, groups };
}

const ALERTS = [
  "SourceErrors",
  "SourceErrorsSustained",
  "SourceDown",
  "KubeTransportErrors",
  "KubeTransportErrorsSustained",
  "KeystorePassphraseFailures",
  "CertificateError",
  "CertificateRenewal",
  "CertificateExpiration",
  "CertificateNotYetValid",
  "CertificateCollision",
  "CRLNeedsRefresh",
  "CRLStale",
];

Deno.test({
  name: "every alert passes promtool check and fires exactly on the right series",
  ignore: !HAS_GO || !hasCommand("promtool"),
  async fn() {
    const files = await ruleFiles([]);
    assert.deepStrictEqual(files.groups[0]!.rules.map((r: K8sObject) => r.alert), ALERTS);
    const check = await promtool(["check", "rules", files.full]);
    assert.ok(check.ok, check.out);
    assert.match(check.out, /13 rules found/);
    const test = await promtool(["test", "rules", files.test]);
    assert.ok(test.ok, test.out);
    // Each alert is exercised by the unit tests.
    const tests = await Deno.readTextFile(files.test);
    for (const a of ALERTS) assert.match(tests, new RegExp(`alertname: ${a}\\n`), a);
    // The unit tests are sharp: a 15-day warning threshold misses the 20-day certificate.
    const shifted = await promtool([
      "test",
      "rules",
      (await ruleFiles(set("prometheusRules.warningDaysLeft=15"))).test,
    ]);
    assert.ok(!shifted.ok);
    assert.match(shifted.out, /CertificateRenewal/);
  },
});

chartTest("rulePrefix, overrides, extra labels and toggles shape the rules", async () => {
  const rules = async (args: string[]) =>
    one(await render(args), "PrometheusRule").spec.groups[0].rules as K8sObject[];
  const byName = (rs: K8sObject[], n: string) => rs.find((r) => r.alert === n)!;
  const tuned = await rules(set(
    "prometheusRules.rulePrefix=MyTeam",
    "prometheusRules.alertExprOverrides.CertificateRenewal=up == 0",
    "prometheusRules.alertForOverrides.SourceDown=1h",
    "prometheusRules.alertExtraLabels.team=platform",
    "prometheusRules.sourceDownSeverity=info",
  ));
  assert.deepStrictEqual(tuned.map((r) => r.alert), ALERTS.map((a) => `MyTeam ${a}`));
  assert.deepStrictEqual(byName(tuned, "MyTeam CertificateRenewal").expr, "up == 0");
  assert.deepStrictEqual(byName(tuned, "MyTeam SourceDown").for, "1h");
  assert.deepStrictEqual(byName(tuned, "MyTeam SourceDown").labels, {
    severity: "info",
    team: "platform",
  });
  const defaults = await rules([]);
  assert.deepStrictEqual(
    byName(defaults, "CertificateRenewal").expr,
    "(x509_cert_not_after - time()) < (28 * 86400) and (x509_cert_not_after - time()) > 0",
  );
  assert.deepStrictEqual(byName(defaults, "SourceDown").labels.severity, "critical");
  const fewer = await rules(set(
    "prometheusRules.alertOnSourceErrors=false",
    "prometheusRules.alertOnCertificateCollision=false",
  ));
  assert.deepStrictEqual(fewer.length, ALERTS.length - 3);
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(
    file,
    `prometheusRules:
  disableBuiltinAlertGroup: true
  extraAlertGroups:
    - name: custom
      rules:
        - alert: '{{ .Release.Name }}-Custom'
          expr: vector(1)
`,
  );
  const extra = await render(["-f", file]);
  assert.deepStrictEqual(one(extra, "PrometheusRule").spec.groups, [
    { name: "custom", rules: [{ alert: "release-Custom", expr: "vector(1)" }] },
  ]);
});

/** A values file written from `yaml`, as renderer arguments. */
async function valuesFile(yaml: string): Promise<string[]> {
  const file = await Deno.makeTempFile({ prefix: "x509-chart-values-", suffix: ".yaml" });
  await Deno.writeTextFile(file, yaml);
  return ["-f", file];
}

const APISERVER_SOURCE = {
  kind: "tls",
  name: "kube-apiserver",
  refreshInterval: "5m",
  timeout: "10s",
  concurrency: 16,
  caFile: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
  targets: ["kubernetes.default.svc:443"],
};

chartTest("tlsEndpoints renders kind: tls sources in the Deployment, off by default", async () => {
  const kinds = async (args: string[]) =>
    configOf(await render(args), `${FULL}-secrets`).sources.map((s: K8sObject) => s.kind);
  assert.deepStrictEqual(await kinds([]), ["kubernetes"]);
  const objs = await render(example("tls-endpoints"));
  const sources = configOf(objs, `${FULL}-secrets`).sources;
  assert.deepStrictEqual(sources.map((s: K8sObject) => s.name), [
    "cluster-secrets",
    "kube-apiserver",
    "tls-endpoints",
  ]);
  assert.deepStrictEqual(sources[1], { ...APISERVER_SOURCE, concurrency: 8, gracePeriod: "30m" });
  assert.deepStrictEqual(sources[2], {
    kind: "tls",
    name: "tls-endpoints",
    refreshInterval: "5m",
    timeout: "10s",
    concurrency: 8,
    gracePeriod: "30m",
    targets: [
      "example.com:443",
      { address: "10.0.0.5:8443", serverName: "api.internal" },
      { address: "mail.example.com:587", starttls: "smtp" },
    ],
  });
  // The ServiceAccount CA file exists in the Pod: the token is mounted.
  assert.deepStrictEqual(
    one(objs, "Deployment").spec.template.spec.automountServiceAccountToken,
    true,
  );
  // No RBAC for probes: the same rules as without them.
  assert.deepStrictEqual(
    one(objs, "ClusterRole").rules,
    one(await render(), "ClusterRole").rules,
  );
  // caFile applies to the listed targets; the API server keeps the ServiceAccount's CA.
  const ownSources = configOf(
    await render(
      await valuesFile(`tlsEndpoints:
  enabled: true
  caFile: /etc/pki/internal/ca.pem
  targets: ["[::1]:8443", { address: "db.internal:5432", starttls: postgres, serverName: "" }]
`),
    ),
    `${FULL}-secrets`,
  ).sources;
  assert.deepStrictEqual(ownSources[1], APISERVER_SOURCE);
  assert.deepStrictEqual(ownSources[2].caFile, "/etc/pki/internal/ca.pem");
  assert.deepStrictEqual(ownSources[2].targets, [
    "[::1]:8443",
    { address: "db.internal:5432", starttls: "postgres" },
  ]);
  const noApi = await render([
    ...example("tls-endpoints"),
    ...set("tlsEndpoints.probeApiServer=false"),
  ]);
  assert.deepStrictEqual(
    configOf(noApi, `${FULL}-secrets`).sources.map((s: K8sObject) => s.name),
    ["cluster-secrets", "tls-endpoints"],
  );
  const nothing = await renderRaw(
    set("tlsEndpoints.enabled=true", "tlsEndpoints.probeApiServer=false"),
  );
  assert.deepStrictEqual(nothing.code, 1);
  assert.match(nothing.stderr, /tlsEndpoints enables nothing/);
});

chartTest(
  "tlsEndpoints alone runs the Deployment with just that source, and its config passes --config.check",
  async () => {
    const off = await render(set("secretsExporter.enabled=false"));
    assert.deepStrictEqual(ofKind(off, "Deployment"), []);
    const objs = await render(set("secretsExporter.enabled=false", "tlsEndpoints.enabled=true"));
    const deploy = one(objs, "Deployment");
    assert.deepStrictEqual(deploy.metadata.name, FULL);
    assert.deepStrictEqual(deploy.spec.template.spec.automountServiceAccountToken, true);
    assert.deepStrictEqual(deploy.spec.template.spec.serviceAccountName, FULL);
    const config = exporterConfigs(objs).get(`${FULL}-secrets`)!;
    assert.deepStrictEqual(parse(config).sources, [APISERVER_SOURCE]);
    assert.deepStrictEqual(one(objs, "ClusterRole").rules, []);
    assert.match(
      await notes(set("secretsExporter.enabled=false", "tlsEndpoints.enabled=true")),
      /Deployment \S+: TLS endpoints\n/,
    );
    const file = await Deno.makeTempFile({ prefix: "x509-chart-tls-", suffix: ".yaml" });
    await Deno.writeTextFile(file, config);
    const res = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", "--allow-net", "--allow-sys", `${ROOT}main.ts`]
        .concat(["--config.check", "--config", file]),
      cwd: ROOT,
    }).output();
    const out = new TextDecoder().decode(res.stderr) + new TextDecoder().decode(res.stdout);
    assert.ok(res.success, out);
    assert.match(out, /Configuration OK: .* \(1 source\(s\)\)/);
  },
);

chartTest("values.schema.json refuses a bad tlsEndpoints target", async () => {
  const bad = async (target: string) => {
    const res = await renderRaw(
      await valuesFile(`tlsEndpoints:\n  enabled: true\n  targets: [${target}]\n`),
    );
    assert.deepStrictEqual(res.code, 1, target);
    return res.stderr;
  };
  assert.match(
    await bad(`{ address: "mail.example.com:587", starttls: smtps }`),
    /at '\/tlsEndpoints\/targets\/0\/starttls': value must be one of 'smtp', 'imap', 'pop3', 'ftp', 'ldap', 'postgres'/,
  );
  assert.match(
    await bad(`{ address: "10.0.0.5:8443", sni: api.internal }`),
    /at '\/tlsEndpoints\/targets\/0': additional properties 'sni' not allowed/,
  );
  assert.match(await bad(`{ serverName: api.internal }`), /missing propert/);
  assert.match(await bad(`example.com`), /'example.com' does not match pattern/);
  assert.match(await bad(`443`), /at '\/tlsEndpoints\/targets\/0': got number, want/);
  const typo = await renderRaw(
    await valuesFile(`tlsEndpoints:\n  enabled: true\n  target: [example.com:443]\n`),
  );
  assert.match(typo.stderr, /at '\/tlsEndpoints': additional properties 'target' not allowed/);
});
