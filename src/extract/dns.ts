/**
 * DNS message parser (RFC 1035 §4.1; also mDNS, RFC 6762, and LLMNR, RFC 4795, which share the
 * format). Per packet on the hot path: header + questions with a hand-written parser; on the
 * rich path (responses whose answers the caller wants) the answer section, using dns-packet
 * for the rich record types. Emits neutral facts (names, types, addresses) for attribution.
 * Must never throw on packet bytes, never loop, and never allocate in proportion to a count
 * field: every problem becomes a counted anomaly (src/anomalies.ts) and a shorter result.
 *
 * Why hand-written: on the 116 UDP DNS payloads of the shared corpus (Node 20, warm cache), the
 * questions-only parse takes ~260 ns/message against ~5,400 ns for dnsPacket.decode (~20x);
 * with answers ~1,500 ns, so dns-packet is kept to the record types that need its codecs.
 */
import { u32be } from '../decode/bytes';
import * as dnsPacket from 'dns-packet';
import { A, AnomalyCounters } from '../anomalies';
import { DnsNameReader } from './dns-name';
import { formatGenericRdata, formatRichAnswer, formatSvcb } from './dns-rdata';
import { AddrTextCache } from '../net/addr';
import { DNS_HEADER_LENGTH } from './dns-tcp';

export { DnsNameReader, DNS_MAX_LABEL_LENGTH, DNS_MAX_NAME_WIRE_LENGTH, DNS_MAX_POINTER_JUMPS, DNS_NAME_CACHE_SLOTS } from './dns-name';
export { formatIpv4, formatIpv6, SVC_PARAM_ECH } from './dns-rdata';
export { splitDnsTcpStream, isMdnsPort, isLlmnrPort, MDNS_PORT, LLMNR_PORT, DNS_HEADER_LENGTH } from './dns-tcp';
export type { DnsTcpSplit } from './dns-tcp';

/**
 * Most records read from one section (questions or answers). A real answer set is a few to a
 * few dozen records (round-robin A sets, mDNS announcements); 256 is far above that, while a
 * 64 KiB message could claim ~5,400 minimal records. Beyond it: dns.too_many_records and stop,
 * so per-message work is bounded by what attribution could ever use.
 */
export const DNS_MAX_RECORDS_PER_SECTION = 256;

/** Fixed part of a question after its name: QTYPE, QCLASS (RFC 1035 §4.1.2). */
const QUESTION_FIXED_LENGTH = 4;
/** Fixed part of a resource record after its name: TYPE, CLASS, TTL, RDLENGTH (RFC 1035 §4.1.3). */
const RR_FIXED_LENGTH = 10;
/** Smallest possible resource record: root owner name (1 octet) + fixed part, empty RDATA. */
const RR_MIN_LENGTH = 1 + RR_FIXED_LENGTH;

/** Header flag bits (RFC 1035 §4.1.1; RFC 4035 §3.2 for AD/CD). */
export const DNS_FLAG_QR = 0x8000;
export const DNS_FLAG_AA = 0x0400;
export const DNS_FLAG_TC = 0x0200;
export const DNS_FLAG_RD = 0x0100;
export const DNS_FLAG_RA = 0x0080;
/** LLMNR header bits in the same positions as AA and RD (RFC 4795 §2.1.1): Conflict and Tentative. */
export const LLMNR_FLAG_C = 0x0400;
export const LLMNR_FLAG_T = 0x0100;
/** mDNS: top bit of QCLASS = unicast response wanted; of an RR CLASS = cache flush (RFC 6762 §5.4, §10.2). */
export const MDNS_CLASS_TOP_BIT = 0x8000;

export const DNS_TYPE_A = 1;
export const DNS_TYPE_NS = 2;
export const DNS_TYPE_CNAME = 5;
export const DNS_TYPE_PTR = 12;
export const DNS_TYPE_AAAA = 28;
export const DNS_TYPE_DNAME = 39;
export const DNS_TYPE_SVCB = 64;
export const DNS_TYPE_HTTPS = 65;

