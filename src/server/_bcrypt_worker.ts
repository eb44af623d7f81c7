/**
 * bcrypt off the main thread: a compare costs ~50-100 ms of CPU at cost 10,
 * which on the main thread delays every other reply (the probe listener's
 * included). One message in, one out: `{ id, op, password, hash | cost }`.
 */
import bcrypt from "bcryptjs";

export interface BcryptRequest {
  readonly id: number;
  readonly op: "compare" | "hash";
  readonly password: string;
  /** For `compare`. */
  readonly hash?: string;
  /** For `hash`. */
  readonly cost?: number;
}

export interface BcryptReply {
  readonly id: number;
  readonly result?: boolean | string;
  readonly error?: string;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<BcryptRequest>) => void) | null;
  postMessage(reply: BcryptReply): void;
};

scope.onmessage = (e) => {
  const { id, op, password, hash, cost } = e.data;
  try {
    const result = op === "compare"
      ? bcrypt.compareSync(password, hash ?? "")
      : bcrypt.hashSync(password, cost ?? 10);
    scope.postMessage({ id, result });
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
