import { bool, type Infer, obj, refine } from "../../config/spec.ts";
import { exposedLabelName } from "../../label_names.ts";
import { defineKind } from "../kind.ts";
import type { Source } from "../source.ts";
import { filterFields, kubeClientFields, strings } from "./_shared.ts";

const schema = obj({
  ...kubeClientFields,
  cabundles: obj({
    // Upstream v4 defaults: admission webhooks on, the rarer two opt-in.
    resources: refine(
      obj({
        mutating: bool(true),
        validating: bool(true),
        apiservice: bool(false),
        crdConversion: bool(false),
      }),
      (r, ctx, path) => {
        if (!Object.values(r).some(Boolean)) {
          ctx.d.fail(
            "Enable at least one of mutating, validating, apiservice or crdConversion",
            undefined,
            path,
          );
        }
        return r;
      },
    ),
    ...filterFields,
    exposeLabels: strings(),
  }),
}, { required: ["name"] });

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
  reports: ["cabundle"],
  extraLabelNames: (spec) =>
    spec.cabundles.exposeLabels.map((l) => exposedLabelName("cabundle_label", l)),
  async create(spec, deps): Promise<Source> {
    const { CabundleSource } = await import("../cabundle.ts");
    return new CabundleSource({ config: spec, ...deps });
  },
});
