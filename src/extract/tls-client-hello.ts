/**
 * TLS ClientHello extractor (RFC 8446 §4.1.2, §4.2; RFC 6066 §3; RFC 7301; draft-ietf-tls-esni).
 * Sits after the flow stage's bounded stream head: it receives the first client bytes of a TCP
 * flow (one or more TLS records), a bare handshake message from QUIC CRYPTO frames, or a DTLS
 * hello body reassembled by src/extract/dtls-client-hello.ts, and emits
 * neutral facts (SNI, ALPN, versions, suites, extension order, groups, key shares, ECH).
 * It must never throw on input bytes, never read outside [off, off+len), and never allocate from
 * a length it has not checked against the input and MAX_CLIENT_HELLO_LENGTH.
 */
import { A } from '../anomalies';
import { u16be } from '../decode/bytes';
import { decimalEscape, nameText } from './utf8';

/** TLS record content type for handshake messages (RFC 8446 §5.1). */
export const TLS_CONTENT_TYPE_HANDSHAKE = 22;
/** Handshake message type client_hello (RFC 8446 §4). */
export const TLS_HANDSHAKE_CLIENT_HELLO = 1;
/** ContentType(1) + legacy_record_version(2) + length(2) (RFC 8446 §5.1). */
export const TLS_RECORD_HEADER_LENGTH = 5;
/** msg_type(1) + uint24 length (RFC 8446 §4). */
export const TLS_HANDSHAKE_HEADER_LENGTH = 4;
/**
 * RFC 8446 §5.1: TLSPlaintext.length "MUST NOT exceed 2^14". A ClientHello is sent in plaintext
 * records, so a larger record is not a TLS record we should trust.
 */
export const TLS_MAX_PLAINTEXT_RECORD = 16384;
/**
 * Largest ClientHello message (4-byte header included) we parse. Real ones are 0.2–2 KB
 * (post-quantum key shares ~1.8 KB); 16 KiB matches the flow stage's STREAM_HEAD_BYTES, so a
 * bigger hello could never be buffered anyway. Over it → malformed `tls.client_hello_too_large`.
 */
export const MAX_CLIENT_HELLO_LENGTH = 16384;

/** Extension types (IANA TLS ExtensionType registry): server_name (RFC 6066 §3) and those below. */
export const TLS_EXT_SERVER_NAME = 0x0000;
export const TLS_EXT_SUPPORTED_GROUPS = 0x000a;
export const TLS_EXT_EC_POINT_FORMATS = 0x000b;
export const TLS_EXT_SIGNATURE_ALGORITHMS = 0x000d;
export const TLS_EXT_ALPN = 0x0010;
export const TLS_EXT_SUPPORTED_VERSIONS = 0x002b;
export const TLS_EXT_KEY_SHARE = 0x0033;
export const TLS_EXT_ENCRYPTED_CLIENT_HELLO = 0xfe0d;
/**
 * encrypted_server_name (draft-ietf-tls-esni-00 … -02), ECH's predecessor, deployed by Cloudflare
 * and Firefox from 2018 to 2020: the real server name is encrypted inside it, and a cleartext SNI
 * next to it, when there is one, is a cover or a decoy.
 */
export const TLS_EXT_ENCRYPTED_SERVER_NAME = 0xffce;
/** ServerName.name_type host_name (RFC 6066 §3). */
export const TLS_SNI_HOST_NAME = 0;
/** Longest DNS name in octets (RFC 1035 §2.3.4); a longer host_name is flagged `tls.sni_bad_length`. */
export const MAX_SNI_HOST_NAME_LENGTH = 255;
/** Named group X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem). */
export const TLS_GROUP_X25519MLKEM768 = 0x11ec;

