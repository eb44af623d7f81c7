import type { Crl } from "../bundle.ts";
import {
  children,
  decodeIntegerDecimal,
  decodeOid,
  decodeTime,
  DerError,
  expect,
  readTlv,
  TAG,
} from "./der.ts";
import { parseName, sha256Hex } from "./x509.ts";

const CRL_NUMBER = "2.5.29.20";

/**
 * Parses one DER CertificateList (RFC 5280 §5.1): issuer, thisUpdate,
 * nextUpdate and the cRLNumber extension. Revoked entries are skipped over
 * without being decoded; the signature is not checked.
 */
export function parseCrl(der: Uint8Array): Crl {
  const list = expect(der, 0, TAG.SEQUENCE);
  if (list.end !== der.length) throw new DerError("Trailing data after CRL", list.end);
  const tbs = expect(der, list.start, TAG.SEQUENCE, list.end);
  let field = readTlv(der, tbs.start, tbs.end);
  if (field.tag === TAG.INTEGER) field = readTlv(der, field.end, tbs.end); // version
  if (field.tag !== TAG.SEQUENCE) {
    throw new DerError("Expected the signature algorithm", field.offset);
  }
  const issuer = expect(der, field.end, TAG.SEQUENCE, tbs.end);
  const thisUpdate = readTlv(der, issuer.end, tbs.end);
  let pos = thisUpdate.end;
  let nextUpdate: number | undefined;
  let number: string | undefined;
  while (pos < tbs.end) {
    const next = readTlv(der, pos, tbs.end);
    pos = next.end;
    if (next.tag === TAG.UTC_TIME || next.tag === TAG.GENERALIZED_TIME) {
      nextUpdate = decodeTime(der, next);
    } else if (next.tag === 0xa0) number = crlNumber(der, next);
    else if (next.tag !== TAG.SEQUENCE) {
      throw new DerError("Unexpected field in TBSCertList", next.offset);
    }
  }
  const sigAlg = expect(der, tbs.end, TAG.SEQUENCE, list.end);
  expect(der, sigAlg.end, TAG.BIT_STRING, list.end);
  return {
    fingerprint: sha256Hex(der),
    issuer: parseName(der, issuer),
    thisUpdate: decodeTime(der, thisUpdate),
    ...(nextUpdate === undefined ? {} : { nextUpdate }),
    ...(number === undefined ? {} : { number }),
  };
}

function crlNumber(der: Uint8Array, explicit: ReturnType<typeof readTlv>): string | undefined {
  const extensions = expect(der, explicit.start, TAG.SEQUENCE, explicit.end);
  for (const ext of children(der, extensions)) {
    const oid = expect(der, ext.start, TAG.OID, ext.end);
    if (decodeOid(der, oid) !== CRL_NUMBER) continue;
    let value = readTlv(der, oid.end, ext.end);
    if (value.tag === TAG.BOOLEAN) value = readTlv(der, value.end, ext.end); // critical flag
    const inner = expect(der, value.start, TAG.INTEGER, value.end);
    return decodeIntegerDecimal(der, inner);
  }
  return undefined;
}
