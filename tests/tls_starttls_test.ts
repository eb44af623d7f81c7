import assert from "node:assert/strict";
import { createSecureContext } from "node:tls";
import { STARTTLS_PROTOCOLS } from "../src/sources/_starttls.ts";
import { probeTls } from "../src/sources/_tls_probe.ts";
import { makeTlsPki, silentServer, startTlsServer } from "./testing/tls_endpoints.ts";

const pki = await makeTlsPki();
const roots = createSecureContext({ ca: pki.ca.cert });

/** What each protocol's client must have sent before the handshake, and nothing else. */
const SENT: Record<string, RegExp[]> = {
  smtp: [/^EHLO \[127\.0\.0\.1\]$/, /^STARTTLS$/],
  imap: [/^x1 STARTTLS$/],
  pop3: [/^STLS$/],
  ftp: [/^AUTH TLS$/],
  ldap: [/^301d02010177188016312e332e362e312e342e312e313436362e3230303337$/],
  postgres: [/^0000000804d2162f$/],
};

for (const protocol of STARTTLS_PROTOCOLS) {
  Deno.test(`probeTls() upgrades a ${protocol} connection with STARTTLS and reads the chain`, async () => {
    const server = await startTlsServer(protocol, pki.good);
    try {
      const out = await probeTls(
        { host: "127.0.0.1", port: server.port, serverName: "good.test", starttls: protocol },
        { timeoutMs: 5000, secureContext: roots },
      );
      assert.ok(out.ok, JSON.stringify(out));
      // The leaf, then the root it verified against (the handshake completes the chain).
      assert.equal(out.chain.length, 2);
      assert.equal(out.verifyError, undefined);
      assert.equal(server.transcript.length, SENT[protocol]!.length);
      server.transcript.forEach((line, i) => assert.match(line, SENT[protocol]![i]!));
    } finally {
      await server.stop();
    }
  });

  Deno.test(`probeTls() reports a ${protocol} server refusing the upgrade as starttls_failed`, async () => {
    const server = await startTlsServer(protocol, pki.good, "refuse");
    try {
      const out = await probeTls(
        { host: "127.0.0.1", port: server.port, serverName: "good.test", starttls: protocol },
        { timeoutMs: 5000 },
      );
      assert.equal(!out.ok && out.reason, "starttls_failed", JSON.stringify(out));
    } finally {
      await server.stop();
    }
  });
}

Deno.test("probeTls() bounds a STARTTLS greeting that never comes by the timeout", async () => {
  const server = await silentServer();
  try {
    const out = await probeTls(
      { host: "127.0.0.1", port: server.port, serverName: "good.test", starttls: "smtp" },
      { timeoutMs: 200 },
    );
    assert.equal(!out.ok && out.reason, "timeout");
    assert.match(!out.ok ? out.message : "", /STARTTLS smtp/);
  } finally {
    await server.stop();
  }
});

Deno.test("probeTls() reports a plain TLS server probed with STARTTLS as starttls_failed", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await l.accept();
    await conn.write(new TextEncoder().encode("SSH-2.0-OpenSSH_9.6\r\n"));
    await new Promise((r) => setTimeout(r, 100));
    conn.close();
  })();
  try {
    const out = await probeTls(
      { host: "127.0.0.1", port: (l.addr as Deno.NetAddr).port, serverName: "x", starttls: "pop3" },
      { timeoutMs: 5000 },
    );
    assert.equal(!out.ok && out.reason, "starttls_failed");
  } finally {
    await serving;
    l.close();
  }
});