/** Facts from one ClientHello; neutral, no policy. */
export interface ClientHelloInfo {
  /** server_name host_name (RFC 6066 §3), or null when absent. Bytes that are not text escaped as \DDD (utf8.ts nameText). */
  sni: string | null;
  /** ALPN protocol names in offered order (RFC 7301). Escaped like `sni`. */
  alpn: string[];
  /** legacy_version of the ClientHello body (e.g. 0x0303). */
  legacyVersion: number;
  /** supported_versions (RFC 8446 §4.2.1) in order, GREASE included; empty when absent. */
  supportedVersions: number[];
  /** Cipher suites in order, GREASE included. */
  cipherSuites: number[];
  /** Extension types in wire order, GREASE included. */
  extensionTypes: number[];
  /** supported_groups (RFC 8446 §4.2.7) in order. */
  supportedGroups: number[];
  /** ec_point_formats (RFC 8422 §5.1.2) in order. */
  ecPointFormats: number[];
  /** signature_algorithms (RFC 8446 §4.2.3) in order. */
  signatureAlgorithms: number[];
  /** Groups of the key_share entries (RFC 8446 §4.2.8); 0x11EC is X25519MLKEM768. */
  keyShareGroups: number[];
  /** encrypted_client_hello (0xfe0d) present. */
  ech: boolean;
  /** encrypted_server_name (0xffce, draft ESNI) present. */
  esni: boolean;
  /** Total bytes of the handshake message (4-byte header included). */
  messageLength: number;
  /**
   * Read from the message's first bytes only (parseClientHelloPrefix: a hello larger than a
   * stream head holds): the lists end where the bytes did, so fingerprints are not computed.
   */
  partial: boolean;
  /**
   * Sent in SSL 2.0's CLIENT-HELLO format (RFC 5246 Appendix E.2): no extensions, so no server
   * name; `cipherSuites` holds its TLS suites only (specs with a first byte of 0), which is what
   * JA3/JA4 are computed over (JA4 names the version `s2`). Absent otherwise.
   */
  sslv2?: true;
  /**
   * Recoverable problems (numeric anomaly ids from src/anomalies.ts), e.g. `tls.sni_empty`,
   * `tls.sni_duplicate`, `tls.sni_bad_length`, or `tls.malformed_client_hello` for a bad inner list
   * in a non-SNI extension. The hello is still reported; empty in the normal case.
   */
  anomalies: number[];
}

/**
 * Outcome of one parse attempt. `need-more.needed` is a lower bound on the total bytes from
 * `off` (buffer at least that many, then call again); `not-tls` means stop looking on this flow;
 * `malformed.anomaly` is the numeric id to count (src/anomalies.ts).
 */
export type ClientHelloResult =
  | { kind: 'found'; hello: ClientHelloInfo }
  | { kind: 'need-more'; needed: number }
  | { kind: 'not-tls' }
  | { kind: 'malformed'; anomaly: number };

// Shared immutable results: the not-tls path runs for every non-TLS flow, so it must not allocate.
const NOT_TLS: ClientHelloResult = Object.freeze({ kind: 'not-tls' });
const MALFORMED_RECORD: ClientHelloResult = Object.freeze({ kind: 'malformed', anomaly: A['tls.record_bad_length'] });
const MALFORMED_HELLO: ClientHelloResult = Object.freeze({ kind: 'malformed', anomaly: A['tls.malformed_client_hello'] });
const TOO_LARGE: ClientHelloResult = Object.freeze({ kind: 'malformed', anomaly: A['tls.client_hello_too_large'] });

function needMore(needed: number): ClientHelloResult {
  return { kind: 'need-more', needed };
}


/**
 * True when the available bytes can start a TLS handshake record: content type 22, then (if
 * present) legacy_record_version 3.0–3.4 and a non-zero length (RFC 8446 §5.1). Judges only the
 * bytes it has, so a 1-byte 0x16 is "maybe". Reads at most 5 bytes; never throws.
 */
export function probeTlsRecord(buf: Uint8Array, off: number, len: number): boolean {
  if (len < 1 || off < 0 || off + len > buf.length) return false;
  if (buf[off] !== TLS_CONTENT_TYPE_HANDSHAKE) return false;
  if (len >= 2 && buf[off + 1] !== 3) return false;
  if (len >= 3 && buf[off + 2] > 4) return false;
  if (len >= 5 && u16be(buf, off + 3) === 0) return false;
  return true;
}

/** Records without handshake data read past before a ClientHello. */
export const MAX_LEADING_RECORDS = 8;
/**
 * Their largest body: a ChangeCipherSpec is 1 byte, an alert 2; a large one is not this
 * evasion (a stream seen with its start is full of application data only mid-connection), and
 * waiting for its end would hold a stream head for nothing.
 */
const MAX_LEADING_RECORD_BODY = 256;