/** One entry of the question section (RFC 1035 §4.1.2). */
export interface DnsQuestion {
  /** Lowercase dotted name, no trailing dot, root = "."; odd bytes as \DDD (RFC 4343 §2.1). */
  name: string;
  type: number;
  /** QCLASS as on the wire (mDNS puts the unicast-response bit in the top bit). */
  qclass: number;
}

/** One answer-section resource record (RFC 1035 §4.1.3). */
export interface DnsAnswer {
  /** Owner name, as in DnsQuestion.name. */
  name: string;
  type: number;
  /** CLASS as on the wire (mDNS puts the cache-flush bit in the top bit). */
  class: number;
  /** Unsigned 32-bit TTL in seconds (RFC 2181 §8 says values above 2^31-1 mean 0; kept raw). */
  ttl: number;
  /** A/AAAA: address text (RFC 5952 for IPv6); CNAME/PTR/NS/DNAME: target name; HTTPS/SVCB: "prio target key=value..."; MX/SRV/SOA/TXT/CAA/NAPTR/DS: presentation summary; others and undecodable RDATA: RFC 3597 `\# len hex`. */
  data: string;
  /** HTTPS/SVCB only: an `ech` SvcParam is present. */
  ech?: boolean;
  /** A/AAAA only: the address as four big-endian 32-bit words (IPv4 in the last), so attribution need not parse `data`. */
  addr?: [number, number, number, number];
}

/** A parsed DNS message header plus the sections the caller asked for. */
export interface DnsMessage {
  id: number;
  /** true for a response (QR = 1). */
  response: boolean;
  opcode: number;
  /** Header RCODE (4 bits; the EDNS extended bits are not merged in). */
  rcode: number;
  /** The 16 header flag bits as on the wire (see DNS_FLAG_*, LLMNR_FLAG_*). */
  flags: number;
  /** Counts as claimed by the header (RFC 1035 §4.1.1); what was actually read is below. */
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  questions: DnsQuestion[];
  /** Answer-section records (empty unless answers were requested and the message is a response). */
  answers: DnsAnswer[];
  /** False when a section that was read stopped early on an anomaly (the lists are then partial). */
  complete: boolean;
}

/**
 * Text of A/AAAA answer addresses, remembered: the same few addresses are answered over and over,
 * and one string per address spares the formatting and its garbage (never changes the text).
 */
const answerAddrText = new AddrTextCache();

/** Name reader (and its intern cache) used when the caller does not pass its own. */
const sharedNames = new DnsNameReader();

/**
 * Storage a caller lends parseDnsMessage to fill again on every call: the message, its lists and
 * the question and answer objects (with each answer's address words) are reused, so a message
 * costs no allocation besides the strings it brings. For callers that are done with a message
 * before they parse the next one and keep nothing of it but its strings and numbers (the
 * pipeline: measured ~800 MB of the flow-heavy benchmark's 2.6 GB of garbage). A reused answer
 * always has `ech` and `addr` keys (undefined when absent).
 */
export class DnsMessageStore {
  readonly msg: DnsMessage = {
    id: 0, response: false, opcode: 0, rcode: 0, flags: 0, qdcount: 0, ancount: 0, nscount: 0, arcount: 0,
    questions: [], answers: [], complete: true,
  };
  /** Objects handed out so far, reused in order (at most DNS_MAX_RECORDS_PER_SECTION each). */
  readonly questionPool: DnsQuestion[] = [];
  readonly answerPool: DnsAnswer[] = [];
  readonly addrPool: [number, number, number, number][] = [];
}

/**
 * Parses one DNS message at buf[off, off+len). Returns null (and counts dns.truncated) only
 * when the 12-byte header is incomplete; otherwise returns what could be read, with
 * `complete = false` and an anomaly counted for the first problem in each section.
 * Answers are read only when `wantAnswers` and the message is a response.
 * Strings in the result are interned by `names` (default: a module-wide reader). With `store`,
 * the result is `store.msg`, valid until the next call with the same store.
 */
