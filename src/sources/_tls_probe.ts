/**
 * One probe of one TLS endpoint: resolve, connect, STARTTLS if asked,
 * handshake with SNI, read the chain, close. Every stage is bounded by one
 * deadline; nothing is sent besides the STARTTLS exchange and the handshake.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { connect as netConnect, isIP, type Socket } from "node:net";
import {
  checkServerIdentity,
  connect as tlsConnect,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from "node:tls";
import type { PROBE_REASONS } from "../errors.ts";
import { negotiateStartTls, type StartTlsProtocol } from "./_starttls.ts";

export type ProbeReason = typeof PROBE_REASONS[number];

/** What a probe needs to know of its target. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  /** Sent as SNI (unless an IP address) and verified against the leaf. */
  readonly serverName: string;
  readonly starttls?: StartTlsProtocol | undefined;
}

export interface ProbeOptions {
  /** The whole probe's budget: resolve + connect + STARTTLS + handshake. */
  readonly timeoutMs: number;
  /** Roots to verify against; absent: the runtime's default store. */
  readonly secureContext?: SecureContext | undefined;
  /** Resolves a host name to an address. @default node:dns lookup (getaddrinfo: /etc/hosts, then DNS) */
  readonly lookup?: (host: string) => Promise<string>;
  /** Aborts the probe (the source stopping). */
  readonly signal?: AbortSignal;
}

export type ProbeOutcome =
  | {
    readonly ok: true;
    /** The chain as the handshake reports it, leaf first, each certificate once. */
    readonly chain: readonly Uint8Array[];
    /** `TLS 1.3`, `TLS 1.2`, ... */
    readonly tlsVersion: string;
    /** Why the chain does not verify for the server name; absent when it does. */
    readonly verifyError?: string;
    readonly durationSeconds: number;
  }
  | {
    readonly ok: false;
    readonly reason: ProbeReason;
    readonly message: string;
    readonly durationSeconds: number;
  };

class ProbeFailure extends Error {
  constructor(readonly reason: ProbeReason, message: string) {
    super(message);
  }
}

/** Probes `target`; never throws: every failure is an outcome with its reason. */
export async function probeTls(target: ProbeTarget, options: ProbeOptions): Promise<ProbeOutcome> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const onAbort = () => deadline.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let stage = "resolve";
  let socket: Socket | undefined;
  let secure: TLSSocket | undefined;
  // Rejects when the deadline passes: every stage races it, and it destroys the sockets.
  const expired = new Promise<never>((_, reject) => {
    deadline.signal.addEventListener("abort", () => {
      secure?.destroy();
      socket?.destroy();
      reject(new ProbeFailure("timeout", `Timed out after ${options.timeoutMs} ms (${stage})`));
    }, { once: true });
  });
  expired.catch(() => {});
  try {
    const address = isIP(target.host) ? target.host : await Promise.race([
      (options.lookup ?? defaultLookup)(target.host).catch((err) => {
        throw new ProbeFailure("dns_failed", `Cannot resolve ${target.host}: ${describe(err)}`);
      }),
      expired,
    ]);
    stage = "connect";
    socket = netConnect({ host: address, port: target.port });
    await Promise.race([once(socket, "connect", "connect_failed"), expired]);
    if (target.starttls) {
      stage = `STARTTLS ${target.starttls}`;
      const s = socket;
      await Promise.race([
        negotiateStartTls(s, target.starttls).catch((err) => {
          throw new ProbeFailure("starttls_failed", describe(err));
        }),
        expired,
      ]);
    }
    stage = "handshake";
    secure = tlsConnect({
      socket,
      // The name the runtime verifies when no SNI is sent (IP targets).
      host: target.serverName,
      // RFC 6066: SNI carries host names only.
      ...(isIP(target.serverName) ? {} : { servername: target.serverName }),
      rejectUnauthorized: false,
      ...(options.secureContext ? { secureContext: options.secureContext } : {}),
    });
    await Promise.race([once(secure, "secureConnect", "handshake_failed"), expired]);
    const peer = secure.getPeerCertificate(true);
    const chain = chainOf(peer);
    if (chain.length === 0) throw new ProbeFailure("handshake_failed", "No certificate served");
    const verifyError = verificationError(
      secure.authorizationError,
      peer,
      target.serverName,
      Date.now(),
    );
    return {
      ok: true,
      chain,
      tlsVersion: versionName(secure.getProtocol()),
      ...(verifyError ? { verifyError } : {}),
      durationSeconds: seconds(),
    };
  } catch (err) {
    const failure = err instanceof ProbeFailure
      ? err
      : new ProbeFailure("handshake_failed", describe(err));
    return {
      ok: false,
      reason: failure.reason,
      message: failure.message,
      durationSeconds: seconds(),
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    // A late error from a destroyed socket must not become an uncaught one.
    for (const s of [secure, socket]) {
      s?.on("error", () => {});
      s?.destroy();
    }
  }
}