/**
 * Bytes of the TLS records at the start of a client stream `buf[off, off + len)` that hold no
 * handshake data — ChangeCipherSpec (20), alert (21), application data (23), heartbeat (24), or
 * an empty handshake record — when a handshake record follows them. OpenSSL reads past such
 * records before a ClientHello (measured here: nginx and s_server complete the handshake after
 * an empty handshake record, a ChangeCipherSpec, a warning alert or an empty application-data
 * record), so a client can put them in front of its hello to hide the server name from a
 * parser that expects the hello first; tshark reads on. Returns 0 when the stream does not start
 * that way (the usual case: a hello first, or no TLS), and -1 when the records so far qualify
 * but the bytes end before the next one's header. Bounded: MAX_LEADING_RECORDS records of at
 * most MAX_LEADING_RECORD_BODY bytes.
 */
export function leadingNonHelloRecords(buf: Uint8Array, off: number, len: number): number {
  if (off < 0 || len < 1 || off + len > buf.length) return 0;
  const end = off + len;
  let p = off;
  for (let i = 0; i <= MAX_LEADING_RECORDS; i++) {
    const have = end - p;
    if (have < TLS_RECORD_HEADER_LENGTH) {
      if (p > off) return -1;
      // Cut inside the first header: wait only for what could still be such a record.
      const t = buf[p];
      const leading = t === 20 || t === 21 || t === 23 || t === 24 || t === TLS_CONTENT_TYPE_HANDSHAKE;
      if (!leading || (have >= 2 && buf[p + 1] !== 3) || (have >= 3 && buf[p + 2] > 4)) return 0;
      return t === TLS_CONTENT_TYPE_HANDSHAKE ? 0 : -1;
    }
    const type = buf[p];
    if (buf[p + 1] !== 3 || buf[p + 2] > 4) return 0;
    const recLen = u16be(buf, p + 3);
    if (type === TLS_CONTENT_TYPE_HANDSHAKE && recLen > 0) return p - off;
    if (type !== 20 && type !== 21 && type !== 23 && type !== 24 && type !== TLS_CONTENT_TYPE_HANDSHAKE) return 0;
    if (recLen > MAX_LEADING_RECORD_BODY) return 0;
    p += TLS_RECORD_HEADER_LENGTH + recLen;
  }
  return 0;
}

/**
 * A ClientHello in SSL 2.0's format (RFC 5246 Appendix E.2, RFC 6101 Appendix E), still sent by
 * old Java, OpenSSL 0.9.8 and embedded stacks to offer TLS to any server: a 2-byte header with
 * the high bit set, msg_type 1 (CLIENT-HELLO), version (0x0002, or 3.x for a TLS client),
 * cipher_spec, session_id and challenge lengths, then the 3-byte cipher specs, session id and
 * challenge. Read at buf[off, off + len), the first bytes of a client stream. Strict (every
 * length must agree with the header, the challenge 16 to 32 bytes, RFC 6101 E.1), so other
 * protocols are not taken for it: `not-tls` as soon as a byte says so. A found hello has no
 * server name; its cipher suites are the specs that are TLS suites (first byte 0): SSL 2.0's
 * own 3-byte specs fit neither the TLS layout nor a fingerprint's 4-hex-digit ciphers.
 */
export function parseSslv2ClientHello(buf: Uint8Array, off: number, len: number): ClientHelloResult {
  if (off < 0 || len < 1 || off + len > buf.length || (buf[off] & 0x80) === 0) return NOT_TLS;
  const total = 2 + (((buf[off] & 0x7f) << 8) | (len >= 2 ? buf[off + 1] : 0xff));
  if (len >= 3 && buf[off + 2] !== 1) return NOT_TLS;
  const version = len >= 5 ? u16be(buf, off + 3) : -1;
  if (len >= 4 && buf[off + 3] !== 0 && buf[off + 3] !== 3) return NOT_TLS;
  if (version >= 0 && version !== 0x0002 && (version < 0x0300 || version > 0x0304)) return NOT_TLS;
  if (len < SSLV2_HELLO_FIXED) return needMore(SSLV2_HELLO_FIXED);
  const specLen = u16be(buf, off + 5);
  const sidLen = u16be(buf, off + 7);
  const challengeLen = u16be(buf, off + 9);
  if (specLen === 0 || specLen % 3 !== 0 || (sidLen !== 0 && sidLen !== 16) || challengeLen < 16 || challengeLen > 32) return NOT_TLS;
  if (total !== SSLV2_HELLO_FIXED + specLen + sidLen + challengeLen || total > MAX_SSLV2_HELLO) return NOT_TLS;
  if (len < total) return needMore(total);
  const cipherSuites: number[] = [];
  for (let p = off + SSLV2_HELLO_FIXED; p < off + SSLV2_HELLO_FIXED + specLen; p += 3) {
    if (buf[p] === 0) cipherSuites.push(u16be(buf, p + 1));
  }
  const hello: ClientHelloInfo = {
    sni: null, alpn: [], legacyVersion: version, supportedVersions: [], cipherSuites, extensionTypes: [],
    supportedGroups: [], ecPointFormats: [], signatureAlgorithms: [], keyShareGroups: [], ech: false, esni: false,
    messageLength: total, anomalies: [], partial: false, sslv2: true,
  };
  return { kind: 'found', hello };
}

