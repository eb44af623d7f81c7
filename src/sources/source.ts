import type { SourceId } from "../bundle.ts";

/** A producer of bundles. It runs until `signal` aborts and reports only through its Sink. */
export interface Source {
  readonly id: SourceId;
  /** Runs the source; resolves once it has stopped. */
  run(signal: AbortSignal): Promise<void>;
}

/** Sleeps `ms`, waking early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Hooks a source uses to report survived failures (`x509_panic_total`). */
export interface PanicReporter {
  (component: string, err: unknown): void;
}
