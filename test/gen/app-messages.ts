/**
 * Application-layer payload builders for the synthetic captures: DNS messages (RFC 1035, with
 * name compression and CNAME chains; TCP length framing), TLS 1.3-style ClientHello/ServerHello
 * records (RFC 8446 §4.1.2/§4.1.3, SNI per RFC 6066 §3, GREASE per RFC 8701, X25519MLKEM768
 * key shares), HTTP/1.1 requests and responses, NTP v4 and libp2p multistream-select.
 *
 * Test tooling only: never imported by src/; produces well-formed messages only (malformed
 * variants are made by cutting or reordering these bytes in the capture definitions), and
 * never uses randomness other than the label-keyed `pseudoRandomBytes`.
 */
import { ByteWriter, concat, parseIpv4, parseIpv6, pseudoRandomBytes } from './bytes';

// ───────────────────────────── DNS ─────────────────────────────

/** DNS RR types used by the generator (IANA "Resource Record (RR) TYPEs"). */
export const DNS_TYPE_A = 1;
export const DNS_TYPE_CNAME = 5;
export const DNS_TYPE_TXT = 16;
export const DNS_TYPE_SRV = 33;
export const DNS_TYPE_AAAA = 28;
/** DNS class IN. */
export const DNS_CLASS_IN = 1;

/** One question (RFC 1035 §4.1.2). */
export interface DnsQuestionSpec {
  name: string;
  type: number;
}

/** One resource record; `data` is the address (A/AAAA), target name (CNAME) or text (TXT). */
export interface DnsRecordSpec {
  name: string;
  type: number;
  ttl: number;
  data: string;
}

/** A whole DNS message. Flags default to RD for queries and RD|RA for responses. */
export interface DnsMessageSpec {
  id: number;
  response: boolean;
  rcode?: number;
  questions: readonly DnsQuestionSpec[];
  answers?: readonly DnsRecordSpec[];
}

/**
 * Writes a domain name with RFC 1035 §4.1.4 compression: every suffix already written (at an
 * offset below 0x4000) becomes a backward pointer. `dict` maps lowercased suffixes to offsets.
 */
function writeName(w: ByteWriter, name: string, dict: Map<string, number>): void {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  for (let i = 0; i < labels.length; i++) {
    const suffix = labels.slice(i).join('.').toLowerCase();
    const at = dict.get(suffix);
    if (at !== undefined) {
      w.u16(0xc000 | at);
      return;
    }
    if (w.length < 0x4000) dict.set(suffix, w.length);
    // Labels as UTF-8 (DNS-SD instance names, RFC 6763 §4.1.1); ASCII labels are their own bytes.
    const label = Buffer.from(labels[i], 'utf8');
    if (label.length > 63) throw new Error(`label too long in ${name}`);
    w.u8(label.length).bytes(label);
  }
  w.u8(0);
}

/** Serialises a DNS message (RFC 1035 §4.1) with name compression in owner names and CNAME targets. */
export function dnsMessage(spec: DnsMessageSpec): Uint8Array {
  const answers = spec.answers ?? [];
  const flags = spec.response ? 0x8180 | (spec.rcode ?? 0) : 0x0100;
  const w = new ByteWriter().u16(spec.id).u16(flags).u16(spec.questions.length).u16(answers.length).u16(0).u16(0);
  const dict = new Map<string, number>();
  for (const q of spec.questions) {
    writeName(w, q.name, dict);
    w.u16(q.type).u16(DNS_CLASS_IN);
  }
  for (const rr of answers) {
    writeName(w, rr.name, dict);
    w.u16(rr.type).u16(DNS_CLASS_IN).u32(rr.ttl);
    const lengthAt = w.length;
    w.u16(0);
    if (rr.type === DNS_TYPE_A) w.bytes(parseIpv4(rr.data));
    else if (rr.type === DNS_TYPE_AAAA) w.bytes(parseIpv6(rr.data));
    else if (rr.type === DNS_TYPE_CNAME) writeName(w, rr.data, dict);
    else if (rr.type === DNS_TYPE_TXT) w.u8(rr.data.length).ascii(rr.data);
    else throw new Error(`unsupported RR type ${rr.type}`);
    w.patchU16(lengthAt, w.length - lengthAt - 2);
  }
  return w.toBytes();
}

/** DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): each message behind a 2-byte length. */
export function dnsOverTcp(messages: readonly Uint8Array[]): Uint8Array {
  return concat(messages.map((m) => concat([new ByteWriter().u16(m.length).toBytes(), m])));
}

// ───────────────────────────── TLS ─────────────────────────────

/** TLS extension types (IANA "TLS ExtensionType Values"). */
export const TLS_EXT_SERVER_NAME = 0x0000;
export const TLS_EXT_STATUS_REQUEST = 0x0005;
export const TLS_EXT_SUPPORTED_GROUPS = 0x000a;
export const TLS_EXT_EC_POINT_FORMATS = 0x000b;
export const TLS_EXT_SIGNATURE_ALGORITHMS = 0x000d;
export const TLS_EXT_ALPN = 0x0010;
export const TLS_EXT_SCT = 0x0012;
export const TLS_EXT_PADDING = 0x0015;
export const TLS_EXT_EXTENDED_MASTER_SECRET = 0x0017;
export const TLS_EXT_COMPRESS_CERTIFICATE = 0x001b;
export const TLS_EXT_RECORD_SIZE_LIMIT = 0x001c;
export const TLS_EXT_SESSION_TICKET = 0x0023;
export const TLS_EXT_SUPPORTED_VERSIONS = 0x002b;
export const TLS_EXT_PSK_KEY_EXCHANGE_MODES = 0x002d;
export const TLS_EXT_KEY_SHARE = 0x0033;
export const TLS_EXT_RENEGOTIATION_INFO = 0xff01;

/** Named groups (IANA "TLS Supported Groups"); 0x11EC is the hybrid post-quantum group. */
export const TLS_GROUP_SECP256R1 = 0x0017;
export const TLS_GROUP_SECP384R1 = 0x0018;
export const TLS_GROUP_X25519 = 0x001d;
export const TLS_GROUP_X25519MLKEM768 = 0x11ec;
/** Key-share sizes: X25519MLKEM768 client share is 1184 (ML-KEM-768 ek) + 32 (X25519) bytes. */
export const KEY_SHARE_LENGTH: Readonly<Record<number, number>> = {
  [TLS_GROUP_X25519MLKEM768]: 1216,
  [TLS_GROUP_X25519]: 32,
  [TLS_GROUP_SECP256R1]: 65,
};

/** The two GREASE values (RFC 8701) our hellos use; fixed so that output is deterministic. */
export const GREASE_A = 0x0a0a;
export const GREASE_B = 0x7a7a;

/** What to put in a ClientHello. Unlisted fields take Chrome-like defaults. */
export interface ClientHelloSpec {
  /** Labels the pseudo-random bytes (random, session id, key shares). */
  seed: string;
  /** SNI host_name; null omits the server_name extension entirely. */
  serverName: string | null;
  alpn?: readonly string[];
  /** Groups that get a key share, in order (GREASE first gets a 1-byte share). */
  keyShareGroups?: readonly number[];
  /**
   * Extension types in wire order (GREASE_A / GREASE_B stand for the two GREASE extensions).
   * Types the builder has no body for are rejected. Default: Chrome's order with SNI second.
   */
  extensionOrder?: readonly number[];
  /** Add a padding extension (RFC 7685) so the record is exactly this many bytes. */
  recordLength?: number;
}

/** A built ClientHello record plus where each extension sits (offsets into `record`). */
export interface BuiltClientHello {
  record: Uint8Array;
  extensionOffsets: ReadonlyMap<number, { start: number; end: number }>;
}

