/**
 * Content probes for protocols that carry no name but that a device's documentation lists and
 * a rule can name by `app`: DHCP (RFC 2131), DHCPv6 (RFC 8415), STUN (RFC 8489), MQTT
 * (v3.1, v3.1.1, v5.0), CoAP (RFC 7252, the web protocol of constrained devices), NetBIOS name
 * service (RFC 1002, on 137: DNS-shaped, so it must not pass for DNS), and the VPN tunnels WireGuard, IKE (IPsec) and OpenVPN. Each recognises the first message of a flow from its fixed fields
 * (magic cookies, version bytes, lengths that must agree with the datagram), strictly enough that
 * other traffic does not pass: a false `app` would make the policy report a protocol mismatch
 * that is not there.
 *
 * Reads only inside [off, off + len), allocates nothing, never throws.
 */
import { u32be } from '../decode/bytes';

/** RFC 2131 §3: the options field starts with the magic cookie 99.130.83.99 after 236 bytes of fixed fields. */
const DHCP_COOKIE_OFFSET = 236;
const DHCP_COOKIE = 0x63825363;
/** BOOTREQUEST, BOOTREPLY (RFC 951). */
const BOOTP_OP_REQUEST = 1;
const BOOTP_OP_REPLY = 2;

/** A DHCP (or BOOTP with DHCP's magic cookie) message: op 1 or 2, a hardware address length that fits, the cookie. */
export function probeDhcp(buf: Uint8Array, off: number, len: number): boolean {
  if (len < DHCP_COOKIE_OFFSET + 4 || off < 0 || off + len > buf.length) return false;
  const op = buf[off];
  if (op !== BOOTP_OP_REQUEST && op !== BOOTP_OP_REPLY) return false;
  if (buf[off + 2] > 16) return false; // hlen: chaddr is 16 bytes
  return u32be(buf, off + DHCP_COOKIE_OFFSET) === DHCP_COOKIE;
}

/** DHCPv6 message types a client or relay sends first (RFC 8415 §7.3: SOLICIT .. RELAY-FORW, plus 14+ of later RFCs are left out). */
const DHCPV6_SOLICIT = 1;
const DHCPV6_RELAY_REPL = 13;

/**
 * A DHCPv6 message on its ports (546/547): a known message type and options that account for
 * the datagram exactly (each option: 16-bit code, 16-bit length, RFC 8415 §21.1). Relay messages
 * (12, 13) have a 34-byte header before their options.
 */
export function probeDhcpv6(buf: Uint8Array, off: number, len: number): boolean {
  if (len < 4 || off < 0 || off + len > buf.length) return false;
  const type = buf[off];
  if (type < DHCPV6_SOLICIT || type > DHCPV6_RELAY_REPL) return false;
  let p = off + (type >= 12 ? 34 : 4);
  const end = off + len;
  if (p > end) return false;
  let options = 0;
  while (p < end) {
    if (p + 4 > end || options >= 64) return false;
    const n = (buf[p + 2] << 8) | buf[p + 3];
    p += 4 + n;
    options++;
  }
  return p === end && options > 0;
}

/** RFC 8489 §5: the magic cookie in bytes 4–7 of every STUN message. */
const STUN_MAGIC_COOKIE = 0x2112a442;
const STUN_HEADER_LENGTH = 20;

/**
 * A STUN message (RFC 8489 §5): the first two bits zero, a Message Length that is a multiple of
 * 4 and equals the datagram's rest, and the magic cookie. (RFC 3489's classic STUN, without the
 * cookie, is not recognised: it has nothing strict enough to check.)
 */
export function probeStun(buf: Uint8Array, off: number, len: number): boolean {
  if (len < STUN_HEADER_LENGTH || off < 0 || off + len > buf.length) return false;
  if ((buf[off] & 0xc0) !== 0) return false;
  const n = (buf[off + 2] << 8) | buf[off + 3];
  return (n & 3) === 0 && n === len - STUN_HEADER_LENGTH && u32be(buf, off + 4) === STUN_MAGIC_COOKIE;
}

/** RFC 7252 §3: a 4-byte header (version 1, type, token length, code, message id), the token, options, then 0xff and the payload. */
const COAP_HEADER_LENGTH = 4;
const COAP_MAX_TOKEN = 8;
const COAP_PAYLOAD_MARKER = 0xff;
/** Options walked at most (a real message has a handful: Uri-Host, Uri-Path segments, Content-Format, ...). */
const COAP_MAX_OPTIONS = 64;

