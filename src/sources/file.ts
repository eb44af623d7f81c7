import { dirname } from "node:path";
import type { Bundle, SourceId } from "../bundle.ts";
import type { Reason } from "../errors.ts";
import { decodeItemsAsync } from "../parse/decode.ts";
import { FileTooLargeError } from "../fs.ts";
import { ScanReader } from "./_scan_reader.ts";
import { DirWatch } from "./dir_watch.ts";
import { fsProblem, problemBundle, scanFiles, type ScanProblem } from "./file_scan.ts";
import type { SourceDeps } from "./kind.ts";
import type { FileSourceSpec } from "./kinds/file.ts";
import { resolvePassphrases } from "./passphrases.ts";
import { pollLoop, type Source } from "./source.ts";
import { TimeSlice } from "../steps.ts";

export interface FileSourceOptions extends SourceDeps {
  readonly spec: FileSourceSpec;
}

/**
 * Certificates in files: PEM bundles and DER, found through paths, globs and
 * directories. Each poll re-expands the patterns, so new files appear, deleted
 * ones lose their series, and symlink swaps (certbot's `live/` links,
 * Kubernetes' `..data`) are seen as a new target inode.
 */
export class FileSource implements Source {
  readonly id: SourceId;
  readonly #o: FileSourceOptions;
  /** version (inode:mtime:size or error reason) last put, per bundle ref. */
  readonly #versions = new Map<string, string>();
  readonly #watch: DirWatch | undefined;
  /** Reason per path (or `walk:` directory) that failed at the last scan, re-counted each poll. */
  #failing = new Map<string, Reason>();
  /** Paths left out as another path's file at the last scan (logged once). */
  #duplicates = new Set<string>();
  /** Patterns that matched nothing at the last scan (warned about once). */
  #empty = new Set<string>();
  /** Special files (FIFOs, devices) skipped at the last scan, logged once each. */
  #skipped = new Set<string>();
  /** Full scans so far (polls skipped thanks to change notifications are not). */
  scans = 0;

  constructor(options: FileSourceOptions) {
    this.#o = options;
    this.id = { kind: "file", name: options.spec.name };
    if (options.spec.watchChanges) this.#watch = new DirWatch({ logger: options.logger });
    options.sink.register(this.id);
  }

  async run(signal: AbortSignal): Promise<void> {
    try {
      await pollLoop(
        this.id,
        this.#o,
        this.#o.spec.refreshInterval,
        () => this.sync(),
        signal,
      );
    } finally {
      this.#watch?.close();
    }
  }