export function parseDnsMessage(
  buf: Uint8Array, off: number, len: number, anomalies: AnomalyCounters, wantAnswers: boolean,
  names: DnsNameReader = sharedNames, store: DnsMessageStore | null = null,
): DnsMessage | null {
  const end = Math.min(off + Math.max(len, 0), buf.length);
  if (off < 0 || end - off < DNS_HEADER_LENGTH) {
    anomalies.add(A['dns.truncated']);
    return null;
  }
  const flags = (buf[off + 2] << 8) | buf[off + 3];
  let msg: DnsMessage;
  if (store === null) {
    msg = {
      id: 0, response: false, opcode: 0, rcode: 0, flags: 0, qdcount: 0, ancount: 0, nscount: 0, arcount: 0,
      questions: [], answers: [], complete: true,
    };
  } else {
    msg = store.msg;
    msg.questions.length = 0;
    msg.answers.length = 0;
    msg.complete = true;
  }
  msg.id = (buf[off] << 8) | buf[off + 1];
  msg.response = (flags & DNS_FLAG_QR) !== 0;
  msg.opcode = (flags >> 11) & 0xf;
  msg.rcode = flags & 0xf;
  msg.flags = flags;
  msg.qdcount = (buf[off + 4] << 8) | buf[off + 5];
  msg.ancount = (buf[off + 6] << 8) | buf[off + 7];
  msg.nscount = (buf[off + 8] << 8) | buf[off + 9];
  msg.arcount = (buf[off + 10] << 8) | buf[off + 11];
  names.startMessage();
  const p = readQuestions(buf, off, end, msg, anomalies, names, store);
  if (p < 0) msg.complete = false;
  else if (wantAnswers && msg.response && msg.ancount > 0) readAnswers(buf, off, end, p, msg, anomalies, names, store);
  names.endMessage();
  return msg;
}

/**
 * Reads the question section into msg.questions; returns the offset after it, or -1 when the
 * rest of the message cannot be located. A question whose name is bad but whose bytes can be
 * stepped over (a loop, a bad pointer, a name over 255 octets) is left out and reading goes on,
 * so one hostile name cannot hide the rest of the message.
 */
function readQuestions(buf: Uint8Array, base: number, end: number, msg: DnsMessage, anomalies: AnomalyCounters, names: DnsNameReader, store: DnsMessageStore | null): number {
  let p = base + DNS_HEADER_LENGTH;
  // The loop is bounded by the bytes present (each question consumes ≥ 5) and by the cap,
  // never by qdcount alone; nothing is preallocated from the claimed count.
  for (let i = 0; i < msg.qdcount; i++) {
    if (i === DNS_MAX_RECORDS_PER_SECTION) return fail(anomalies, A['dns.too_many_records']);
    const ok = names.read(buf, base, end, p);
    if (!ok) {
      anomalies.add(names.anomaly);
      msg.complete = false;
      if (names.end < 0) return -1;
    }
    p = names.end;
    if (end - p < QUESTION_FIXED_LENGTH) return fail(anomalies, A['dns.truncated']);
    if (ok) {
      const type = (buf[p] << 8) | buf[p + 1];
      const qclass = (buf[p + 2] << 8) | buf[p + 3];
      if (store === null) msg.questions.push({ name: names.name, type, qclass });
      else {
        const k = msg.questions.length;
        const q = store.questionPool[k] ?? (store.questionPool[k] = { name: '', type: 0, qclass: 0 });
        q.name = names.name;
        q.type = type;
        q.qclass = qclass;
        msg.questions.push(q);
      }
    }
    p += QUESTION_FIXED_LENGTH;
  }
  return p;
}

function fail(anomalies: AnomalyCounters, id: number): -1 {
  anomalies.add(id);
  return -1;
}

