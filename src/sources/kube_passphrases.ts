import type { KubeClient } from "../kube/client.ts";
import type { KubeObject } from "../kube/resource.ts";
import { fromBase64 } from "./kube_objects.ts";
import type { ObjectPassphrases } from "./kinds/kubernetes.ts";
import { resolvePassphrases, trimPassphrase } from "./passphrases.ts";

/** Reads one key of another Secret (`passphraseSecretRef`). */
export type SecretValueReader = (
  namespace: string,
  name: string,
  key: string,
) => Promise<string | undefined>;

/**
 * The passphrases to try for a keystore held in a Secret or ConfigMap, in
 * order: a sibling key of the same object, another Secret's key, the inline
 * passphrase or file, then the empty one with `tryEmptyPassphrase` (or when
 * nothing else is configured). Upstream documents several of these for
 * Secrets but never wired them; here they all work.
 */
export async function objectPassphrases(
  obj: KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> },
  config: ObjectPassphrases | undefined,
  readSecret: SecretValueReader | undefined,
  isSecret: boolean,
): Promise<string[]> {
  const list: string[] = [];
  if (config?.passphraseKey) {
    const raw = obj.data?.[config.passphraseKey];
    // Secret data is base64; ConfigMap `data` is text and `binaryData` base64.
    const text = isSecret
      ? decodeBase64Text(raw)
      : raw ?? decodeBase64Text(obj.binaryData?.[config.passphraseKey]);
    if (text !== undefined) list.push(trimPassphrase(text));
  }
  if (config?.passphraseSecretRef && readSecret) {
    const ref = config.passphraseSecretRef;
    const value = await readSecret(
      ref.namespace || obj.metadata.namespace || "",
      ref.name,
      ref.key,
    );
    if (value !== undefined) list.push(trimPassphrase(value));
  }
  return (await resolvePassphrases(config, list)).list;
}

/**
 * A `passphraseSecretRef` reader with a short cache: one GET per referenced
 * Secret per minute, however many keystores point at it.
 */
export function cachedSecretReader(client: KubeClient, ttlMs = 60_000): SecretValueReader {
  const cache = new Map<string, { at: number; data: Record<string, string> | undefined }>();
  return async (namespace, name, key) => {
    const id = `${namespace}/${name}`;
    let hit = cache.get(id);
    if (!hit || Date.now() - hit.at > ttlMs) {
      let data: Record<string, string> | undefined;
      try {
        const res = await client.get(
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
          {},
          AbortSignal.timeout(30_000),
        );
        data = ((await res.json()) as { data?: Record<string, string> }).data;
      } catch {
        data = undefined; // reported as a wrong passphrase by the keystore that needed it
      }
      hit = { at: Date.now(), data };
      cache.set(id, hit);
    }
    return decodeBase64Text(hit.data?.[key]);
  };
}

/** Base64 of UTF-8 text, decoded back to text; undefined when absent or not base64. */
function decodeBase64Text(text: string | undefined): string | undefined {
  const bytes = text === undefined ? undefined : fromBase64(text);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}
