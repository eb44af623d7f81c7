/**
 * `x509-certificate-exporter inspect FILE`: each certificate of a PEM, DER,
 * PKCS#12 or JKS file, or of a kubeconfig, in a few lines, with its chain drawn
 * as a tree (issuers from the same file, then the system's trust store).
 */
import { parse as parseYaml } from "yaml";
import type { Certificate, DistinguishedName, Item } from "../bundle.ts";
import { chainProblem, Chains, type ChainState, chainVerified } from "../chain.ts";
import { parseConfig } from "../config/load.ts";
import { CertificateCache } from "../parse/cert_cache.ts";
import { decodeItems, loadPkcs12 } from "../parse/decode.ts";
import { type Colour, paint, shortDate, useColour } from "./_format.ts";
import { scanOnce } from "./_scan.ts";

export const INSPECT_USAGE =
  `Usage: x509-certificate-exporter inspect [--password PASS]... [--roots FILE]... FILE

Prints each certificate of FILE (PEM, DER, PKCS#12, JKS, or a kubeconfig) and its chain as a
tree. Issuers are looked up in FILE, then in --roots files and the system's trust store.`;

function dn(d: DistinguishedName): string {
  const parts = (["CN", "OU", "O", "L", "ST", "C"] as const).filter((k) => d[k] !== undefined)
    .map((k) => `${k}=${d[k]}`);
  return parts.length ? parts.join(", ") : "(empty)";
}

function left(cert: Certificate, now: number): { text: string; colour: Colour | undefined } {
  const days = (cert.notAfter - now) / 86_400;
  if (days < 0) return { text: `expired ${Math.ceil(-days)} days ago`, colour: "red" };
  const text = `${Math.floor(days)} days left`;
  return { text, colour: days < 14 ? "red" : days < 28 ? "yellow" : "green" };
}

/** The chain as a tree: the certificate, then each issuer one level deeper. */
export function chainTree(
  cert: Certificate,
  chain: ChainState,
  now: number,
  colour: boolean,
): string[] {
  const label = (c: Certificate) => {
    const l = left(c, now);
    return `${c.subject.CN ?? dn(c.subject)} ${paint(`(${l.text})`, l.colour, colour)}`;
  };
  const lines = [`${label(cert)}`];
  chain.path.forEach((c, i) => {
    const anchor = i === chain.path.length - 1 && chain.anchored
      ? paint(chain.anchor === "roots" ? " [trusted root]" : " [self-signed CA]", "dim", colour)
      : "";
    lines.push(`${"   ".repeat(i)}└─ ${label(c)}${anchor}`);
  });
  if (chain.path.length === 0 && chain.anchored) {
    lines[0] += paint(" [trusted root]", "dim", colour);
  }
  const p = chainProblem(chain, now);
  if (p) {
    lines.push(
      `${"   ".repeat(chain.path.length)}└─ ${paint(`✗ ${p.reason}: ${p.message}`, "red", colour)}`,
    );
  }
  return lines;
}

/** A few lines about one certificate. */
export function describe(
  cert: Certificate,
  chain: ChainState | undefined,
  now: number,
  colour: boolean,
): string[] {
  const l = left(cert, now);
  const out = [
    `  subject    ${dn(cert.subject)}`,
    `  issuer     ${dn(cert.issuer)}`,
    `  validity   ${shortDate(cert.notBefore)} → ${shortDate(cert.notAfter)} UTC, ${
      paint(l.text, l.colour, colour)
    }`,
    `  key        ${cert.keyType ?? "?"} ${cert.keyBits ?? ""}, signed ${
      cert.signatureAlgorithm ?? "?"
    }${cert.isCa ? ", CA" : ""}`,
  ];
  if (cert.sans?.length) out.push(`  SANs       ${cert.sans.join(", ")}`);
  out.push(`  serial     ${cert.serial}`, `  sha256     ${cert.fingerprint}`);
  if (chain) {
    const ok = chainVerified(chain, now) === 1;
    out.push(
      `  chain      ${
        ok ? paint("verified", "green", colour) : paint("not verified", "red", colour)
      }`,
    );
    for (const line of chainTree(cert, chain, now, colour)) out.push(`    ${line}`);
  }
  return out;
}