/** Default extension order, Chrome 131-like (ECH GREASE deliberately left out: it would set `ech`). */
export const CHROME_EXTENSION_ORDER: readonly number[] = [
  GREASE_A, TLS_EXT_SERVER_NAME, TLS_EXT_EXTENDED_MASTER_SECRET, TLS_EXT_RENEGOTIATION_INFO,
  TLS_EXT_SUPPORTED_GROUPS, TLS_EXT_EC_POINT_FORMATS, TLS_EXT_SESSION_TICKET, TLS_EXT_ALPN,
  TLS_EXT_STATUS_REQUEST, TLS_EXT_SIGNATURE_ALGORITHMS, TLS_EXT_SCT, TLS_EXT_KEY_SHARE,
  TLS_EXT_PSK_KEY_EXCHANGE_MODES, TLS_EXT_SUPPORTED_VERSIONS, TLS_EXT_COMPRESS_CERTIFICATE,
  TLS_EXT_RECORD_SIZE_LIMIT, GREASE_B,
];

const CIPHER_SUITES = [GREASE_A, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
const SIGNATURE_ALGORITHMS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

function u16List(values: readonly number[]): Uint8Array {
  const w = new ByteWriter().u16(values.length * 2);
  for (const v of values) w.u16(v);
  return w.toBytes();
}

function extensionBodies(spec: ClientHelloSpec): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  const shares = spec.keyShareGroups ?? [TLS_GROUP_X25519MLKEM768, TLS_GROUP_X25519];
  m.set(GREASE_A, new Uint8Array(0));
  if (spec.serverName !== null) {
    // RFC 6066 §3: ServerNameList { NameType host_name(0); opaque HostName<1..2^16-1> }.
    const name = new TextEncoder().encode(spec.serverName);
    m.set(TLS_EXT_SERVER_NAME, new ByteWriter().u16(name.length + 3).u8(0).u16(name.length).bytes(name).toBytes());
  }
  m.set(TLS_EXT_EXTENDED_MASTER_SECRET, new Uint8Array(0));
  m.set(TLS_EXT_RENEGOTIATION_INFO, Uint8Array.of(0));
  m.set(TLS_EXT_SUPPORTED_GROUPS, u16List([GREASE_B, ...shares.filter((g) => g !== TLS_GROUP_SECP256R1), TLS_GROUP_SECP256R1, TLS_GROUP_SECP384R1]));
  m.set(TLS_EXT_EC_POINT_FORMATS, Uint8Array.of(1, 0));
  m.set(TLS_EXT_SESSION_TICKET, new Uint8Array(0));
  if (spec.alpn && spec.alpn.length > 0) {
    const list = new ByteWriter();
    for (const p of spec.alpn) list.u8(p.length).ascii(p);
    const body = list.toBytes();
    m.set(TLS_EXT_ALPN, concat([new ByteWriter().u16(body.length).toBytes(), body]));
  }
  m.set(TLS_EXT_STATUS_REQUEST, Uint8Array.of(1, 0, 0, 0, 0));
  m.set(TLS_EXT_SIGNATURE_ALGORITHMS, u16List(SIGNATURE_ALGORITHMS));
  m.set(TLS_EXT_SCT, new Uint8Array(0));
  // RFC 8446 §4.2.8: KeyShareClientHello { KeyShareEntry client_shares<0..2^16-1> }.
  const ks = new ByteWriter();
  ks.u16(GREASE_B).u16(1).u8(0);
  for (const g of shares) {
    const len = KEY_SHARE_LENGTH[g];
    if (len === undefined) throw new Error(`no key-share size for group ${g}`);
    ks.u16(g).u16(len).bytes(pseudoRandomBytes(`${spec.seed}/key_share/${g}`, len));
  }
  const ksBody = ks.toBytes();
  m.set(TLS_EXT_KEY_SHARE, concat([new ByteWriter().u16(ksBody.length).toBytes(), ksBody]));
  m.set(TLS_EXT_PSK_KEY_EXCHANGE_MODES, Uint8Array.of(1, 1));
  m.set(TLS_EXT_SUPPORTED_VERSIONS, new ByteWriter().u8(6).u16(GREASE_A).u16(0x0304).u16(0x0303).toBytes());
  m.set(TLS_EXT_COMPRESS_CERTIFICATE, Uint8Array.of(2, 0, 2));
  m.set(TLS_EXT_RECORD_SIZE_LIMIT, Uint8Array.of(0x40, 0x01));
  m.set(GREASE_B, Uint8Array.of(0));
  return m;
}

