import assert from "node:assert/strict";
import { sourceSpec } from "../src/config/load.ts";
import { Logger } from "../src/log.ts";
import { renderProbeMetrics } from "../src/metrics/probe_metrics.ts";
import { CertMetrics } from "../src/metrics/cert_metrics.ts";
import { LabelSchema } from "../src/metrics/labels.ts";
import { renderSourceMetrics } from "../src/metrics/source_metrics.ts";
import { renderStatusPage } from "../src/server/status_page.ts";
import type { ProbeOutcome } from "../src/sources/_tls_probe.ts";
import { TlsSource } from "../src/sources/tls.ts";
import { type SourceState, Store } from "../src/store.ts";
import { promtoolCheckMetrics } from "./testing/promtool.ts";
import { sourceDeps } from "./testing/sources.ts";
import { closedPort, makeTlsPki, openSslServer } from "./testing/tls_endpoints.ts";

const pki = await makeTlsPki();
const caFile = await pki.write("ca.crt", pki.ca.cert);

function setup(targets: unknown[], extra: Record<string, unknown> = {}) {
  const store = new Store();
  const lines: string[] = [];
  const deps = { ...sourceDeps(store), logger: new Logger({ write: (l) => lines.push(l) }) };
  const spec = sourceSpec({ kind: "tls", name: "edge", caFile, targets, timeout: "2s", ...extra });
  const src = new TlsSource({ ...deps, spec });
  const state = (): SourceState => store.sources().next().value!;
  const serials = () =>
    [...state().bundles.values()].map((b) =>
      b.items.map((i) => (i.kind === "cert" ? i.cert.serial : i.kind))
    );
  return { store, src, lines, state, serials };
}

Deno.test("TlsSource exports the served chain with probe labels and the probe families", async () => {
  const server = await openSslServer(pki, pki.good, { chain: [pki.ca] });
  const expired = await openSslServer(pki, pki.expired, { chain: [pki.ca] });
  try {
    const dead = closedPort();
    const { store, src, lines, state } = setup([
      { address: server.address, serverName: "good.test" },
      { address: expired.address, serverName: "good.test" },
      `127.0.0.1:${dead}`,
    ]);
    await src.probeAll(new AbortController().signal);
    const s = state();
    const bundle = s.bundles.get(`tls://${server.address}?sni=good.test`)!;
    assert.deepEqual(bundle.location, {
      probeTarget: server.address,
      probeServerName: "good.test",
    });
    assert.deepEqual(bundle.items.map((i) => i.kind === "cert" && i.cert.fingerprint), [
      pki.good.fingerprint,
      pki.ca.fingerprint,
    ]);
    assert.deepEqual(bundle.items.map((i) => i.index), [0, 1]);
    assert.equal(s.bundles.size, 2, "nothing for the closed port");
    assert.equal(s.up, false);
    assert.equal(s.errors.get("connect_failed"), 1);
    assert.equal(s.errors.get("timeout"), 0, "probe reasons pre-set");

    const probes = renderProbeMetrics(store);
    const at = (a: string) =>
      `source_name="edge",probe_target="${a}",probe_server_name="good.test"`;
    assert.match(probes, new RegExp(`x509_probe_success\\{${at(server.address)}\\} 1`));
    assert.match(probes, new RegExp(`x509_probe_verified\\{${at(server.address)}\\} 1`));
    assert.match(probes, new RegExp(`x509_probe_verified\\{${at(expired.address)}\\} 0`));
    assert.match(probes, /x509_probe_tls_version_info\{[^}]*,version="TLS 1\.3"\} 1/);
    assert.match(
      probes,
      new RegExp(
        `x509_probe_success\\{source_name="edge",probe_target="127.0.0.1:${dead}",` +
          `probe_server_name="127.0.0.1"\\} 0`,
      ),
    );
    const certs = new CertMetrics(new LabelSchema(), {}).render(
      store,
      Math.floor(Date.now() / 1000),
    );
    assert.match(
      certs,
      new RegExp(
        `x509_cert_not_after\\{[^}]*probe_target="${server.address}",` +
          `probe_server_name="good.test",serial_number="${pki.good.serial}"`,
      ),
    );
    assert.equal(await promtoolCheckMetrics(certs + renderSourceMetrics(store) + probes), "");

    assert.ok(
      lines.some((l) =>
        l.includes("Served chain does not verify") && l.includes("CERT_HAS_EXPIRED")
      ),
    );
    assert.ok(lines.some((l) => l.includes("Probe failed") && l.includes("connect_failed")));
    const page = renderStatusPage(store, {
      version: "t",
      revision: "r",
      denoVersion: Deno.version.deno,
      configOrigin: "test",
      startedAt: 0,
      lastScrapeSeconds: 0,
    });
    assert.match(page, /Probed endpoints/);
    assert.match(page, /no: CERT_HAS_EXPIRED/);
    assert.match(page, /connect_failed: /);
  } finally {
    await server.stop();
    await expired.stop();
  }
});

