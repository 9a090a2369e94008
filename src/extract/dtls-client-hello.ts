/**
 * DTLS ClientHello (RFC 6347 §4.1, §4.2.2–4.2.3 for DTLS 1.0/1.2; RFC 9147 §4, §5.2–5.5 for
 * DTLS 1.3): finds the client's hello in the UDP datagrams of a flow, on any port, reassembles
 * its handshake fragments (a post-quantum hello is larger than one datagram, and DTLS
 * fragments it by offset, not by record), and hands the body to the TLS parser, which reads
 * DTLS's extra cookie field. CoAP over DTLS (LwM2M devices on 5684), VPN data channels on 443,
 * WebRTC and DNS over DTLS are named by SNI this way, as TLS and QUIC flows are.
 *
 * It must never throw on datagram bytes, never read outside [off, off+len), never allocate
 * from a length it has not checked against MAX_CLIENT_HELLO_LENGTH, and never keep more than
 * one hello's bytes per flow, charged to the budget of all stream heads.
 */
import { A } from '../anomalies';
import { u16be, u24be } from '../decode/bytes';
import { StreamHead, StreamHeadBudget, defaultStreamHeadBudget } from '../flow/stream-head';
import {
  MAX_CLIENT_HELLO_LENGTH, TLS_CONTENT_TYPE_HANDSHAKE, TLS_HANDSHAKE_CLIENT_HELLO, parseDtlsClientHelloBody, type ClientHelloResult,
} from './tls-client-hello';

/** type(1) + version(2) + epoch(2) + sequence_number(6) + length(2) (RFC 6347 §4.1, RFC 9147 §4). */
export const DTLS_RECORD_HEADER_LENGTH = 13;
/** msg_type(1) + length(3) + message_seq(2) + fragment_offset(3) + fragment_length(3) (RFC 6347 §4.2.2). */
export const DTLS_HANDSHAKE_HEADER_LENGTH = 12;
/**
 * Separate pieces (past the first gap) a hello may be held in before it is given up as
 * `dtls.fragments_malformed`: a real client cuts its hello into a few MTU-sized fragments
 * (OpenSSL with a 256-byte MTU: 2–8); a sender of dozens of disjoint pieces is not one.
 */
export const MAX_DTLS_FRAGMENT_RANGES = 16;
/** Client datagrams read for a hello before the flow is given up (a retransmitted flight counts again). */
export const MAX_DTLS_HELLO_DATAGRAMS = 16;

/**
 * DTLSPlaintext versions a ClientHello's record may carry: 1.0 (0xfeff), 1.2 (0xfefd), the 1.3
 * value 0xfefc, which RFC 9147 §4 reserves for later records but some stacks send, and 0x0100,
 * OpenSSL's pre-RFC DTLS ("DTLS1_BAD_VER") that Cisco AnyConnect's older gateways still speak
 * (tshark's DTLS heuristic takes it too).
 */
function isDtlsRecordVersion(hi: number, lo: number): boolean {
  return (hi === 0xfe && (lo === 0xff || lo === 0xfd || lo === 0xfc)) || (hi === 0x01 && lo === 0x00);
}


const NOT_DTLS: ClientHelloResult = Object.freeze({ kind: 'not-tls' });
const MALFORMED_RECORD: ClientHelloResult = Object.freeze({ kind: 'malformed', anomaly: A['tls.record_bad_length'] });
const MALFORMED_HELLO: ClientHelloResult = Object.freeze({ kind: 'malformed', anomaly: A['tls.malformed_client_hello'] });
const TOO_LARGE: ClientHelloResult = Object.freeze({ kind: 'malformed', anomaly: A['tls.client_hello_too_large'] });
const BAD_FRAGMENTS: ClientHelloResult = Object.freeze({ kind: 'malformed', anomaly: A['dtls.fragments_malformed'] });
/** The budget of all stream heads dropped this hello's bytes (as for a TCP head). */
const SHED: ClientHelloResult = Object.freeze({ kind: 'malformed', anomaly: A['stream.head_overflow'] });

/**
 * True when a datagram starts with a DTLS handshake record of epoch 0 whose first message is a
 * ClientHello fragment that fits its record, and the record fits the datagram: strict enough
 * to run on every UDP flow's first client datagram (no DNS query passes it: its third byte
 * would make it a response, and no QUIC packet: their first byte has the top bit set).
 */
export function probeDtlsClientHello(buf: Uint8Array, off: number, len: number): boolean {
  if (off < 0 || len < DTLS_RECORD_HEADER_LENGTH + DTLS_HANDSHAKE_HEADER_LENGTH || off + len > buf.length) return false;
  if (buf[off] !== TLS_CONTENT_TYPE_HANDSHAKE || !isDtlsRecordVersion(buf[off + 1], buf[off + 2])) return false;
  if (buf[off + 3] !== 0 || buf[off + 4] !== 0) return false; // epoch 0: the hello is never protected
  const recLen = u16be(buf, off + 11);
  if (recLen < DTLS_HANDSHAKE_HEADER_LENGTH || recLen > len - DTLS_RECORD_HEADER_LENGTH) return false;
  const h = off + DTLS_RECORD_HEADER_LENGTH;
  if (buf[h] !== TLS_HANDSHAKE_CLIENT_HELLO) return false;
  const length = u24be(buf, h + 1);
  const fragOff = u24be(buf, h + 6);
  const fragLen = u24be(buf, h + 9);
  return fragLen <= recLen - DTLS_HANDSHAKE_HEADER_LENGTH && fragOff + fragLen <= length && length > 0;
}