/**
 * TLS 1.3-style ClientHello (RFC 8446 §4.1.2) in one handshake record with legacy record
 * version 0x0301. With the default key shares (X25519MLKEM768 + X25519) it is ~1.6 KB;
 * `recordLength` pads it (RFC 7685) to the size a given browser sends.
 */
export function tlsClientHello(spec: ClientHelloSpec): BuiltClientHello {
  const bodies = extensionBodies(spec);
  // server_name and ALPN are left out when not requested; any other unknown type throws in build().
  const order = (spec.extensionOrder ?? CHROME_EXTENSION_ORDER).filter((t) => bodies.has(t) || (t !== TLS_EXT_SERVER_NAME && t !== TLS_EXT_ALPN));
  const build = (paddingLength: number | null): BuiltClientHello => {
    const hello = new ByteWriter().u16(0x0303).bytes(pseudoRandomBytes(`${spec.seed}/random`, 32));
    hello.u8(32).bytes(pseudoRandomBytes(`${spec.seed}/session_id`, 32));
    hello.bytes(u16List(CIPHER_SUITES)).u8(1).u8(0);
    const exts = new ByteWriter();
    const rel = new Map<number, { start: number; end: number }>();
    const list = paddingLength === null ? order : [...order.slice(0, -1), TLS_EXT_PADDING, ...order.slice(-1)];
    for (const type of list) {
      const body = type === TLS_EXT_PADDING ? new Uint8Array(paddingLength ?? 0) : bodies.get(type);
      if (body === undefined) throw new Error(`no body for extension 0x${type.toString(16)}`);
      const start = exts.length;
      exts.u16(type).u16(body.length).bytes(body);
      rel.set(type, { start, end: exts.length });
    }
    const helloBytes = hello.toBytes();
    const extBytes = exts.toBytes();
    const body = concat([helloBytes, new ByteWriter().u16(extBytes.length).toBytes(), extBytes]);
    const record = new ByteWriter().u8(22).u16(0x0301).u16(body.length + 4).u8(1).u24(body.length).bytes(body).toBytes();
    const base = 5 + 4 + helloBytes.length + 2;
    const offsets = new Map<number, { start: number; end: number }>();
    for (const [t, r] of rel) offsets.set(t, { start: base + r.start, end: base + r.end });
    return { record, extensionOffsets: offsets };
  };
  const plain = build(null);
  if (spec.recordLength === undefined) return plain;
  const padding = spec.recordLength - plain.record.length - 4;
  if (padding < 0) throw new Error(`ClientHello is already ${plain.record.length} bytes`);
  return build(padding);
}

/** TLS 1.3 ServerHello record (RFC 8446 §4.1.3) choosing TLS_AES_128_GCM_SHA256 and X25519. */
export function tlsServerHello(seed: string): Uint8Array {
  const ext = new ByteWriter()
    .u16(TLS_EXT_SUPPORTED_VERSIONS).u16(2).u16(0x0304)
    .u16(TLS_EXT_KEY_SHARE).u16(36).u16(TLS_GROUP_X25519).u16(32).bytes(pseudoRandomBytes(`${seed}/server_share`, 32))
    .toBytes();
  const body = new ByteWriter().u16(0x0303).bytes(pseudoRandomBytes(`${seed}/server_random`, 32))
    .u8(32).bytes(pseudoRandomBytes(`${seed}/session_id`, 32)).u16(0x1301).u8(0).u16(ext.length).bytes(ext).toBytes();
  return new ByteWriter().u8(22).u16(0x0303).u16(body.length + 4).u8(2).u24(body.length).bytes(body).toBytes();
}

/** The middlebox-compatibility ChangeCipherSpec record (RFC 8446 §D.4). */
export function tlsChangeCipherSpec(): Uint8Array {
  return Uint8Array.of(20, 3, 3, 0, 1, 1);
}

/** An application_data record (type 23) holding `length` bytes of stand-in ciphertext. */
export function tlsApplicationData(seed: string, length: number): Uint8Array {
  return new ByteWriter().u8(23).u16(0x0303).u16(length).bytes(pseudoRandomBytes(seed, length)).toBytes();
}

