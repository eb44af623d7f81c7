import assert from "node:assert/strict";
import type { Bundle } from "../src/bundle.ts";
import { parseConfig } from "../src/config/load.ts";
import type { Format } from "../src/format.ts";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import type { KubernetesSourceSpec } from "../src/sources/kinds/kubernetes.ts";
import {
  configMapDecoder,
  type ConfigMapObject,
  decodeValue,
  exposed,
  fromBase64,
  secretDecoder,
  type SecretObject,
  type ValueContext,
} from "../src/sources/kube_objects.ts";
import { makeCert, serialDecimal, type TestCert } from "./testing/certs.ts";
import { summary } from "./testing/items.ts";
import { DEFAULT_LIMITS } from "./testing/sources.ts";

/** The kubernetes source of a config file holding `yaml` as its only source's extra keys. */
function kubeSpec(yaml: string): KubernetesSourceSpec {
  const text = `sources:\n  - kind: kubernetes\n    name: k\n${yaml.replace(/^/gm, "    ")}`;
  return parseConfig(text, "config.yaml").config.sources[0] as KubernetesSourceSpec;
}

const b64 = (text: string | Uint8Array) =>
  (typeof text === "string" ? new TextEncoder().encode(text) : text).toBase64();

function context(parsed: Format[] = []): ValueContext {
  return {
    cache: new CertificateCache(),
    limits: DEFAULT_LIMITS,
    onParse: (format) => parsed.push(format),
  };
}

let certs: Promise<[TestCert, TestCert]> | undefined;
const twoCerts = () =>
  certs ??= Promise.all([makeCert({ name: "CN=a" }), makeCert({ name: "CN=b" })]);

function secret(over: Partial<SecretObject> & { data: Record<string, string> }): SecretObject {
  return { metadata: { namespace: "prod", name: "web-tls", labels: { app: "web" } }, ...over };
}

const shape = (bundles: Bundle[]) => bundles.map((b) => [b.ref, b.items.map(summary)]);

Deno.test("fromBase64() decodes base64 and returns undefined for anything else", () => {
  assert.deepEqual([...fromBase64("AQID")!], [1, 2, 3]);
  assert.deepEqual([...fromBase64("")!], []);
  assert.equal(fromBase64("not base64!"), undefined);
  assert.equal(fromBase64("-----BEGIN CERTIFICATE-----"), undefined);
});

Deno.test("decodeValue() turns bytes that were not base64 into one decode_failed item", () => {
  const items = decodeValue(undefined, "pem", context());
  assert.equal(items.length, 1);
  assert.equal(items[0]!.kind === "error" && items[0]!.reason, "decode_failed");
  assert.equal(items[0]!.kind === "error" && items[0]!.message, "Value is not valid base64");
});

Deno.test("decodeValue() parses the bytes in the given format and reports the parse time", async () => {
  const [a] = await twoCerts();
  const parsed: Format[] = [];
  const items = decodeValue(new TextEncoder().encode(a.pem), "pem", context(parsed));
  assert.deepEqual(items.map(summary), [serialDecimal(a.serialHex)]);
  assert.deepEqual(parsed, ["pem"]);
});

Deno.test("exposed() names label columns with a prefix, empty where the object lacks the label", () => {
  assert.equal(exposed("secret_label", [], { app: "web" }), undefined);
  assert.deepEqual(exposed("secret_label", ["app", "app.kubernetes.io/name"], { app: "web" }), {
    secret_label_app: "web",
    secret_label_app_kubernetes_io_name: "",
  });
  assert.deepEqual(exposed("configmap_label", ["x"], undefined), { configmap_label_x: "" });
});

Deno.test("secretDecoder() makes one bundle per selected key, located by namespace, name and key", async () => {
  const [a, b] = await twoCerts();
  const spec = kubeSpec(
    "secrets:\n  types:\n    - type: kubernetes.io/tls\n      keyPatterns: ['\\.crt$']\n",
  );
  const decode = secretDecoder(spec.secrets!, context());
  const bundles = await decode(secret({
    type: "kubernetes.io/tls",
    data: { "tls.crt": b64(a.pem), "ca.crt": b64(b.pem), "tls.key": b64("key") },
  }));
  assert.deepEqual(shape(bundles), [
    ["secret/prod/web-tls/tls.crt", [serialDecimal(a.serialHex)]],
    ["secret/prod/web-tls/ca.crt", [serialDecimal(b.serialHex)]],
  ]);
  assert.deepEqual(bundles[0]!.location, {
    secretNamespace: "prod",
    secretName: "web-tls",
    secretKey: "tls.crt",
  });
});

Deno.test("secretDecoder() and configMapDecoder() count their bundles under upstream's kinds", async () => {
  const [a] = await twoCerts();
  const spec = kubeSpec(
    "secrets:\n  types:\n    - key: cert\nconfigMaps:\n  keyPatterns: [cert]\n",
  );
  const [s] = await secretDecoder(spec.secrets!, context())(secret({ data: { cert: b64(a.pem) } }));
  const [c] = await configMapDecoder(spec.configMaps!, context())({
    metadata: { name: "cm" },
    data: { cert: a.pem },
  } as ConfigMapObject);
  assert.equal(s?.kind, "kube-secret");
  assert.equal(c?.kind, "kube-configmap");
});

Deno.test("secretDecoder() skips Secrets of another type and takes an untyped Secret as Opaque", async () => {
  const [a] = await twoCerts();
  const spec = kubeSpec("secrets:\n  types:\n    - type: Opaque\n      key: cert\n");
  const decode = secretDecoder(spec.secrets!, context());
  assert.deepEqual(
    await decode(secret({ type: "kubernetes.io/tls", data: { cert: b64(a.pem) } })),
    [],
  );
  assert.equal((await decode(secret({ data: { cert: b64(a.pem) } }))).length, 1);
});