/**
 * A CoAP message over UDP (RFC 7252 §3): version 1; a token of at most 8 bytes; a code that is
 * empty (0.00, then nothing may follow: a ping or reset), a request (0.01–0.31), or a response
 * (2.xx, 4.xx, 5.xx); then options whose delta and length nibbles are never 15 except in the
 * payload marker, each inside the datagram, and a payload marker followed by at least one byte.
 */
export function probeCoap(buf: Uint8Array, off: number, len: number): boolean {
  if (len < COAP_HEADER_LENGTH || off < 0 || off + len > buf.length) return false;
  const b0 = buf[off];
  const tkl = b0 & 0x0f;
  if (b0 >> 6 !== 1 || tkl > COAP_MAX_TOKEN) return false;
  const code = buf[off + 1];
  const cls = code >> 5;
  if (code === 0) return tkl === 0 && len === COAP_HEADER_LENGTH;
  if (!(cls === 0 || cls === 2 || cls === 4 || cls === 5)) return false;
  const end = off + len;
  let p = off + COAP_HEADER_LENGTH + tkl;
  if (p > end) return false;
  for (let n = 0; p < end; n++) {
    if (n === COAP_MAX_OPTIONS) return false;
    const h = buf[p++];
    if (h === COAP_PAYLOAD_MARKER) return p < end; // §3: a marker followed by a zero-length payload is a format error
    const delta = h >> 4;
    let length = h & 0x0f;
    if (delta === 15 || length === 15) return false;
    // §3.1: a nibble of 13 is extended by one byte (value - 13), 14 by two (value - 269). Only
    // the option's length matters here; the delta's extension is skipped.
    p += delta === 13 ? 1 : delta === 14 ? 2 : 0;
    if (length === 13) {
      if (p >= end) return false;
      length = buf[p++] + 13;
    } else if (length === 14) {
      if (p + 2 > end) return false;
      length = ((buf[p] << 8) | buf[p + 1]) + 269;
      p += 2;
    }
    if (p + length > end) return false;
    p += length;
  }
  return true;
}

/** RFC 1002 §4.1: a NetBIOS name is 16 bytes, each encoded as two letters 'A'..'P' (first-level encoding). */
const NBNS_ENCODED_NAME_LENGTH = 32;
const NBNS_HEADER_LENGTH = 12;
/** RR types NB (general name service) and NBSTAT (node status), class IN (RFC 1002 §4.2.1.3). */
const NBNS_TYPE_NB = 0x0020;
const NBNS_TYPE_NBSTAT = 0x0021;
/** Scope labels walked at most after the encoded name (a scope is rarely more than a domain). */
const NBNS_MAX_SCOPE_LABELS = 16;

/**
 * A NetBIOS name service message (RFC 1002 §4.2, UDP 137): it borrows DNS's header and record
 * layout, so the DNS probe alone would take its queries for DNS on a non-DNS port (names like
 * `fhepfcelehfcepfffacacacacacacabl`, and a false protocol-mismatch). What tells it apart is
 * its first name: a 32-byte label of letters 'A'..'P' (a first-level encoded NetBIOS name),
 * then a scope ending in the root, RR type NB or NBSTAT and class IN; and an opcode NetBIOS
 * defines (query, registration, release, WACK, refresh).
 */
export function probeNbns(buf: Uint8Array, off: number, len: number): boolean {
  if (len < NBNS_HEADER_LENGTH + 1 + NBNS_ENCODED_NAME_LENGTH + 1 + 4 || off < 0 || off + len > buf.length) return false;
  const opcode = (buf[off + 2] >> 3) & 0x0f;
  if (!(opcode === 0 || (opcode >= 5 && opcode <= 9))) return false;
  if (((buf[off + 4] << 8) | buf[off + 5]) + ((buf[off + 6] << 8) | buf[off + 7]) === 0) return false; // a question or an answer
  let p = off + NBNS_HEADER_LENGTH;
  if (buf[p++] !== NBNS_ENCODED_NAME_LENGTH) return false;
  for (let i = 0; i < NBNS_ENCODED_NAME_LENGTH; i++, p++) {
    if (buf[p] < 0x41 || buf[p] > 0x50) return false;
  }
  const end = off + len;
  for (let n = 0; ; n++) {
    if (p >= end || n > NBNS_MAX_SCOPE_LABELS) return false;
    const l = buf[p++];
    if (l === 0) break;
    if (l > 63) return false;
    p += l;
  }
  if (p + 4 > end) return false;
  const type = (buf[p] << 8) | buf[p + 1];
  return (type === NBNS_TYPE_NB || type === NBNS_TYPE_NBSTAT) && buf[p + 2] === 0 && buf[p + 3] === 1;
}

