/** Listen addresses, Go style: `:9793`, `127.0.0.1:0`, `[::1]:9793`, `localhost:9793`. */

export interface ListenAddress {
  readonly hostname: string;
  readonly port: number;
}

/** The address, or a message saying why it is not one (what `net.Listen` would refuse). */
export function parseListen(address: string): ListenAddress | string {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  if (!m) return `Invalid listen address "${address}": expected HOST:PORT or :PORT`;
  const port = Number(m[3]);
  if (port > 65535) return `Invalid listen address "${address}": port ${port} is above 65535`;
  const host = m[1] ?? m[2] ?? "";
  if (m[1] !== undefined && !/^[0-9A-Fa-f:.]+(%\w+)?$/.test(host)) {
    return `Invalid listen address "${address}": "${host}" is not an IPv6 address`;
  }
  if (m[2] !== undefined && host !== "" && !/^[A-Za-z0-9.-]+$/.test(host)) {
    return `Invalid listen address "${address}": "${host}" is not a host name or IPv4 address`;
  }
  return { hostname: host === "" ? "0.0.0.0" : host, port };
}
