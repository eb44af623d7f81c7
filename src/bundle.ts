import type { Reason } from "./errors.ts";

/** The distinguished-name attributes a label can be made from, in label order. */
export const DN_FIELDS = ["C", "ST", "L", "O", "OU", "CN"] as const;
export type DnField = typeof DN_FIELDS[number];

/** A distinguished name reduced to what labels need: the value upstream picks for each field. */
export type DistinguishedName = Partial<Record<DnField, string>>;

/** What is kept of a parsed certificate: everything the metrics need, nothing else. */
export interface Certificate {
  /** SHA-256 of the DER encoding, lowercase hex. */
  readonly fingerprint: string;
  /** Serial number in decimal, as upstream renders `big.Int.String()`. */
  readonly serial: string;
  /** Validity bounds in seconds since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
  // Facts read at parse time (`x509_cert_info`, chains, the status page and the CLI). Optional:
  // certificates built by hand (tests) may leave them out.
  /** Subject alternative names: DNS names, IP addresses, e-mail addresses and URIs, in order. */
  readonly sans?: readonly string[];
  /** `rsa`, `ecdsa`, `ed25519`, `ed448`, `dsa` or the algorithm's OID. */
  readonly keyType?: string;
  /** Modulus bits (RSA, DSA), curve size (ECDSA), 256 / 456 (Ed25519 / Ed448); 0 if unknown. */
  readonly keyBits?: number;
  /** As Go names it (`SHA256-RSA`, `ECDSA-SHA256`, `Ed25519`), else the OID. */
  readonly signatureAlgorithm?: string;
  /** basicConstraints cA. */
  readonly isCa?: boolean;
  /** Whether a basicConstraints extension is present (a v1 certificate has none). */
  readonly hasBasicConstraints?: boolean;
  /** The subject and issuer Names' DER, one char per byte: an issuer's subjectKey equals its child's issuerKey. */
  readonly subjectKey?: string;
  readonly issuerKey?: string;
}

/** What is kept of a parsed certificate revocation list. */
export interface Crl {
  /** SHA-256 of the DER encoding, lowercase hex. */
  readonly fingerprint: string;
  readonly issuer: DistinguishedName;
  /** Seconds since the epoch. */
  readonly thisUpdate: number;
  readonly nextUpdate?: number;
  /** The cRLNumber extension in decimal, when present. */
  readonly number?: string;
}

/** One entry of a bundle: a certificate, a CRL, or the error that stood where one was expected. */
export type Item =
  | { readonly kind: "cert"; readonly cert: Certificate; readonly index: number }
  | { readonly kind: "crl"; readonly crl: Crl; readonly index: number }
  | {
    readonly kind: "error";
    readonly reason: Reason;
    readonly message: string;
    readonly index: number;
    /** The keystore format a `bad_passphrase` came from (`x509_<format>_passphrase_failures_total`). */
    readonly format?: "pkcs12" | "jks";
    /**
     * The error stands for the whole input (unreadable, wrong passphrase, no certificate),
     * not for one entry of it: as upstream, it counts in `x509_source_errors_total` but is no
     * `x509_cert_error` series, which is for entries that failed beside the others.
     */
    readonly whole?: true;
  };

export type ErrorItem = Extract<Item, { readonly kind: "error" }>;

/** Where a bundle came from; its fields become the location labels of every series. */
export interface Location {
  /** Path of the file, for file and kubeconfig sources. */
  readonly filepath?: string;
  /** `cluster` or `user` for kubeconfig-embedded certificates. */
  readonly embeddedKind?: string;
  /** Name of the kubeconfig cluster or user. */
  readonly embeddedKey?: string;
  readonly secretNamespace?: string;
  readonly secretName?: string;
  readonly secretKey?: string;
  readonly configmapNamespace?: string;
  readonly configmapName?: string;
  readonly configmapKey?: string;
  readonly cabundleResourceKind?: string;
  readonly cabundleResourceName?: string;
  readonly cabundleEntry?: string;
  /** `host:port` a TLS probe connected to. */
  readonly probeTarget?: string;
  /** The name a TLS probe sent as SNI and verified the chain for. */
  readonly probeServerName?: string;
  /** Object labels to expose, already sanitised into label names (`secret_label_x`). */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

/**
 * The certificates parsed from one file, one kubeconfig entry or one object key,
 * plus the errors met while parsing it. Bundles are immutable: a source replaces
 * a bundle as a whole.
 */
export interface Bundle {
  /** Unique key within its source: a path, `ns/name/key`, ... */
  readonly ref: string;
  readonly location: Location;
  readonly items: readonly Item[];
  /** The `source_kind` it counts under, when not its source's first one (`kube-configmap`). */
  readonly kind?: string;
}

/** Identifies a source in metrics: `x509_source_*{source_kind, source_name}`. */
export interface SourceId {
  readonly kind: string;
  readonly name: string;
}
