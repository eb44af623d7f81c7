/**
 * The shapes shared by the listeners (`Deno.serve` in listen.ts, `node:https`
 * in _node_tls.ts): kept apart so neither module imports the other's types.
 */
import type { ConnectionGuard, ConnectionLimits } from "./_conn_guard.ts";
import type { WebConfig } from "./web_config.ts";

export type Handler = (request: Request) => Response | Promise<Response>;

export interface ServeOptions {
  /** @default {"0.0.0.0"} */
  hostname?: string;
  /** 0 picks a free port; read it back from {@link Server.addr}. */
  port: number;
  /** Absent means plain HTTP without authentication. */
  webConfig?: WebConfig | undefined;
  /** Aborting closes the listener and open connections. */
  signal?: AbortSignal;
  onListen?: (addr: Deno.NetAddr) => void;
  /** Called when the handler throws; a 500 is sent either way. */
  onError?: (error: unknown) => void;
  /** Deadlines and the connection cap (see {@link ConnectionLimits} for the defaults). */
  limits?: Partial<ConnectionLimits>;
  /** Called when accepting fails (`EMFILE`...); accepting resumes after `retryMs`. */
  onAcceptError?: (error: unknown, retryMs?: number) => void;
}

export interface Server {
  addr: Deno.NetAddr;
  scheme: "http" | "https";
  /** Resolves once the server has stopped after the signal aborted. */
  finished: Promise<void>;
  /** The deadlines and cap in force, and their counters. */
  guard?: ConnectionGuard;
}
