import type { Reason } from "./errors.ts";

/**
 * The latest probe of one remote endpoint, as a probing source reports it
 * through the sink and `x509_probe_*` renders it. While a failing endpoint's
 * last chain is kept (its grace period), so are what that chain's handshake
 * told: its TLS version and whether it verified.
 */
export interface ProbeReport {
  /** The ref of the endpoint's bundle: one per target. */
  readonly ref: string;
  /** `host:port` as configured (`probe_target`). */
  readonly target: string;
  /** The SNI and verification name (`probe_server_name`). */
  readonly serverName: string;
  /** True when the probe read a chain: connected, upgraded if asked, handshake done. */
  readonly success: boolean;
  /** Wall time of the probe, every stage included. */
  readonly durationSeconds: number;
  /** When the probe started, in ms since the epoch. */
  readonly at: number;
  /** Why it failed, when it did. */
  readonly reason?: Reason;
  /** The failure's detail, for the log and the status page. */
  readonly message?: string;
  /** Negotiated version as `TLS 1.3`, from the handshake of the chain held. */
  readonly tlsVersion?: string;
  /** Whether the chain held verifies for the server name against the configured roots. */
  readonly verified?: boolean;
  /** Why it does not (`CERT_HAS_EXPIRED`, a name mismatch, ...). */
  readonly verifyError?: string;
}