/** RDATA that dns-packet decodes for us (see formatRichAnswer); the rest is handled here. */
function isRichType(type: number): boolean {
  return type === 6 || type === 15 || type === 16 || type === 33 || type === 35 || type === 43 || type === 257;
}

/**
 * Reads the answer section starting at `p`. Own parser for the framing and for A/AAAA/
 * CNAME/PTR/NS/DNAME/SVCB/HTTPS (names must keep our normalisation; dns-packet decodes labels
 * as UTF-8 and has no SVCB codec); dns-packet, once per message, for the other rich types.
 */
function readAnswers(buf: Uint8Array, base: number, end: number, start: number, msg: DnsMessage, anomalies: AnomalyCounters, names: DnsNameReader, store: DnsMessageStore | null): void {
  let p = start;
  let rich: number[] | null = null; // indices into msg.answers waiting for dns-packet
  let richStarts: number[] | null = null;
  let skipped = 0; // records stepped over because their owner name was bad
  for (let i = 0; i < msg.ancount; i++) {
    if (i === DNS_MAX_RECORDS_PER_SECTION) { fail(anomalies, A['dns.too_many_records']); msg.complete = false; break; }
    const ok = names.read(buf, base, end, p);
    if (!ok) {
      anomalies.add(names.anomaly);
      msg.complete = false;
      if (names.end < 0) break;
    }
    const owner = names.name;
    p = names.end;
    if (end - p < RR_FIXED_LENGTH) { fail(anomalies, A['dns.truncated']); msg.complete = false; break; }
    const type = (buf[p] << 8) | buf[p + 1];
    const rrClass = (buf[p + 2] << 8) | buf[p + 3];
    const ttl = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
    const rdStart = p + RR_FIXED_LENGTH;
    const rdEnd = rdStart + ((buf[p + 8] << 8) | buf[p + 9]);
    if (rdEnd > end) { fail(anomalies, A['dns.truncated']); msg.complete = false; break; }
    p = rdEnd;
    if (!ok) { skipped++; continue; } // owner unreadable: step over the record, keep the others
    const answer = store === null ? { name: owner, type, class: rrClass, ttl, data: '' } : storedAnswer(store, msg.answers.length, owner, type, rrClass, ttl);
    if (isRichType(type)) {
      (rich ??= []).push(msg.answers.length);
      (richStarts ??= []).push(rdStart);
      answer.data = formatGenericRdata(buf, rdStart, rdEnd); // replaced below when dns-packet succeeds
    } else {
      const data = formatOwnRdata(buf, base, type, rdStart, rdEnd, answer, names, store === null ? null : store.addrPool, msg.answers.length);
      if (data === null) {
        if (names.anomaly >= 0) anomalies.add(names.anomaly); // e.g. a CNAME target over 255 octets
        anomalies.add(A['dns.malformed_answer']);
      }
      answer.data = data ?? formatGenericRdata(buf, rdStart, rdEnd);
    }
    msg.answers.push(answer);
  }
  if (rich !== null && richStarts !== null) decodeRichAnswers(buf, base, end, p, msg, skipped, rich, richStarts, anomalies, names);
}


/** The answer object at `k` of a store, set to these values (no ech, no address yet). */
function storedAnswer(store: DnsMessageStore, k: number, name: string, type: number, rrClass: number, ttl: number): DnsAnswer {
  const a = store.answerPool[k] ?? (store.answerPool[k] = { name: '', type: 0, class: 0, ttl: 0, data: '', ech: undefined, addr: undefined });
  a.name = name;
  a.type = type;
  a.class = rrClass;
  a.ttl = ttl;
  a.data = '';
  a.ech = undefined;
  a.addr = undefined;
  return a;
}

/** Address words for an A/AAAA answer: a fresh array, or the store's array at `k` (addrs given). */
function addrWords(addrs: [number, number, number, number][] | null, k: number, w0: number, w1: number, w2: number, w3: number): [number, number, number, number] {
  if (addrs === null) return [w0, w1, w2, w3];
  const w = addrs[k] ?? (addrs[k] = [0, 0, 0, 0]);
  w[0] = w0; w[1] = w1; w[2] = w2; w[3] = w3;
  return w;
}

