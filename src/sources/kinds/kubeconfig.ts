import { duration, type Infer, obj } from "../../config/spec.ts";
import { defineKind, type Inherited } from "../kind.ts";
import type { Source } from "../source.ts";
import { inheritPoll, paths, sourceName } from "./_shared.ts";

const schema = obj({
  name: sourceName,
  paths: paths(),
  /** Inherits `cache.filePoll.interval`. */
  refreshInterval: duration(undefined, 100),
}, {
  required: ["name", "paths"],
  // Upstream's chart writes it for kubeconfig sources too, where upstream never used it.
  ignored: { pathMappings: "it applies to file sources only (upstream ignores it here too)" },
});

export type KubeconfigSourceSpec = ReturnType<typeof resolve>;

function resolve(raw: Infer<typeof schema>, { cache }: Inherited) {
  return inheritPoll(raw, cache);
}

/** Certificates embedded in or referenced by kubeconfig files. */
export const KUBECONFIG_KIND = defineKind({
  kind: "kubeconfig",
  schema,
  resolve,
  columns: [
    { name: "embedded_kind", value: (l) => l.embeddedKind },
    { name: "embedded_key", value: (l) => l.embeddedKey },
  ],
  reports: ["kubeconfig"],
  describe: (spec) => ({ paths: spec.paths }),
  async create(spec, deps): Promise<Source> {
    const { KubeconfigSource } = await import("../kubeconfig.ts");
    return new KubeconfigSource({ spec, ...deps });
  },
});
