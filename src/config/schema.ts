import type { DnField } from "../bundle.ts";
import type { Format } from "../parse/decode.ts";
import { bool, duration, int, list, num, obj, type ObjectSpec, str } from "./spec.ts";

// ---------------------------------------------------------------------------
// Types of the decoded configuration. Durations are milliseconds.

export interface FileSourceConfig {
  kind: "file";
  name: string;
  paths: string[];
  excludePaths: string[];
  followSymlinks: boolean;
  followSymlinkDirs: boolean;
  refreshInterval?: number;
  formats: Format[];
  pathMappings: { from: string; to: string }[];
  pkcs12?: KeystorePassphrases;
  jks?: KeystorePassphrases;
}

export interface KeystorePassphrases {
  passphrase?: string;
  passphraseFile?: string;
  tryEmptyPassphrase?: boolean;
}

export interface KubeconfigSourceConfig {
  kind: "kubeconfig";
  name: string;
  paths: string[];
  refreshInterval?: number;
}

export interface ObjectFilters {
  include: string[];
  exclude: string[];
  includeLabels: string[];
  excludeLabels: string[];
}

export interface SecretPassphraseConfig extends KeystorePassphrases {
  passphraseKey?: string;
  passphraseSecretRef?: { namespace?: string; name: string; key: string };
}

export interface SecretTypeConfig {
  type: string;
  key?: string;
  keyPatterns: string[];
  format: Format;
  pkcs12?: SecretPassphraseConfig;
  jks?: SecretPassphraseConfig;
}

export interface KubernetesSourceConfig {
  kind: "kubernetes";
  name: string;
  kubeconfig: string;
  rateLimit: { qps: number; burst: number };
  listPageSize: number;
  refreshInterval: number;
  namespaces: ObjectFilters;
  secrets?: ObjectFilters & { types: SecretTypeConfig[]; exposeLabels: string[] };
  configMaps?: ObjectFilters & {
    keyPatterns: string[];
    format: Format;
    exposeLabels: string[];
    pkcs12?: SecretPassphraseConfig;
  };
}

/** Which cluster-scoped objects a cabundle source reads `caBundle` fields from. */
export interface CabundleResources {
  mutating: boolean;
  validating: boolean;
  apiservice: boolean;
  crdConversion: boolean;
}

export interface CabundleSourceConfig {
  kind: "cabundle";
  name: string;
  kubeconfig: string;
  rateLimit: { qps: number; burst: number };
  listPageSize: number;
  refreshInterval: number;
  cabundles: ObjectFilters & { resources: CabundleResources; exposeLabels: string[] };
}

export type SourceConfig =
  | FileSourceConfig
  | KubeconfigSourceConfig
  | KubernetesSourceConfig
  | CabundleSourceConfig;

export interface Config {
  server: { listen: string; webConfigFile: string; probeListen: string };
  log: { level: "debug" | "info" | "warn" | "error"; format: "text" | "json" };
  web: { enableStats: boolean };
  metrics: {
    exposeRelative: boolean;
    exposePerCertError: boolean;
    exposeExpired: boolean;
    exposeNotBefore: boolean;
    exposeDiagnostics: boolean;
    exposeSubjectFields: DnField[];
    exposeIssuerFields: DnField[];
    trimPathComponents: number;
    collisionDiscriminator: "auto" | "always" | "never";
    collisionDiscriminatorLength: number;
  };
  cache: { filePoll: { interval: number; skipUnchanged: boolean; watchChanges: boolean } };
  sources: SourceConfig[];
}

// ---------------------------------------------------------------------------
// The schema. Defaults follow upstream v4 so shared config files behave alike.

const DN = ["C", "ST", "L", "O", "OU", "CN"];
const FORMAT_NAMES = ["pem", "der", "pkcs12", "jks"];
const strings = () => list(str());
const path = () => str({ path: true, nonEmpty: true });

const passphrases = {
  passphrase: str(),
  passphraseFile: str({ path: true }),
  tryEmptyPassphrase: bool(),
};
const filePassphrases = obj(passphrases, { optional: true });
const secretPassphrases = obj({
  ...passphrases,
  passphraseKey: str({ nonEmpty: true }),
  passphraseSecretRef: obj(
    { namespace: str(), name: str({ nonEmpty: true }), key: str({ nonEmpty: true }) },
    { optional: true, required: ["name", "key"] },
  ),
}, {
  optional: true,
  ignored: { passphraseAnnotation: "read passphrases from a key or a Secret reference instead" },
});

const filters = {
  include: strings(),
  exclude: strings(),
  includeLabels: strings(),
  excludeLabels: strings(),
};

