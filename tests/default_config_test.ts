/**
 * The embedded default (src/config/default.yaml) on the hosts it is written for:
 * it watches what the operator owns, keeps the trust store as its own source,
 * and never reaches one file through two paths of a source. Host layouts are
 * rebuilt under a temporary root (links as the distributions ship them) and
 * scanned with the exporter's own file scanner.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { parse } from "yaml";
import { loadEmbeddedDefault } from "../src/config/load.ts";
import { scanFiles } from "../src/sources/file_scan.ts";

const DEFAULT_YAML = new URL("../src/config/default.yaml", import.meta.url);

/** A host layout: file path to contents, or `-> target` for a symlink. */
type Layout = Record<string, string>;

const PEM = "-----BEGIN CERTIFICATE-----\nfixture\n-----END CERTIFICATE-----\n";

const DEBIAN: Layout = {
  "/etc/ssl/certs/ca-certificates.crt": PEM,
  "/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt": PEM,
  "/etc/ssl/certs/ISRG_Root_X1.pem": "-> /usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt",
  "/etc/ssl/certs/4042bcee.0": "-> ISRG_Root_X1.pem",
};
const FEDORA_BUNDLE = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem";
// Fedora 37+ and RHEL 9: /etc/ssl/certs is p11-kit's directory-hash, with Debian's bundle name.
const FEDORA: Layout = {
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem": PEM,
  "/etc/pki/ca-trust/extracted/pem/directory-hash/ca-certificates.crt": "-> ../tls-ca-bundle.pem",
  "/etc/pki/ca-trust/extracted/pem/directory-hash/ca-bundle.crt": "-> ../tls-ca-bundle.pem",
  "/etc/pki/ca-trust/extracted/pem/directory-hash/4042bcee.0": "-> ../tls-ca-bundle.pem",
  "/etc/ssl/certs": "-> ../pki/ca-trust/extracted/pem/directory-hash",
  "/etc/pki/tls/certs/ca-bundle.crt": "-> /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
  "/etc/pki/tls/cert.pem": "-> /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
  "/etc/ssl/cert.pem": "-> /etc/pki/tls/cert.pem",
};
const ALPINE: Layout = {
  "/etc/ssl/certs/ca-certificates.crt": PEM,
  "/etc/ssl/cert.pem": "-> certs/ca-certificates.crt",
};
const ARCH: Layout = {
  "/etc/ca-certificates/extracted/tls-ca-bundle.pem": PEM,
  "/etc/ssl/certs/ca-certificates.crt": "-> ../../ca-certificates/extracted/tls-ca-bundle.pem",
  "/etc/ssl/cert.pem": "-> ../ca-certificates/extracted/tls-ca-bundle.pem",
};
const SUSE: Layout = {
  "/var/lib/ca-certificates/ca-bundle.pem": PEM,
  "/etc/ssl/ca-bundle.pem": "-> /var/lib/ca-certificates/ca-bundle.pem",
  "/var/lib/ca-certificates/pem/ISRG_Root_X1.pem": PEM,
  "/etc/ssl/certs": "-> /var/lib/ca-certificates/pem",
};
const MACOS: Layout = {
  "/private/etc/ssl/cert.pem": PEM,
  "/etc": "-> private/etc",
};
const KUBEADM: Layout = {
  "/etc/kubernetes/pki/ca.crt": PEM,
  "/etc/kubernetes/pki/ca.key": "key",
  "/etc/kubernetes/pki/apiserver.crt": PEM,
  "/etc/kubernetes/pki/etcd/ca.crt": PEM,
  "/etc/kubernetes/pki/etcd/server.crt": PEM,
  "/etc/kubernetes/admin.conf": "apiVersion: v1\nkind: Config\n",
  "/etc/kubernetes/kubelet.conf": "apiVersion: v1\nkind: Config\n",
  "/var/lib/kubelet/pki/kubelet.crt": PEM,
  "/var/lib/kubelet/pki/kubelet.key": "key",
  "/var/lib/kubelet/pki/kubelet-client-2026-01-01-00-00-00.pem": PEM,
  "/var/lib/kubelet/pki/kubelet-client-2026-06-01-00-00-00.pem": PEM,
  "/var/lib/kubelet/pki/kubelet-client-current.pem":
    "-> /var/lib/kubelet/pki/kubelet-client-2026-06-01-00-00-00.pem",
};
// certbot: live/ links to the newest version in archive/, which keeps every version.
const CERTBOT: Layout = {
  "/etc/letsencrypt/archive/example.org/cert1.pem": PEM,
  "/etc/letsencrypt/archive/example.org/cert2.pem": PEM,
  "/etc/letsencrypt/archive/example.org/chain2.pem": PEM,
  "/etc/letsencrypt/archive/example.org/fullchain2.pem": PEM + PEM,
  "/etc/letsencrypt/archive/example.org/privkey2.pem": "key",
  "/etc/letsencrypt/live/example.org/cert.pem": "-> ../../archive/example.org/cert2.pem",
  "/etc/letsencrypt/live/example.org/chain.pem": "-> ../../archive/example.org/chain2.pem",
  "/etc/letsencrypt/live/example.org/fullchain.pem": "-> ../../archive/example.org/fullchain2.pem",
  "/etc/letsencrypt/live/example.org/privkey.pem": "-> ../../archive/example.org/privkey2.pem",
  "/etc/letsencrypt/live/example.com/cert.pem": "-> ../../archive/example.com/cert1.pem",
  "/etc/letsencrypt/archive/example.com/cert1.pem": PEM,
  "/etc/letsencrypt/live/README": "certbot's README",
};