/** Header, msg_type, version and the three lengths of an SSL 2.0 CLIENT-HELLO. */
const SSLV2_HELLO_FIXED = 11;
/**
 * The largest SSL 2.0 CLIENT-HELLO taken for one (real ones are a few hundred bytes: every
 * cipher spec a client knows is 3 bytes): a claimed 32 KiB would hold a stream head waiting.
 */
const MAX_SSLV2_HELLO = 4096;

/**
 * Parses a ClientHello from a TLS record stream starting at `off` (the stream's first client
 * byte). The handshake message may span several records (RFC 8446 §5.1 fragmentation) and the
 * input may be cut anywhere, even inside a record header: then `need-more` says how many bytes
 * from `off` are needed at least (a lower bound; call again with more). Copies the message into
 * one new buffer (≤ MAX_CLIENT_HELLO_LENGTH) only when it spans records; otherwise reads in place.
 */
export function parseClientHelloRecords(buf: Uint8Array, off: number, len: number): ClientHelloResult {
  if (off < 0 || len < 0 || off + len > buf.length) return NOT_TLS;
  const end = off + len;
  let pos = off;
  let got = 0; // handshake bytes seen so far, over all records
  let msgTotal = -1; // 4 + handshake length, once the 4 header bytes are known
  let hdr = 0; // the handshake header's uint24 length, accumulated byte by byte
  let records = 0;
  let emptyRecords = 0;
  let firstBody = -1;
  for (;;) {
    if (end - pos < TLS_RECORD_HEADER_LENGTH) {
      // Cut inside (or right before) a record header. Probe the bytes we have so a non-TLS
      // stream is rejected as early as possible.
      if (records === 0 && end > pos && !probeTlsRecord(buf, pos, end - pos)) return NOT_TLS;
      if (records > 0 && end > pos && buf[pos] !== TLS_CONTENT_TYPE_HANDSHAKE) return MALFORMED_HELLO;
      const rest = msgTotal < 0 ? TLS_HANDSHAKE_HEADER_LENGTH - got : msgTotal - got;
      return needMore(pos - off + TLS_RECORD_HEADER_LENGTH + rest);
    }
    const type = buf[pos];
    if (type !== TLS_CONTENT_TYPE_HANDSHAKE || buf[pos + 1] !== 3) {
      // RFC 8446 §5.1: handshake messages MUST NOT be interleaved with other record types.
      return records === 0 ? NOT_TLS : MALFORMED_HELLO;
    }
    if (records === 0 && buf[pos + 2] > 4) return NOT_TLS;
    const recLen = u16be(buf, pos + 3);
    if (recLen === 0 && records > 0) {
      // RFC 8446 §5.1 forbids zero-length handshake fragments, but OpenSSL (and so nginx) reads
      // past one between the hello's fragments: so does this parser (counted), or a client
      // could hide its server name behind one.
      emptyRecords++;
      pos += TLS_RECORD_HEADER_LENGTH;
      continue;
    }
    // No zero-length first record (one before the hello is read past by leadingNonHelloRecords),
    // and no plaintext record over 2^14.
    if (recLen === 0 || recLen > TLS_MAX_PLAINTEXT_RECORD) return MALFORMED_RECORD;
    const body = pos + TLS_RECORD_HEADER_LENGTH;
    if (firstBody < 0) firstBody = body;
    const avail = Math.min(recLen, end - body);
    records++;
    // Read the handshake header bytes that fall in this record (they may straddle records).
    let i = 0;
    while (msgTotal < 0 && i < avail) {
      const b = buf[body + i];
      if (got === 0) {
        if (b !== TLS_HANDSHAKE_CLIENT_HELLO) return MALFORMED_HELLO;
      } else {
        hdr = (hdr << 8) | b;
      }
      got++;
      i++;
      if (got === TLS_HANDSHAKE_HEADER_LENGTH) {
        msgTotal = TLS_HANDSHAKE_HEADER_LENGTH + hdr;
        // Larger than any buffer here: its first MAX_CLIENT_HELLO_LENGTH bytes are read instead
        // (parseClientHelloPrefix), once they are there. Nothing is sized by the claimed length.
        if (msgTotal > MAX_CLIENT_HELLO_LENGTH) {
          return len >= MAX_CLIENT_HELLO_LENGTH ? parseClientHelloPrefix(buf, off, MAX_CLIENT_HELLO_LENGTH) : needMore(MAX_CLIENT_HELLO_LENGTH);
        }
      }
    }
    if (msgTotal >= 0) {
      const take = Math.min(avail - i, msgTotal - got);
      got += take;
      if (got === msgTotal) {
        // Complete. One record: parse in place; several: gather once, bounded by msgTotal.
        if (records === 1) return parseClientHelloBody(buf, firstBody, msgTotal);
        const msg = new Uint8Array(msgTotal);
        gatherHandshake(buf, off, end, msg);
        const r = parseClientHelloBody(msg, 0, msgTotal);
        if (emptyRecords > 0 && r.kind === 'found') r.hello.anomalies.push(A['tls.record_bad_length']);
        return r;
      }
    }
    if (avail < recLen) {
      // Cut inside this record's body: need the rest of it, then whatever the message still lacks.
      const afterRecord = body + recLen - off;
      const missing = msgTotal < 0 ? TLS_HANDSHAKE_HEADER_LENGTH - got - (recLen - avail) : msgTotal - got - (recLen - avail);
      return needMore(missing > 0 ? afterRecord + TLS_RECORD_HEADER_LENGTH + missing : afterRecord);
    }
    pos = body + recLen;
  }
}

