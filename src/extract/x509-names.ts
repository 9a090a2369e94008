/**
 * The names a server's X.509 certificate is for (RFC 5280 §4.1, §4.2.1.6): the subjectAltName
 * dNSName entries, else the subject's commonName, read from the DER of the first certificate a
 * TLS 1.0–1.2 server sends in the clear. A flow to an address with no SNI (firmware that
 * connects to an IP literal) is otherwise nameless; Zeek's x509 log and Suricata's tls.subject
 * report the same facts. A fact for the record, never a name the policy trusts: the server
 * chose it, the device did not ask for it.
 *
 * A bounded DER walk over the few fields on the way (no ASN.1 library: only lengths are
 * needed, and a general decoder would allocate a tree per certificate). It must never throw on
 * certificate bytes, never read outside [off, off + len), and never return more than
 * MAX_CERT_NAMES names of at most MAX_CERT_NAME_LENGTH bytes each.
 */
import { decodeWireText } from './tls-client-hello';

/** Names kept per certificate (CDN certificates list hundreds). */
export const MAX_CERT_NAMES = 16;
/** Longest DNS name (RFC 1035 §2.3.4); a longer entry is skipped. */
export const MAX_CERT_NAME_LENGTH = 255;

const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_OID = 0x06;
const TAG_OCTET_STRING = 0x04;
const TAG_BOOLEAN = 0x01;
/** [0] EXPLICIT version, [3] EXPLICIT extensions (RFC 5280 §4.1). */
const TAG_VERSION = 0xa0;
const TAG_EXTENSIONS = 0xa3;
/** GeneralName dNSName [2] IMPLICIT IA5String (RFC 5280 §4.2.1.6). */
const TAG_DNS_NAME = 0x82;
/** id-at-commonName 2.5.4.3 and id-ce-subjectAltName 2.5.29.17, as their DER content bytes. */
const OID_COMMON_NAME = [0x55, 0x04, 0x03];
const OID_SUBJECT_ALT_NAME = [0x55, 0x1d, 0x11];

/** One DER element: its tag, where its content starts, and where it ends. */
interface Tlv { tag: number; start: number; end: number }

/**
 * Reads the element at `p` that must end by `limit`: single-byte tags only (every tag on the
 * path here is one), definite lengths of up to 4 bytes (DER allows no other). Null when the
 * bytes are not such an element.
 */
function tlv(buf: Uint8Array, p: number, limit: number): Tlv | null {
  if (limit - p < 2) return null;
  const tag = buf[p];
  if ((tag & 0x1f) === 0x1f) return null;
  let len = buf[p + 1];
  let q = p + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || limit - q < n) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[q + i];
    q += n;
  }
  if (len > limit - q) return null;
  return { tag, start: q, end: q + len };
}

function isOid(buf: Uint8Array, t: Tlv, oid: readonly number[]): boolean {
  if (t.tag !== TAG_OID || t.end - t.start !== oid.length) return false;
  for (let i = 0; i < oid.length; i++) if (buf[t.start + i] !== oid[i]) return false;
  return true;
}

/** A name as reported: lowercase, without a root dot, non-printable bytes escaped like SNI. */
function nameText(buf: Uint8Array, t: Tlv): string | null {
  const n = t.end - t.start;
  if (n === 0 || n > MAX_CERT_NAME_LENGTH) return null;
  const s = decodeWireText(buf, t.start, n).toLowerCase();
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/**
 * The names of the certificate whose DER is buf[off, off + len): the dNSName entries of its
 * subjectAltName, in order and without repeats; when it has none, the subject's last
 * commonName (RFC 6125 §6.4.4: a client looks at the CN only without DNS SANs). Empty when
 * the bytes are not a certificate or name nothing.
 */
export function certificateNames(buf: Uint8Array, off: number, len: number): string[] {
  if (off < 0 || len < 0 || off + len > buf.length) return [];
  const cert = tlv(buf, off, off + len);
  if (cert === null || cert.tag !== TAG_SEQUENCE) return [];
  const tbs = tlv(buf, cert.start, cert.end);
  if (tbs === null || tbs.tag !== TAG_SEQUENCE) return [];
  // version?, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, [1]?, [2]?, [3]?
  const fields: Tlv[] = [];
  for (let p = tbs.start; p < tbs.end && fields.length < 12;) {
    const f = tlv(buf, p, tbs.end);
    if (f === null) return [];
    fields.push(f);
    p = f.end;
  }
  const first = fields.length > 0 && fields[0].tag === TAG_VERSION ? 1 : 0;
  const subject = fields[first + 4];
  if (subject === undefined || subject.tag !== TAG_SEQUENCE) return [];
  const names: string[] = [];
  const extensions = fields.find((f) => f.tag === TAG_EXTENSIONS);
  if (extensions !== undefined) sanNames(buf, extensions, names);
  if (names.length === 0) {
    const cn = commonName(buf, subject);
    if (cn !== null) names.push(cn);
  }
  return names;
}

/** Appends the dNSName entries of the subjectAltName extension inside `[3] { Extensions }`. */
function sanNames(buf: Uint8Array, wrapper: Tlv, names: string[]): void {
  const list = tlv(buf, wrapper.start, wrapper.end);
  if (list === null || list.tag !== TAG_SEQUENCE) return;
  for (let p = list.start; p < list.end;) {
    const ext = tlv(buf, p, list.end);
    if (ext === null || ext.tag !== TAG_SEQUENCE) return;
    p = ext.end;
    const id = tlv(buf, ext.start, ext.end);
    if (id === null || !isOid(buf, id, OID_SUBJECT_ALT_NAME)) continue;
    let v = tlv(buf, id.end, ext.end);
    if (v !== null && v.tag === TAG_BOOLEAN) v = tlv(buf, v.end, ext.end); // critical
    if (v === null || v.tag !== TAG_OCTET_STRING) return;
    const general = tlv(buf, v.start, v.end);
    if (general === null || general.tag !== TAG_SEQUENCE) return;
    for (let q = general.start; q < general.end && names.length < MAX_CERT_NAMES;) {
      const g = tlv(buf, q, general.end);
      if (g === null) return;
      q = g.end;
      if (g.tag !== TAG_DNS_NAME) continue;
      const n = nameText(buf, g);
      if (n !== null && !names.includes(n)) names.push(n);
    }
    return;
  }
}

/** The subject's last commonName attribute (the most specific), or null. */
function commonName(buf: Uint8Array, subject: Tlv): string | null {
  let found: string | null = null;
  for (let p = subject.start; p < subject.end;) {
    const rdn = tlv(buf, p, subject.end);
    if (rdn === null || rdn.tag !== TAG_SET) return found;
    p = rdn.end;
    for (let q = rdn.start; q < rdn.end;) {
      const atv = tlv(buf, q, rdn.end);
      if (atv === null || atv.tag !== TAG_SEQUENCE) return found;
      q = atv.end;
      const type = tlv(buf, atv.start, atv.end);
      if (type === null || !isOid(buf, type, OID_COMMON_NAME)) continue;
      const value = tlv(buf, type.end, atv.end);
      if (value !== null) found = nameText(buf, value) ?? found;
    }
  }
  return found;
}