interface Group {
  readonly title: string;
  readonly items: readonly Item[];
}

function looksLikeKubeconfig(data: Uint8Array): boolean {
  if (data.length > 4 * 1024 * 1024) return false;
  const text = new TextDecoder().decode(data);
  if (!/^\s*(clusters|users|apiVersion|kind)\s*:/m.test(text)) return false;
  try {
    const doc = parseYaml(text) as Record<string, unknown> | null;
    return !!doc && typeof doc === "object" && ("clusters" in doc || "users" in doc);
  } catch {
    return false;
  }
}

/** Runs `inspect`; returns the exit code (1 when nothing could be read). */
export async function inspectCommand(
  args: readonly string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
): Promise<number> {
  const passwords: string[] = [];
  const roots: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--help" || a === "-h") {
      out(INSPECT_USAGE);
      return 0;
    }
    if (a === "--password" || a === "--roots") {
      const v = args[++i];
      if (v === undefined) {
        err(`${a} needs a value\n\n${INSPECT_USAGE}`);
        return 2;
      }
      (a === "--password" ? passwords : roots).push(v);
    } else if (a.startsWith("-")) {
      err(`Unknown option: ${a}\n\n${INSPECT_USAGE}`);
      return 2;
    } else files.push(a);
  }
  if (files.length !== 1) {
    err(`inspect takes one FILE\n\n${INSPECT_USAGE}`);
    return 2;
  }
  const file = files[0]!;
  let data: Uint8Array;
  try {
    data = await Deno.readFile(file);
  } catch (e) {
    err(`Cannot read file: ${file}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  const limits = parseConfig("{}", "defaults", { baseDir: "/" }).config.limits;
  let cache = new CertificateCache({ keepSigned: true });
  let chains = await Chains.create(cache, { rootFiles: roots, limits });
  for (const e of chains.rootErrors) err(`warning: ${e}`);
  const groups: Group[] = [];
  if (looksLikeKubeconfig(data)) {
    const abs = file.startsWith("/") ? file : `${Deno.cwd()}/${file}`;
    const loaded = parseConfig(
      JSON.stringify({ sources: [{ kind: "kubeconfig", name: "inspect", paths: [abs] }] }),
      "command line",
      { baseDir: Deno.cwd() },
    );
    const { store, facts } = await scanOnce(loaded.config, { chains: true, chainRoots: roots });
    cache = facts.cache;
    chains = facts.chains!;
    for (const s of store.sources()) {
      for (const b of s.bundles.values()) {
        const l = b.location;
        const title = l.embeddedKind ? `${l.embeddedKind} ${l.embeddedKey}` : b.ref;
        groups.push({ title, items: b.items });
      }
    }
  } else {
    const passphrases = passwords.length ? passwords : [""];
    await loadPkcs12();
    groups.push({
      title: file,
      items: decodeItems(data, {
        cache,
        limits,
        formats: ["pem", "der", "pkcs12", "jks"],
        passphrases: { pkcs12: passphrases, jks: passphrases },
      }),
    });
  }
  const colour = useColour();
  const now = Date.now() / 1000;
  let certs = 0;
  let n = 0;
  for (const g of groups) {
    const siblings = g.items.flatMap((i) => (i.kind === "cert" ? [i.cert] : []));
    if (groups.length > 1) out(paint(`== ${g.title}`, "bold", colour));
    for (const item of g.items) {
      if (item.kind === "error") {
        out(paint(`error: ${item.reason}: ${item.message}`, "red", colour));
        continue;
      }
      if (item.kind !== "cert") continue;
      certs++;
      const cert = item.cert;
      const chain = await chains.resolve(cert, siblings);
      out(paint(`[${++n}] ${cert.subject.CN ?? dn(cert.subject)}`, "bold", colour));
      for (const line of describe(cert, chain, now, colour)) out(line);
      out("");
    }
  }
  if (certs === 0) {
    err(`No certificate found in ${file}`);
    return 1;
  }
  return 0;
}