/**
 * Copies the handshake bytes of the records at buf[off, end) into `out`, as many as fit, and
 * stops at the first header that is not a plaintext handshake record's; returns how many were
 * copied. Bounded by `end` and by `out`.
 */
function gatherHandshake(buf: Uint8Array, off: number, end: number, out: Uint8Array): number {
  let pos = off;
  let n = 0;
  while (n < out.length && end - pos >= TLS_RECORD_HEADER_LENGTH && buf[pos] === TLS_CONTENT_TYPE_HANDSHAKE && buf[pos + 1] === 3) {
    const recLen = u16be(buf, pos + 3);
    if (recLen > TLS_MAX_PLAINTEXT_RECORD) break;
    const body = pos + TLS_RECORD_HEADER_LENGTH;
    const take = Math.min(recLen, end - body, out.length - n);
    out.set(buf.subarray(body, body + take), n);
    n += take;
    pos = body + recLen;
  }
  return n;
}

/**
 * The first bytes of a ClientHello too large to hold whole (over MAX_CLIENT_HELLO_LENGTH, or a
 * 2^14-byte one whose record headers push the stream past a 16 KiB head), from a record stream
 * at buf[off, off + len) that parseClientHelloRecords found well-formed so far and asked more
 * of. The fixed part must be there; extensions are read until the bytes end, so a server_name
 * near the front (where every stack puts it, and where padding or a large PSK cannot push it)
 * still names the flow, as tshark names it. The hello is `partial`, flagged
 * `tls.client_hello_too_large`. Copies at most `len` bytes (the caller's bounded buffer).
 */
export function parseClientHelloPrefix(buf: Uint8Array, off: number, len: number): ClientHelloResult {
  if (off < 0 || len < 0 || off + len > buf.length) return NOT_TLS;
  const out = new Uint8Array(len);
  const n = gatherHandshake(buf, off, off + len, out);
  if (n < TLS_HANDSHAKE_HEADER_LENGTH || out[0] !== TLS_HANDSHAKE_CLIENT_HELLO) return TOO_LARGE;
  const total = TLS_HANDSHAKE_HEADER_LENGTH + ((out[1] << 16) | (out[2] << 8) | out[3]);
  if (total <= n) return parseClientHelloBody(out, 0, total); // whole after all
  const r = parseHelloBody(out, TLS_HANDSHAKE_HEADER_LENGTH, n, total, false, true);
  if (r.kind !== 'found') return TOO_LARGE;
  r.hello.anomalies.push(A['tls.client_hello_too_large']);
  return r;
}

