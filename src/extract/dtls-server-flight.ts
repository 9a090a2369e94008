/**
 * The server's first flight of a DTLS 1.0/1.2 handshake (RFC 6347 §4.2: ServerHello,
 * Certificate, ... in epoch 0), read from the server's datagrams for one fact: the names of the
 * certificate it presents in the clear, as tls-server-flight.ts reads them for TLS over TCP.
 * Only asked for when the client's hello names no server (CoAP and LwM2M devices connect to an
 * address). The Certificate message is put together by fragment offset (a certificate is larger
 * than a datagram, and DTLS fragments it); a HelloVerifyRequest is passed over; a ServerHello
 * that selects DTLS 1.3 (which encrypts the certificate), a record of another epoch or type, or
 * a ServerHelloDone before any Certificate ends the look.
 *
 * It must never throw on datagram bytes, never read outside [off, off + len), and never keep
 * more than CERTIFICATE_BYTES_KEPT bytes, charged to the budget of all stream heads.
 */
import { u16be, u24be } from '../decode/bytes';
import { StreamHead, StreamHeadBudget, defaultStreamHeadBudget } from '../flow/stream-head';
import { DTLS_HANDSHAKE_HEADER_LENGTH, DTLS_RECORD_HEADER_LENGTH, MAX_DTLS_FRAGMENT_RANGES } from './dtls-client-hello';
import { TLS_CONTENT_TYPE_HANDSHAKE } from './tls-client-hello';
import { certificateMessageNames, selectsTls13, type ServerFlightResult } from './tls-server-flight';

const HS_SERVER_HELLO = 2;
const HS_CERTIFICATE = 11;
const HS_SERVER_HELLO_DONE = 14;
/** RFC 9147 §5.3: DTLS 1.3's value in supported_versions. */
const DTLS13 = 0xfefc;
/**
 * Bytes of the Certificate message kept: the server's own certificate comes first, and real
 * ones are 1–4 KiB; the chain after it is not needed.
 */
export const CERTIFICATE_BYTES_KEPT = 16384;
/** Server datagrams read for the certificate before the flow is given up. */
export const MAX_DTLS_SERVER_DATAGRAMS = 16;

const NEED_MORE: ServerFlightResult = Object.freeze({ kind: 'need-more' });
const NONE: ServerFlightResult = Object.freeze({ kind: 'none' });

/** Reads the server's datagrams of one DTLS flow, in arrival order. */
export class DtlsServerFlight {
  /** Server datagrams fed so far. */
  datagrams = 0;
  /** The Certificate message's body length (from its handshake header), -1 before its first fragment. */
  private length = -1;
  private head: StreamHead | null = null;

  constructor(private readonly budget: StreamHeadBudget = defaultStreamHeadBudget) {}

  /** One server datagram (records never span datagrams, RFC 6347 §4.1.1). */
  feed(buf: Uint8Array, off: number, len: number): ServerFlightResult {
    if (off < 0 || len < 0 || off + len > buf.length) return NONE;
    this.datagrams++;
    const end = off + len;
    let p = off;
    while (end - p >= DTLS_RECORD_HEADER_LENGTH) {
      const recEnd = p + DTLS_RECORD_HEADER_LENGTH + u16be(buf, p + 11);
      if (recEnd > end) return NONE;
      // A record of another type or epoch (ChangeCipherSpec, an alert, encrypted data): the
      // clear part of the handshake is over without a certificate.
      if (buf[p] !== TLS_CONTENT_TYPE_HANDSHAKE || buf[p + 1] !== 0xfe || buf[p + 3] !== 0 || buf[p + 4] !== 0) return NONE;
      let q = p + DTLS_RECORD_HEADER_LENGTH;
      while (recEnd - q >= DTLS_HANDSHAKE_HEADER_LENGTH) {
        const type = buf[q];
        const length = u24be(buf, q + 1);
        const fragOff = u24be(buf, q + 6);
        const fragLen = u24be(buf, q + 9);
        const data = q + DTLS_HANDSHAKE_HEADER_LENGTH;
        if (fragLen > recEnd - data || fragOff + fragLen > length) return NONE;
        if (type === HS_SERVER_HELLO) {
          if (fragOff === 0 && fragLen === length && selectsTls13(buf, data, length, DTLS13)) return NONE;
        } else if (type === HS_CERTIFICATE) {
          const r = this.fragment(buf, data, length, fragOff, fragLen);
          if (r.kind !== 'need-more') return r;
        } else if (type === HS_SERVER_HELLO_DONE && this.length < 0) {
          return NONE; // a flight without a certificate (PSK, anonymous suites)
        }
        q = data + fragLen;
      }
      p = recEnd;
    }
    return this.datagrams >= MAX_DTLS_SERVER_DATAGRAMS ? NONE : NEED_MORE;
  }

  /** One fragment of the Certificate message. */
  private fragment(buf: Uint8Array, data: number, length: number, fragOff: number, fragLen: number): ServerFlightResult {
    // Whole in one fragment: read in place, nothing to keep.
    if (fragOff === 0 && fragLen === length) return certificateMessageNames(buf, data, length, length);
    if (this.head === null) {
      this.length = length;
      this.head = new StreamHead(0, Math.min(length, CERTIFICATE_BYTES_KEPT, 4096), this.budget);
    } else if (length !== this.length) {
      return NONE; // RFC 6347 §4.2.3: every fragment of a message carries its full length
    }
    const kept = Math.min(length, CERTIFICATE_BYTES_KEPT);
    if (fragOff >= kept) return NEED_MORE;
    const head = this.head;
    head.add(fragOff, buf, data, Math.min(fragLen, kept - fragOff));
    if (head.shed || head.pendingRanges >= MAX_DTLS_FRAGMENT_RANGES) return NONE;
    const r = certificateMessageNames(head.buf, 0, length, Math.min(head.contiguous, kept));
    return r.kind === 'need-more' && head.contiguous >= kept ? NONE : r;
  }
}