/** A/AAAA/name-valued/SVCB RDATA as text, or null when the RDATA does not fit its type. */
function formatOwnRdata(
  buf: Uint8Array, base: number, type: number, start: number, end: number, answer: DnsAnswer, names: DnsNameReader,
  addrs: [number, number, number, number][] | null, k: number,
): string | null {
  switch (type) {
    case DNS_TYPE_A:
      if (end - start !== 4) return null;
      answer.addr = addrWords(addrs, k, 0, 0, 0, u32be(buf, start));
      return answerAddrText.formatBytes(4, buf, start);
    case DNS_TYPE_AAAA:
      if (end - start !== 16) return null;
      answer.addr = addrWords(addrs, k, u32be(buf, start), u32be(buf, start + 4), u32be(buf, start + 8), u32be(buf, start + 12));
      return answerAddrText.formatBytes(6, buf, start);
    case DNS_TYPE_CNAME: case DNS_TYPE_PTR: case DNS_TYPE_NS: case DNS_TYPE_DNAME:
      // The target may point back into the message, but its own bytes must end with the RDATA.
      if (!names.read(buf, base, end, start)) return null;
      if (names.end === end) return names.name;
      names.anomaly = -1; // a well-formed name with trailing bytes: only dns.malformed_answer applies
      return null;
    case DNS_TYPE_SVCB: case DNS_TYPE_HTTPS: {
      const svcb = formatSvcb(buf, base, start, end, names);
      if (svcb === null) return null;
      answer.ech = svcb.ech;
      return svcb.data;
    }
    default:
      return formatGenericRdata(buf, start, end);
  }
}

/**
 * Runs dns-packet over the whole message (its public API decodes messages, not single records)
 * and replaces the generic text of the rich answers with summaries. dns-packet throws on
 * malformed input and preallocates arrays from the header counts, so it is only called when
 * the later sections' counts are plausible for the bytes left, and always inside try/catch.
 */
function decodeRichAnswers(
  buf: Uint8Array, base: number, end: number, answersEnd: number, msg: DnsMessage, skipped: number,
  rich: number[], richStarts: number[], anomalies: AnomalyCounters, names: DnsNameReader,
): void {
  // A skipped record means a bad name dns-packet would throw on anyway: do not even try.
  const plausible = skipped === 0 && msg.answers.length === msg.ancount && msg.nscount + msg.arcount <= (end - answersEnd) / RR_MIN_LENGTH;
  let decoded: dnsPacket.DecodedPacket | null = null;
  if (plausible) {
    try {
      decoded = dnsPacket.decode(Buffer.from(buf.buffer, buf.byteOffset + base, end - base));
    } catch {
      decoded = null; // the answer decoder rejected the message: counted below, generic text kept
    }
  }
  const decodedAnswers = decoded?.answers;
  if (decodedAnswers === undefined || decodedAnswers.length !== msg.answers.length) {
    anomalies.add(A['dns.malformed_answer']);
    return;
  }
  for (let k = 0; k < rich.length; k++) {
    const answer = msg.answers[rich[k]];
    const rdStart = richStarts[k];
    const rdEnd = rdStart + ((buf[rdStart - 2] << 8) | buf[rdStart - 1]);
    const text = formatRichAnswer(answer.type, decodedAnswers[rich[k]], buf, base, rdStart, rdEnd, names);
    if (text === null) anomalies.add(A['dns.malformed_answer']);
    else answer.data = text;
  }
}

