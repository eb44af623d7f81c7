export { Backoff, type BackoffOptions } from "./backoff.ts";
export { KubeClient, type KubeClientOptions } from "./client.ts";
export { type KubeTarget, loadKubeconfig } from "./kubeconfig.ts";
export { type Clock, sleep, systemClock } from "./clock.ts";
export {
  KubeHttpError,
  type KubeReason,
  parseRetryAfter,
  reasonForStatus,
  type TransportReason,
} from "./http_error.ts";
export {
  ListWatch,
  type ListWatchHandlers,
  type ListWatchOptions,
  type ResyncReason,
  type WatchEventType,
} from "./list_watch.ts";
export { IdleTimeoutError, readNdjson } from "./ndjson.ts";
export { type RateLimit, TokenBucket } from "./rate_limiter.ts";
export * from "./resource.ts";