  /** One poll: expand patterns, read what changed, drop what vanished. */
  async sync(): Promise<void> {
    const { sink, logger, spec } = this.#o;
    if (this.#watch && !this.#watch.mustScan()) {
      // Nothing moved, so whatever failed still fails: counted again, as a scan would.
      for (const reason of this.#failing.values()) sink.countError(this.id, reason);
      return;
    }
    this.scans++;
    const scan = await scanFiles(spec);
    const keep = new Set<string>();
    const failing = new Map<string, Reason>();
    const passphrases = await this.#passphrases();
    // A changed passphrase must re-open keystores whose bytes did not change.
    const salt = passphrases ? `:${passphrases.key}` : "";
    // Upstream re-emits walk and read errors every cycle: a file that stays missing keeps
    // `increase(x509_source_errors_total[15m])` above 0 for as long as it lasts.
    const fail = (problem: ScanProblem, what: string) => {
      failing.set(problem.path, problem.reason);
      if (this.#failing.get(problem.path) === problem.reason) {
        sink.countError(this.id, problem.reason);
        return;
      }
      logger.warn(what, { path: problem.path, reason: problem.reason, error: problem.message });
      sink.put(this.id, problemBundle(problem));
    };
    for (const problem of scan.problems) {
      keep.add(problem.path);
      this.#versions.delete(problem.path);
      fail(problem, "Cannot read certificate file");
    }
    for (const walk of scan.walkErrors) {
      const key = `walk:${walk.path}`;
      failing.set(key, walk.reason);
      if (this.#failing.get(key) !== walk.reason) {
        logger.warn("Cannot walk directory", {
          path: walk.path,
          reason: walk.reason,
          error: walk.message,
        });
      }
      sink.countError(this.id, walk.reason);
    }
    this.#warnEmptyPatterns(scan.emptyPatterns);
    for (const d of scan.duplicates) {
      if (this.#duplicates.has(d.path)) continue;
      logger.info("Same file as another path of this source: counted once", d);
    }
    this.#duplicates = new Set(scan.duplicates.map((d) => d.path));
    for (const skip of scan.skipped) {
      if (!this.#skipped.has(skip.path)) {
        logger.info("Skipping file", { path: skip.path, error: skip.message });
      }
    }
    this.#skipped = new Set(scan.skipped.map((s) => s.path));
    const todo: { path: string; target: string; version: string }[] = [];
    for (const file of scan.files) {
      keep.add(file.path);
      const version = file.version + salt;
      const skip = spec.skipUnchanged && this.#versions.get(file.path) === version;
      if (!skip) todo.push({ path: file.path, target: file.target, version });
    }
    const reader = new ScanReader(todo.map((t) => t.target), this.#o.limits.maxInputBytes);
    // Synchronous reads and small decodes do not return to the event loop by themselves.
    const slice = new TimeSlice();
    for (const [i, { path, version }] of todo.entries()) {
      const pause = slice.pause();
      if (pause) await pause;
      const read = await this.#read(path, reader.read(i), passphrases?.value);
      if ("problem" in read) {
        this.#versions.delete(path);
        fail(read.problem, "Cannot read certificate file");
        continue;
      }
      this.#versions.set(path, version);
      sink.put(this.id, read.bundle);
    }
    for (const ref of this.#versions.keys()) if (!keep.has(ref)) this.#versions.delete(ref);
    this.#failing = failing;
    sink.retain(this.id, keep);
    sink.setUp(this.id, scan.walkErrors.length === 0);
    if (this.#watch) {
      // Passphrase files are re-read every scan: their directories are watched too.
      const files = [spec.pkcs12?.passphraseFile, spec.jks?.passphraseFile];
      for (const f of files) if (f) scan.dirs.add(dirname(f));
      this.#watch.scanned(scan.dirs);
    }
  }

  /** A glob that matches nothing is logged once, and again each time it goes back to nothing. */
  #warnEmptyPatterns(empty: readonly string[]): void {
    for (const pattern of empty) {
      if (this.#empty.has(pattern)) continue;
      this.#o.logger.warn("Pattern matches no file", { pattern });
    }
    this.#empty = new Set(empty);
  }

  /** Passphrases of the configured keystore formats, re-read every poll (files rotate). */
  async #passphrases() {
    const { formats } = this.#o.spec;
    if (!formats.includes("pkcs12") && !formats.includes("jks")) return undefined;
    const value: { pkcs12?: readonly string[]; jks?: readonly string[] } = {};
    for (const format of ["pkcs12", "jks"] as const) {
      if (!formats.includes(format)) continue;
      const resolved = await resolvePassphrases(this.#o.spec[format]);
      if (resolved.error) {
        this.#o.logger.warn("Cannot read keystore passphrase", {
          format,
          reason: resolved.error.reason,
          error: resolved.error.message,
        });
        this.#o.sink.countError(this.id, resolved.error.reason);
      }
      value[format] = resolved.list;
    }
    const digest = await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(JSON.stringify(value)),
    );
    return { value, key: btoa(String.fromCharCode(...new Uint8Array(digest))).slice(0, 16) };
  }

  async #read(
    path: string,
    bytes: Uint8Array | Promise<Uint8Array>,
    passphrases: { pkcs12?: readonly string[]; jks?: readonly string[] } | undefined,
  ): Promise<{ bundle: Bundle } | { problem: ScanProblem }> {
    let data: Uint8Array;
    try {
      // Size and type checked before a byte is read, and no more than the limit read: a
      // 700 MiB file is one too_large item, a FIFO or a device never blocks the poll.
      data = await bytes;
    } catch (err) {
      if (!(err instanceof FileTooLargeError)) return { problem: fsProblem(path, err) };
      return { problem: { path, reason: "too_large", message: err.message } };
    }
    const { sink } = this.#o;
    const items = await decodeItemsAsync(data, {
      formats: this.#o.spec.formats,
      cache: this.#o.cache,
      limits: this.#o.limits,
      ...(passphrases ? { passphrases } : {}),
      onParse: (format, seconds) => sink.observeParse(format, seconds),
    });
    for (const item of items) {
      if (item.kind === "error") {
        this.#o.logger.warn("Bad certificate data", {
          path,
          reason: item.reason,
          index: item.index,
          error: item.message,
        });
      }
    }
    return { bundle: { ref: path, location: { filepath: path }, items } };
  }
}