const fileSource = obj({
  kind: str(),
  name: str({ nonEmpty: true }),
  paths: list(path(), { minItems: 1 }),
  excludePaths: strings(),
  followSymlinks: bool(true),
  followSymlinkDirs: bool(false),
  refreshInterval: duration(undefined, 100),
  formats: list(str({ enum: FORMAT_NAMES }), { default: ["pem"], minItems: 1 }),
  pathMappings: list(
    obj({ from: str({ nonEmpty: true }), to: str({ nonEmpty: true }) }, {
      required: ["from", "to"],
    }),
  ),
  pkcs12: filePassphrases,
  jks: filePassphrases,
}, { required: ["name", "paths"] });

const kubeconfigSource = obj({
  kind: str(),
  name: str({ nonEmpty: true }),
  paths: list(path(), { minItems: 1 }),
  refreshInterval: duration(undefined, 100),
}, { required: ["name", "paths"] });

/** What every source talking to the Kubernetes API accepts. */
const kubeClientFields = {
  kind: str(),
  name: str({ nonEmpty: true }),
  kubeconfig: str({ path: true }),
  rateLimit: obj({ qps: num({ default: 20, min: 0 }), burst: int({ default: 30, min: 1 }) }),
  // client-go's reflector default. Upstream defaults to 50 because its memory grows with
  // the page; here pages are streamed object by object, so only request count depends on it.
  listPageSize: int({ default: 500 }),
  refreshInterval: duration(30 * 60_000, 1000),
};

const kubernetesSource = obj({
  ...kubeClientFields,
  namespaces: obj(filters),
  secrets: obj({
    ...filters,
    types: list(
      obj({
        type: str({ default: "" }),
        key: str({ nonEmpty: true }),
        keyPatterns: strings(),
        format: str({ enum: FORMAT_NAMES, default: "pem" }),
        pkcs12: secretPassphrases,
        jks: secretPassphrases,
      }),
      { minItems: 1 },
    ),
    exposeLabels: strings(),
  }, { optional: true, required: ["types"] }),
  configMaps: obj({
    ...filters,
    keyPatterns: list(str(), { minItems: 1 }),
    format: str({ enum: FORMAT_NAMES, default: "pem" }),
    exposeLabels: strings(),
    pkcs12: secretPassphrases,
  }, { optional: true, required: ["keyPatterns"] }),
}, {
  required: ["name"],
  ignored: { workers: "objects are processed as they arrive; there is no worker pool to size" },
});

const cabundleSource = obj({
  ...kubeClientFields,
  cabundles: obj({
    // Upstream v4 defaults: admission webhooks on, the rarer two opt-in.
    resources: obj({
      mutating: bool(true),
      validating: bool(true),
      apiservice: bool(false),
      crdConversion: bool(false),
    }),
    ...filters,
    exposeLabels: strings(),
  }),
}, { required: ["name"] });

export const CONFIG_SPEC: ObjectSpec = obj({
  server: obj({
    listen: str({ default: ":9793", nonEmpty: true }),
    webConfigFile: str({ default: "", path: true }),
    probeListen: str({ default: "" }),
  }, {
    ignored: {
      systemdSocket: "socket activation is not supported; use server.listen",
      readTimeout: "Deno's HTTP server manages its own timeouts",
      writeTimeout: "Deno's HTTP server manages its own timeouts",
    },
  }),
  log: obj({
    level: str({ default: "info", enum: ["debug", "info", "warn", "error"] }),
    format: str({ default: "text", enum: ["text", "json"] }),
  }, { ignored: { timing: "every log line carries a timestamp" } }),
  web: obj({ enableStats: bool(true) }),
  metrics: obj({
    exposeRelative: bool(false),
    exposePerCertError: bool(false),
    exposeExpired: bool(true),
    exposeNotBefore: bool(false),
    exposeDiagnostics: bool(false),
    exposeSubjectFields: list(str({ enum: DN }), { default: DN }),
    exposeIssuerFields: list(str({ enum: DN }), { default: DN }),
    trimPathComponents: int({ default: 0, min: 0 }),
    collisionDiscriminator: str({ default: "auto", enum: ["auto", "always", "never"] }),
    collisionDiscriminatorLength: int({ default: 8, min: 4, max: 64 }),
  }),
  cache: obj({
    filePoll: obj({
      interval: duration(30_000, 100),
      skipUnchanged: bool(true),
      watchChanges: bool(true),
    }),
  }),
  sources: list({
    t: "tagged",
    tag: "kind",
    variants: {
      file: fileSource,
      kubeconfig: kubeconfigSource,
      kubernetes: kubernetesSource,
      cabundle: cabundleSource,
    },
  }),
}, {
  ignored: { diagnostics: "pprof is a Go facility; use --v8-flags and heap snapshots instead" },
});