/** MQTT control packet type CONNECT, flags 0 (v3.1.1 §3.1.1, v5.0 §3.1.1). */
const MQTT_CONNECT = 0x10;

/**
 * An MQTT CONNECT at the start of a client stream: fixed header 0x10, a Remaining Length
 * (variable-byte integer, at most 4 bytes), then the protocol name "MQTT" with level 4 or 5, or
 * "MQIsdp" with level 3. Returns 'yes', 'no', or 'more' when the bytes so far agree but are too
 * few to say.
 */
export function probeMqttConnect(buf: Uint8Array, off: number, len: number): 'yes' | 'no' | 'more' {
  if (len <= 0 || off < 0 || off + len > buf.length) return 'no';
  if (buf[off] !== MQTT_CONNECT) return 'no';
  let p = off + 1;
  const end = off + len;
  let remaining = 0;
  for (let i = 0; ; i++) {
    if (i === 4) return 'no';
    if (p >= end) return 'more';
    const b = buf[p++];
    remaining += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) break;
  }
  // Protocol name (2-byte length + bytes), level, flags, keep-alive: at least 10 bytes.
  if (remaining < 10) return 'no';
  const name = p;
  for (const [proto, levels] of MQTT_NAMES) {
    let match = true;
    for (let i = 0; i < proto.length && match; i++) {
      if (name + i >= end) return prefixAgrees(buf, name, end) ? 'more' : 'no';
      match = buf[name + i] === proto[i];
    }
    if (!match) continue;
    const level = name + proto.length;
    if (level >= end) return 'more';
    return levels.includes(buf[level]) ? 'yes' : 'no';
  }
  return 'no';
}

/** Protocol name fields with their length prefix, and the protocol levels each allows. */
const MQTT_NAMES: ReadonlyArray<readonly [Uint8Array, readonly number[]]> = [
  [Uint8Array.of(0, 4, 0x4d, 0x51, 0x54, 0x54), [4, 5]], // "MQTT": 3.1.1, 5.0
  [Uint8Array.of(0, 6, 0x4d, 0x51, 0x49, 0x73, 0x64, 0x70), [3]], // "MQIsdp": 3.1
];

/** True when buf[p, end) is a prefix of one of the protocol name fields. */
function prefixAgrees(buf: Uint8Array, p: number, end: number): boolean {
  return MQTT_NAMES.some(([proto]) => {
    for (let i = 0; p + i < end; i++) if (i >= proto.length || buf[p + i] !== proto[i]) return false;
    return true;
  });
}

// ─── VPN tunnels: a device that opens one sends everything else where the audit cannot see ───

/** WireGuard message sizes (whitepaper §5.4.2–5.4.7): initiation, response, cookie reply. */
const WG_INITIATION = 148;
const WG_RESPONSE = 92;
const WG_COOKIE_REPLY = 64;
/** Transport data: 16-byte header, then the encrypted packet padded to 16 plus a 16-byte tag. */
const WG_DATA_MIN = 32;

/**
 * A WireGuard message (whitepaper §5.4): type 1–4 in the first byte, three reserved zero bytes,
 * and the exact size of its type (types 1–3), or for transport data (type 4) a size of the
 * header, a tag and whole 16-byte blocks — the checks of tshark's WireGuard heuristic.
 */
export function probeWireGuard(buf: Uint8Array, off: number, len: number): boolean {
  if (len < WG_DATA_MIN || off < 0 || off + len > buf.length) return false;
  if (buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) return false;
  switch (buf[off]) {
    case 1: return len === WG_INITIATION;
    case 2: return len === WG_RESPONSE;
    case 3: return len === WG_COOKIE_REPLY;
    case 4: return (len - 16) % 16 === 0;
    default: return false;
  }
}

