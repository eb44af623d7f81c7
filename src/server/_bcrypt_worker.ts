/**
 * bcrypt off the main thread: a compare costs ~50-100 ms of CPU at cost 10,
 * which on the main thread delays every other reply (the probe listener's
 * included). One job in, one out (`serveJobs`): `{ op, password, hash | cost }`.
 */
import bcrypt from "bcryptjs";
import { serveJobs } from "../worker.ts";

export interface BcryptRequest {
  readonly op: "compare" | "hash";
  readonly password: string;
  /** For `compare`. */
  readonly hash?: string;
  /** For `hash`. */
  readonly cost?: number;
}

serveJobs((req: BcryptRequest): boolean | string =>
  req.op === "compare"
    ? bcrypt.compareSync(req.password, req.hash ?? "")
    : bcrypt.hashSync(req.password, req.cost ?? 10)
);
