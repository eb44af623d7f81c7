import { createSecureContext, type SecureContext } from "node:tls";
import type { Bundle, Item, SourceId } from "../bundle.ts";
import { PROBE_REASONS } from "../errors.ts";
import { type Clock, sleep, systemClock } from "../kube/clock.ts";
import { decodeItems, errorItem } from "../parse/decode.ts";
import type { ProbeReport } from "../probe.ts";
import { type ProbeOptions, type ProbeOutcome, probeTls } from "./_tls_probe.ts";
import type { SourceDeps } from "./kind.ts";
import type { TlsSourceSpec, TlsTarget } from "./kinds/tls.ts";
import type { Source } from "./source.ts";

/** Where distributions keep the system's trust store (the first that exists is used). */
export const SYSTEM_CA_FILES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/cert.pem",
];

export interface TlsSourceOptions extends SourceDeps {
  readonly spec: TlsSourceSpec;
  /** @default the system clock */
  readonly clock?: Clock;
  /** The probe itself (tests count or fake it). @default probeTls */
  readonly probe?: (target: TlsTarget, options: ProbeOptions) => Promise<ProbeOutcome>;
  /** Host name resolution, passed to every probe. @default node:dns lookup */
  readonly lookup?: (host: string) => Promise<string>;
  /** Trust stores tried when `caFile` is empty. @default SYSTEM_CA_FILES */
  readonly systemCaFiles?: readonly string[];
}

/** What is remembered of one target between its probes. */
interface TargetState {
  readonly target: TlsTarget;
  busy: boolean;
  /** Start of the last successful probe, ms since the epoch. */
  lastSuccess: number | undefined;
  /** What the held chain's handshake told; undefined once the chain is dropped. */
  held: { fingerprints: string; tlsVersion: string; verifyError: string | undefined } | undefined;
  /** The last state logged (a reason or a verification error), so a log line means a change. */
  logged: string | undefined;
  lastSuccessful: boolean;
}

/**
 * Probes TLS endpoints and exports the chains they serve. The first round
 * probes every target at once (bounded by `concurrency`) so the source is
 * ready with data; then each target settles on its own slot of the interval
 * (target i of n at i/n of it), so probes are spread evenly and one timer is
 * all that runs between them.
 */
export class TlsSource implements Source {
  readonly id: SourceId;
  readonly #o: TlsSourceOptions;
  readonly #clock: Clock;
  readonly #targets: TargetState[];
  readonly #slots: Slots;
  #roots: { context: SecureContext | undefined; loadedAt: number } | undefined;