/**
 * The hello of one flow, put together from its fragments. The client may send its first hello
 * (message_seq 0) and, after a HelloVerifyRequest, the same hello with a cookie (message_seq 1);
 * a fragment of a later message replaces what an earlier one left incomplete, a fragment of an
 * earlier one is a retransmission and is skipped.
 *
 * The bytes are kept in a StreamHead with the fragment offset as its sequence number: DTLS
 * fragments are TCP segments by another name (an offset, a length, overlaps and repeats), and
 * the head brings what TCP's heads have — the first copy of a byte wins, far pieces are kept
 * as copies instead of growing the buffer, and the bytes are charged to the budget of all stream
 * heads, so a flood of flows that each send one fragment of a 16 KiB hello is shed like a flood
 * of half-sent TCP hellos instead of holding 16 KiB a flow.
 */
export class DtlsHelloAssembler {
  /** Client datagrams fed so far. */
  datagrams = 0;
  private seq = -1;
  /** Body length of the message being assembled (its handshake header's `length`). */
  private length = 0;
  private head: StreamHead | null = null;

  constructor(private readonly budget: StreamHeadBudget = defaultStreamHeadBudget) {}

  /** The stream-head budget dropped the bytes of the hello being put together. */
  get shed(): boolean {
    return this.head !== null && this.head.shed;
  }

  /**
   * Reads one client datagram (one or more records; RFC 6347 §4.1.1: a record never spans
   * datagrams). `found` once a hello is whole; `need-more` while fragments are missing;
   * `not-tls` when nothing in it is a DTLS ClientHello fragment and none was seen before.
   */
  feed(buf: Uint8Array, off: number, len: number): ClientHelloResult {
    if (off < 0 || len < 0 || off + len > buf.length) return NOT_DTLS;
    this.datagrams++;
    const end = off + len;
    let p = off;
    let fragments = 0;
    while (end - p >= DTLS_RECORD_HEADER_LENGTH) {
      if (buf[p] !== TLS_CONTENT_TYPE_HANDSHAKE || !isDtlsRecordVersion(buf[p + 1], buf[p + 2]) || buf[p + 3] !== 0 || buf[p + 4] !== 0) break;
      const recLen = u16be(buf, p + 11);
      const recEnd = p + DTLS_RECORD_HEADER_LENGTH + recLen;
      if (recEnd > end) return fragments === 0 && this.seq < 0 ? MALFORMED_RECORD : this.waiting();
      let q = p + DTLS_RECORD_HEADER_LENGTH;
      while (recEnd - q >= DTLS_HANDSHAKE_HEADER_LENGTH) {
        const fragLen = u24be(buf, q + 9);
        const data = q + DTLS_HANDSHAKE_HEADER_LENGTH;
        if (fragLen > recEnd - data) return MALFORMED_HELLO;
        if (buf[q] === TLS_HANDSHAKE_CLIENT_HELLO) {
          fragments++;
          const r = this.fragment(buf, data, u24be(buf, q + 1), u16be(buf, q + 4), u24be(buf, q + 6), fragLen);
          if (r !== null) return r;
        }
        q = data + fragLen;
      }
      p = recEnd;
    }
    if (fragments === 0 && this.seq < 0) return NOT_DTLS;
    return this.waiting();
  }

  private waiting(): ClientHelloResult {
    return { kind: 'need-more', needed: DTLS_HANDSHAKE_HEADER_LENGTH + this.length };
  }

  /** One ClientHello fragment; returns the outcome once the hello is whole or broken, else null. */
  private fragment(buf: Uint8Array, data: number, length: number, seq: number, fragOff: number, fragLen: number): ClientHelloResult | null {
    if (DTLS_HANDSHAKE_HEADER_LENGTH + length > MAX_CLIENT_HELLO_LENGTH) return TOO_LARGE;
    if (fragOff + fragLen > length) return MALFORMED_HELLO;
    // Whole in one fragment: parse in place, nothing to keep.
    if (fragOff === 0 && fragLen === length) return parseDtlsClientHelloBody(buf, data, length, DTLS_HANDSHAKE_HEADER_LENGTH + length);
    if (seq < this.seq) return null; // a retransmission of a hello already superseded
    if (seq > this.seq || this.head === null) {
      this.seq = seq;
      this.length = length;
      this.head = new StreamHead(0, Math.min(length, 2048), this.budget);
    } else if (length !== this.length) {
      return BAD_FRAGMENTS; // RFC 6347 §4.2.3: every fragment of a message carries its full length
    }
    const head = this.head;
    head.add(fragOff, buf, data, fragLen);
    if (head.shed) return SHED;
    if (head.contiguous >= length) return parseDtlsClientHelloBody(head.buf, 0, length, DTLS_HANDSHAKE_HEADER_LENGTH + length);
    if (head.pendingRanges >= MAX_DTLS_FRAGMENT_RANGES) return BAD_FRAGMENTS;
    return null;
  }
}
