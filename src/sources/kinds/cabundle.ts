import { bool, type Infer, obj, refine } from "../../config/spec.ts";
import { exposedLabelName } from "../../label_names.ts";
import { defineKind } from "../kind.ts";
import type { Source } from "../source.ts";
import { filterFields, kubeClientFields, strings } from "./_shared.ts";

const schema = obj({
  ...kubeClientFields,
  cabundles: obj({
    // Off by default, as upstream: each needs its own RBAC grant, so each is asked for.
    resources: refine(
      obj({
        mutating: bool(false),
        validating: bool(false),
        apiservice: bool(false),
        crdConversion: bool(false),
      }),
      (r, ctx, path, node) => {
        if (!Object.values(r).some(Boolean)) {
          ctx.d.fail(
            "Enable at least one of mutating, validating, apiservice or crdConversion",
            node,
            path,
          );
        }
        return r;
      },
    ),
    ...filterFields,
    exposeLabels: strings(),
  }),
}, { required: ["name", "cabundles"] });

type Raw = Infer<typeof schema>;
export type CabundleSourceSpec = Raw;
export type CabundleResources = Raw["cabundles"]["resources"];

/** The `caBundle` fields the API server itself trusts (webhooks, APIServices, CRD conversion). */
export const CABUNDLE_KIND = defineKind({
  kind: "cabundle",
  schema,
  resolve: (raw: Raw) => raw,
  columns: [
    { name: "cabundle_resource_kind", value: (l) => l.cabundleResourceKind },
    { name: "cabundle_resource_name", value: (l) => l.cabundleResourceName },
    { name: "cabundle_entry", value: (l) => l.cabundleEntry },
  ],
  reports: ["kube-cabundle"],
  describe: (spec) => ({
    kubeconfig: spec.kubeconfig || "in-cluster or KUBECONFIG",
    resources: Object.entries(spec.cabundles.resources).filter(([, on]) => on).map(([r]) => r),
  }),
  extraLabelNames: (spec) =>
    spec.cabundles.exposeLabels.map((l) => exposedLabelName("cabundle_label", l)),
  async create(spec, deps): Promise<Source> {
    const { CabundleSource } = await import("../cabundle.ts");
    return new CabundleSource({ config: spec, ...deps });
  },
});
