/** Which collection a LIST+WATCH addresses, and the little it needs to know of objects. */

export interface ResourceRef {
  /** API group, `""` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}

export const SECRETS: ResourceRef = { group: "", version: "v1", plural: "secrets" };
export const CONFIGMAPS: ResourceRef = { group: "", version: "v1", plural: "configmaps" };
export const NAMESPACES: ResourceRef = { group: "", version: "v1", plural: "namespaces" };
export const MUTATING_WEBHOOK_CONFIGURATIONS: ResourceRef = {
  group: "admissionregistration.k8s.io",
  version: "v1",
  plural: "mutatingwebhookconfigurations",
};
export const VALIDATING_WEBHOOK_CONFIGURATIONS: ResourceRef = {
  group: "admissionregistration.k8s.io",
  version: "v1",
  plural: "validatingwebhookconfigurations",
};
export const API_SERVICES: ResourceRef = {
  group: "apiregistration.k8s.io",
  version: "v1",
  plural: "apiservices",
};
export const CUSTOM_RESOURCE_DEFINITIONS: ResourceRef = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
};

/** An object as returned by the API: only metadata is interpreted here. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** `/api/v1/namespaces/ns/secrets`, or the cluster-wide path when `namespace` is absent. */
export function collectionPath(resource: ResourceRef, namespace?: string): string {
  const base = resource.group
    ? `/apis/${resource.group}/${resource.version}`
    : `/api/${resource.version}`;
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${ns}/${resource.plural}`;
}

/** `namespace/name` for namespaced objects, `name` otherwise: the key `seenKeys` holds. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : obj.metadata.name;
}