Deno.test("secretDecoder() with an empty type matches Secrets of every type", async () => {
  const [a] = await twoCerts();
  const spec = kubeSpec("secrets:\n  types:\n    - key: cert\n");
  const decode = secretDecoder(spec.secrets!, context());
  for (const type of ["Opaque", "kubernetes.io/tls", "example.com/custom"]) {
    assert.equal((await decode(secret({ type, data: { cert: b64(a.pem) } }))).length, 1, type);
  }
});

Deno.test("secretDecoder() decodes a key once, by the first rule that selects it", async () => {
  const [a] = await twoCerts();
  const spec = kubeSpec(
    "secrets:\n  types:\n    - keyPatterns: ['crt']\n      format: pem\n" +
      "    - key: tls.crt\n      format: der\n",
  );
  const parsed: Format[] = [];
  const bundles = await secretDecoder(spec.secrets!, context(parsed))(
    secret({ data: { "tls.crt": b64(a.pem) } }),
  );
  assert.deepEqual(shape(bundles), [["secret/prod/web-tls/tls.crt", [serialDecimal(a.serialHex)]]]);
  assert.deepEqual(parsed, ["pem"]);
});

Deno.test("secretDecoder() turns a value that is not base64 into a decode_failed item", async () => {
  const spec = kubeSpec("secrets:\n  types:\n    - key: cert\n");
  const bundles = await secretDecoder(spec.secrets!, context())(secret({ data: { cert: "@@@" } }));
  assert.deepEqual(shape(bundles), [["secret/prod/web-tls/cert", ["decode_failed"]]]);
});

Deno.test("secretDecoder() exposes the configured object labels on every bundle", async () => {
  const [a] = await twoCerts();
  const spec = kubeSpec(
    "secrets:\n  exposeLabels: [app, team]\n  types:\n    - key: cert\n",
  );
  const [bundle] = await secretDecoder(spec.secrets!, context())(
    secret({ data: { cert: b64(a.pem) } }),
  );
  assert.deepEqual(bundle?.location.extraLabels, {
    secret_label_app: "web",
    secret_label_team: "",
  });
});

Deno.test("secretDecoder() never decodes a keystore's passphrase key, whatever the patterns say", async () => {
  const spec = kubeSpec(
    "secrets:\n  types:\n    - keyPatterns: ['.*']\n      format: pkcs12\n" +
      "      pkcs12: {passphraseKey: password}\n",
  );
  const lookups: string[] = [];
  const bundles = await secretDecoder(spec.secrets!, {
    ...context(),
    readSecret: (ns, name, key) => {
      lookups.push(`${ns}/${name}/${key}`);
      return Promise.resolve(undefined);
    },
  })(secret({ data: { password: b64("changeit"), "keystore.p12": b64("not a keystore") } }));
  assert.deepEqual(bundles.map((b) => b.ref), ["secret/prod/web-tls/keystore.p12"]);
  assert.deepEqual(bundles[0]!.items.map(summary), ["bad_pkcs12"]);
  assert.deepEqual(lookups, [], "no passphraseSecretRef configured");
});

Deno.test("secretDecoder() skips a Secret without data", async () => {
  const spec = kubeSpec("secrets:\n  types:\n    - key: cert\n");
  assert.deepEqual(await secretDecoder(spec.secrets!, context())({ metadata: { name: "x" } }), []);
});

Deno.test("configMapDecoder() reads text from data and base64 from binaryData", async () => {
  const [a, b] = await twoCerts();
  const spec = kubeSpec("configMaps:\n  keyPatterns: ['\\.(crt|der)$']\n  format: pem\n");
  const cm: ConfigMapObject = {
    metadata: { namespace: "kube-system", name: "ca-bundle" },
    data: { "ca.crt": a.pem, "README": "not selected" },
    binaryData: { "b.der": b64(b.pem), "bad.der": "%%%" },
  };
  const bundles = await configMapDecoder(spec.configMaps!, context())(cm);
  assert.deepEqual(shape(bundles), [
    ["configmap/kube-system/ca-bundle/ca.crt", [serialDecimal(a.serialHex)]],
    ["configmap/kube-system/ca-bundle/b.der", [serialDecimal(b.serialHex)]],
    ["configmap/kube-system/ca-bundle/bad.der", ["decode_failed"]],
  ]);
  assert.deepEqual(bundles[0]!.location, {
    configmapNamespace: "kube-system",
    configmapName: "ca-bundle",
    configmapKey: "ca.crt",
  });
});

Deno.test("configMapDecoder() exposes labels and leaves out the passphrase key", async () => {
  const spec = kubeSpec(
    "configMaps:\n  keyPatterns: ['.*']\n  format: jks\n  exposeLabels: [app.kubernetes.io/name]\n" +
      "  pkcs12: {passphraseKey: storepass}\n",
  );
  const bundles = await configMapDecoder(spec.configMaps!, context())({
    metadata: { name: "trust", labels: { "app.kubernetes.io/name": "java" } },
    data: { storepass: "changeit" },
    binaryData: { "trust.jks": b64("garbage") },
  } as ConfigMapObject);
  assert.deepEqual(shape(bundles), [["configmap//trust/trust.jks", ["bad_jks"]]]);
  assert.deepEqual(bundles[0]!.location.extraLabels, {
    configmap_label_app_kubernetes_io_name: "java",
  });
});