/** A server's first flight: ServerHello, CCS, then encrypted EE/Certificate/CV/Finished of ~`encryptedLength` bytes. */
export function tlsServerFlight(seed: string, encryptedLength: number): Uint8Array {
  return concat([tlsServerHello(seed), tlsChangeCipherSpec(), tlsApplicationData(`${seed}/flight`, encryptedLength)]);
}

/** A client's second flight: CCS and an encrypted Finished. */
export function tlsClientFinished(seed: string): Uint8Array {
  return concat([tlsChangeCipherSpec(), tlsApplicationData(`${seed}/client_finished`, 53)]);
}

// ───────────────────────────── DTLS ─────────────────────────────

/** What a DTLS client's hello looks like (RFC 6347 §4.2.1; RFC 9147 §5.3 for 1.3). */
export interface DtlsHelloSpec {
  seed: string;
  /** SNI host_name; null leaves server_name out (WebRTC peers send none). */
  serverName: string | null;
  /** HelloVerifyRequest cookie echoed by the second hello (RFC 6347 §4.2.1); empty by default. */
  cookie?: Uint8Array;
  /** DTLS 1.3: supported_versions [1.3, 1.2] and key shares (X25519MLKEM768 makes it ~1.3 KB). */
  dtls13?: { keyShareGroups: readonly number[] };
  alpn?: readonly string[];
}

/**
 * A DTLS ClientHello body, without its 12-byte handshake header: legacy_version DTLS 1.2
 * (0xfefd), random, an empty session id, the cookie, then suites, compression and extensions as
 * a CoAP/OpenSSL client sends them.
 */
export function dtlsClientHelloBody(spec: DtlsHelloSpec): Uint8Array {
  const cookie = spec.cookie ?? new Uint8Array(0);
  const w = new ByteWriter().u16(0xfefd).bytes(pseudoRandomBytes(`${spec.seed}/random`, 32)).u8(0).u8(cookie.length).bytes(cookie);
  const suites = spec.dtls13 ? [0x1301, 0x1302, 0xc02b, 0xc02f, 0xc0ae] : [0xc02b, 0xc02f, 0xc0ae, 0xc0a8, 0x00ff];
  w.bytes(u16List(suites)).u8(1).u8(0);
  const exts = new ByteWriter();
  const extension = (type: number, body: Uint8Array): void => { exts.u16(type).u16(body.length).bytes(body); };
  if (spec.serverName !== null) {
    const name = new TextEncoder().encode(spec.serverName);
    extension(TLS_EXT_SERVER_NAME, new ByteWriter().u16(name.length + 3).u8(0).u16(name.length).bytes(name).toBytes());
  }
  extension(TLS_EXT_SUPPORTED_GROUPS, u16List(spec.dtls13 ? [...spec.dtls13.keyShareGroups, TLS_GROUP_SECP256R1] : [TLS_GROUP_X25519, TLS_GROUP_SECP256R1]));
  extension(TLS_EXT_EC_POINT_FORMATS, Uint8Array.of(1, 0));
  extension(TLS_EXT_SIGNATURE_ALGORITHMS, u16List([0x0403, 0x0804, 0x0401]));
  if (spec.alpn && spec.alpn.length > 0) {
    const list = new ByteWriter();
    for (const p of spec.alpn) list.u8(p.length).ascii(p);
    const body = list.toBytes();
    extension(TLS_EXT_ALPN, concat([new ByteWriter().u16(body.length).toBytes(), body]));
  }
  extension(TLS_EXT_EXTENDED_MASTER_SECRET, new Uint8Array(0));
  if (spec.dtls13) {
    extension(TLS_EXT_SUPPORTED_VERSIONS, Uint8Array.of(4, 0xfe, 0xfc, 0xfe, 0xfd));
    const ks = new ByteWriter();
    for (const g of spec.dtls13.keyShareGroups) {
      const len = KEY_SHARE_LENGTH[g];
      if (len === undefined) throw new Error(`no key-share size for group ${g}`);
      ks.u16(g).u16(len).bytes(pseudoRandomBytes(`${spec.seed}/key_share/${g}`, len));
    }
    const ksBody = ks.toBytes();
    extension(TLS_EXT_KEY_SHARE, concat([new ByteWriter().u16(ksBody.length).toBytes(), ksBody]));
  }
  const extBytes = exts.toBytes();
  return concat([w.toBytes(), new ByteWriter().u16(extBytes.length).toBytes(), extBytes]);
}