/**
 * Parses a bare ClientHello handshake message (type 1 + 3-byte length, RFC 8446 §4), as QUIC
 * CRYPTO frames carry it (RFC 9001 §4.1.3). Reads in place; `need-more` gives the message's total
 * length once its header is known.
 */
export function parseClientHelloMessage(buf: Uint8Array, off: number, len: number): ClientHelloResult {
  if (off < 0 || len < 0 || off + len > buf.length) return NOT_TLS;
  if (len < 1) return needMore(TLS_HANDSHAKE_HEADER_LENGTH);
  if (buf[off] !== TLS_HANDSHAKE_CLIENT_HELLO) return NOT_TLS;
  if (len < TLS_HANDSHAKE_HEADER_LENGTH) return needMore(TLS_HANDSHAKE_HEADER_LENGTH);
  const total = TLS_HANDSHAKE_HEADER_LENGTH + ((buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]);
  if (total > MAX_CLIENT_HELLO_LENGTH) return TOO_LARGE;
  if (len < total) return needMore(total);
  return parseClientHelloBody(buf, off, total);
}

/**
 * ClientHello body (RFC 8446 §4.1.2) at buf[off, off+total), header included; `total` has been
 * checked against the buffer. Errors in the fixed part (version, random, session id, cipher
 * suites, compression methods) are fatal (`tls.malformed_client_hello`); a broken extensions
 * framing keeps the extensions before the break, and errors inside one extension's data, both
 * become entries of `anomalies`.
 */
function parseClientHelloBody(buf: Uint8Array, off: number, total: number): ClientHelloResult {
  return parseHelloBody(buf, off + TLS_HANDSHAKE_HEADER_LENGTH, off + total, total, false);
}

/**
 * A DTLS ClientHello body (RFC 6347 §4.2.1, RFC 9147 §5.3) at buf[off, off+len), without its
 * 12-byte handshake header (the DTLS extractor reassembles fragments before it calls this): the
 * TLS layout with a `cookie<0..2^8-1>` after the session id. `messageLength` counts the DTLS
 * header too.
 */
export function parseDtlsClientHelloBody(buf: Uint8Array, off: number, len: number, messageLength: number): ClientHelloResult {
  if (off < 0 || len < 0 || off + len > buf.length) return MALFORMED_HELLO;
  return parseHelloBody(buf, off, off + len, messageLength, true);
}

