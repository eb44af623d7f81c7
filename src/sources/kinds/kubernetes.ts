import type { Node } from "yaml";
import { type Context, type Infer, list, obj, optional, refine, str } from "../../config/spec.ts";
import type { Format } from "../../format.ts";
import { exposedLabelName } from "../../label_names.ts";
import { defineKind } from "../kind.ts";
import type { Source } from "../source.ts";
import { filterFields, format, kubeClientFields, objectPassphrases, strings } from "./_shared.ts";

const secretType = refine(
  obj({
    type: str({ default: "" }),
    key: str({ nonEmpty: true }),
    keyPatterns: strings(),
    format,
    pkcs12: objectPassphrases,
    jks: objectPassphrases,
  }),
  (t, ctx, path, node) => {
    // Upstream's rules have keyPatterns only, and one without any reads nothing.
    if (t.key !== undefined && t.keyPatterns.length > 0) {
      ctx.d.warn("Both key and keyPatterns are set: keys matching either are read", node, path);
    } else if (t.key === undefined && t.keyPatterns.length === 0) {
      ctx.d.warn("Neither key nor keyPatterns is set: this rule reads no key", node, path);
    }
    for (const p of t.keyPatterns) checkRegex(p, ctx, path, node);
    return t;
  },
);

const schema = refine(
  obj({
    ...kubeClientFields,
    namespaces: obj(filterFields),
    secrets: optional(obj({
      ...filterFields,
      types: list(secretType),
      exposeLabels: strings(),
    })),
    configMaps: optional(refine(
      obj({
        ...filterFields,
        keyPatterns: list(str(), { minItems: 1 }),
        format,
        exposeLabels: strings(),
        pkcs12: objectPassphrases,
      }, { required: ["keyPatterns"] }),
      (c, ctx, path, node) => {
        for (const p of c.keyPatterns) checkRegex(p, ctx, `${path}.keyPatterns`, node);
        return c;
      },
    )),
  }, {
    required: ["name"],
    ignored: { workers: "objects are processed as they arrive; there is no worker pool to size" },
  }),
  (s, ctx, path, node) => {
    if (!s.secrets && !s.configMaps) {
      ctx.d.fail("A kubernetes source must configure secrets or configMaps", node, `${path}.kind`);
    } else if (s.secrets && s.secrets.types.length === 0) {
      ctx.d.warn("secrets has no types: no Secret is read", node, `${path}.secrets`);
    }
    return s;
  },
);

/** Refuses a key pattern that does not compile, as upstream does at startup. */
function checkRegex(pattern: string, ctx: Context, path: string, node: Node | undefined): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    ctx.d.fail(`Invalid regular expression "${pattern}": ${(err as Error).message}`, node, path);
  }
}

type Raw = Infer<typeof schema>;
export type KubernetesSourceSpec = Raw;
export type SecretRule = NonNullable<Raw["secrets"]>["types"][number];
export type ObjectPassphrases = NonNullable<SecretRule["pkcs12"]>;
export type SecretsSpec = NonNullable<Raw["secrets"]>;
export type ConfigMapsSpec = NonNullable<Raw["configMaps"]>;

/** Secrets and ConfigMaps through paginated LIST + WATCH. */
export const KUBERNETES_KIND = defineKind({
  kind: "kubernetes",
  schema,
  resolve: (raw: Raw) => raw,
  columns: [
    { name: "secret_namespace", value: (l) => l.secretNamespace },
    { name: "secret_name", value: (l) => l.secretName },
    { name: "secret_key", value: (l) => l.secretKey },
    { name: "configmap_namespace", value: (l) => l.configmapNamespace },
    { name: "configmap_name", value: (l) => l.configmapName },
    { name: "configmap_key", value: (l) => l.configmapKey },
  ],
  reports: ["kube-secret", "kube-configmap"],
  describe: (spec) => ({
    kubeconfig: spec.kubeconfig || "in-cluster or KUBECONFIG",
    namespaces: spec.namespaces.include.length ? spec.namespaces.include : "all",
    ...(spec.secrets ? { secretTypes: spec.secrets.types.map((t) => t.type || "any") } : {}),
    ...(spec.configMaps ? { configMapKeys: spec.configMaps.keyPatterns } : {}),
  }),
  extraLabelNames: (spec) => [
    ...(spec.secrets?.exposeLabels ?? []).map((l) => exposedLabelName("secret_label", l)),
    ...(spec.configMaps?.exposeLabels ?? []).map((l) => exposedLabelName("configmap_label", l)),
  ],
  formats: (spec): Format[] => [
    ...(spec.secrets?.types.map((t) => t.format) ?? []),
    ...(spec.configMaps ? [spec.configMaps.format] : []),
  ],
  async create(spec, deps): Promise<Source> {
    // Loaded on demand: the Kubernetes client costs ~15 MB that file-only hosts never need.
    const { KubernetesSource } = await import("../kubernetes.ts");
    return new KubernetesSource({ config: spec, ...deps });
  },
});
