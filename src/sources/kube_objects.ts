import type { Bundle, Item, Location } from "../bundle.ts";
import type { Format } from "../format.ts";
import type { KubeObject } from "../kube/resource.ts";
import { exposedLabelName } from "../label_names.ts";
import type { CertificateCache } from "../parse/cert_cache.ts";
import { decodeItems, decodeItemsAsync, type DecodeOptions, wholeError } from "../parse/decode.ts";
import type { DecodeLimits } from "../parse/limits.ts";
import type { ConfigMapsSpec, ObjectPassphrases, SecretsSpec } from "./kinds/kubernetes.ts";
import { keyMatcher } from "./kube_filters.ts";
import { objectPassphrases, type SecretValueReader } from "./kube_passphrases.ts";

export interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** Turns the selected keys of one object into bundles, one per key. */
export type ObjectDecoder = (obj: KubeObject) => Bundle[] | Promise<Bundle[]>;

/** What decoding a value needs: the certificate cache, the work bounds, a timing hook. */
export interface ValueContext {
  readonly cache: CertificateCache;
  readonly limits: DecodeLimits;
  readonly onParse?: (format: Format, seconds: number) => void;
}

/** What object decoders need beyond the object: another Secret (passphrases). */
export interface DecoderContext extends ValueContext {
  readonly readSecret?: SecretValueReader;
}

interface CompiledRule {
  readonly type: string;
  readonly matches: (key: string) => boolean;
  readonly format: Format;
  readonly passphrase: ObjectPassphrases | undefined;
}

/** The bytes of base64 text (Secret data, `binaryData`, `caBundle`); undefined when it is not base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.fromBase64(text);
  } catch {
    return undefined;
  }
}

/**
 * Bundle items of one value; `undefined` bytes (bad base64) become a `decode_failed` item.
 * Not PKCS#12: its reader is loaded on demand, by {@link decodeValueAsync}.
 */
export function decodeValue(
  bytes: Uint8Array | undefined,
  format: Exclude<Format, "pkcs12">,
  ctx: ValueContext,
  passphrases?: readonly string[],
): Item[] {
  if (bytes === undefined) return [wholeError("decode_failed", "Value is not valid base64")];
  return decodeItems(bytes, valueOptions(format, ctx, passphrases));
}

/** {@link decodeValue}, returning to the event loop between certificates of a large value. */
export async function decodeValueAsync(
  bytes: Uint8Array | undefined,
  format: Format,
  ctx: ValueContext,
  passphrases?: readonly string[],
): Promise<Item[]> {
  if (bytes === undefined) return [wholeError("decode_failed", "Value is not valid base64")];
  return await decodeItemsAsync(bytes, valueOptions(format, ctx, passphrases));
}

function valueOptions(
  format: Format,
  ctx: ValueContext,
  passphrases: readonly string[] | undefined,
): DecodeOptions {
  return {
    formats: [format],
    cache: ctx.cache,
    limits: ctx.limits,
    ...(passphrases ? { passphrases: { pkcs12: passphrases, jks: passphrases } } : {}),
    ...(ctx.onParse ? { onParse: ctx.onParse } : {}),
  };
}

/**
 * The bytes of a base64 value, or a `too_large` item when they would be over
 * `maxInputBytes`: told from the text's length, before any byte is decoded.
 */
function base64Value(text: string, limits: DecodeLimits): Uint8Array | undefined | Item[] {
  const bytes = Math.floor((text.length * 3) / 4);
  if (bytes > limits.maxInputBytes + 3) {
    return [
      wholeError(
        "too_large",
        `Value of about ${bytes} bytes is over the limit of ${limits.maxInputBytes}`,
      ),
    ];
  }
  return fromBase64(text);
}

/** The passphrase settings of a rule for its format (`jks` rules may use the `pkcs12` block, as upstream's). */
function passphraseConfig(
  rule: {
    format: Format;
    pkcs12?: ObjectPassphrases | undefined;
    jks?: ObjectPassphrases | undefined;
  },
): ObjectPassphrases | undefined {
  if (rule.format === "pkcs12") return rule.pkcs12;
  if (rule.format === "jks") return rule.jks ?? rule.pkcs12;
  return undefined;
}

