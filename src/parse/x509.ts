import { createHash } from "node:crypto";
import type { Certificate, DistinguishedName, DnField } from "../bundle.ts";
import {
  children,
  decodeIntegerDecimal,
  decodeOid,
  decodeString,
  decodeTime,
  DerError,
  expect,
  readTlv,
  TAG,
  type Tlv,
} from "./der.ts";

const DN_OIDS: Record<string, DnField> = {
  "2.5.4.6": "C",
  "2.5.4.8": "ST",
  "2.5.4.7": "L",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.3": "CN",
};

/** SHA-256 of `der`, lowercase hex. */
export function sha256Hex(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("hex");
}

/**
 * Reads a Name into the values upstream's labels use: the first C, ST, L, O and
 * OU, and the last CN — the same choice Go's pkix.Name makes, so label values
 * match the Go exporter's for multi-valued names.
 */
export function parseName(data: Uint8Array, name: Tlv): DistinguishedName {
  const out: DistinguishedName = {};
  for (const rdn of children(data, name)) {
    if (rdn.tag !== TAG.SET) throw new DerError("Expected an RDN SET", rdn.offset);
    for (const atv of children(data, rdn)) {
      if (atv.tag !== TAG.SEQUENCE) {
        throw new DerError("Expected an AttributeTypeAndValue", atv.offset);
      }
      const oid = expect(data, atv.start, TAG.OID, atv.end);
      const field = DN_OIDS[decodeOid(data, oid)];
      if (!field) continue;
      const value = decodeString(data, readTlv(data, oid.end, atv.end));
      if (value === undefined) continue;
      if (field === "CN" || out[field] === undefined) out[field] = value;
    }
  }
  return out;
}

/**
 * Parses one DER certificate. Throws DerError when the structure is not a
 * certificate; the signature is not checked (expiry monitoring needs none).
 * The outer encoding must span `der` exactly, so trailing garbage is caught.
 */
export function parseCertificate(der: Uint8Array, fingerprint = sha256Hex(der)): Certificate {
  const cert = expect(der, 0, TAG.SEQUENCE);
  if (cert.end !== der.length) throw new DerError("Trailing data after certificate", cert.end);
  const tbs = expect(der, cert.start, TAG.SEQUENCE, cert.end);
  let pos = tbs.start;
  let field = readTlv(der, pos, tbs.end);
  if (field.tag === 0xa0) {
    pos = field.end; // explicit [0] version
    field = readTlv(der, pos, tbs.end);
  }
  if (field.tag !== TAG.INTEGER) throw new DerError("Expected the serial number", field.offset);
  const serial = decodeIntegerDecimal(der, field);
  const sigAlg = expect(der, field.end, TAG.SEQUENCE, tbs.end);
  const issuer = expect(der, sigAlg.end, TAG.SEQUENCE, tbs.end);
  const validity = expect(der, issuer.end, TAG.SEQUENCE, tbs.end);
  const subject = expect(der, validity.end, TAG.SEQUENCE, tbs.end);
  expect(der, subject.end, TAG.SEQUENCE, tbs.end); // subjectPublicKeyInfo must be there
  const notBeforeTlv = readTlv(der, validity.start, validity.end);
  const notAfterTlv = readTlv(der, notBeforeTlv.end, validity.end);
  // The signature algorithm and value must follow the TBS.
  const outerSigAlg = expect(der, tbs.end, TAG.SEQUENCE, cert.end);
  expect(der, outerSigAlg.end, TAG.BIT_STRING, cert.end);
  return {
    fingerprint,
    serial,
    notBefore: decodeTime(der, notBeforeTlv),
    notAfter: decodeTime(der, notAfterTlv),
    issuer: parseName(der, issuer),
    subject: parseName(der, subject),
  };
}
