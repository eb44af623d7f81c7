/**
 * Loader for the Prometheus exporter-toolkit web configuration file (the file
 * node_exporter takes as `--web.config.file`), so users can reuse theirs as-is.
 *
 * Decoding is strict like upstream's `yaml.UnmarshalStrict`, but every error
 * carries the line, column and key path, and TLS material is read and checked
 * at load time so a broken file fails at startup rather than on first scrape.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { dirname, isAbsolute, resolve } from "node:path";
import type { Node } from "yaml";
import { ConfigErrors, type Decoder, hint, parseYaml } from "../config/decode.ts";
import { ConfigError } from "../errors.ts";

export const CLIENT_AUTH_TYPES = [
  "NoClientCert",
  "RequestClientCert",
  "RequireAnyClientCert",
  "VerifyClientCertIfGiven",
  "RequireAndVerifyClientCert",
] as const;
export type ClientAuthType = typeof CLIENT_AUTH_TYPES[number];

export const TLS_VERSIONS = ["TLS10", "TLS11", "TLS12", "TLS13"] as const;
export type TlsVersion = typeof TLS_VERSIONS[number];

/** Go's `tls.CipherSuites()` names (plus the RSA-kex ones older Go listed). */
const CIPHER_SUITES = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
  "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
  "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
  "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
  "TLS_RSA_WITH_AES_128_CBC_SHA",
  "TLS_RSA_WITH_AES_256_CBC_SHA",
  "TLS_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_RSA_WITH_AES_256_GCM_SHA384",
];
const CURVES = ["CurveP256", "CurveP384", "CurveP521", "X25519"];

/**
 * Upstream only lets these headers be set, some with a closed set of values,
 * so a web config cannot break auth or content negotiation.
 */
const ALLOWED_HEADERS: Record<string, readonly string[] | null> = {
  "Strict-Transport-Security": null,
  "X-Content-Type-Options": ["nosniff"],
  "X-Frame-Options": ["deny", "sameorigin"],
  "X-XSS-Protection": null,
  "Content-Security-Policy": null,
};

const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

export interface WebTlsConfig {
  /** PEM certificate chain, read from `cert_file` or inline `cert`. */
  cert: string;
  /** PEM private key, read from `key_file` or inline `key`. */
  key: string;
  /** PEM bundle of CAs that client certificates must chain to, if any. */
  clientCa: string | undefined;
  clientAuthType: ClientAuthType;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  /** A client certificate must carry one of these SANs, when set. */
  clientAllowedSans: string[] | undefined;
}

export interface WebConfig {
  /** Absolute path of the file this came from. */
  file: string;
  /** Undefined means plain HTTP, as upstream does when no TLS key is set. */
  tls: WebTlsConfig | undefined;
  http2: boolean;
  headers: Record<string, string>;
  /** User name to bcrypt hash. Empty means no authentication. */
  basicAuthUsers: Record<string, string>;
  /** Settings accepted for compatibility that this runtime cannot honour. */
  warnings: string[];
}

/**
 * True when TLS must be served by `node:https` rather than `Deno.serve`:
 * `Deno.serve` can neither request client certificates, pin protocol versions
 * nor turn HTTP/2 off, while Deno's `node:tls` does the first two and only
 * speaks HTTP/1.1.
 */
export function needsNodeTls(config: Pick<WebConfig, "tls" | "http2">): boolean {
  const tls = config.tls;
  if (tls === undefined) return false;
  return tls.clientAuthType !== "NoClientCert" || tls.minVersion === "TLS13" ||
    tls.maxVersion === "TLS12" || !config.http2;
}

/** Reads, validates and resolves a web config file. Throws {@link ConfigError}. */
export async function loadWebConfig(path: string): Promise<WebConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    const error = new ConfigError(`Cannot read file: ${file}`, { file, path: "" });
    error.cause = err;
    throw error;
  }
  return await parseWebConfig(text, file);
}

