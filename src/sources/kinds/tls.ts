import { isIP } from "node:net";
import { isMap, isScalar, type Node } from "yaml";
import { describe } from "../../config/decode.ts";
import {
  type Context,
  duration,
  type Infer,
  int,
  list,
  obj,
  oneOf,
  refine,
  type Spec,
  str,
} from "../../config/spec.ts";
import { defineKind } from "../kind.ts";
import type { Source } from "../source.ts";
import { STARTTLS_PROTOCOLS, type StartTlsProtocol } from "../_starttls.ts";
import { sourceName } from "./_shared.ts";

/** One endpoint to probe, decoded and checked. */
export interface TlsTarget {
  /** `host:port` as written: the `probe_target` label. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** SNI and the name verified: `serverName`, else the host. */
  readonly serverName: string;
  readonly starttls?: StartTlsProtocol;
  /** The bundle ref: unique within the source. */
  readonly ref: string;
}

const targetObject = obj({
  address: str({ nonEmpty: true }),
  serverName: str(),
  starttls: oneOf(STARTTLS_PROTOCOLS),
}, { required: ["address"] });

/** `host:port`, or `{ address, serverName, starttls }`. */
const target: Spec<TlsTarget> = {
  keys: targetObject.keys!,
  decode(node, ctx, path) {
    if (isMap(node)) {
      const t = targetObject.decode(node, ctx, path);
      if (t.address === undefined) return undefined as never;
      const at = node.get("address", true) as Node | undefined;
      return checkTarget(t.address, t.serverName, t.starttls, ctx, at, `${path}.address`);
    }
    if (isScalar(node) && typeof node.value === "string") {
      return checkTarget(node.value, undefined, undefined, ctx, node, path);
    }
    return ctx.d.fail(
      `Expected "host:port" or a mapping with address, found ${describe(node)}`,
      node,
      path,
    ) as never;
  },
  absent: () => undefined as never,
};

const HOSTNAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** Splits `host:port` / `[v6]:port`; an error message when it is neither. */
export function parseAddress(address: string): { host: string; port: number } | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (!m) {
    return (address.match(/:/g)?.length ?? 0) > 1 && !address.startsWith("[")
      ? `Invalid address "${address}": write IPv6 addresses in brackets, e.g. [::1]:443`
      : `Invalid address "${address}": expected host:port`;
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `Invalid port in "${address}": expected 1 to 65535`;
  if (m[1] !== undefined) {
    return isIP(m[1]) === 6 ? { host: m[1], port } : `Invalid IPv6 address in "${address}"`;
  }
  const host = m[2]!;
  if (isIP(host) !== 4 && !HOSTNAME.test(host)) return `Invalid host name in "${address}"`;
  return { host, port };
}

function checkTarget(
  address: string,
  serverName: string | undefined,
  starttls: StartTlsProtocol | undefined,
  ctx: Context,
  node: Node | undefined,
  path: string,
): TlsTarget {
  const parsed = parseAddress(address);
  if (typeof parsed === "string") return ctx.d.fail(parsed, node, path) as never;
  const name = serverName || parsed.host;
  const scheme = starttls ?? "tls";
  const ref = `${scheme}://${address}${name === parsed.host ? "" : `?sni=${name}`}`;
  return { address, ...parsed, serverName: name, ...(starttls ? { starttls } : {}), ref };
}

const schema = refine(
  obj({
    name: sourceName,
    refreshInterval: duration(5 * 60_000, 100),
    /** The whole probe: connect + STARTTLS + handshake. */
    timeout: duration(10_000, 1),
    concurrency: int({ default: 16, min: 1 }),
    caFile: str({ path: true, default: "" }),
    /** How long a failing target keeps its last chain; absent: three refresh intervals. */
    gracePeriod: duration(undefined, 0),
    targets: list(target, { minItems: 1 }),
  }, { required: ["name", "targets"] }),
  (s, ctx, path) => {
    const seen = new Set<string>();
    (s.targets ?? []).forEach((t, i) => {
      if (!t) return;
      if (seen.has(t.ref)) {
        ctx.d.fail(`Duplicate target "${t.address}"`, undefined, `${path}.targets[${i}]`);
      }
      seen.add(t.ref);
    });
    return s;
  },
);

export type TlsSourceSpec = ReturnType<typeof resolve>;

function resolve(raw: Infer<typeof schema>) {
  return { ...raw, gracePeriod: raw.gracePeriod ?? 3 * raw.refreshInterval };
}

/** Chains that remote servers serve, read by a TLS handshake (with STARTTLS where asked). */
export const TLS_KIND = defineKind({
  kind: "tls",
  schema,
  resolve,
  columns: [
    { name: "probe_target", value: (l) => l.probeTarget },
    { name: "probe_server_name", value: (l) => l.probeServerName },
  ],
  reports: ["tls"],
  describe: (spec) => ({ targets: spec.targets.map((t) => t.address) }),
  async create(spec, deps): Promise<Source> {
    const { TlsSource } = await import("../tls.ts");
    return new TlsSource({ spec, ...deps });
  },
});
