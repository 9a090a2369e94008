/**
 * The client side of HTTP/2 over cleartext TCP ("h2c", RFC 9113 §3): the connection preface,
 * `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, sent either at once (prior knowledge, as gRPC clients and
 * `curl --http2-prior-knowledge` do) or after a `101 Switching Protocols` answered an HTTP/1.1
 * `Upgrade: h2c`; then frames (§4.1). The header blocks of the requests (HEADERS and their
 * CONTINUATION frames, §6.2 and §6.10) are HPACK-decoded for `:authority` (or `host`), which
 * names the server as an HTTP/1 Host does (§8.3.1).
 *
 * Reads the client's stream from its first byte (the pipeline holds it in a stream head); emits
 * facts only. Must never throw on input bytes, never read outside [off, off + len), and never
 * allocate from a frame length it has not checked against the bytes at hand.
 */
import { A } from '../anomalies';
import { HpackDecoder } from './hpack';
import { hostFromAuthority } from './http-request';

/** RFC 9113 §3.4: the client connection preface. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** §4.1: every frame starts with a 9-byte header (length 24 bits, type, flags, stream id). */
const FRAME_HEADER = 9;
/** §6: the frame types read here. */
const TYPE_HEADERS = 0x1;
const TYPE_SETTINGS = 0x4;
const TYPE_CONTINUATION = 0x9;
/** §6.2 HEADERS flags. */
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
/** §6.5: a SETTINGS frame's payload is a whole number of 6-byte settings. */
const SETTING_BYTES = 6;
/** Requests whose names are kept from one connection (as for HTTP/1's keep-alive). */
const MAX_AUTHORITIES = 16;

/**
 * The preface's first 18 bytes, `PRI * HTTP/2.0\r\n\r\n`, parse as an HTTP/1 request head (an
 * HTTP/1 reader waits for them like any head, then finds the version wrong).
 */
const PREFACE_REQUEST_HEAD = 18;

/**
 * True when buf[off, off + len) holds at least the preface's request head and matches the
 * preface as far as it goes. Fewer bytes decide nothing: "P" may start a POST.
 */
export function startsH2Preface(buf: Uint8Array, off: number, len: number): boolean {
  return len >= PREFACE_REQUEST_HEAD && probeH2Preface(buf, off, len) !== 'no';
}

/** Whether buf[off, off + len) starts the preface: 'yes', 'no', or 'more' (the bytes so far match it). */
export function probeH2Preface(buf: Uint8Array, off: number, len: number): 'yes' | 'no' | 'more' {
  const n = Math.min(len, H2_PREFACE.length);
  for (let i = 0; i < n; i++) if (buf[off + i] !== H2_PREFACE[i]) return 'no';
  return n === H2_PREFACE.length ? 'yes' : 'more';
}

/**
 * What the client's stream shows: `need-more` (no request's header block is whole yet);
 * `requests`, with the servers the whole header blocks named (normalised like a Host: lowercase,
 * no port; a request may name none), how many blocks there were, and the anomaly id of a bad
 * block after them (-1 when none: the table is out of step after a bad block, so reading stops); `not-h2` (the bytes are not
 * the preface); or `malformed` with the anomaly id.
 */
export type H2ClientResult =
  | { kind: 'need-more' }
  | { kind: 'requests'; authorities: string[]; requests: number; anomaly: number }
  | { kind: 'not-h2' }
  | { kind: 'malformed'; anomaly: number };

const NEED_MORE: H2ClientResult = Object.freeze({ kind: 'need-more' });
const NOT_H2: H2ClientResult = Object.freeze({ kind: 'not-h2' });
const BAD_FRAMES: H2ClientResult = Object.freeze({ kind: 'malformed', anomaly: A['http2.malformed'] });
const BAD_HPACK: H2ClientResult = Object.freeze({ kind: 'malformed', anomaly: A['http2.hpack_malformed'] });

/**
 * Reads the client's stream buf[off, off + len), which starts with the preface: every frame
 * that is whole, decoding each whole header block in order (the HPACK table carries over from
 * one to the next). Stops at the first frame that is not whole.
 */
