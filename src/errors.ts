/**
 * Stable error reason codes. They are label values of
 * `x509_source_errors_total{reason}` and appear in log lines, so users route
 * alerts on them: never rename one, only add.
 */
export const REASONS = [
  "bad_pem",
  "bad_der",
  "no_certificate_found",
  "read_failed",
  "permission_denied",
  "not_found",
  "decode_failed",
  "broken_symlink",
  "out_of_scope_symlink",
  "walk_error",
  // An input over limits.maxInputBytes, not decoded at all.
  "too_large",
  // One item standing for the certificates or errors dropped past a bundle's caps.
  "too_many_items",
] as const;

/**
 * Reasons of failed Kubernetes API answers, counted as upstream does on the pseudo-source
 * `source_kind="kubernetes", source_name="kube-api"`: these are pre-set to 0, and a 5xx
 * answer counts as `http_<code>` (`http_503`).
 */
export const KUBE_REASONS = ["rate_limited", "http_401", "http_403"] as const;
export type KubeReason = typeof KUBE_REASONS[number] | `http_5${number}`;

/** Reasons added by keystore and CRL parsing. */
export const KEYSTORE_REASONS = [
  "bad_passphrase",
  "bad_pkcs12",
  "bad_jks",
  "bad_crl",
  // A PKCS#12 whose KDF iteration count is over limits.maxPkcs12Iterations: the file may
  // be valid, so not bad_pkcs12 (which sends the operator after a corrupt file); the fix
  // is a re-export with fewer iterations or a higher limit.
  "too_many_iterations",
] as const;

/**
 * Reasons of sources that probe remote endpoints (`kind: tls`), one per stage
 * of a probe. Only those sources pre-set them: a file source never times out.
 */
export const PROBE_REASONS = [
  "dns_failed",
  "connect_failed",
  "timeout",
  "starttls_failed",
  "handshake_failed",
] as const;

export type Reason =
  | typeof REASONS[number]
  | KubeReason
  | typeof KEYSTORE_REASONS[number]
  | typeof PROBE_REASONS[number];

/** An error that knows which stable reason code it maps to. */
export class SourceError extends Error {
  readonly reason: Reason;
  constructor(reason: Reason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SourceError";
    this.reason = reason;
  }
}

/** A configuration problem, located in the file that caused it. */
export class ConfigError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly path: string;
  constructor(
    message: string,
    where: { file: string; path: string; line?: number | undefined; column?: number | undefined },
  ) {
    const at = where.line !== undefined
      ? `${where.file}:${where.line}:${where.column ?? 1}`
      : where.file;
    // One line per problem, whatever text of the file the message quotes (a multi-line value).
    const text = message.replace(/\r?\n/g, "\\n");
    super(`${at}: ${where.path ? `${where.path}: ` : ""}${text}`);
    this.name = "ConfigError";
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.path = where.path;
  }
}

/** Maps a Deno filesystem error onto a reason code. */
export function reasonForFsError(err: unknown): Reason {
  if (err instanceof Deno.errors.NotFound) return "not_found";
  // NotCapable is Deno's own sandbox refusing (a path outside --allow-read).
  if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
    return "permission_denied";
  }
  return "read_failed";
}
