/** The encodings a file or object key may hold, tried in the configured order. */
export const FORMATS = ["pem", "der", "pkcs12", "jks"] as const;
export type Format = typeof FORMATS[number];

/** The keystore formats, whose passphrase failures are counted on their own. */
export type KeystoreFormat = Extract<Format, "pkcs12" | "jks">;