export function readH2ClientStream(buf: Uint8Array, off: number, len: number): H2ClientResult {
  if (off < 0 || len < 0 || off + len > buf.length) return NOT_H2;
  const pre = probeH2Preface(buf, off, len);
  if (pre !== 'yes') return pre === 'no' ? NOT_H2 : NEED_MORE;
  const end = off + len;
  let p = off + H2_PREFACE.length;
  const hpack = new HpackDecoder();
  const authorities: string[] = [];
  let requests = 0;
  let first = true;
  while (end - p >= FRAME_HEADER) {
    const length = frameLength(buf, p);
    const type = buf[p + 3];
    const flags = buf[p + 4];
    const stream = frameStream(buf, p);
    if (first) {
      // §3.4: the preface is followed by a SETTINGS frame (on stream 0, not an ACK, whole settings).
      if (type !== TYPE_SETTINGS || stream !== 0 || (flags & 0x1) !== 0 || length % SETTING_BYTES !== 0) return BAD_FRAMES;
      first = false;
    }
    if (end - p - FRAME_HEADER < length) break;
    const payload = p + FRAME_HEADER;
    p = payload + length;
    if (type !== TYPE_HEADERS) continue;
    // §5.1.1: a client's streams have odd identifiers; HEADERS on stream 0 is a connection error.
    if (stream === 0 || (stream & 1) === 0) return BAD_FRAMES;
    let s = payload;
    let e = payload + length;
    if ((flags & FLAG_PADDED) !== 0) {
      if (e - s < 1) return BAD_FRAMES;
      const pad = buf[s++];
      if (pad > e - s) return BAD_FRAMES;
      e -= pad;
    }
    if ((flags & FLAG_PRIORITY) !== 0) {
      if (e - s < 5) return BAD_FRAMES;
      s += 5;
    }
    let block: Uint8Array = buf;
    let bs = s;
    let be = e;
    if ((flags & FLAG_END_HEADERS) === 0) {
      // §6.10: CONTINUATION frames of the same stream follow at once, the last with END_HEADERS.
      const pieces: Uint8Array[] = [buf.subarray(s, e)];
      let done = false;
      while (!done) {
        if (end - p < FRAME_HEADER) return requestsOrMore(authorities, requests);
        const cl = frameLength(buf, p);
        if (buf[p + 3] !== TYPE_CONTINUATION || frameStream(buf, p) !== stream) return BAD_FRAMES;
        if (end - p - FRAME_HEADER < cl) return requestsOrMore(authorities, requests);
        pieces.push(buf.subarray(p + FRAME_HEADER, p + FRAME_HEADER + cl));
        done = (buf[p + 4] & FLAG_END_HEADERS) !== 0;
        p += FRAME_HEADER + cl;
      }
      block = Buffer.concat(pieces);
      bs = 0;
      be = block.length;
    }
    if (!hpack.decodeBlock(block, bs, be)) {
      return requests > 0 ? { kind: 'requests', authorities, requests, anomaly: A['http2.hpack_malformed'] } : BAD_HPACK;
    }
    requests++;
    const named = hpack.authority ?? hpack.host;
    if (named !== null && authorities.length < MAX_AUTHORITIES) {
      const host = hostFromAuthority(named, 0, named.length);
      if (host !== null && !authorities.includes(host)) authorities.push(host);
    }
  }
  return requestsOrMore(authorities, requests);
}

function requestsOrMore(authorities: string[], requests: number): H2ClientResult {
  return requests > 0 ? { kind: 'requests', authorities, requests, anomaly: -1 } : NEED_MORE;
}

/** §4.1: the frame's payload length (24 bits) from its header at buf[p]. */
function frameLength(buf: Uint8Array, p: number): number {
  return (buf[p] << 16) | (buf[p + 1] << 8) | buf[p + 2];
}

/** §4.1: the frame's stream identifier (31 bits; the reserved bit ignored) from its header at buf[p]. */
function frameStream(buf: Uint8Array, p: number): number {
  return (((buf[p + 5] & 0x7f) << 24) | (buf[p + 6] << 16) | (buf[p + 7] << 8) | buf[p + 8]) >>> 0;
}
