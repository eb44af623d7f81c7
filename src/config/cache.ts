import { bool, duration, type Infer, obj } from "./spec.ts";

/**
 * `cache:` of the config file. Its own module because the source kinds inherit
 * from it (a file source's `refreshInterval` is `cache.filePoll.interval` unless set).
 */
export const CACHE_SCHEMA = obj({
  filePoll: obj({
    interval: duration(30_000, 100),
    skipUnchanged: bool(true),
    watchChanges: bool(true),
  }),
});

export type CacheSettings = Infer<typeof CACHE_SCHEMA>;