const HOSTS: Record<string, Layout> = {
  debian: DEBIAN,
  fedora: FEDORA,
  alpine: ALPINE,
  arch: ARCH,
  suse: SUSE,
  macos: MACOS,
  "kubeadm node (debian)": { ...DEBIAN, ...KUBEADM },
  "certbot host (fedora)": { ...FEDORA, ...CERTBOT },
};

/** Builds a layout under a new temporary root. */
async function build(layout: Layout): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "x509-default-host-" });
  // Directory links first, so files below them land in their targets.
  const entries = Object.entries(layout).sort(([, a], [, b]) =>
    Number(!a.startsWith("-> ")) - Number(!b.startsWith("-> "))
  );
  for (const [path, content] of entries) {
    const at = `${root}${path}`;
    if (content.startsWith("-> ")) {
      let target = content.slice(3);
      if (target.startsWith("/")) target = `${root}${target}`;
      await Deno.mkdir(dirname(at), { recursive: true });
      await Deno.symlink(target, at);
    }
  }
  for (const [path, content] of entries) {
    if (content.startsWith("-> ")) continue;
    await Deno.mkdir(dirname(`${root}${path}`), { recursive: true });
    await Deno.writeTextFile(`${root}${path}`, content);
  }
  return root;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

interface Watched {
  /** The path as the source reports it (its filepath label). */
  path: string;
  /** The file the OS opens for it. */
  real: string;
  /** The scanner's reason when it could not read the file. */
  problem?: string;
}

/** What the default watches on a host: per source, each path found and the file behind it. */
async function watched(root: string): Promise<Map<string, Watched[]>> {
  const loaded = await loadEmbeddedDefault((p) => exists(`${root}${p}`));
  const realRoot = await Deno.realPath(root);
  const out = new Map<string, Watched[]>();
  for (const source of loaded.config.sources) {
    if (!("paths" in source)) continue;
    const scan = await scanFiles({ paths: source.paths.map((p) => `${root}${p}`) });
    const found: Omit<Watched, "real">[] = [
      ...scan.files.map((f) => ({ path: f.path })),
      ...scan.problems.map((p) => ({ path: p.path, problem: p.reason })),
    ];
    out.set(
      source.name,
      await Promise.all(found.map(async (f) => ({
        ...f,
        path: f.path.slice(root.length),
        real: (await Deno.realPath(f.path)).slice(realRoot.length),
      }))),
    );
  }
  return out;
}

