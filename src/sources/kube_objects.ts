import type { Bundle, Item, Location } from "../bundle.ts";
import type { KubernetesSourceConfig } from "../config/schema.ts";
import type { KubeObject } from "../kube/resource.ts";
import { sanitizeLabelName } from "../metrics/labels.ts";
import type { CertificateCache } from "../parse/cert_cache.ts";
import { decodeItems, errorItem, type Format } from "../parse/decode.ts";
import { keyMatcher } from "./kube_filters.ts";

export interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** Turns the selected keys of one object into bundles, one per key. */
export type ObjectDecoder = (obj: KubeObject) => Bundle[];

interface CompiledRule {
  readonly type: string;
  readonly matches: (key: string) => boolean;
  readonly format: Format;
}

/** The bytes of a base64 field; undefined when it is not valid base64. */
export function base64Bytes(text: string): Uint8Array | undefined {
  try {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** Bundle items of one value; `undefined` bytes (bad base64) become a `decode_failed` item. */
export function decodeValue(
  bytes: Uint8Array | undefined,
  format: Format,
  cache: CertificateCache,
): Item[] {
  if (bytes === undefined) return [errorItem("decode_failed", "Value is not valid base64")];
  // PEM text also goes through the DER path when asked, and vice versa, as files do.
  return decodeItems(bytes, { formats: format === "pem" ? ["pem"] : [format], cache });
}

/** The `<prefix>_<label>` columns of the labels in `names` (empty when the object lacks one). */
export function exposed(
  prefix: string,
  names: readonly string[],
  labels: Record<string, string> | undefined,
) {
  if (names.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const n of names) out[`${prefix}_${sanitizeLabelName(n)}`] = labels?.[n] ?? "";
  return out;
}

/** The decoder for Secrets: each `types[]` rule selects keys of Secrets of its type. */
export function secretDecoder(
  config: NonNullable<KubernetesSourceConfig["secrets"]>,
  cache: CertificateCache,
): ObjectDecoder {
  const rules: CompiledRule[] = config.types.map((t) => ({
    type: t.type,
    matches: keyMatcher(t),
    format: t.format,
  }));
  return (raw) => {
    const obj = raw as SecretObject;
    const { namespace = "", name } = obj.metadata;
    const extraLabels = exposed("secret_label", config.exposeLabels, obj.metadata.labels);
    const out: Bundle[] = [];
    const taken = new Set<string>();
    for (const rule of rules) {
      // An empty type in a rule matches every Secret type.
      if (rule.type !== "" && rule.type !== (obj.type ?? "Opaque")) continue;
      for (const [key, value] of Object.entries(obj.data ?? {})) {
        if (taken.has(key) || !rule.matches(key)) continue;
        taken.add(key);
        const location: Location = {
          secretNamespace: namespace,
          secretName: name,
          secretKey: key,
          ...(extraLabels ? { extraLabels } : {}),
        };
        out.push({
          ref: `secret/${namespace}/${name}/${key}`,
          location,
          items: decodeValue(base64Bytes(value), rule.format, cache),
        });
      }
    }
    return out;
  };
}

/** The decoder for ConfigMaps: `keyPatterns` select keys of `data` (text) and `binaryData`. */
export function configMapDecoder(
  config: NonNullable<KubernetesSourceConfig["configMaps"]>,
  cache: CertificateCache,
): ObjectDecoder {
  const matches = keyMatcher(config);
  const enc = new TextEncoder();
  return (raw) => {
    const obj = raw as ConfigMapObject;
    const { namespace = "", name } = obj.metadata;
    const extraLabels = exposed("configmap_label", config.exposeLabels, obj.metadata.labels);
    const out: Bundle[] = [];
    const entries: [string, Uint8Array | undefined][] = [
      ...Object.entries(obj.data ?? {}).map(([k, v]): [string, Uint8Array] => [k, enc.encode(v)]),
      ...Object.entries(obj.binaryData ?? {}).map((
        [k, v],
      ): [string, Uint8Array | undefined] => [k, base64Bytes(v)]),
    ];
    for (const [key, bytes] of entries) {
      if (!matches(key)) continue;
      const location: Location = {
        configmapNamespace: namespace,
        configmapName: name,
        configmapKey: key,
        ...(extraLabels ? { extraLabels } : {}),
      };
      out.push({
        ref: `configmap/${namespace}/${name}/${key}`,
        location,
        items: decodeValue(bytes, config.format, cache),
      });
    }
    return out;
  };
}