/** The body of a TLS or DTLS ClientHello at buf[p, end); `end` has been checked against the buffer. */
function parseHelloBody(buf: Uint8Array, p: number, end: number, total: number, dtls: boolean, prefix = false): ClientHelloResult {
  // legacy_version(2) + random(32) + legacy_session_id length(1)
  if (end - p < 35) return MALFORMED_HELLO;
  const legacyVersion = u16be(buf, p);
  p += 34;
  const sessionIdLen = buf[p++];
  if (sessionIdLen > 32 || end - p < sessionIdLen + 2) return MALFORMED_HELLO; // opaque <0..32>
  p += sessionIdLen;
  if (dtls) {
    // cookie<0..2^8-1> (RFC 6347 §4.2.1; empty in DTLS 1.3's legacy_cookie, RFC 9147 §5.3)
    const cookieLen = buf[p++];
    if (end - p < cookieLen + 2) return MALFORMED_HELLO;
    p += cookieLen;
  }
  const suitesLen = u16be(buf, p);
  p += 2;
  // cipher_suites <2..2^16-2>: an even byte count within the message.
  if ((suitesLen & 1) !== 0 || end - p < suitesLen + 1) return MALFORMED_HELLO;
  const cipherSuites = readU16List(buf, p, suitesLen);
  p += suitesLen;
  const compLen = buf[p++];
  if (end - p < compLen) return MALFORMED_HELLO; // legacy_compression_methods <1..2^8-1>
  p += compLen;
  const hello: ClientHelloInfo = {
    sni: null, alpn: [], legacyVersion, supportedVersions: [], cipherSuites, extensionTypes: [],
    supportedGroups: [], ecPointFormats: [], signatureAlgorithms: [], keyShareGroups: [], ech: false, esni: false,
    messageLength: total, anomalies: [], partial: prefix,
  };
  // An empty cipher suite or compression method list breaks RFC 8446 §4.1.2's lower bounds, but
  // the lengths still frame the message: tshark reads on to the server name, and JA4 has a value
  // for no ciphers ("000000000000"); so do we, flagged.
  if (suitesLen === 0 || compLen === 0) flagged(hello);
  // RFC 5246 §7.4.1.2: a pre-1.3 hello may end right after the compression methods.
  if (p === end) return { kind: 'found', hello };
  // From here on the message is whole and its fixed part well-formed: a broken extensions
  // framing keeps what was read before the break, flagged, as tshark and nDPI report the SNI
  // of a hello whose later extensions are damaged (nDPI's tls_invalid_reads: a fuzzed ALPN
  // and an extension length past the message, after an intact server_name).
  // A prefix ends where the bytes did: the extensions whole within it are read, the cut one is
  // not, and the cut itself is no malformation.
  const cut = prefix ? found : flagged;
  if (end - p < 2) return cut(hello);
  const extLen = u16be(buf, p);
  p += 2;
  let extEnd = end;
  if (extLen !== end - p && !(prefix && extLen > end - p)) {
    // the extensions block must fill the message exactly
    flagged(hello);
    if (extLen < end - p) extEnd = p + extLen;
  }
  let sniSeen = false;
  while (p < extEnd) {
    if (extEnd - p < 4) return cut(hello);
    const type = u16be(buf, p);
    const len = u16be(buf, p + 2);
    p += 4;
    if (extEnd - p < len) return cut(hello);
    hello.extensionTypes.push(type);
    switch (type) {
      case TLS_EXT_SERVER_NAME:
        // RFC 8446 §4.2: at most one extension of a type; keep the first SNI, flag the rest.
        if (sniSeen) hello.anomalies.push(A['tls.sni_duplicate']);
        else parseServerName(buf, p, len, hello);
        sniSeen = true;
        break;
      case TLS_EXT_ALPN:
        parseAlpn(buf, p, len, hello);
        break;
      case TLS_EXT_SUPPORTED_GROUPS:
        hello.supportedGroups = readPrefixedU16List(buf, p, len, 2, hello);
        break;
      case TLS_EXT_EC_POINT_FORMATS:
        parseEcPointFormats(buf, p, len, hello);
        break;
      case TLS_EXT_SIGNATURE_ALGORITHMS:
        hello.signatureAlgorithms = readPrefixedU16List(buf, p, len, 2, hello);
        break;
      case TLS_EXT_SUPPORTED_VERSIONS:
        // RFC 8446 §4.2.1: ClientHello form is ProtocolVersion versions<2..254> (1-byte length).
        hello.supportedVersions = readPrefixedU16List(buf, p, len, 1, hello);
        break;
      case TLS_EXT_KEY_SHARE:
        parseKeyShare(buf, p, len, hello);
        break;
      case TLS_EXT_ENCRYPTED_CLIENT_HELLO:
        hello.ech = true; // draft-ietf-tls-esni §5: the outer hello carries it; contents are sealed
        break;
      case TLS_EXT_ENCRYPTED_SERVER_NAME:
        hello.esni = true;
        break;
      default:
        break;
    }
    p += len;
  }
  return { kind: 'found', hello };
}

function found(hello: ClientHelloInfo): ClientHelloResult {
  return { kind: 'found', hello };
}

/** A hello whose extensions framing broke: what was read before the break, flagged once. */
function flagged(hello: ClientHelloInfo): ClientHelloResult {
  if (!hello.anomalies.includes(A['tls.malformed_client_hello'])) hello.anomalies.push(A['tls.malformed_client_hello']);
  return { kind: 'found', hello };
}

function readU16List(buf: Uint8Array, p: number, byteLen: number): number[] {
  const out = new Array<number>(byteLen >> 1); // byteLen is bounded by the checked message
  for (let i = 0; i < out.length; i++) out[i] = u16be(buf, p + 2 * i);
  return out;
}

/** A list of uint16 with a `prefix`-byte length (1 or 2) filling the extension data exactly. */
function readPrefixedU16List(buf: Uint8Array, p: number, len: number, prefix: 1 | 2, hello: ClientHelloInfo): number[] {
  if (len < prefix) return malformedInner(hello);
  const n = prefix === 1 ? buf[p] : u16be(buf, p);
  if (n !== len - prefix || (n & 1) !== 0) return malformedInner(hello);
  return readU16List(buf, p + prefix, n);
}

function malformedInner(hello: ClientHelloInfo): number[] {
  hello.anomalies.push(A['tls.malformed_client_hello']);
  return [];
}

