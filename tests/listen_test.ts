import assert from "node:assert/strict";
import { type Handler, serve, type Server } from "../src/server/listen.ts";
import { loadWebConfig } from "../src/server/web_config.ts";
import { makeTestPki } from "./testdata/web/make_certs.ts";

const pki = await makeTestPki();
globalThis.addEventListener("unload", () => Deno.removeSync(pki.dir, { recursive: true }));

// alice / s3cret, cost 10 (same hash as testdata/web/full.good.yml).
const ALICE = "alice: $2y$10$iyz88iotHgiPN5mIYB1Af.o8B.PmwWAerzIPTTRwPI4P2GFisU.py";
let configs = 0;

/** Writes `yaml` beside the test PKI (so `server.crt` etc. resolve) and serves `handler` with it. */
async function start(
  yaml: string | undefined,
  handler: Handler,
): Promise<Server & { stop(): Promise<void> }> {
  const controller = new AbortController();
  let webConfig;
  if (yaml !== undefined) {
    const file = `${pki.dir}/web-${configs++}.yml`;
    await Deno.writeTextFile(file, yaml);
    webConfig = await loadWebConfig(file);
  }
  const server = await serve(handler, {
    hostname: "127.0.0.1",
    port: 0,
    webConfig,
    signal: controller.signal,
  });
  assert.notEqual(server.addr.port, 0);
  return {
    ...server,
    async stop() {
      controller.abort();
      await server.finished;
    },
  };
}

const hello: Handler = () => new Response("hello\n");

/** Fetches through a client holding `as` (a PEM pair name from the PKI), or none. */
async function fetchAs(url: string, as?: "client" | "rogue_client"): Promise<number | "refused"> {
  const certified = as ? { cert: pki.pem[`${as}.crt`]!, key: pki.pem[`${as}.key`]! } : {};
  using client = Deno.createHttpClient({ caCerts: [pki.pem["ca.crt"]!], ...certified });
  try {
    const response = await fetch(url, { client });
    await response.body?.cancel();
    return response.status;
  } catch {
    return "refused";
  }
}

async function run(cmd: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null", stdin: "null" })
    .output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

/** curl trusting the test CA, printing only the HTTP status (OpenSSL's client, independent of Deno's). */
function curlStatus(url: string, ...args: string[]) {
  const ca = `${pki.dir}/ca.crt`;
  return run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, ...args, url);
}

const TLS = `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n`;

Deno.test("serve() binds port 0 over plain HTTP and stops when the signal aborts", async () => {
  const server = await start(undefined, hello);
  const url = `http://127.0.0.1:${server.addr.port}/`;
  assert.equal(server.scheme, "http");
  assert.equal(await (await fetch(url)).text(), "hello\n");
  await server.stop();
  await assert.rejects(fetch(url), "the port must be closed after abort");
});

Deno.test("serve() applies basic auth and extra headers, including to the 401", async () => {
  let calls = 0;
  const server = await start(
    `basic_auth_users:\n  ${ALICE}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`,
    () => (calls++, Response.redirect("http://elsewhere/", 302)), // immutable headers on purpose
  );
  const url = `http://127.0.0.1:${server.addr.port}/metrics`;
  const denied = await fetch(url);
  await denied.body?.cancel();
  assert.deepEqual(
    [denied.status, denied.headers.get("www-authenticate"), denied.headers.get("x-frame-options")],
    [401, "Basic", "deny"],
  );
  const wrong = await fetch(url, { headers: { Authorization: `Basic ${btoa("alice:nope")}` } });
  await wrong.body?.cancel();
  assert.equal(wrong.status, 401);
  assert.equal(calls, 0, "the handler must not run for unauthenticated requests");
  const ok = await fetch(url, {
    headers: { Authorization: `Basic ${btoa("alice:s3cret")}` },
    redirect: "manual",
  });
  await ok.body?.cancel();
  assert.deepEqual([ok.status, ok.headers.get("x-frame-options"), calls], [302, "deny", 1]);
  await server.stop();
});

// HTTP/1.1 even when the client offers h2: TLS goes through node:https, since Deno.listenTls
// cannot close a connection whose handshake stalls (see src/server/listen.ts).
Deno.test("serve() serves TLS over HTTP/1.1 even to a client offering HTTP/2", async () => {
  const server = await start(TLS, hello);
  assert.equal(server.scheme, "https");
  const url = `https://localhost:${server.addr.port}/`;
  assert.equal(await fetchAs(url), 200);
  const curl = await run(
    "curl",
    "-sS",
    "--cacert",
    `${pki.dir}/ca.crt`,
    "--http2",
    "-w",
    "%{http_version}",
    "-o",
    "/dev/null",
    url,
  );
  assert.deepEqual(curl, { code: 0, stdout: "1.1" });
  await server.stop();
});