function defaultLookup(host: string): Promise<string> {
  return dnsLookup(host).then((r) => r.address);
}

/** Resolves on `event`, rejects with `reason` on an error or an early close. */
function once(s: Socket, event: string, reason: ProbeReason): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err?: Error) => {
      cleanup();
      reject(new ProbeFailure(reason, err ? describe(err) : "Connection closed"));
    };
    const ok = () => {
      cleanup();
      resolve();
    };
    const onClose = () => fail();
    const cleanup = () => {
      s.off(event, ok);
      s.off("error", fail);
      s.off("close", onClose);
    };
    s.once(event, ok);
    s.once("error", fail);
    s.once("close", onClose);
  });
}

/**
 * Why the chain does not verify for `serverName`, in OpenSSL's words. The
 * runtime's verifier checks the name it was given and reports the first
 * problem only, with a generic code for some (an expired leaf is
 * `UNABLE_TO_VERIFY_LEAF_SIGNATURE`): the name is checked here against the
 * configured server name, and validity dates are named when they are the cause.
 */
function verificationError(
  authorizationError: Error | string | null | undefined,
  peer: PeerCertificate,
  serverName: string,
  now: number,
): string | undefined {
  const code = authorizationError ? String(authorizationError) : undefined;
  if (code !== undefined && code !== "ERR_TLS_CERT_ALTNAME_INVALID") {
    for (
      let cur = peer as Link | undefined, depth = 0;
      cur?.raw && depth < 16;
      cur = cur.issuerCertificate, depth++
    ) {
      if (Date.parse(cur.valid_to) < now) return "CERT_HAS_EXPIRED";
      if (Date.parse(cur.valid_from) > now) return "CERT_NOT_YET_VALID";
      if (cur.issuerCertificate === cur) break;
    }
    return code;
  }
  // The chain verified (the runtime's name check comes after the chain's).
  return checkServerIdentity(serverName, peer)?.message;
}

/** What the chain walk reads of a peer certificate (node's `DetailedPeerCertificate`). */
interface Link {
  readonly raw?: Uint8Array;
  readonly fingerprint256: string;
  readonly valid_from: string;
  readonly valid_to: string;
  readonly issuerCertificate?: Link;
}

/** The DER of each certificate of the chain, leaf first; a root's self-reference ends it. */
function chainOf(peer: PeerCertificate | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  let cur = peer as Link | undefined;
  while (cur?.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(new Uint8Array(cur.raw));
    cur = cur.issuerCertificate;
  }
  return out;
}

/** `TLSv1.3` -> `TLS 1.3` (blackbox_exporter's spelling). */
function versionName(protocol: string | null): string {
  if (!protocol) return "unknown";
  return protocol.replace(/^TLSv/, "TLS ");
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && !err.message.includes(code)
    ? `${code}: ${err.message}`
    : err.message;
}