/** Like {@link loadWebConfig} on already-read text; `file` anchors relative paths. */
export async function parseWebConfig(text: string, file: string): Promise<WebConfig> {
  let parsed;
  try {
    // YAML 1.1 because upstream decodes with go-yaml v2: `http2: yes` is a boolean there.
    parsed = parseYaml(text, file, { version: "1.1", syntaxPrefix: "Invalid YAML: " });
  } catch (err) {
    // This loader stops at the first problem: TLS material is read only from a sound file.
    throw err instanceof ConfigErrors ? err.errors[0]! : err;
  }
  const { doc, decoder: d } = parsed;
  const warnings: string[] = [];
  const root = d.map(doc.contents as Node | null, "", [
    "tls_server_config",
    "http_server_config",
    "basic_auth_users",
    "rate_limit",
  ]);

  const httpNode = root.get("http_server_config");
  const http = d.map(httpNode, "http_server_config", ["http2", "headers"]);
  const http2 = d.bool(http.get("http2"), "http_server_config.http2") ?? true;
  const headers: Record<string, string> = {};
  for (
    const [name, { key, value }] of d.entries(http.get("headers"), "http_server_config.headers")
  ) {
    const at = `http_server_config.headers.${name}`;
    const allowed = ALLOWED_HEADERS[name];
    if (allowed === undefined) {
      d.fail(
        `HTTP header "${name}" can not be configured${hint(name, Object.keys(ALLOWED_HEADERS))}`,
        key,
        at,
      );
      continue;
    }
    const v = d.str(value, at) ?? "";
    if (allowed && !allowed.includes(v)) {
      d.fail(`Invalid value "${v}": expected one of ${allowed.join(", ")}`, value, at);
    }
    headers[name] = v;
  }

  const basicAuthUsers: Record<string, string> = {};
  for (
    const [user, { key, value }] of d.entries(root.get("basic_auth_users"), "basic_auth_users")
  ) {
    const at = `basic_auth_users.${user}`;
    if (user.includes(":")) d.fail("User names cannot contain a colon", key, at);
    const hash = d.str(value, at) ?? "";
    // The hash itself is never echoed: it is secret-adjacent and logs travel far.
    if (!BCRYPT_HASH.test(hash)) {
      d.fail(
        "Invalid bcrypt hash: expected $2a$, $2b$ or $2y$ form",
        value,
        at,
      );
    }
    basicAuthUsers[user] = hash;
  }

  const rate = d.map(root.get("rate_limit"), "rate_limit", ["burst", "interval"]);
  if (rate.size > 0) warnings.push("rate_limit is not implemented by this exporter and is ignored");

  const tls = await decodeTls(d, root.get("tls_server_config"), dirname(file), warnings);
  d.throwFirst();
  if (tls && needsNodeTls({ tls, http2 }) && http2) {
    warnings.push(
      "http_server_config.http2 cannot be honoured: client certificates and TLS version " +
        "limits need node:https, which serves HTTP/1.1 only",
    );
  }
  return { file, tls, http2, headers, basicAuthUsers, warnings };
}

/** Keys whose presence turns TLS on; the rest only tune it. */
const TLS_ENABLING_KEYS = [
  "cert",
  "key",
  "client_ca",
  "cert_file",
  "key_file",
  "client_auth_type",
  "client_ca_file",
];

const TLS_KEYS = [
  ...TLS_ENABLING_KEYS,
  "cipher_suites",
  "curve_preferences",
  "min_version",
  "max_version",
  "prefer_server_cipher_suites",
  "client_allowed_sans",
];

