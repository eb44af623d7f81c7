/**
 * The plain-text exchanges that turn a connection into a TLS one, per
 * protocol: the server's greeting, the upgrade command, its answer. Only what
 * the upgrade needs is sent; the TLS handshake starts right after.
 */
import type { Socket } from "node:net";

export const STARTTLS_PROTOCOLS = ["smtp", "imap", "pop3", "ftp", "ldap", "postgres"] as const;
export type StartTlsProtocol = typeof STARTTLS_PROTOCOLS[number];

/** A server's answer does not allow the upgrade. */
export class StartTlsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartTlsError";
  }
}

/** A greeting or reply longer than this is not one of these protocols. */
const MAX_BUFFERED = 64 * 1024;

/** LDAP ExtendedRequest, messageID 1, requestName 1.3.6.1.4.1.1466.20037 (RFC 4511 §4.14). */
const LDAP_STARTTLS = new Uint8Array([
  0x30,
  0x1d,
  0x02,
  0x01,
  0x01,
  0x77,
  0x18,
  0x80,
  0x16,
  ...new TextEncoder().encode("1.3.6.1.4.1.1466.20037"),
]);
/** PostgreSQL SSLRequest: length 8, code 80877103. */
const PG_SSL_REQUEST = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * Runs the upgrade exchange of `protocol` on a connected socket. Resolves when
 * the server is ready for a TLS ClientHello; throws {@link StartTlsError} on a
 * refusal or anything unexpected. Never times out by itself: the caller
 * destroys the socket when its deadline passes, which fails the pending read.
 */
export async function negotiateStartTls(socket: Socket, protocol: StartTlsProtocol): Promise<void> {
  const r = new Reader(socket);
  try {
    await EXCHANGES[protocol](r, socket);
  } finally {
    r.release();
  }
}

const EXCHANGES: Record<StartTlsProtocol, (r: Reader, socket: Socket) => Promise<void>> = {
  // RFC 3207: 220 greeting, EHLO, 250, STARTTLS, 220.
  async smtp(r, socket) {
    expectCode(await smtpReply(r), "220", "greeting");
    socket.write(`EHLO ${addressLiteral(socket)}\r\n`);
    expectCode(await smtpReply(r), "250", "EHLO");
    socket.write("STARTTLS\r\n");
    expectCode(await smtpReply(r), "220", "STARTTLS");
  },
  // RFC 4217: 220 greeting, AUTH TLS, 234.
  async ftp(r, socket) {
    expectCode(await smtpReply(r), "220", "greeting");
    socket.write("AUTH TLS\r\n");
    expectCode(await smtpReply(r), "234", "AUTH TLS");
  },
  // RFC 3501 §6.2.1: untagged OK greeting, tagged STARTTLS, tagged OK.
  async imap(r, socket) {
    const greeting = await r.line();
    if (!/^\* OK\b/i.test(greeting)) throw unexpected("greeting", greeting);
    socket.write("x1 STARTTLS\r\n");
    for (;;) {
      const line = await r.line();
      if (line.startsWith("* ")) continue; // untagged data (CAPABILITY) may come first
      if (/^x1 OK\b/i.test(line)) return;
      throw unexpected("STARTTLS", line);
    }
  },
  // RFC 2595 §4: +OK greeting, STLS, +OK.
  async pop3(r, socket) {
    const greeting = await r.line();
    if (!greeting.startsWith("+OK")) throw unexpected("greeting", greeting);
    socket.write("STLS\r\n");
    const answer = await r.line();
    if (!answer.startsWith("+OK")) throw unexpected("STLS", answer);
  },
  // RFC 4511 §4.14: the client speaks first; an ExtendedResponse with resultCode 0.
  async ldap(r, socket) {
    socket.write(LDAP_STARTTLS);
    const code = ldapResultCode(await r.berElement());
    if (code !== 0) throw new StartTlsError(`LDAP StartTLS refused: resultCode ${code}`);
  },
  // PostgreSQL protocol: SSLRequest, one byte: S (go ahead) or N (no SSL).
  async postgres(r, socket) {
    socket.write(PG_SSL_REQUEST);
    const [answer] = await r.bytes(1);
    if (answer !== 0x53) {
      throw new StartTlsError(
        answer === 0x4e
          ? "PostgreSQL server does not accept SSL"
          : `Unexpected PostgreSQL answer to SSLRequest: 0x${answer!.toString(16)}`,
      );
    }
  },
};

