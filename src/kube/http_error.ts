import type { KubeReason } from "../errors.ts";

export type { KubeReason };

/** Reasons for failures of the LIST+WATCH cycle itself; label values, never renamed. */
export type TransportReason =
  | "list_failed"
  | "watch_start_failed"
  | "watch_error_event"
  | "watch_flapped";

/** An answer other than 2xx, with what its Status object said. */
export class KubeHttpError extends Error {
  readonly status: number;
  /** The Status `reason`, e.g. `Expired`, `Forbidden`; empty when the body had none. */
  readonly statusReason: string;
  /** From `Retry-After` (or the Status details) when the server asked to wait. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, statusReason: string, message: string, retryAfterSeconds?: number) {
    super(`Kubernetes API answered ${status}${statusReason ? ` ${statusReason}` : ""}: ${message}`);
    this.name = "KubeHttpError";
    this.status = status;
    this.statusReason = statusReason;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** 410 Gone: a resourceVersion or continue token older than the server keeps. */
  get expired(): boolean {
    return this.status === 410;
  }
}

/** Maps an HTTP status onto upstream's reason, or undefined for answers upstream does not count. */
export function reasonForStatus(status: number): KubeReason | undefined {
  if (status === 429) return "rate_limited";
  if (status === 401) return "http_401";
  if (status === 403) return "http_403";
  if (status >= 500 && status <= 599) return `http_${status}` as KubeReason;
  return undefined;
}

/** Seconds from a `Retry-After` header (delta-seconds or HTTP-date). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/** Builds the error from a non-2xx response, consuming its body. */
export async function errorFromResponse(res: Response, now: number): Promise<KubeHttpError> {
  let reason = "";
  let message = res.statusText;
  let detailsRetry: number | undefined;
  try {
    const body = await res.json() as {
      kind?: string;
      reason?: string;
      message?: string;
      details?: { retryAfterSeconds?: number };
    };
    if (body?.kind === "Status") {
      reason = body.reason ?? "";
      message = body.message ?? message;
      detailsRetry = body.details?.retryAfterSeconds;
    }
  } catch {
    // Not a Status object (a proxy's HTML page, an empty body): the status code is enough.
  }
  const retry = parseRetryAfter(res.headers.get("retry-after"), now) ?? detailsRetry;
  return new KubeHttpError(res.status, reason, message, retry);
}