Deno.test("serve() with RequireAndVerifyClientCert admits only clients of client_ca_file", async () => {
  let calls = 0;
  const server = await start(
    `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`,
    () => (calls++, new Response("ok")),
  );
  const url = `https://localhost:${server.addr.port}/`;
  assert.equal(await fetchAs(url, "client"), 200);
  assert.equal(await fetchAs(url), "refused");
  assert.equal(await fetchAs(url, "rogue_client"), "refused");
  // Cross-check with OpenSSL's client, independent of Deno's rustls one.
  const curl = (...a: string[]) => curlStatus(url, ...a);
  assert.deepEqual(
    await curl("--cert", `${pki.dir}/client.crt`, "--key", `${pki.dir}/client.key`),
    { code: 0, stdout: "200" },
  );
  assert.notEqual((await curl()).code, 0);
  assert.notEqual(
    (await curl("--cert", `${pki.dir}/rogue_client.crt`, "--key", `${pki.dir}/rogue_client.key`))
      .code,
    0,
  );
  assert.equal(calls, 2, "refused clients must never reach the handler");
  await server.stop();
});

const MODES: [string, string, Record<"none" | "rogue" | "good", number | "refused">][] = [
  ["RequestClientCert", "", { none: 200, rogue: 200, good: 200 }],
  ["RequireAnyClientCert", "", { none: "refused", rogue: 200, good: 200 }],
  ["VerifyClientCertIfGiven", "  client_ca_file: ca.crt\n", {
    none: 200,
    rogue: "refused",
    good: 200,
  }],
];
for (const [mode, extra, expected] of MODES) {
  Deno.test(`serve() follows Go's ${mode} semantics`, async () => {
    const server = await start(`${TLS}  client_auth_type: ${mode}\n${extra}`, hello);
    const url = `https://localhost:${server.addr.port}/`;
    const got = {
      none: await fetchAs(url),
      rogue: await fetchAs(url, "rogue_client"),
      good: await fetchAs(url, "client"),
    };
    assert.deepEqual(got, expected);
    await server.stop();
  });
}

Deno.test("serve() enforces client_allowed_sans on verified client certificates", async () => {
  const mtls = `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`;
  const allowed = await start(`${mtls}  client_allowed_sans: [scraper.example]\n`, hello);
  assert.equal(await fetchAs(`https://localhost:${allowed.addr.port}/`, "client"), 200);
  await allowed.stop();
  const other = await start(`${mtls}  client_allowed_sans: [other.example]\n`, hello);
  assert.equal(await fetchAs(`https://localhost:${other.addr.port}/`, "client"), "refused");
  await other.stop();
});

Deno.test("serve() with min_version TLS13 refuses a TLS 1.2 client", async () => {
  const server = await start(`${TLS}  min_version: TLS13\n`, hello);
  const port = String(server.addr.port);
  const url = `https://localhost:${port}/`;
  const curl = (...a: string[]) => curlStatus(url, ...a);
  assert.deepEqual(await curl(), { code: 0, stdout: "200" });
  // curl exit 35: TLS handshake failed (the server sent protocol_version).
  assert.equal((await curl("--tls-max", "1.2")).code, 35);
  const s12 = await run("openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-tls1_2");
  assert.notEqual(s12.code, 0, "openssl s_client -tls1_2 must fail the handshake");
  const s13 = await run("openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-tls1_3");
  assert.match(s13.stdout, /Protocol\s*: TLSv1\.3|New, TLSv1\.3/);
  await server.stop();
});

Deno.test("serve() with max_version TLS12 refuses a TLS 1.3-only client", async () => {
  const server = await start(`${TLS}  max_version: TLS12\n`, hello);
  const url = `https://localhost:${server.addr.port}/`;
  const curl = (...a: string[]) => curlStatus(url, ...a);
  assert.equal((await curl()).code, 0);
  assert.equal((await curl("--tlsv1.3")).code, 35);
  await server.stop();
});

Deno.test("serve() over node:https streams bodies and applies auth and headers", async () => {
  const server = await start(
    `${TLS}  client_auth_type: RequestClientCert\nbasic_auth_users:\n  ${ALICE}\n` +
      `http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n`,
    async (request) => {
      const headers = new Headers({ "content-type": "text/plain" });
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      return new Response(
        `${request.method} ${new URL(request.url).pathname} ${await request.text()}`,
        { headers },
      );
    },
  );
  using client = Deno.createHttpClient({ caCerts: [pki.pem["ca.crt"]!] });
  const url = `https://localhost:${server.addr.port}/echo`;
  const denied = await fetch(url, { client });
  await denied.body?.cancel();
  assert.deepEqual([denied.status, denied.headers.get("x-content-type-options")], [401, "nosniff"]);
  const body = "x".repeat(256 * 1024);
  const ok = await fetch(url, {
    client,
    method: "POST",
    body,
    headers: { Authorization: `Basic ${btoa("alice:s3cret")}` },
  });
  assert.equal(await ok.text(), `POST /echo ${body}`);
  assert.deepEqual(ok.headers.getSetCookie(), ["a=1", "b=2"]);
  assert.equal(ok.headers.get("x-content-type-options"), "nosniff");
  await server.stop();
});
