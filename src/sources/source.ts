import type { SourceId } from "../bundle.ts";
import { sleep as clockSleep, systemClock } from "../kube/clock.ts";
import type { Logger } from "../log.ts";
import type { Sink } from "../sink.ts";

/** A producer of bundles. It runs until `signal` aborts and reports only through its Sink. */
export interface Source {
  readonly id: SourceId;
  /** Runs the source; resolves once it has stopped. */
  run(signal: AbortSignal): Promise<void>;
}

/** Sleeps `ms` on the system clock, waking early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return clockSleep(systemClock, ms, signal);
}

/** What a polling source needs to survive its own failures. */
export interface PollDeps {
  readonly sink: Sink;
  readonly logger: Logger;
}

/**
 * Runs `sync` every `intervalMs` until `signal` aborts. A sync that throws is a
 * bug, not bad input (bad input becomes error items): it is survived, counted in
 * `x509_panic_total` and marks the source down. The first round, whatever its
 * outcome, completes the source's first sync for `/readyz`.
 */
export async function pollLoop(
  id: SourceId,
  deps: PollDeps,
  intervalMs: number,
  sync: () => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  let first = true;
  while (!signal.aborted) {
    try {
      await sync();
    } catch (err) {
      deps.sink.countPanic("source");
      deps.logger.error("Source sync crashed", { error: err });
      deps.sink.setUp(id, false);
    }
    if (first) deps.sink.markSynced(id);
    first = false;
    await sleep(intervalMs, signal);
  }
}
