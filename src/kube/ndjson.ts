import { type Clock, systemClock } from "./clock.ts";

/** No byte arrived for the idle timeout: the connection is presumed silently dead. */
export class IdleTimeoutError extends Error {
  readonly idleMs: number;
  constructor(idleMs: number) {
    super(`Watch stream idle: no data for ${idleMs} ms`);
    this.name = "IdleTimeoutError";
    this.idleMs = idleMs;
  }
}

export interface NdjsonOptions {
  /** Abort the stream when no bytes arrive for this long. */
  idleMs: number;
  /**
   * Longest line kept, in bytes. A longer one is never held: its bytes are dropped
   * as they come, `onOversize` is called once, and the stream goes on with the next
   * line. @default Infinity
   */
  maxLineBytes?: number;
  /** Called once per line over `maxLineBytes`. */
  onOversize?: (limit: number) => void;
  clock?: Clock;
}

const NEWLINE = 0x0a;

/**
 * Yields one parsed JSON value per line of `body`, however the lines are split across
 * chunks. Throws {@link IdleTimeoutError} (after cancelling the body) when the stream
 * stays silent for `idleMs`; the timer only runs while waiting for bytes, so a slow
 * consumer is never mistaken for a dead server.
 */
export async function* readNdjson(
  body: ReadableStream<Uint8Array>,
  opts: NdjsonOptions,
): AsyncGenerator<unknown, void, void> {
  const clock = opts.clock ?? systemClock;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const maxLine = opts.maxLineBytes ?? Infinity;
  let buf = "";
  /** Bytes of the line in progress (in `buf`, or dropped while `skipping`). */
  let lineBytes = 0;
  let skipping = false;
  let finished = false;
  try {
    while (true) {
      let cancelTimer = () => {};
      const idle = new Promise<never>((_, reject) => {
        cancelTimer = clock.schedule(opts.idleMs, () => reject(new IdleTimeoutError(opts.idleMs)));
      });
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await Promise.race([reader.read(), idle]);
      } finally {
        cancelTimer();
      }
      if (chunk.done) break;
      // Only the new chunk is scanned for newlines: a 1 MiB object arriving in 16 KiB
      // pieces costs linear time, not quadratic. Bytes, not text, so the cap is in bytes
      // and a dropped line is never decoded.
      const bytes = chunk.value;
      let start = 0;
      let nl = bytes.indexOf(NEWLINE);
      while (nl >= 0) {
        lineBytes += nl - start;
        if (!skipping && lineBytes > maxLine) {
          skipping = true;
          opts.onOversize?.(maxLine);
        }
        if (!skipping) {
          const line = buf + decoder.decode(bytes.subarray(start, nl));
          buf = "";
          lineBytes = 0;
          if (line.trim() !== "") yield JSON.parse(line);
        } else {
          buf = "";
          lineBytes = 0;
          skipping = false;
        }
        start = nl + 1;
        nl = bytes.indexOf(NEWLINE, start);
      }
      lineBytes += bytes.length - start;
      if (!skipping && lineBytes > maxLine) {
        skipping = true;
        buf = "";
        decoder.decode(); // drops a character split across chunks
        opts.onOversize?.(maxLine);
      }
      if (!skipping) buf += decoder.decode(bytes.subarray(start), { stream: true });
    }
    if (!skipping) {
      buf += decoder.decode();
      if (buf.trim() !== "") yield JSON.parse(buf);
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
