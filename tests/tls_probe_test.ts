import assert from "node:assert/strict";
import { createSecureContext } from "node:tls";
import { probeTls } from "../src/sources/_tls_probe.ts";
import {
  closedPort,
  makeTlsPki,
  nodeTlsServer,
  openSslServer,
  silentServer,
} from "./testing/tls_endpoints.ts";

const pki = await makeTlsPki();
const roots = createSecureContext({ ca: pki.ca.cert });
const target = (port: number, serverName = "good.test", host = "127.0.0.1") => ({
  host,
  port,
  serverName,
});

async function sha256(der: Uint8Array): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", der as Uint8Array<ArrayBuffer>))
    .toHex();
}

Deno.test("probeTls() reads a valid chain from openssl s_server and verifies it", async () => {
  const server = await openSslServer(pki, pki.good, { chain: [pki.ca] });
  try {
    const out = await probeTls(target(server.port), { timeoutMs: 5000, secureContext: roots });
    assert.ok(out.ok, JSON.stringify(out));
    assert.deepEqual(
      await Promise.all(out.chain.map(sha256)),
      [pki.good.fingerprint, pki.ca.fingerprint],
    );
    assert.equal(out.verifyError, undefined);
    assert.match(out.tlsVersion, /^TLS 1\.[23]$/);
  } finally {
    await server.stop();
  }
});

Deno.test("probeTls() reports an expired leaf as not verifying", async () => {
  const server = await openSslServer(pki, pki.expired, { chain: [pki.ca] });
  try {
    const out = await probeTls(target(server.port), { timeoutMs: 5000, secureContext: roots });
    assert.ok(out.ok);
    assert.equal(await sha256(out.chain[0]!), pki.expired.fingerprint);
    assert.equal(out.verifyError, "CERT_HAS_EXPIRED");
  } finally {
    await server.stop();
  }
});

Deno.test("probeTls() reports a self-signed leaf as not verifying", async () => {
  const server = await openSslServer(pki, pki.selfSigned);
  try {
    const out = await probeTls(target(server.port), { timeoutMs: 5000, secureContext: roots });
    assert.ok(out.ok);
    assert.deepEqual(await Promise.all(out.chain.map(sha256)), [pki.selfSigned.fingerprint]);
    assert.equal(out.verifyError, "DEPTH_ZERO_SELF_SIGNED_CERT");
  } finally {
    await server.stop();
  }
});

Deno.test("probeTls() reports a wrong server name as not verifying", async () => {
  const server = await openSslServer(pki, pki.good, { chain: [pki.ca] });
  try {
    const out = await probeTls(target(server.port, "other.test"), {
      timeoutMs: 5000,
      secureContext: roots,
    });
    assert.ok(out.ok);
    assert.match(out.verifyError ?? "", /other\.test. is not in the cert.s altnames/);
  } finally {
    await server.stop();
  }
});

Deno.test("probeTls() verifies an IP target against the certificate's IP SAN, over IPv6 too", async () => {
  const server = await nodeTlsServer(pki.good, { host: "::1" });
  try {
    const out = await probeTls(target(server.port, "::1", "::1"), {
      timeoutMs: 5000,
      secureContext: roots,
    });
    assert.ok(out.ok, JSON.stringify(out));
    assert.equal(out.verifyError, undefined);
  } finally {
    await server.stop();
  }
});

Deno.test("probeTls() times out on a server that accepts and never answers", async () => {
  const server = await silentServer();
  try {
    const started = performance.now();
    const out = await probeTls(target(server.port), { timeoutMs: 300 });
    assert.equal(out.ok, false);
    assert.equal(!out.ok && out.reason, "timeout");
    assert.match(!out.ok ? out.message : "", /handshake/);
    assert.ok(performance.now() - started < 2000);
  } finally {
    await server.stop();
  }
});

Deno.test("probeTls() reports a closed port as connect_failed", async () => {
  const out = await probeTls(target(closedPort()), { timeoutMs: 5000 });
  assert.equal(!out.ok && out.reason, "connect_failed");
  assert.match(!out.ok ? out.message : "", /ECONNREFUSED|refused/i);
});

Deno.test("probeTls() reports a name that does not resolve as dns_failed", async () => {
  const out = await probeTls({ host: "nowhere.test", port: 443, serverName: "nowhere.test" }, {
    timeoutMs: 5000,
    lookup: () =>
      Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" })),
  });
  assert.equal(!out.ok && out.reason, "dns_failed");
});

Deno.test("probeTls() bounds a hanging name resolution by the timeout", async () => {
  const out = await probeTls({ host: "slow.test", port: 443, serverName: "slow.test" }, {
    timeoutMs: 100,
    lookup: () => new Promise(() => {}),
  });
  assert.equal(!out.ok && out.reason, "timeout");
});

Deno.test("probeTls() reports a plain-text server as handshake_failed", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await l.accept();
    await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
    conn.close();
  })();
  try {
    const out = await probeTls(target((l.addr as Deno.NetAddr).port), { timeoutMs: 5000 });
    assert.equal(!out.ok && out.reason, "handshake_failed");
  } finally {
    await serving;
    l.close();
  }
});

Deno.test("probeTls() stops at once when its signal aborts", async () => {
  const server = await silentServer();
  try {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const started = performance.now();
    const out = await probeTls(target(server.port), { timeoutMs: 10_000, signal: ac.signal });
    assert.equal(out.ok, false);
    assert.ok(performance.now() - started < 1000);
  } finally {
    await server.stop();
  }
});