/** An SMTP/FTP reply: `NNN-...` lines then `NNN ...`; returns the last line. */
async function smtpReply(r: Reader): Promise<string> {
  for (;;) {
    const line = await r.line();
    if (/^\d{3}(?: |$)/.test(line)) return line;
    if (!/^\d{3}-/.test(line)) throw unexpected("reply", line);
  }
}

function expectCode(line: string, code: string, step: string): void {
  if (!line.startsWith(code)) throw unexpected(step, line);
}

function unexpected(step: string, line: string): StartTlsError {
  return new StartTlsError(`Unexpected answer to ${step}: ${JSON.stringify(line.slice(0, 200))}`);
}

/** The EHLO argument: our own address as an RFC 5321 address literal. */
function addressLiteral(socket: Socket): string {
  const ip = socket.localAddress ?? "127.0.0.1";
  return ip.includes(":") ? `[IPv6:${ip}]` : `[${ip}]`;
}

/** The resultCode of an LDAPMessage holding an ExtendedResponse. */
function ldapResultCode(message: Uint8Array): number {
  // SEQUENCE { INTEGER messageID, [APPLICATION 24] { ENUMERATED resultCode, ... } }
  let at = headerLength(message, 0);
  if (message[at] !== 0x02) throw new StartTlsError("Malformed LDAP response");
  at += headerLength(message, at) + message[at + 1]!;
  if (message[at] !== 0x78) {
    throw new StartTlsError(`Unexpected LDAP response: protocolOp 0x${message[at]?.toString(16)}`);
  }
  at += headerLength(message, at);
  if (message[at] !== 0x0a || message[at + 1] !== 1) {
    throw new StartTlsError("Malformed LDAP ExtendedResponse");
  }
  return message[at + 2]!;
}

/** Bytes of a BER tag + length at `at` (single-byte tags only: LDAP uses no others). */
function headerLength(der: Uint8Array, at: number): number {
  const first = der[at + 1];
  if (first === undefined) throw new StartTlsError("Truncated LDAP response");
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

/** Buffers what the server sends until a whole line, element or byte count is there. */
class Reader {
  #buf = new Uint8Array(0);
  #wake: (() => void) | undefined;
  #ended: Error | undefined;
  readonly #socket: Socket;
  readonly #onData = (chunk: Uint8Array) => {
    const next = new Uint8Array(this.#buf.length + chunk.length);
    next.set(this.#buf);
    next.set(chunk, this.#buf.length);
    this.#buf = next;
    if (next.length > MAX_BUFFERED) this.#end(new StartTlsError("Server answer too long"));
    this.#wake?.();
  };
  readonly #onEnd = () => this.#end(new StartTlsError("Connection closed during STARTTLS"));
  readonly #onError = (err: Error) => this.#end(new StartTlsError(err.message));

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("close", this.#onEnd);
    socket.on("error", this.#onError);
  }

  /** Stops listening: the socket is the TLS layer's from here. */
  release(): void {
    this.#socket.off("data", this.#onData);
    this.#socket.off("end", this.#onEnd);
    this.#socket.off("close", this.#onEnd);
    this.#socket.off("error", this.#onError);
  }

  /** The next line, without its CRLF (or bare LF). */
  line(): Promise<string> {
    return this.#take((buf) => {
      const lf = buf.indexOf(0x0a);
      if (lf < 0) return undefined;
      const end = lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf;
      return [new TextDecoder().decode(buf.subarray(0, end)), lf + 1];
    });
  }

  bytes(n: number): Promise<Uint8Array> {
    return this.#take((buf) => (buf.length >= n ? [buf.slice(0, n), n] : undefined));
  }

  /** One whole BER element (definite length). */
  berElement(): Promise<Uint8Array> {
    return this.#take((buf) => {
      if (buf.length < 2) return undefined;
      const first = buf[1]!;
      let length = first;
      let header = 2;
      if (first >= 0x80) {
        const n = first & 0x7f;
        if (n === 0 || n > 4) throw new StartTlsError("Unsupported BER length in LDAP response");
        if (buf.length < 2 + n) return undefined;
        length = 0;
        for (let i = 0; i < n; i++) length = length * 256 + buf[2 + i]!;
        header += n;
      }
      return buf.length >= header + length
        ? [buf.slice(0, header + length), header + length]
        : undefined;
    });
  }

  async #take<T>(parse: (buf: Uint8Array) => [T, number] | undefined): Promise<T> {
    for (;;) {
      const got = parse(this.#buf);
      if (got) {
        this.#buf = this.#buf.slice(got[1]);
        return got[0];
      }
      if (this.#ended) throw this.#ended;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  #end(err: Error): void {
    this.#ended ??= err;
    this.#wake?.();
  }
}
