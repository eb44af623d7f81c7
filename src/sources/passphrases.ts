import type { KeystorePassphrases } from "./kinds/file.ts";
import { type Reason, reasonForFsError } from "../errors.ts";

/** Only trailing CR/LF is trimmed: `echo secret > file` must work, a passphrase may hold spaces. */
export function trimPassphrase(text: string): string {
  return text.replace(/[\r\n]+$/, "");
}

export interface ResolvedPassphrases {
  /** Passphrases to try, in order. */
  readonly list: string[];
  /** Why a configured passphrase file could not be read. */
  readonly error?: { readonly reason: Reason; readonly message: string };
}

/**
 * The passphrases to try for one keystore format: the configured one (inline,
 * else read from `passphraseFile` now, so a rotated file is picked up), then
 * the empty one with `tryEmptyPassphrase`. With nothing configured, the empty
 * passphrase is tried, as keytool and openssl write unprotected stores.
 */
export async function resolvePassphrases(
  config: KeystorePassphrases | undefined,
  /** Passphrases found elsewhere (a sibling key...): tried first, and no implicit empty one then. */
  found: readonly string[] = [],
): Promise<ResolvedPassphrases> {
  const list: string[] = [...found];
  let error: ResolvedPassphrases["error"];
  if (config?.passphrase !== undefined && config.passphrase !== "") list.push(config.passphrase);
  else if (config?.passphraseFile) {
    try {
      list.push(trimPassphrase(await Deno.readTextFile(config.passphraseFile)));
    } catch (err) {
      error = {
        reason: reasonForFsError(err),
        message: `Cannot read passphrase file ${config.passphraseFile}: ${(err as Error).message}`,
      };
    }
  }
  if ((config?.tryEmptyPassphrase || list.length === 0) && !list.includes("")) list.push("");
  return error ? { list, error } : { list };
}