/** IANA DNS RR TYPE mnemonics (iana.org/assignments/dns-parameters, registry "Resource Record (RR) TYPEs"). */
const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'A'], [2, 'NS'], [3, 'MD'], [4, 'MF'], [5, 'CNAME'], [6, 'SOA'], [7, 'MB'], [8, 'MG'], [9, 'MR'],
  [10, 'NULL'], [11, 'WKS'], [12, 'PTR'], [13, 'HINFO'], [14, 'MINFO'], [15, 'MX'], [16, 'TXT'], [17, 'RP'],
  [18, 'AFSDB'], [19, 'X25'], [20, 'ISDN'], [21, 'RT'], [22, 'NSAP'], [23, 'NSAP-PTR'], [24, 'SIG'], [25, 'KEY'],
  [26, 'PX'], [27, 'GPOS'], [28, 'AAAA'], [29, 'LOC'], [30, 'NXT'], [31, 'EID'], [32, 'NIMLOC'], [33, 'SRV'],
  [34, 'ATMA'], [35, 'NAPTR'], [36, 'KX'], [37, 'CERT'], [38, 'A6'], [39, 'DNAME'], [40, 'SINK'], [41, 'OPT'],
  [42, 'APL'], [43, 'DS'], [44, 'SSHFP'], [45, 'IPSECKEY'], [46, 'RRSIG'], [47, 'NSEC'], [48, 'DNSKEY'],
  [49, 'DHCID'], [50, 'NSEC3'], [51, 'NSEC3PARAM'], [52, 'TLSA'], [53, 'SMIMEA'], [55, 'HIP'], [56, 'NINFO'],
  [57, 'RKEY'], [58, 'TALINK'], [59, 'CDS'], [60, 'CDNSKEY'], [61, 'OPENPGPKEY'], [62, 'CSYNC'], [63, 'ZONEMD'],
  [64, 'SVCB'], [65, 'HTTPS'], [66, 'DSYNC'], [99, 'SPF'], [100, 'UINFO'], [101, 'UID'], [102, 'GID'],
  [103, 'UNSPEC'], [104, 'NID'], [105, 'L32'], [106, 'L64'], [107, 'LP'], [108, 'EUI48'], [109, 'EUI64'],
  [128, 'NXNAME'], [249, 'TKEY'], [250, 'TSIG'], [251, 'IXFR'], [252, 'AXFR'], [253, 'MAILB'], [254, 'MAILA'],
  // IANA lists 255 as "*"; every tool (dig, tshark, dns-packet) says ANY.
  [255, 'ANY'], [256, 'URI'], [257, 'CAA'], [258, 'AVC'], [259, 'DOA'], [260, 'AMTRELAY'], [261, 'RESINFO'],
  [262, 'WALLET'], [263, 'CLA'], [264, 'IPN'], [32768, 'TA'], [32769, 'DLV'],
]);

/** The mnemonics of types 0..299 by index (every question and answer asks, so no hash lookup). */
const LOW_TYPE_NAMES: readonly (string | undefined)[] = Array.from({ length: 300 }, (_, t) => TYPE_NAMES.get(t));

/** Name of a DNS RR type (A, AAAA, CNAME, HTTPS, ...) or TYPEnnn (RFC 3597 §5). */
export function dnsTypeName(type: number): string {
  const low = type >= 0 && type < 300 ? LOW_TYPE_NAMES[type] : undefined;
  return low ?? TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** IANA DNS RCODE mnemonics (RFC 1035 §4.1.1, RFC 2136, RFC 6895 §2.3; 16+ need EDNS/TSIG). */
const RCODE_NAMES: readonly string[] = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET',
  'NOTAUTH', 'NOTZONE', 'DSOTYPENI', '', '', '', '',
  'BADVERS', 'BADKEY', 'BADTIME', 'BADMODE', 'BADNAME', 'BADALG', 'BADTRUNC', 'BADCOOKIE',
];

/** Name of a DNS RCODE (NOERROR, NXDOMAIN, ...) or RCODEn. 16 is BADVERS (also BADSIG in TSIG, RFC 8945). */
export function dnsRcodeName(rcode: number): string {
  const name = Number.isInteger(rcode) && rcode >= 0 && rcode < RCODE_NAMES.length ? RCODE_NAMES[rcode] : '';
  return name !== '' ? name : `RCODE${rcode}`;
}
