/**
 * How a file scan reads its files, in scan order. From the page cache,
 * synchronous calls are fastest: stat, open and read cost ~8 µs a file, where
 * each asynchronous call is a round trip to the thread pool (~50 µs of latency,
 * ~15 µs of the event loop). From the disk a read takes ~100 µs, which a
 * synchronous call spends blocking the event loop, while reads running ahead
 * in the thread pool overlap it with decoding. So a scan starts synchronous
 * and reads ahead for the rest of the scan once reads prove slow.
 *
 * The 20,000 files of 100,000 certificates, ready after spawn (two runs each):
 * page cache warm, 4.8-5.5 s always reading ahead, 3.5-3.7 s this way; caches
 * dropped, 6.0-6.3 s always reading ahead, 6.1-6.7 s this way (it turned at the
 * 8th file), 6.7-7.4 s always synchronous.
 *
 * Blocking: the scan before this already stats every path synchronously, so a
 * hung network mount stalls the event loop no longer than it did. A
 * synchronous open follows its stat on the same thread with no turn of the
 * event loop between them: only a regular file swapped for a FIFO in those
 * microseconds would block it. Anything but a small regular file is read the
 * asynchronous way, which refuses a FIFO or a device without opening it.
 */
import { readRegularFile, readRegularFileSync } from "../fs.ts";

/** Regular files up to this size may be read synchronously: ~10 µs from the page cache. */
const SYNC_READ_BYTES = 256 * 1024;

/** A regular file small enough to read at once (synchronously, or ahead); else read when taken. */
function small(info: Deno.FileInfo): boolean {
  return info.isFile && info.size <= SYNC_READ_BYTES;
}
/** A synchronous read slower than this came from the disk (warm p99 32 µs, cold p10 74 µs). */
const SLOW_READ_MS = 0.05;
/** Slow reads, net of fast ones, that turn a scan to reading ahead: a GC pause is not a disk. */
const SLOW_READS = 8;

/**
 * Reads once the scan reads ahead. 2 ahead cost 5.6-5.9 s of the scan above,
 * 8 ahead 4.7-5.3 s, 16 ahead 4.9-5.0 s, with the same RSS at first sync.
 */
const READ_AHEAD = 8;

/** The bytes of a scan's files, taken in scan order. */
export class ScanReader {
  readonly #targets: readonly string[];
  readonly #maxBytes: number;
  readonly #slowReadMs: number;
  #slow = 0;
  #ahead: ReadAhead | undefined;

  /** `slowReadMs` is for tests: below zero, every read counts as slow. */
  constructor(targets: readonly string[], maxBytes: number, slowReadMs = SLOW_READ_MS) {
    this.#targets = targets;
    this.#maxBytes = maxBytes;
    this.#slowReadMs = slowReadMs;
  }

  /** True once reads proved slow and run ahead (for tests). */
  get readsAhead(): boolean {
    return this.#ahead !== undefined;
  }

  /**
   * The bytes of file `i` (0, 1, 2... in turn), rejecting as
   * {@link readRegularFile} does: a missing file, a FIFO, a device, a file over
   * the size limit.
   */
  read(i: number): Uint8Array | Promise<Uint8Array> {
    if (this.#ahead) return this.#ahead.take(i);
    const target = this.#targets[i]!;
    const started = performance.now();
    let info: Deno.FileInfo;
    let bytes: Uint8Array;
    try {
      info = Deno.statSync(target);
      if (!small(info)) {
        return readRegularFile(target, this.#maxBytes, info);
      }
      bytes = readRegularFileSync(target, this.#maxBytes, info);
    } catch (err) {
      return Promise.reject(err);
    }
    if (performance.now() - started > this.#slowReadMs) this.#slow++;
    else if (this.#slow > 0) this.#slow--;
    if (this.#slow >= SLOW_READS) {
      this.#ahead = new ReadAhead(this.#targets, this.#maxBytes, i + 1);
    }
    return bytes;
  }
}

/**
 * Reads running {@link READ_AHEAD} files ahead of the one being decoded, so
 * their stat, open and read round trips to the thread pool overlap. Results
 * are taken in scan order. A file larger than {@link SYNC_READ_BYTES} is only
 * stat'ed ahead, and read when taken.
 */
class ReadAhead {
  readonly #targets: readonly string[];
  readonly #maxBytes: number;
  readonly #started = new Map<number, Promise<() => Promise<Uint8Array>>>();

  constructor(targets: readonly string[], maxBytes: number, from: number) {
    this.#targets = targets;
    this.#maxBytes = maxBytes;
    for (let i = from; i < Math.min(from + READ_AHEAD, targets.length); i++) this.#start(i);
  }

  /** The bytes of file `i`; starts the one READ_AHEAD on. */
  async take(i: number): Promise<Uint8Array> {
    const started = this.#started.get(i) ?? this.#start(i);
    this.#started.delete(i);
    if (i + READ_AHEAD < this.#targets.length) this.#start(i + READ_AHEAD);
    return await (await started)();
  }

  #start(i: number): Promise<() => Promise<Uint8Array>> {
    const target = this.#targets[i]!;
    const started = (async () => {
      try {
        // Stat again rather than trust the scan's: the nearer to the open, the smaller the
        // window for a path swapped for a FIFO, whose open would block until a writer comes.
        const info = await Deno.stat(target);
        if (!small(info)) {
          return () => readRegularFile(target, this.#maxBytes, info);
        }
        const bytes = readRegularFile(target, this.#maxBytes, info);
        bytes.catch(() => {}); // seen when taken
        return () => bytes;
      } catch (err) {
        return () => Promise.reject(err);
      }
    })();
    this.#started.set(i, started);
    return started;
  }
}