async function decodeTls(
  d: Decoder,
  node: Node | null | undefined,
  dir: string,
  warnings: string[],
): Promise<WebTlsConfig | undefined> {
  const p = "tls_server_config";
  const m = d.map(node, p, TLS_KEYS);
  const s = (k: string) => d.str(m.get(k), `${p}.${k}`) || undefined;
  const enabled = TLS_ENABLING_KEYS.some((k) => s(k) !== undefined);
  // Decode everything first so type errors surface even when TLS stays off.
  const authRaw = s("client_auth_type") ?? "NoClientCert";
  // "RequireClientCert" is upstream's backwards-compatible alias.
  const authDecoded = authRaw === "RequireClientCert"
    ? "RequireAnyClientCert"
    : d.oneOf(authRaw, CLIENT_AUTH_TYPES, m.get("client_auth_type"), `${p}.client_auth_type`);
  const minDecoded = d.oneOf(
    s("min_version") ?? "TLS12",
    TLS_VERSIONS,
    m.get("min_version"),
    `${p}.min_version`,
  );
  const maxDecoded = d.oneOf(
    s("max_version") ?? "TLS13",
    TLS_VERSIONS,
    m.get("max_version"),
    `${p}.max_version`,
  );
  const ciphers = d.strList(m.get("cipher_suites"), `${p}.cipher_suites`, CIPHER_SUITES);
  const curves = d.strList(m.get("curve_preferences"), `${p}.curve_preferences`, CURVES);
  const preferServer = d.bool(
    m.get("prefer_server_cipher_suites"),
    `${p}.prefer_server_cipher_suites`,
  );
  const sans = m.has("client_allowed_sans")
    ? d.strList(m.get("client_allowed_sans"), `${p}.client_allowed_sans`)
    : undefined;
  d.throwFirst();
  if (!enabled) return undefined;
  // Every decoding error was thrown just above: these hold values.
  const [clientAuthType, minVersion, maxVersion] = [authDecoded!, minDecoded!, maxDecoded!];

  const where = m.size > 0 ? node : undefined;
  for (
    const [inline, path] of [["cert", "cert_file"], ["key", "key_file"], [
      "client_ca",
      "client_ca_file",
    ]]
  ) {
    if (s(inline!) && s(path!)) {
      d.stop(`Only one of ${inline} and ${path} may be set`, m.get(path!), `${p}.${path}`);
    }
  }
  if (!s("cert") && !s("cert_file")) d.stop("Missing one of cert or cert_file", where, p);
  if (!s("key") && !s("key_file")) d.stop("Missing one of key or key_file", where, p);
  if (TLS_VERSIONS.indexOf(maxVersion) < 2) {
    d.stop(
      `${maxVersion} is not supported: Deno's TLS stack speaks TLS12 and TLS13 only`,
      m.get("max_version"),
      `${p}.max_version`,
    );
  }
  if (TLS_VERSIONS.indexOf(minVersion) > TLS_VERSIONS.indexOf(maxVersion)) {
    d.stop(
      `min_version ${minVersion} is above max_version ${maxVersion}`,
      m.get("min_version"),
      `${p}.min_version`,
    );
  }
  if (TLS_VERSIONS.indexOf(minVersion) < 2) {
    warnings.push(
      `${p}.min_version ${minVersion} is raised to TLS12: Deno's TLS stack has no TLS 1.0/1.1`,
    );
  }

  const load = async (inline: string, pathKey: string): Promise<string | undefined> => {
    const text = s(inline);
    if (text !== undefined) return text;
    const rel = s(pathKey);
    if (rel === undefined) return undefined;
    const abs = isAbsolute(rel) ? rel : resolve(dir, rel);
    try {
      return await Deno.readTextFile(abs);
    } catch (err) {
      const why = err instanceof Deno.errors.NotFound ? "File not found" : "Cannot read file";
      return d.stop(`${why}: ${abs}`, m.get(pathKey), `${p}.${pathKey}`, err);
    }
  };
  const cert = (await load("cert", "cert_file"))!;
  const key = (await load("key", "key_file"))!;
  const clientCa = await load("client_ca", "client_ca_file");
  const certKey = s("cert_file") ? "cert_file" : "cert";
  const keyKey = s("key_file") ? "key_file" : "key";
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    return d.stop("No valid PEM certificate found", m.get(certKey), `${p}.${certKey}`, err);
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key))) {
      d.stop("Private key does not match the certificate", m.get(keyKey), `${p}.${keyKey}`);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    d.stop("No valid PEM private key found", m.get(keyKey), `${p}.${keyKey}`, err);
  }
  const caKey = s("client_ca_file") ? "client_ca_file" : "client_ca";
  if (clientCa !== undefined) {
    if (clientAuthType === "NoClientCert") {
      d.stop("Client CAs are configured without a client_auth_type", m.get(caKey), `${p}.${caKey}`);
    }
    try {
      new X509Certificate(clientCa);
    } catch (err) {
      d.stop("No valid PEM certificate found", m.get(caKey), `${p}.${caKey}`, err);
    }
  } else if (
    clientAuthType === "RequireAndVerifyClientCert" || clientAuthType === "VerifyClientCertIfGiven"
  ) {
    // Node would otherwise verify against the public web PKI, which is never what a scrape target means.
    d.stop(
      `${clientAuthType} needs client_ca_file or client_ca`,
      m.get("client_auth_type"),
      `${p}.client_auth_type`,
    );
  }
  if (
    sans && clientAuthType !== "RequireAnyClientCert" &&
    clientAuthType !== "RequireAndVerifyClientCert"
  ) {
    d.stop(
      "client_allowed_sans requires client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert",
      m.get("client_allowed_sans"),
      `${p}.client_allowed_sans`,
    );
  }
  const rustls = "Deno's TLS stack (rustls) negotiates from its own fixed list";
  if (ciphers.length > 0) {
    warnings.push(`${p}.cipher_suites is not enforced: ${rustls} of modern suites`);
  }
  if (curves.length > 0) {
    warnings.push(`${p}.curve_preferences is not enforced: ${rustls} of key exchange groups`);
  }
  if (preferServer !== undefined) {
    warnings.push(
      `${p}.prefer_server_cipher_suites is not enforced: ${rustls} and its own preference order`,
    );
  }
  return { cert, key, clientCa, clientAuthType, minVersion, maxVersion, clientAllowedSans: sans };
}