for (const [host, layout] of Object.entries(HOSTS)) {
  Deno.test(`the embedded default never reads one file twice in a source: ${host}`, async () => {
    const root = await build(layout);
    try {
      const sources = await watched(root);
      for (const [name, files] of sources) {
        const reals = files.map((f) => f.real);
        assert.deepEqual(reals, [...new Set(reals)], `${host}: ${name} reads a file twice`);
      }
      // Exactly one trust-store bundle on every one of these hosts.
      assert.equal(sources.get("system-trust-store")?.length, 1, host);
      // And every file is read (Fedora's bundle: see the ignored test below).
      const fedora = FEDORA_BUNDLE in layout;
      for (const [name, files] of sources) {
        for (const f of files) {
          if (fedora && name === "system-trust-store") continue;
          assert.equal(f.problem, undefined, `${host}: ${f.path}`);
        }
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

// A relative link resolves from the directory it really lives in (/etc/ssl/certs is a link).
Deno.test({
  name: "the exporter reads Fedora's trust-store bundle through its linked directory",
  async fn() {
    const root = await build(FEDORA);
    try {
      const trust = (await watched(root)).get("system-trust-store")!;
      assert.deepEqual(trust.map((f) => f.problem), [undefined]);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("the embedded default watches a kubeadm node's PKI, kubelet and kubeconfigs", async () => {
  const root = await build({ ...DEBIAN, ...KUBEADM });
  try {
    const sources = await watched(root);
    assert.deepEqual([...sources.keys()], [
      "kubeadm-pki",
      "kubelet-pki",
      "kubeconfigs",
      "system-trust-store",
    ]);
    assert.deepEqual(sources.get("kubeadm-pki")!.map((f) => f.path), [
      "/etc/kubernetes/pki/apiserver.crt",
      "/etc/kubernetes/pki/ca.crt",
      "/etc/kubernetes/pki/etcd/ca.crt",
      "/etc/kubernetes/pki/etcd/server.crt",
    ]);
    // The current client certificate once, not every dated one kubelet kept.
    assert.deepEqual(sources.get("kubelet-pki")!.map((f) => f.path), [
      "/var/lib/kubelet/pki/kubelet.crt",
      "/var/lib/kubelet/pki/kubelet-client-current.pem",
    ]);
    assert.deepEqual(sources.get("kubeconfigs")!.map((f) => f.path), [
      "/etc/kubernetes/admin.conf",
      "/etc/kubernetes/kubelet.conf",
    ]);
    assert.deepEqual(sources.get("system-trust-store"), [
      { path: "/etc/ssl/certs/ca-certificates.crt", real: "/etc/ssl/certs/ca-certificates.crt" },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the embedded default reads each certbot lineage's leaf once, through live/", async () => {
  const root = await build({ ...DEBIAN, ...CERTBOT });
  try {
    const certbot = (await watched(root)).get("certbot")!;
    assert.deepEqual(certbot, [
      {
        path: "/etc/letsencrypt/live/example.com/cert.pem",
        real: "/etc/letsencrypt/archive/example.com/cert1.pem",
      },
      {
        path: "/etc/letsencrypt/live/example.org/cert.pem",
        real: "/etc/letsencrypt/archive/example.org/cert2.pem",
      },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the embedded default keeps the trust store as its own source, read from one bundle", async () => {
  const config = parse(await Deno.readTextFile(DEFAULT_YAML)) as {
    sources: { kind: string; name: string; paths: string[] }[];
  };
  assert.deepEqual(config.sources.map((s) => s.name), [
    "kubeadm-pki",
    "kubelet-pki",
    "kubeconfigs",
    "certbot",
    "system-trust-store",
  ]);
  const trust = config.sources.find((s) => s.name === "system-trust-store")!;
  for (const p of trust.paths) {
    assert.ok(!/[*?[]/.test(p), `a bundle file, not a glob: ${p}`);
    assert.notEqual(p, "/etc/ssl/certs", "not the hash-link directory");
  }
  // Only the trust store reads outside what an operator installs and renews.
  for (const s of config.sources.filter((s) => s.name !== "system-trust-store")) {
    for (const p of s.paths) {
      assert.match(p, /^\/(etc\/kubernetes|var\/lib\/kubelet|etc\/letsencrypt)\//);
    }
  }
});

Deno.test("the embedded default on a host with nothing to watch but the trust store", async () => {
  const loaded = await loadEmbeddedDefault((p) =>
    Promise.resolve(p === "/etc/ssl/certs/ca-certificates.crt")
  );
  assert.deepEqual(loaded.chosen, ["/etc/ssl/certs/ca-certificates.crt"]);
  assert.deepEqual(loaded.config.sources.map((s) => s.name), ["system-trust-store"]);
});
