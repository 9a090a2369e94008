/**
 * A strict content probe for a DNS query in a UDP datagram on a port that is not a DNS port
 * (plain DNS hidden on 5300, 8053, DNSCrypt's certificate queries on 443, ...): only a
 * standard query with one well-formed question and no answer or authority records passes.
 * Runs on the first client datagram of an otherwise unidentified UDP flow, once per flow.
 * Reads only inside [off, off + len), allocates nothing and never throws.
 *
 * Why so strict: any 12+ bytes parse as *some* DNS header, and a false "dns" would tell an
 * auditor a protocol was moved to another port when it was not.
 */
import { u16be } from '../decode/bytes';
import { utf8SequenceLength } from './utf8';

/** Header (12) + root question (1 + 4). */
const MIN_QUERY_LENGTH = 17;
/** RFC 1035 §2.3.4: 255 octets on the wire at most. */
const MAX_NAME_WIRE_LENGTH = 255;
/** RFC 1035 §2.3.4: labels are 63 octets at most. */
const MAX_LABEL_LENGTH = 63;
/** Additional records a query may declare (tshark's DNS heuristic on UDP takes at most 10). */
const MAX_ADDITIONAL = 10;

/** The classes a query can carry (RFC 1035 §3.2.4–5, RFC 2136 §1.3): IN, CH (version.bind), HS, NONE, ANY. */
const CLASS_IN = 1;
const CLASS_CH = 3;
const CLASS_HS = 4;
const CLASS_NONE = 254;
const CLASS_ANY = 255;

/**
 * True when the label bytes [s, e) are text: printable ASCII, spaces, and well-formed UTF-8
 * (DNS-SD instance names, RFC 6763 §4.1.1: "Living Room._airplay._tcp"; RFC 6762 §16). Control
 * bytes and stray or overlong UTF-8 sequences are not: random binary payloads carry them.
 */
function textLabel(buf: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e) {
    const c = buf[i];
    if (c >= 0x20 && c <= 0x7e) { i++; continue; }
    const n = utf8SequenceLength(buf, i, e);
    if (n === 0) return false;
    i += n;
  }
  return true;
}

/**
 * True when buf[off, off+len) starts a standard DNS query (RFC 1035 §4.1): QR = 0, OPCODE 0,
 * RCODE 0, QDCOUNT 1, ANCOUNT = NSCOUNT = 0, ARCOUNT ≤ 10, and an uncompressed question name
 * of text labels (printable ASCII, spaces, UTF-8) with a non-zero QTYPE and a query class.
 * tshark's DNS heuristic checks only the header; the question is checked here as well, since a
 * false "dns" would tell an auditor a protocol was moved to another port when it was not.
 */
export function probeDnsQuery(buf: Uint8Array, off: number, len: number): boolean {
  if (len < MIN_QUERY_LENGTH || off < 0 || off + len > buf.length) return false;
  const flags = u16be(buf, off + 2);
  if ((flags & 0x8000) !== 0 || (flags & 0x7800) !== 0 || (flags & 0x000f) !== 0) return false;
  if (u16be(buf, off + 4) !== 1 || u16be(buf, off + 6) !== 0 || u16be(buf, off + 8) !== 0) return false;
  if (u16be(buf, off + 10) > MAX_ADDITIONAL) return false;
  const end = off + len;
  let p = off + 12;
  let wire = 0;
  for (;;) {
    if (p >= end) return false;
    const l = buf[p];
    if (l === 0) { p++; wire++; break; }
    if (l > MAX_LABEL_LENGTH) return false; // also rejects compression pointers: a query has nothing to point at
    wire += l + 1;
    if (wire > MAX_NAME_WIRE_LENGTH || p + 1 + l > end) return false;
    if (!textLabel(buf, p + 1, p + 1 + l)) return false;
    p += l + 1;
  }
  if (p + 4 > end) return false;
  const qtype = u16be(buf, p);
  // The top bit is mDNS's unicast-response bit (RFC 6762 §5.4), set by DNS-SD stacks on other ports too.
  const qclass = u16be(buf, p + 2) & 0x7fff;
  if (qtype === 0 || (qclass !== CLASS_IN && qclass !== CLASS_CH && qclass !== CLASS_HS && qclass !== CLASS_NONE && qclass !== CLASS_ANY)) return false;
  p += 4;
  // What follows the question is not read: additional records (an EDNS OPT, or DNSCrypt v1's
  // certificate queries' odd record) and padding (those queries are padded with zeros to 512
  // bytes). tshark's DNS heuristic on UDP takes such messages too; the header counts and a
  // question of printable labels with class IN or ANY are what make it DNS.
  return true;
}
