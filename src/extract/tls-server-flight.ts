/**
 * The server's first flight of a TLS 1.0–1.2 handshake (RFC 5246 §7.4: ServerHello,
 * Certificate, ...), read from the start of the server's stream for one fact: the names of the
 * certificate it presents (src/extract/x509-names.ts). TLS 1.3 encrypts the certificate, so a
 * ServerHello that selects 1.3 (RFC 8446 §4.2.1), or any non-handshake record before the
 * Certificate, ends the look.
 *
 * It must never throw on stream bytes, never read outside [off, off + len), and never copy
 * more than `len` bytes (the caller's stream head bounds `len`).
 */
import { u16be, u24be } from '../decode/bytes';
import { TLS_CONTENT_TYPE_HANDSHAKE, TLS_EXT_SUPPORTED_VERSIONS, TLS_RECORD_HEADER_LENGTH } from './tls-client-hello';
import { certificateNames } from './x509-names';

const HS_SERVER_HELLO = 2;
const HS_CERTIFICATE = 11;
const TLS13 = 0x0304;

/** What the server's bytes so far say. */
export type ServerFlightResult =
  | { kind: 'names'; names: string[] }
  | { kind: 'need-more' }
  /** Nothing to learn: not TLS, TLS 1.3, a flight without a certificate, or malformed bytes. */
  | { kind: 'none' };

const NEED_MORE: ServerFlightResult = Object.freeze({ kind: 'need-more' });
const NONE: ServerFlightResult = Object.freeze({ kind: 'none' });


/**
 * Reads the server stream buf[off, off + len) from its first byte: its handshake records are
 * joined (a message may span records, and a record may hold several) and walked message by
 * message until the Certificate, whose first certificate's names are returned.
 */
export function serverCertificateNames(buf: Uint8Array, off: number, len: number): ServerFlightResult {
  if (off < 0 || len < 0 || off + len > buf.length) return NONE;
  const end = off + len;
  // Join the handshake records' bodies (at most `len` bytes); stop at the first record of
  // another type: the handshake's clear part is over.
  const bodies: Array<[number, number]> = [];
  let total = 0;
  let p = off;
  let complete = true; // every record read is whole
  while (p < end) {
    if (end - p < TLS_RECORD_HEADER_LENGTH) { complete = false; break; }
    if (buf[p] !== TLS_CONTENT_TYPE_HANDSHAKE) {
      if (bodies.length === 0 || buf[p + 1] !== 3) return NONE;
      break; // ChangeCipherSpec, Alert or data before any Certificate: nothing more in the clear
    }
    if (buf[p + 1] !== 3) return NONE;
    const recLen = u16be(buf, p + 3);
    const body = p + TLS_RECORD_HEADER_LENGTH;
    const have = Math.min(recLen, end - body);
    bodies.push([body, have]);
    total += have;
    if (have < recLen) { complete = false; break; }
    p = body + recLen;
  }
  const hs = bodies.length === 1 ? buf.subarray(bodies[0][0], bodies[0][0] + bodies[0][1]) : join(buf, bodies, total);
  let q = 0;
  while (q + 4 <= hs.length) {
    const type = hs[q];
    const mlen = u24be(hs, q + 1);
    const m = q + 4;
    if (type === HS_SERVER_HELLO) {
      if (m + mlen > hs.length) return NEED_MORE;
      if (selectsTls13(hs, m, mlen)) return NONE;
    } else if (type === HS_CERTIFICATE) {
      return certificateMessageNames(hs, m, mlen, hs.length - m);
    } else if (type === 0 || type > 24) {
      return NONE; // not a handshake message type a server sends in its first flight
    }
    if (m + mlen > hs.length) return NEED_MORE;
    q = m + mlen;
  }
  // All messages so far read, no Certificate yet: a whole flight that ended without one (a
  // resumed session, anonymous suites) is followed by another record type; else wait.
  return p < end && complete ? NONE : NEED_MORE;
}

/**
 * The names of the first certificate of a Certificate message (RFC 5246 §7.4.2) whose body of
 * `mlen` bytes starts at b[m], of which `have` bytes are at hand: certificate_list<0..2^24-1>,
 * each ASN.1Cert<1..2^24-1>, the first the server's own. TLS and DTLS 1.2 share it.
 */
export function certificateMessageNames(b: Uint8Array, m: number, mlen: number, have: number): ServerFlightResult {
  if (mlen < 3) return NONE;
  if (have < 6) return NEED_MORE;
  const listLen = u24be(b, m);
  const certLen = u24be(b, m + 3);
  if (listLen > mlen - 3 || certLen === 0 || certLen > listLen - 3) return NONE;
  if (6 + certLen > have) return NEED_MORE;
  const names = certificateNames(b, m + 6, certLen);
  return names.length > 0 ? { kind: 'names', names } : NONE;
}

function join(buf: Uint8Array, bodies: ReadonlyArray<[number, number]>, total: number): Uint8Array {
  const out = new Uint8Array(total);
  let n = 0;
  for (const [at, have] of bodies) {
    out.set(buf.subarray(at, at + have), n);
    n += have;
  }
  return out;
}

/**
 * True when a ServerHello body selects TLS 1.3 through supported_versions (RFC 8446 §4.2.1), or
 * with `v13` = 0xfefc DTLS 1.3 (RFC 9147 §5.3: the same body and extension).
 */
export function selectsTls13(b: Uint8Array, m: number, mlen: number, v13 = TLS13): boolean {
  const end = m + mlen;
  let p = m + 2 + 32; // legacy_version, random
  if (p >= end) return false;
  p += 1 + b[p]; // legacy_session_id_echo
  p += 2 + 1; // cipher_suite, legacy_compression_method
  if (p + 2 > end) return false;
  const extEnd = Math.min(end, p + 2 + u16be(b, p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = u16be(b, p);
    const len = u16be(b, p + 2);
    if (type === TLS_EXT_SUPPORTED_VERSIONS && len === 2 && p + 6 <= extEnd) return u16be(b, p + 4) === v13;
    p += 4 + len;
  }
  return false;
}