Deno.test("TlsSource keeps a failing target's chain for the grace period, then drops it", async () => {
  const server = await openSslServer(pki, pki.good, { chain: [pki.ca] });
  const { store, src, state } = setup([server.address], { gracePeriod: "3m" });
  const signal = new AbortController().signal;
  await src.probeAll(signal, 0);
  assert.equal(state().bundles.size, 1);
  await server.stop();
  await src.probeAll(signal, 60_000);
  assert.equal(state().bundles.size, 1, "kept after one failure");
  let probes = renderProbeMetrics(store);
  assert.match(probes, /x509_probe_success\{[^}]*\} 0/);
  assert.match(probes, /x509_probe_verified\{[^}]*\} 1/, "what the held chain told, kept with it");
  await src.probeAll(signal, 179_000);
  assert.equal(state().bundles.size, 1);
  await src.probeAll(signal, 180_000);
  assert.equal(state().bundles.size, 0, "dropped once the grace period is over");
  probes = renderProbeMetrics(store);
  assert.doesNotMatch(probes, /x509_probe_verified\{/);
  assert.equal(state().errors.get("connect_failed"), 3);
});

Deno.test("TlsSource sees a server restarted with a new certificate at the next probe", async () => {
  let server = await openSslServer(pki, pki.good);
  const port = server.port;
  const { src, serials, store } = setup([{ address: server.address, serverName: "good.test" }], {
    refreshInterval: "300ms",
  });
  const ac = new AbortController();
  const running = src.run(ac.signal);
  try {
    const deadline = Date.now() + 10_000;
    while (!store.ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(serials(), [[pki.good.serial, serialOf(pki.ca)]]);
    await server.stop();
    server = await openSslServer(pki, pki.rotated, { port });
    while (serials()[0]?.[0] !== pki.rotated.serial && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(serials(), [[pki.rotated.serial, serialOf(pki.ca)]]);
  } finally {
    ac.abort();
    await running;
    await server.stop();
  }
});

function serialOf(c: { serial: string }): string {
  return c.serial;
}

Deno.test("TlsSource spreads probes over the interval and bounds them by concurrency", async () => {
  const starts: { target: string; at: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const probe = async (t: { address: string }): Promise<ProbeOutcome> => {
    starts.push({ target: t.address, at: performance.now() });
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    await new Promise((r) => setTimeout(r, 30));
    inFlight--;
    return { ok: false, reason: "connect_failed", message: "fake", durationSeconds: 0.03 };
  };
  const store = new Store();
  const targets = ["a.test:1", "b.test:1", "c.test:1", "d.test:1"];
  const src = new TlsSource({
    ...sourceDeps(store),
    spec: sourceSpec({ kind: "tls", name: "s", targets, refreshInterval: "800ms", concurrency: 2 }),
    probe,
  });
  const ac = new AbortController();
  const t0 = performance.now();
  const running = src.run(ac.signal);
  await new Promise((r) => setTimeout(r, 1150));
  ac.abort();
  await running;
  assert.equal(maxInFlight, 2, "the first round is bounded by concurrency");
  const first = starts.slice(0, 4);
  assert.ok(first.every((s) => s.at - t0 < 200), "the first round runs at once");
  // Slots at 0, 200, 400, 600 ms of the interval; under half an interval after the
  // first round moves one interval on: c at 400, d at 600, a at 800, b at 1000.
  const second = starts.slice(4).map((s) => [s.target, Math.round((s.at - t0) / 100)]);
  assert.deepEqual(second.map(([t]) => t), ["c.test:1", "d.test:1", "a.test:1", "b.test:1"]);
  for (const [[, tenth], expected] of second.map((s, i) => [s, [4, 6, 8, 10][i]!] as const)) {
    assert.ok(Math.abs((tenth as number) - expected) <= 1, `${second}`);
  }
});