/** IKE header (RFC 7296 §3.1; IKEv1: RFC 2408 §3.1): two 8-byte SPIs, next payload, version, exchange type, flags, message id, length. */
const IKE_HEADER_LENGTH = 28;
/** IKEv2 exchange types (RFC 7296 §3.1: IKE_SA_INIT 34 … INFORMATIONAL 37; RFC 5723: IKE_SESSION_RESUME 38; RFC 9242: IKE_INTERMEDIATE 43; RFC 9370: IKE_FOLLOWUP_KE 44). */
function isIkev2Exchange(t: number): boolean {
  return (t >= 34 && t <= 38) || t === 43 || t === 44;
}
/** IKEv1 exchange types (RFC 2408 §4.1: base 1, identity protection 2, authentication only 3, aggressive 4, informational 5; RFC 2409: quick mode 32, new group 33). */
function isIkev1Exchange(t: number): boolean {
  return (t >= 1 && t <= 5) || t === 32 || t === 33;
}

/**
 * An IKE message (IPsec's key exchange), also behind the 4-byte non-ESP marker of UDP
 * encapsulation (RFC 3948 §2.2, port 4500): version 2.0 or 1.0, an exchange type of that version,
 * a non-zero initiator SPI, and a Length that is exactly the message's.
 */
export function probeIke(buf: Uint8Array, off: number, len: number): boolean {
  if (off < 0 || len < IKE_HEADER_LENGTH || off + len > buf.length) return false;
  let p = off;
  let n = len;
  if (n >= IKE_HEADER_LENGTH + 4 && u32be(buf, p) === 0) { p += 4; n -= 4; }
  if (u32be(buf, p) === 0 && u32be(buf, p + 4) === 0) return false; // the initiator's SPI is never zero
  if (u32be(buf, p + 24) !== n) return false;
  const version = buf[p + 17];
  const exchange = buf[p + 18];
  return (version === 0x20 && isIkev2Exchange(exchange)) || (version === 0x10 && isIkev1Exchange(exchange));
}

/** OpenVPN's first client packet: P_CONTROL_HARD_RESET_CLIENT_V2 (7) or _V3 (10, tls-crypt-v2), key id 0, in the opcode byte's top five bits. */
const OPENVPN_HARD_RESET_CLIENT_V2 = 7 << 3;
const OPENVPN_HARD_RESET_CLIENT_V3 = 10 << 3;
/** Opcode, session id (8), an empty ACK array (1) and a message packet id (4): the smallest hard reset, without tls-auth. */
const OPENVPN_RESET_MIN = 14;
/**
 * Sizes of a hard reset that carries no payload: bare (14), and with tls-auth's HMAC (SHA-1,
 * SHA-256, SHA-512) plus its replay packet id and time (8): 42, 54, 86. OpenVPN 2.6 sends the
 * bare 14 bytes over UDP and 2 + 42 over TCP with tls-auth (measured here).
 */
function isPlainResetSize(n: number): boolean {
  return n === OPENVPN_RESET_MIN || n === 42 || n === 54 || n === 86;
}

/**
 * The client's hard reset that opens an OpenVPN session, in a UDP datagram or, over TCP, behind
 * its 2-byte packet length (which must then be the segment's rest). Only an opcode and a session
 * id are always in the clear, so on OpenVPN's own port (1194, `onPort`) that is enough; on any
 * other port (OpenVPN on 443 is the usual way round a firewall) the reset must also be one that
 * carries no payload: a size listed above and its empty ACK array and message packet id 0 as its
 * last five bytes. tls-crypt, which encrypts those, is recognised on 1194 only.
 */
export function probeOpenVpnReset(buf: Uint8Array, off: number, len: number, tcp: boolean, onPort: boolean): boolean {
  if (off < 0 || len < 1 || off + len > buf.length) return false;
  let p = off;
  let n = len;
  if (tcp) {
    if (n < 2 || ((buf[p] << 8) | buf[p + 1]) !== n - 2) return false;
    p += 2;
    n -= 2;
  }
  const op = buf[p];
  if (n < OPENVPN_RESET_MIN || (op !== OPENVPN_HARD_RESET_CLIENT_V2 && op !== OPENVPN_HARD_RESET_CLIENT_V3)) return false;
  if (onPort) return true;
  if (!isPlainResetSize(n)) return false;
  const end = p + n;
  return buf[end - 5] === 0 && u32be(buf, end - 4) === 0;
}