/**
 * The datagrams that carry one DTLS handshake message of type `msgType` (1: ClientHello, 3:
 * HelloVerifyRequest) cut into fragments of at most `fragment` body bytes (RFC 6347 §4.2.3),
 * each in its own epoch-0 record and datagram. `recordSeq` numbers the records from there.
 */
export function dtlsHandshakeDatagrams(
  msgType: number, body: Uint8Array, opts: { messageSeq: number; recordSeq: number; fragment?: number; recordVersion?: number },
): Uint8Array[] {
  const size = opts.fragment ?? body.length;
  const out: Uint8Array[] = [];
  for (let off = 0, n = 0; off < body.length || (off === 0 && body.length === 0); off += size, n++) {
    const piece = body.subarray(off, Math.min(body.length, off + size));
    const hs = new ByteWriter().u8(msgType).u24(body.length).u16(opts.messageSeq).u24(off).u24(piece.length).bytes(piece).toBytes();
    const seq = opts.recordSeq + n;
    out.push(new ByteWriter().u8(22).u16(opts.recordVersion ?? 0xfefd).u16(0).u16(Math.floor(seq / 2 ** 32)).u32(seq >>> 0).u16(hs.length).bytes(hs).toBytes());
    if (body.length === 0) break;
  }
  return out;
}

/** A HelloVerifyRequest body (RFC 6347 §4.2.1): server_version and the cookie to echo. */
export function dtlsHelloVerifyRequest(cookie: Uint8Array): Uint8Array {
  return new ByteWriter().u16(0xfefd).u8(cookie.length).bytes(cookie).toBytes();
}

// ───────────────────────────── VPN tunnels ─────────────────────────────

/** WireGuard message of `type` (whitepaper §5.4): 1 initiation (148 bytes), 2 response (92), 4 transport data (16-byte header + `dataLength`). */
export function wireguardMessage(type: 1 | 2 | 4, seed: string, dataLength = 0): Uint8Array {
  const size = type === 1 ? 148 : type === 2 ? 92 : 16 + dataLength;
  if (type === 4 && (dataLength < 16 || dataLength % 16 !== 0)) throw new Error('transport data is whole 16-byte blocks plus a tag');
  return concat([Uint8Array.of(type, 0, 0, 0), pseudoRandomBytes(`${seed}/wg${type}`, size - 4)]);
}

/**
 * An IKE message (RFC 7296 §3.1): initiator SPI, responder SPI (zero in the first IKE_SA_INIT),
 * next payload, version (0x20 for IKEv2, 0x10 for IKEv1), exchange type, flags, message id, the
 * length, then `bodyLength` bytes of payloads (pseudo-random: never parsed). `nonEspMarker`
 * puts the 4 zero bytes of UDP encapsulation (RFC 3948 §2.2) first.
 */
export function ikeMessage(o: { seed: string; version: 0x20 | 0x10; exchange: number; responderSpi: boolean; flags: number; messageId: number; bodyLength: number; nonEspMarker?: boolean }): Uint8Array {
  const total = 28 + o.bodyLength;
  const w = new ByteWriter().bytes(pseudoRandomBytes(`${o.seed}/ispi`, 8)).bytes(o.responderSpi ? pseudoRandomBytes(`${o.seed}/rspi`, 8) : new Uint8Array(8));
  w.u8(o.version === 0x20 ? 33 : 1).u8(o.version).u8(o.exchange).u8(o.flags).u32(o.messageId).u32(total);
  w.bytes(pseudoRandomBytes(`${o.seed}/body/${o.exchange}/${o.messageId}/${o.flags}`, o.bodyLength));
  return o.nonEspMarker ? concat([new Uint8Array(4), w.toBytes()]) : w.toBytes();
}

