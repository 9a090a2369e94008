/**
 * IP addresses as four 32-bit words (the PacketView layout): text formatting (IPv4 dotted,
 * IPv6 per RFC 5952), parsing, CIDR matching and scope classification.
 *
 * Used per flow and per run, never per packet. Never throws on a well-typed word tuple;
 * parsing user input (`--device`) returns null on bad text instead of throwing.
 */

import { u32be } from '../decode/bytes';

/** An address: version plus four big-endian 32-bit words (IPv4 in w3). */
export interface Addr { v: 4 | 6; w: [number, number, number, number] }

/** Formats an IPv4 address held in one unsigned 32-bit word. */
export function formatIpv4(x: number): string {
  return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

/** Formats an IPv6 address per RFC 5952 §4: lowercase hex, no leading zeros, longest zero run (>= 2 groups) as '::'. */
export function formatIpv6(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  // RFC 5952 §4.2.2: a single 16-bit 0 field is not shortened.
  if (bestLen < 2) bestStart = -1;
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${formatIpv4(w3 >>> 0)}`;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) { out += '::'; i += bestLen - 1; continue; }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += g[i].toString(16);
  }
  return out;
}

/** Formats an address given its version and words. */
export function formatAddr(v: number, w0: number, w1: number, w2: number, w3: number): string {
  return v === 4 ? formatIpv4(w3 >>> 0) : formatIpv6(w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0);
}

/** Slots of AddrTextCache (a power of two). */
const ADDR_TEXT_SLOTS = 4096;

/**
 * Address text, remembered: a direct-mapped cache from address words to the string formatAddr
 * makes. Records name the same few device addresses over and over; handing out one string per
 * address spares the formatting, the garbage, and the re-hashing of a fresh string wherever it is
 * used as a key. Bounded (a colliding address replaces the slot); never changes what is printed.
 */
export class AddrTextCache {
  private readonly words = new Int32Array(ADDR_TEXT_SLOTS * 5);
  private readonly texts: (string | undefined)[] = new Array<string | undefined>(ADDR_TEXT_SLOTS).fill(undefined);

  /** The address being looked up: version, then its four words (signed). */
  private readonly probe = new Int32Array(5);

  format(v: number, w0: number, w1: number, w2: number, w3: number): string {
    const q = this.probe;
    q[0] = v; q[1] = w0; q[2] = w1; q[3] = w2; q[4] = w3;
    return this.lookup();
  }

  /**
   * `format` of the address whose four words are `words[off, off + 4)`. Reads them itself:
   * address words above 2^30 passed as arguments to a call V8 does not inline are boxed into
   * heap numbers, four to eight per flow record.
   */
  formatAt(v: number, words: Uint32Array, off: number): string {
    const q = this.probe;
    q[0] = v; q[1] = words[off]; q[2] = words[off + 1]; q[3] = words[off + 2]; q[4] = words[off + 3];
    return this.lookup();
  }

  /** `format` of an address as it appears on the wire: 4 (IPv4) or 16 (IPv6) bytes at `buf[off]`. */
  formatBytes(v: 4 | 6, buf: Uint8Array, off: number): string {
    const q = this.probe;
    q[0] = v;
    q[1] = v === 4 ? 0 : u32be(buf, off); q[2] = v === 4 ? 0 : u32be(buf, off + 4); q[3] = v === 4 ? 0 : u32be(buf, off + 8);
    q[4] = v === 4 ? u32be(buf, off) : u32be(buf, off + 12);
    return this.lookup();
  }

  /** The text of the address in `probe`: the cached string, or formatted and cached. */
  private lookup(): string {
    const q = this.probe;
    const v = q[0], w0 = q[1], w1 = q[2], w2 = q[3], w3 = q[4];
    const h = Math.imul((w3 ^ Math.imul(w2, 0x9e3779b1) ^ Math.imul(w1 ^ v, 0x85ebca6b) ^ w0) | 0, 0x27d4eb2f);
    const i = (h >>> 20) & (ADDR_TEXT_SLOTS - 1);
    const k = i * 5;
    const w = this.words;
    const hit = this.texts[i];
    if (hit !== undefined && w[k] === v && w[k + 4] === w3 && w[k + 3] === w2 && w[k + 2] === w1 && w[k + 1] === w0) return hit;
    // A miss: the words are boxed for formatAddr here, once per distinct address in the slot.
    const text = formatAddr(v, w0, w1, w2, w3);
    w[k] = v; w[k + 1] = w0; w[k + 2] = w1; w[k + 3] = w2; w[k + 4] = w3;
    this.texts[i] = text;
    return text;
  }
}

/** Parses IPv4 dotted-quad text; null when invalid. */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let x = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    x = x * 256 + n;
  }
  return x >>> 0;
}

/** Parses IPv6 text (with optional embedded IPv4 tail) into four words; null when invalid. */
export function parseIpv6(text: string): [number, number, number, number] | null {
  let s = text.toLowerCase();
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const groups: number[] = [];
  const halves = s.split('::');
  if (halves.length > 2) return null;
  // `last`: this side ends the address, the only place a dotted-quad tail may appear (RFC 4291 §2.2).
  const parseSide = (side: string, last: boolean): number[] | null => {
    if (side === '') return [];
    const out: number[] = [];
    const items = side.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (last && i === items.length - 1 && it.includes('.')) {
        const v4 = parseIpv4(it);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (!/^[0-9a-f]{1,4}$/.test(it)) return null;
      out.push(parseInt(it, 16));
    }
    return out;
  };
  const head = parseSide(halves[0], halves.length === 1);
  if (head === null) return null;
  if (halves.length === 2) {
    const tail = parseSide(halves[1], true);
    if (tail === null || head.length + tail.length > 7) return null;
    groups.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    if (head.length !== 8) return null;
    groups.push(...head);
  }
  return [
    ((groups[0] << 16) | groups[1]) >>> 0,
    ((groups[2] << 16) | groups[3]) >>> 0,
    ((groups[4] << 16) | groups[5]) >>> 0,
    ((groups[6] << 16) | groups[7]) >>> 0,
  ];
}

/**
 * True when a name (an SNI, an HTTP Host) is an address literal, IPv4 or IPv6, the latter with or
 * without brackets: an address is no name (RFC 6066 §3 forbids literals in SNI; a Host of
 * `203.0.113.7` says where, not whom). Cheap for real names: only text starting with a digit,
 * `[` or `:`, or holding a `:`, is parsed.
 */
export function isAddressLiteral(name: string): boolean {
  if (name.length === 0) return false;
  const c = name.charCodeAt(0);
  if (c === 0x5b) return name.charCodeAt(name.length - 1) === 0x5d && parseIpv6(name.slice(1, -1)) !== null;
  if (name.includes(':')) return parseIpv6(name) !== null;
  return c >= 0x30 && c <= 0x39 && parseIpv4(name) !== null;
}

/** Parses an IPv4 or IPv6 address; null when invalid. */
export function parseAddr(text: string): Addr | null {
  const t = text.trim().replace(/^\[|\]$/g, '');
  if (t.includes(':')) {
    const w = parseIpv6(t);
    return w ? { v: 6, w } : null;
  }
  const x = parseIpv4(t);
  return x === null ? null : { v: 4, w: [0, 0, 0, x] };
}

/** A CIDR prefix, e.g. 192.0.2.0/24 or 2001:db8::/64 (a bare address is a /32 or /128). */
export interface Cidr { v: 4 | 6; w: [number, number, number, number]; bits: number }

/** A prefix as text: `192.0.2.10/32`, `2001:db8::/64` (the address as parsed, RFC 5952 for IPv6). */
export function formatCidr(c: Cidr): string {
  return `${formatAddr(c.v, c.w[0], c.w[1], c.w[2], c.w[3])}/${c.bits}`;
}

/** Parses CIDR text; null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const [addrText, bitsText, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const a = parseAddr(addrText);
  if (!a) return null;
  const max = a.v === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
  if (bits < 0 || bits > max) return null;
  return { v: a.v, w: a.w, bits };
}

/** True when the address words fall inside the prefix. Allocates nothing (runs per flow record). */
export function cidrContains(c: Cidr, v: number, w0: number, w1: number, w2: number, w3: number): boolean {
  if (c.v !== v) return false;
  if (v === 4) return prefixMatch(w3, c.w[3], c.bits);
  const bits = c.bits;
  return prefixMatch(w0, c.w[0], bits) && prefixMatch(w1, c.w[1], bits - 32) &&
    prefixMatch(w2, c.w[2], bits - 64) && prefixMatch(w3, c.w[3], bits - 96);
}

/** True when the top `bits` bits (clamped to 0..32) of two 32-bit words agree. */
function prefixMatch(x: number, y: number, bits: number): boolean {
  if (bits <= 0) return true;
  const mask = bits >= 32 ? 0xffffffff : (~0 << (32 - bits)) >>> 0;
  return ((x ^ y) & mask) >>> 0 === 0;
}

export const enum Scope { Public = 0, Private = 1, LinkLocal = 2, Multicast = 3, Broadcast = 4, Loopback = 5 }

/** `classify` of the address whose words are `words[off, off + 4)` (read here, not boxed as arguments; see formatAt). */
export function classifyAt(v: number, words: Uint32Array, off: number): Scope {
  return classify(v, words[off] | 0, words[off + 1] | 0, words[off + 2] | 0, words[off + 3] | 0);
}

/**
 * Classifies an address: RFC 1918, RFC 6598 (CGNAT), RFC 5737 documentation ranges and
 * RFC 4193 ULA / RFC 3849 documentation count as Private (a device's own side); RFC 3927 /
 * fe80::/10 as LinkLocal; 224/4 and ff00::/8 as Multicast.
 */
export function classify(v: number, w0: number, w1: number, w2: number, w3: number): Scope {
  if (v === 4) {
    const x = w3 >>> 0;
    const a = x >>> 24;
    const b = (x >>> 16) & 255;
    if (x === 0xffffffff) return Scope.Broadcast;
    if (a >= 224 && a <= 239) return Scope.Multicast;
    if (a === 127) return Scope.Loopback;
    if (a === 169 && b === 254) return Scope.LinkLocal;
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return Scope.Private;
    if (a === 100 && b >= 64 && b <= 127) return Scope.Private;
    if ((x >>> 8) === 0xc00002 || (x >>> 8) === 0xc63364 || (x >>> 8) === 0xcb0071) return Scope.Private;
    if (a === 0) return Scope.LinkLocal; // 0.0.0.0/8: "this network" (DHCP clients)
    return Scope.Public;
  }
  const top16 = w0 >>> 16;
  if (top16 >= 0xff00) return Scope.Multicast;
  if ((top16 & 0xffc0) === 0xfe80) return Scope.LinkLocal;
  if ((top16 & 0xfe00) === 0xfc00) return Scope.Private;
  if (w0 >>> 0 === 0x20010db8) return Scope.Private;
  if (w0 === 0 && w1 === 0 && w2 === 0 && (w3 === 1 || w3 === 0)) return Scope.Loopback;
  return Scope.Public;
}