/** ECPointFormat ec_point_format_list<1..2^8-1> (RFC 8422 §5.1.2). */
function parseEcPointFormats(buf: Uint8Array, p: number, len: number, hello: ClientHelloInfo): void {
  if (len < 1 || buf[p] !== len - 1) {
    malformedInner(hello);
    return;
  }
  for (let i = 1; i < len; i++) hello.ecPointFormats.push(buf[p + i]);
}

/**
 * server_name (RFC 6066 §3): ServerNameList server_name_list<1..2^16-1>, each entry a 1-byte
 * name_type and (for host_name) HostName<1..2^16-1>. Unknown name types are skipped assuming the
 * same 2-byte length, as every deployed parser does. Length errors → `tls.sni_bad_length`; an
 * empty list or name → `tls.sni_empty`; a second host_name → `tls.sni_duplicate` (first kept).
 */
function parseServerName(buf: Uint8Array, p: number, len: number, hello: ClientHelloInfo): void {
  if (len === 0) {
    hello.anomalies.push(A['tls.sni_empty']); // the empty form is only valid in a ServerHello
    return;
  }
  if (len < 2 || u16be(buf, p) !== len - 2) {
    hello.anomalies.push(A['tls.sni_bad_length']);
    return;
  }
  const end = p + len;
  let q = p + 2;
  if (q === end) {
    hello.anomalies.push(A['tls.sni_empty']);
    return;
  }
  let found = false;
  while (q < end) {
    if (end - q < 3) {
      hello.anomalies.push(A['tls.sni_bad_length']);
      return;
    }
    const nameType = buf[q];
    const nameLen = u16be(buf, q + 1);
    q += 3;
    if (end - q < nameLen) {
      hello.anomalies.push(A['tls.sni_bad_length']);
      return;
    }
    if (nameType === TLS_SNI_HOST_NAME) {
      if (found) hello.anomalies.push(A['tls.sni_duplicate']);
      else if (nameLen === 0) hello.anomalies.push(A['tls.sni_empty']);
      else {
        if (nameLen > MAX_SNI_HOST_NAME_LENGTH) hello.anomalies.push(A['tls.sni_bad_length']);
        hello.sni = nameText(buf, q, q + nameLen, false, false);
        found = true;
      }
    }
    q += nameLen;
  }
}

/** ALPN (RFC 7301 §3.1): ProtocolNameList protocol_name_list<2..2^16-1> of ProtocolName<1..2^8-1>. */
function parseAlpn(buf: Uint8Array, p: number, len: number, hello: ClientHelloInfo): void {
  if (len < 2 || u16be(buf, p) !== len - 2) {
    malformedInner(hello);
    return;
  }
  const end = p + len;
  let q = p + 2;
  while (q < end) {
    const n = buf[q++];
    if (n === 0 || end - q < n) {
      malformedInner(hello);
      return;
    }
    hello.alpn.push(decodeWireText(buf, q, n));
    q += n;
  }
}

/** key_share (RFC 8446 §4.2.8): KeyShareEntry client_shares<0..2^16-1>, entry = group + opaque<1..2^16-1>. */
function parseKeyShare(buf: Uint8Array, p: number, len: number, hello: ClientHelloInfo): void {
  if (len < 2 || u16be(buf, p) !== len - 2) {
    malformedInner(hello);
    return;
  }
  const end = p + len;
  let q = p + 2;
  while (q < end) {
    if (end - q < 4) {
      malformedInner(hello);
      return;
    }
    const group = u16be(buf, q);
    const keyLen = u16be(buf, q + 2);
    q += 4;
    if (keyLen === 0 || end - q < keyLen) {
      malformedInner(hello);
      return;
    }
    hello.keyShareGroups.push(group);
    q += keyLen;
  }
}

/**
 * Decodes wire bytes as text, faithfully: printable ASCII (0x21–0x7E) as is, every other byte
 * and the backslash itself as \DDD (three decimal digits, RFC 4343 §2.1 / RFC 1035 §5.1 style).
 * No case folding. One loop with string appends (V8 ropes): no TextDecoder, no temporary
 * arrays; names are short and this runs once per flow.
 */
export function decodeWireText(buf: Uint8Array, off: number, len: number): string {
  let s = '';
  const end = off + len;
  for (let i = off; i < end; i++) {
    const b = buf[i];
    if (b >= 0x21 && b <= 0x7e && b !== 0x5c) s += String.fromCharCode(b);
    else s += decimalEscape(b);
  }
  return s;
}

/** Is `v` a GREASE value (RFC 8701 §2: 0x?A?A with both bytes equal)? */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}