  constructor(options: TlsSourceOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.id = { kind: "tls", name: options.spec.name };
    this.#targets = options.spec.targets.map((target) => ({
      target,
      busy: false,
      lastSuccess: undefined,
      held: undefined,
      logged: undefined,
      lastSuccessful: false,
    }));
    this.#slots = new Slots(options.spec.concurrency);
    options.sink.register(this.id);
    // Pre-set here rather than in the store: only probing sources can fail these ways.
    for (const r of PROBE_REASONS) options.sink.countError(this.id, r, 0);
  }

  async run(signal: AbortSignal): Promise<void> {
    const { refreshInterval: interval } = this.#o.spec;
    const t0 = this.#clock.now();
    await this.probeAll(signal, t0);
    this.#o.sink.markSynced(this.id);
    // Second probe of target i at t0 + phase_i, or one interval later if that is under half
    // an interval after the first round: every gap stays within 0.5 to 1.5 intervals.
    const n = this.#targets.length;
    const queue = this.#targets.map((state, i) => {
      const phase = (i * interval) / n;
      return { state, due: t0 + phase + (phase < interval / 2 ? interval : 0) };
    }).sort((a, b) => a.due - b.due);
    const running = new Set<Promise<void>>();
    while (!signal.aborted) {
      const next = queue.shift()!;
      await sleep(this.#clock, next.due - this.#clock.now(), signal);
      if (signal.aborted) break;
      // A target still in its previous probe (timeout above its slot spacing) skips this slot.
      if (!next.state.busy) {
        await this.#slots.acquire();
        const p = this.#probe(next.state, next.due, signal).finally(() => {
          this.#slots.release();
          running.delete(p);
        });
        running.add(p);
      }
      next.due += interval;
      queue.push(next);
    }
    await Promise.all(running);
  }

  /** Probes every target now, `concurrency` at a time; `at` is the round's start. */
  async probeAll(signal: AbortSignal, at = this.#clock.now()): Promise<void> {
    await Promise.all(this.#targets.map(async (state) => {
      await this.#slots.acquire();
      try {
        if (!signal.aborted) await this.#probe(state, at, signal);
      } finally {
        this.#slots.release();
      }
    }));
  }

  async #probe(state: TargetState, at: number, signal: AbortSignal): Promise<void> {
    const { sink, logger, spec } = this.#o;
    const { target } = state;
    state.busy = true;
    let outcome: ProbeOutcome;
    try {
      outcome = await (this.#o.probe ?? probeTls)(target, {
        timeoutMs: spec.timeout,
        secureContext: await this.#secureContext(),
        signal,
        ...(this.#o.lookup ? { lookup: this.#o.lookup } : {}),
      });
    } finally {
      state.busy = false;
    }
    if (signal.aborted) return;
    const fields = { target: target.address, server_name: target.serverName };
    const base = {
      ref: target.ref,
      target: target.address,
      serverName: target.serverName,
      durationSeconds: outcome.durationSeconds,
      at,
    };
    let report: ProbeReport;
    if (outcome.ok) {
      const items = this.#decode(outcome.chain);
      const fingerprints = items.map((i) => (i.kind === "cert" ? i.cert.fingerprint : "?")).join();
      if (state.held?.fingerprints !== fingerprints) {
        sink.put(
          this.id,
          {
            ref: target.ref,
            location: { probeTarget: target.address, probeServerName: target.serverName },
            items,
          } satisfies Bundle,
        );
      }
      state.held = {
        fingerprints,
        tlsVersion: outcome.tlsVersion,
        verifyError: outcome.verifyError,
      };
      state.lastSuccess = at;
      const logged = outcome.verifyError === undefined ? "ok" : `verify:${outcome.verifyError}`;
      if (logged !== state.logged) {
        if (outcome.verifyError !== undefined) {
          logger.warn("Served chain does not verify", { ...fields, error: outcome.verifyError });
        } else if (state.logged !== undefined) logger.info("Probe succeeds", fields);
        state.logged = logged;
      }
      report = {
        ...base,
        success: true,
        tlsVersion: outcome.tlsVersion,
        verified: outcome.verifyError === undefined,
        ...(outcome.verifyError !== undefined ? { verifyError: outcome.verifyError } : {}),
      };
    } else {
      sink.countError(this.id, outcome.reason);
      if (state.lastSuccess === undefined || at - state.lastSuccess >= spec.gracePeriod) {
        if (state.held) logger.info("Dropping the last served chain", fields);
        sink.delete(this.id, target.ref);
        state.held = undefined;
      }
      if (state.logged !== outcome.reason) {
        logger.warn("Probe failed", { ...fields, reason: outcome.reason, error: outcome.message });
        state.logged = outcome.reason;
      }
      const held = state.held;
      report = {
        ...base,
        success: false,
        reason: outcome.reason,
        message: outcome.message,
        ...(held
          ? {
            tlsVersion: held.tlsVersion,
            verified: held.verifyError === undefined,
            ...(held.verifyError !== undefined ? { verifyError: held.verifyError } : {}),
          }
          : {}),
      };
    }
    state.lastSuccessful = outcome.ok;
    sink.reportProbe(this.id, report);
    sink.setUp(this.id, this.#targets.every((t) => t.lastSuccessful));
  }

  /** The chain's certificates as bundle items, indexed by their position in the chain. */
  #decode(chain: readonly Uint8Array[]): Item[] {
    const { sink, cache, limits } = this.#o;
    const out: Item[] = [];
    for (const der of chain.slice(0, limits.maxCertificates)) {
      const items = decodeItems(der, {
        formats: ["der"],
        cache,
        limits,
        onParse: (format, seconds) => sink.observeParse(format, seconds),
      });
      for (const item of items) out.push({ ...item, index: out.length });
    }
    if (chain.length > limits.maxCertificates) {
      out.push({
        ...errorItem("too_many_items", `${chain.length - limits.maxCertificates} dropped`),
        index: out.length,
      });
    }
    return out;
  }

  /** The roots, re-read once per interval so a rotated caFile is picked up. */
  async #secureContext(): Promise<SecureContext | undefined> {
    const now = this.#clock.now();
    if (this.#roots && now - this.#roots.loadedAt < this.#o.spec.refreshInterval) {
      return this.#roots.context;
    }
    const { caFile } = this.#o.spec;
    let context: SecureContext | undefined;
    const files = caFile ? [caFile] : (this.#o.systemCaFiles ?? SYSTEM_CA_FILES);
    for (const file of files) {
      let pem: string;
      try {
        pem = await Deno.readTextFile(file);
      } catch (err) {
        if (!caFile && err instanceof Deno.errors.NotFound) continue;
        this.#o.logger.warn("Cannot read caFile: verifying against no roots", {
          path: file,
          error: err,
        });
        this.#o.sink.countError(this.id, "read_failed");
        // Nothing trusted: every chain fails to verify, visibly, rather than against other roots.
        context = createSecureContext({ ca: [] });
        break;
      }
      try {
        context = createSecureContext({ ca: pem });
      } catch (err) {
        this.#o.logger.warn("Cannot load caFile: verifying against no roots", {
          path: file,
          error: err,
        });
        context = createSecureContext({ ca: [] });
      }
      break;
    }
    this.#roots = { context, loadedAt: now };
    return context;
  }
}

/** A counting semaphore: at most `n` probes in flight. */
class Slots {
  #free: number;
  readonly #waiters: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}