/**
 * OpenVPN's P_CONTROL_HARD_RESET_CLIENT_V2 (opcode 7, key id 0) or the server's _V2 (8): the
 * session id, with `tlsAuthHmac` bytes of tls-auth HMAC plus its replay id and time when given,
 * an ACK array (empty from the client; the server's acknowledges packet 0 of `ackSession`), and
 * message packet id 0. Over TCP, `tcp` puts the 2-byte packet length first.
 */
export function openvpnHardReset(o: { seed: string; server: boolean; tlsAuthHmac?: number; ackSession?: Uint8Array; tcp?: boolean }): Uint8Array {
  const w = new ByteWriter().u8((o.server ? 8 : 7) << 3).bytes(pseudoRandomBytes(`${o.seed}/sid/${o.server}`, 8));
  if (o.tlsAuthHmac) w.bytes(pseudoRandomBytes(`${o.seed}/hmac/${o.server}`, o.tlsAuthHmac)).u32(1).u32(1_717_243_200);
  if (o.ackSession) w.u8(1).u32(0).bytes(o.ackSession);
  else w.u8(0);
  w.u32(0);
  const packet = w.toBytes();
  return o.tcp ? concat([new ByteWriter().u16(packet.length).toBytes(), packet]) : packet;
}

// ───────────────────────────── HTTP, NTP, libp2p ─────────────────────────────

/** An HTTP/1.x request head (RFC 9112 §3) plus optional body; headers are written in the given order and case. */
export function httpRequest(method: string, target: string, headers: ReadonlyArray<readonly [string, string]>, body = '', version = 'HTTP/1.1'): Uint8Array {
  const head = [`${method} ${target} ${version}`, ...headers.map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  return new TextEncoder().encode(head + body);
}

/** An HTTP/1.x response with Content-Length set from the body. */
export function httpResponse(status: number, reason: string, headers: ReadonlyArray<readonly [string, string]>, body: string): Uint8Array {
  const all = [...headers, ['Content-Length', String(Buffer.byteLength(body))] as const];
  const head = [`HTTP/1.1 ${status} ${reason}`, ...all.map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  return new TextEncoder().encode(head + body);
}

/** Seconds between the NTP era 0 epoch (1900) and the Unix epoch (RFC 5905 §6). */
const NTP_UNIX_OFFSET = 2208988800n;

function ntpTimestamp(w: ByteWriter, ns: bigint): void {
  const sec = ns / 1_000_000_000n + NTP_UNIX_OFFSET;
  const frac = ((ns % 1_000_000_000n) << 32n) / 1_000_000_000n;
  w.u32(Number(sec & 0xffffffffn)).u32(Number(frac));
}

/** NTPv4 client request (mode 3) as chrony sends it: only the transmit timestamp set (RFC 5905 §7.3). */
export function ntpClientRequest(transmitNs: bigint): Uint8Array {
  const w = new ByteWriter().u8(0x23).u8(0).u8(6).u8(0xe9).u32(0).u32(0).u32(0);
  for (let i = 0; i < 3; i++) w.u32(0).u32(0);
  ntpTimestamp(w, transmitNs);
  return w.toBytes();
}

/** NTPv4 server reply (mode 4, stratum 2) echoing the client's transmit time as origin. */
export function ntpServerReply(originNs: bigint, receiveNs: bigint, transmitNs: bigint): Uint8Array {
  const w = new ByteWriter().u8(0x24).u8(2).u8(6).u8(0xe9).u32(0x00000a00).u32(0x00001200).bytes(Uint8Array.of(203, 0, 113, 1));
  ntpTimestamp(w, receiveNs - 16_000_000_000n);
  ntpTimestamp(w, originNs);
  ntpTimestamp(w, receiveNs);
  ntpTimestamp(w, transmitNs);
  return w.toBytes();
}

/** One multistream-select 1.0 message: uvarint length, protocol id, newline (libp2p specs, connections). */
export function multistreamMessage(protocol: string): Uint8Array {
  const text = new TextEncoder().encode(`${protocol}\n`);
  if (text.length > 127) throw new Error('protocol id too long for a one-byte varint');
  return concat([Uint8Array.of(text.length), text]);
}