function valueItems(
  value: Uint8Array | undefined | Item[],
  format: Format,
  ctx: ValueContext,
  passphrases: readonly string[] | undefined,
): Promise<Item[]> {
  if (Array.isArray(value)) return Promise.resolve(value);
  return decodeValueAsync(value, format, ctx, passphrases);
}

function isKeystore(format: Format): boolean {
  return format === "pkcs12" || format === "jks";
}

/** The `<prefix>_<label>` columns of the labels in `names` (empty when the object lacks one). */
export function exposed(
  prefix: string,
  names: readonly string[],
  labels: Record<string, string> | undefined,
) {
  if (names.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const n of names) out[exposedLabelName(prefix, n)] = labels?.[n] ?? "";
  return out;
}

/** The decoder for Secrets: each `types[]` rule selects keys of Secrets of its type. */
export function secretDecoder(config: SecretsSpec, context: DecoderContext): ObjectDecoder {
  const rules: CompiledRule[] = config.types.map((t) => ({
    type: t.type,
    matches: keyMatcher(t),
    format: t.format,
    passphrase: passphraseConfig(t),
  }));
  return async (raw) => {
    const obj = raw as SecretObject;
    const { namespace = "", name } = obj.metadata;
    const extraLabels = exposed("secret_label", config.exposeLabels, obj.metadata.labels);
    const out: Bundle[] = [];
    const taken = new Set<string>();
    for (const rule of rules) {
      // An empty type in a rule matches every Secret type.
      if (rule.type !== "" && rule.type !== (obj.type ?? "Opaque")) continue;
      // The passphrase's own key is never a certificate, whatever the patterns say.
      if (rule.passphrase?.passphraseKey) taken.add(rule.passphrase.passphraseKey);
      let passphrases: string[] | undefined;
      for (const [key, value] of Object.entries(obj.data ?? {})) {
        if (taken.has(key) || !rule.matches(key)) continue;
        taken.add(key);
        if (isKeystore(rule.format)) {
          passphrases ??= await objectPassphrases(obj, rule.passphrase, context.readSecret, true);
        }
        const location: Location = {
          secretNamespace: namespace,
          secretName: name,
          secretKey: key,
          ...(extraLabels ? { extraLabels } : {}),
        };
        out.push({
          ref: `secret/${namespace}/${name}/${key}`,
          kind: "kube-secret",
          location,
          items: await valueItems(
            base64Value(value, context.limits),
            rule.format,
            context,
            passphrases,
          ),
        });
      }
    }
    return out;
  };
}

/** The decoder for ConfigMaps: `keyPatterns` select keys of `data` (text) and `binaryData`. */
export function configMapDecoder(config: ConfigMapsSpec, context: DecoderContext): ObjectDecoder {
  const matches = keyMatcher(config);
  const enc = new TextEncoder();
  const passphraseKey = config.pkcs12?.passphraseKey;
  return async (raw) => {
    const obj = raw as ConfigMapObject;
    const { namespace = "", name } = obj.metadata;
    const extraLabels = exposed("configmap_label", config.exposeLabels, obj.metadata.labels);
    const out: Bundle[] = [];
    const entries: [string, Uint8Array | undefined][] = [
      ...Object.entries(obj.data ?? {}).map(([k, v]): [string, Uint8Array] => [k, enc.encode(v)]),
      ...Object.entries(obj.binaryData ?? {}).map((
        [k, v],
      ): [string, Uint8Array | undefined] => [k, fromBase64(v)]),
    ];
    const passphrases = isKeystore(config.format)
      ? await objectPassphrases(obj, config.pkcs12, context.readSecret, false)
      : undefined;
    for (const [key, bytes] of entries) {
      if (!matches(key) || key === passphraseKey) continue;
      const location: Location = {
        configmapNamespace: namespace,
        configmapName: name,
        configmapKey: key,
        ...(extraLabels ? { extraLabels } : {}),
      };
      out.push({
        ref: `configmap/${namespace}/${name}/${key}`,
        kind: "kube-configmap",
        location,
        items: await valueItems(bytes, config.format, context, passphrases),
      });
    }
    return out;
  };
}
