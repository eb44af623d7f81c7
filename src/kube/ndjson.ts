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
  clock?: Clock;
}

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
  let buf = "";
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
      // pieces costs linear time, not quadratic.
      const text = decoder.decode(chunk.value, { stream: true });
      let start = 0;
      let nl = text.indexOf("\n");
      while (nl >= 0) {
        const line = buf + text.slice(start, nl);
        buf = "";
        if (line.trim() !== "") yield JSON.parse(line);
        start = nl + 1;
        nl = text.indexOf("\n", start);
      }
      buf += text.slice(start);
    }
    buf += decoder.decode();
    if (buf.trim() !== "") yield JSON.parse(buf);
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
