/**
 * TLS endpoints on loopback for the `tls` source's tests and bench: a PKI
 * with the names and dates each test needs, `openssl s_server` for plain TLS,
 * a server that accepts and never answers, a closed port, and for each
 * STARTTLS protocol a small server speaking its greeting and upgrade exchange
 * before handing the socket to a node:tls server.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createSecureContext, createServer as createTlsServer } from "node:tls";
import type { StartTlsProtocol } from "../../src/sources/_starttls.ts";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
let keys: Promise<CryptoKeyPair> | undefined;
function keyPair(): Promise<CryptoKeyPair> {
  return keys ??= crypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as Promise<
    CryptoKeyPair
  >;
}

export interface PemCert {
  readonly cert: string;
  readonly key: string;
  readonly name: string;
  readonly serial: string;
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint: string;
  readonly notAfter: Date;
}

let serial = 0x1000;

/** A P-256 certificate; signed by `issuer` when given, else self-signed. */
export async function pemCert(o: {
  cn: string;
  dns?: readonly string[];
  ips?: readonly string[];
  days?: number;
  notBefore?: Date;
  issuer?: PemCert;
  ca?: boolean;
}): Promise<PemCert> {
  const k = await keyPair();
  const now = Date.now();
  const notBefore = o.notBefore ?? new Date(now - 86_400_000);
  const notAfter = new Date(now + (o.days ?? 30) * 86_400_000);
  const name = `CN=${o.cn}`;
  const serialHex = (++serial).toString(16) + crypto.randomUUID().slice(0, 8);
  const extensions: x509.Extension[] = [];
  if (o.ca) extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
  const san = [
    ...(o.dns ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(o.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (san.length) extensions.push(new x509.SubjectAlternativeNameExtension(san));
  const common = {
    serialNumber: serialHex,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    extensions,
  };
  const cert = o.issuer
    ? await x509.X509CertificateGenerator.create({
      ...common,
      subject: name,
      issuer: o.issuer.name,
      publicKey: k.publicKey,
      signingKey: k.privateKey,
    })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name, keys: k });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", k.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${
    pkcs8.toBase64().replace(/.{64}/g, "$&\n")
  }\n-----END PRIVATE KEY-----\n`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", cert.rawData));
  return {
    cert: cert.toString("pem") + "\n",
    key,
    name,
    serial: BigInt("0x" + serialHex).toString(),
    fingerprint: digest.toHex(),
    notAfter,
  };
}

/** The certificates the tests serve: one CA, leaves valid, expired, self-signed. */
export interface TestTlsPki {
  readonly dir: string;
  readonly ca: PemCert;
  /** `good.test`, 127.0.0.1 and ::1, signed by `ca`. */
  readonly good: PemCert;
  /** Another valid leaf for `good.test`, for rotation. */
  readonly rotated: PemCert;
  /** Signed by `ca`, expired yesterday. */
  readonly expired: PemCert;
  /** `good.test`, self-signed. */
  readonly selfSigned: PemCert;
  /** Writes `pem` into the PKI's directory and returns its path. */
  write(name: string, pem: string): Promise<string>;
}

export async function makeTlsPki(): Promise<TestTlsPki> {
  const dir = await Deno.makeTempDir({ prefix: "x509-tls-" });
  const ca = await pemCert({ cn: "Test Root", ca: true, days: 365 });
  const leafOf = (cn: string, o: { days?: number; notBefore?: Date } = {}) =>
    pemCert({ cn, dns: ["good.test"], ips: ["127.0.0.1", "::1"], issuer: ca, ...o });
  return {
    dir,
    ca,
    good: await leafOf("good"),
    rotated: await leafOf("rotated"),
    expired: await leafOf("expired", {
      notBefore: new Date(Date.now() - 30 * 86_400_000),
      days: -1,
    }),
    selfSigned: await pemCert({ cn: "self", dns: ["good.test"], ips: ["127.0.0.1"] }),
    async write(name, pem) {
      const path = `${dir}/${name}`;
      await Deno.writeTextFile(path, pem);
      return path;
    },
  };
}

export interface Endpoint {
  readonly port: number;
  /** `127.0.0.1:<port>` (or `[::1]:<port>`). */
  readonly address: string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A port nothing listens on. */
export function closedPort(): number {
  return freePort();
}

async function waitAccepting(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** `openssl s_server` serving `leaf` (plus `chain`) on 127.0.0.1, at `port` if given. */
export async function openSslServer(
  pki: TestTlsPki,
  leaf: PemCert,
  o: { chain?: readonly PemCert[]; port?: number } = {},
): Promise<Endpoint> {
  const port = o.port ?? freePort();
  const tag = crypto.randomUUID().slice(0, 8);
  const cert = await pki.write(`${tag}.crt`, leaf.cert);
  const key = await pki.write(`${tag}.key`, leaf.key);
  const args = ["s_server", "-quiet", "-accept", `127.0.0.1:${port}`, "-cert", cert, "-key", key];
  if (o.chain?.length) {
    args.push("-cert_chain", await pki.write(`${tag}.chain`, o.chain.map((c) => c.cert).join("")));
  }
  const child = new Deno.Command("openssl", {
    args,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitAccepting(port);
  return {
    port,
    address: `127.0.0.1:${port}`,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await child.stdin.close().catch(() => {});
    },
  };
}

/** Accepts connections and never sends a byte. */
export function silentServer(): Promise<Endpoint> {
  const held: Socket[] = [];
  const server = createNetServer((s) => {
    s.on("error", () => {});
    held.push(s);
  });
  return started(listening(server, "127.0.0.1", () => held.forEach((s) => s.destroy())));
}

function listening(server: Server, host: string, cleanup: () => void = () => {}): Endpoint {
  let port = 0;
  const ready = new Promise<void>((r) => server.listen(0, host, r));
  const endpoint = {
    get port() {
      return port;
    },
    get address() {
      return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    },
    async stop() {
      cleanup();
      await new Promise<void>((r) => server.close(() => r()));
    },
    ready: ready.then(() => {
      port = (server.address() as { port: number }).port;
    }),
  };
  return endpoint;
}

/** Awaits a {@link listening} endpoint. */
async function started(e: Endpoint): Promise<Endpoint> {
  await (e as Endpoint & { ready: Promise<void> }).ready;
  return e;
}

/** A node:tls server on `host` (default 127.0.0.1); `sni` maps server names to certificates. */
export async function nodeTlsServer(
  leaf: PemCert,
  o: { host?: string; sni?: ReadonlyMap<string, PemCert>; chain?: readonly PemCert[] } = {},
): Promise<Endpoint> {
  const sockets = new Set<Socket>();
  const contexts = new Map(
    [...(o.sni ?? [])].map((
      [name, c],
    ) => [name, createSecureContext({ cert: c.cert, key: c.key })]),
  );
  const server = createTlsServer({
    cert: leaf.cert + (o.chain ?? []).map((c) => c.cert).join(""),
    key: leaf.key,
    ...(contexts.size ? { SNICallback: (name, cb) => cb(null, contexts.get(name)) } : {}),
  }, (s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  server.on("tlsClientError", () => {});
  return await started(
    listening(server, o.host ?? "127.0.0.1", () => sockets.forEach((s) => s.destroy())),
  );
}

/** What a STARTTLS test server does once the client asks to upgrade. */
export type UpgradeMode = "accept" | "refuse";

/**
 * A server speaking `protocol`'s greeting and upgrade exchange as real servers
 * do (Postfix, Dovecot, vsftpd, OpenLDAP, PostgreSQL), then TLS with `leaf`.
 * `transcript` collects what clients sent before the handshake.
 */
export async function startTlsServer(
  protocol: StartTlsProtocol,
  leaf: PemCert,
  mode: UpgradeMode = "accept",
): Promise<Endpoint & { transcript: string[] }> {
  const tlsServer = createTlsServer({ cert: leaf.cert, key: leaf.key }, (s) => {
    s.on("error", () => {});
  });
  tlsServer.on("tlsClientError", () => {});
  const transcript: string[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => {});
    sock.on("close", () => sockets.delete(sock));
    serveStartTls(protocol, mode, sock, transcript, () => tlsServer.emit("connection", sock));
  });
  const e = await started(listening(server, "127.0.0.1", () => {
    sockets.forEach((s) => s.destroy());
    tlsServer.close();
  }));
  return Object.assign(e, { transcript });
}

function serveStartTls(
  protocol: StartTlsProtocol,
  mode: UpgradeMode,
  sock: Socket,
  transcript: string[],
  upgrade: () => void,
): void {
  let buf = new Uint8Array(0);
  const send = (s: string | Uint8Array) => sock.write(s);
  const done = (ok: boolean, answer: string | Uint8Array) => {
    sock.off("data", onData);
    send(answer);
    if (ok) upgrade();
    else sock.end();
  };
  // Each handler sees what the client sent so far; returns true once it consumed a command.
  const lines = () => {
    const text = new TextDecoder().decode(buf);
    const i = text.indexOf("\r\n");
    if (i < 0) return undefined;
    buf = buf.slice(new TextEncoder().encode(text.slice(0, i + 2)).length);
    transcript.push(text.slice(0, i));
    return text.slice(0, i);
  };
  const onData = (chunk: Uint8Array) => {
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
    for (;;) {
      if (protocol === "ldap" || protocol === "postgres") {
        const need = protocol === "postgres" ? 8 : 2 + (buf[1] ?? 0);
        if (buf.length < need || buf.length < 2) return;
        const request = buf.slice(0, need);
        buf = buf.slice(need);
        transcript.push(request.toHex());
        if (protocol === "postgres") {
          return done(
            mode === "accept" && request.toHex() === "0000000804d2162f",
            mode === "accept" ? "S" : "N",
          );
        }
        const ok = mode === "accept" &&
          new TextDecoder().decode(request).includes("1.3.6.1.4.1.1466.20037");
        // ExtendedResponse { resultCode success(0) or protocolError(2), "", "" }, messageID 1.
        return done(
          ok,
          new Uint8Array([
            0x30,
            0x0c,
            0x02,
            0x01,
            0x01,
            0x78,
            0x07,
            0x0a,
            0x01,
            ok ? 0 : 2,
            0x04,
            0x00,
            0x04,
            0x00,
          ]),
        );
      }
      const line = lines();
      if (line === undefined) return;
      switch (protocol) {
        case "smtp":
          if (/^EHLO /i.test(line)) {
            send(
              "250-mail.test Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
            );
          } else if (/^STARTTLS$/i.test(line)) {
            return mode === "accept"
              ? done(true, "220 2.0.0 Ready to start TLS\r\n")
              : done(false, "454 4.7.0 TLS not available due to local problem\r\n");
          } else send("500 5.5.2 Error: command not recognized\r\n");
          break;
        case "ftp":
          if (/^AUTH TLS$/i.test(line)) {
            return mode === "accept"
              ? done(true, "234 Proceed with negotiation.\r\n")
              : done(false, "530 Please login with USER and PASS.\r\n");
          }
          send("500 Unknown command.\r\n");
          break;
        case "imap": {
          const [tag, cmd] = line.split(" ");
          if (/^STARTTLS$/i.test(cmd ?? "")) {
            return mode === "accept"
              ? done(true, `${tag} OK Begin TLS negotiation now.\r\n`)
              : done(false, `${tag} BAD STARTTLS not available.\r\n`);
          }
          send(`${tag} BAD Error in IMAP command.\r\n`);
          break;
        }
        case "pop3":
          if (/^STLS$/i.test(line)) {
            return mode === "accept"
              ? done(true, "+OK Begin TLS negotiation now.\r\n")
              : done(false, "-ERR Command not permitted when TLS active\r\n");
          }
          send("-ERR Unknown command.\r\n");
          break;
      }
    }
  };
  sock.on("data", onData);
  const greetings: Partial<Record<StartTlsProtocol, string>> = {
    smtp: "220-mail.test ESMTP Postfix\r\n220 mail.test ready\r\n",
    ftp: "220 (vsFTPd 3.0.5)\r\n",
    imap:
      "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot ready.\r\n",
    pop3: "+OK Dovecot ready.\r\n",
  };
  const greeting = greetings[protocol];
  if (greeting) send(greeting);
}
