/**
 * Byte-level helpers for the capture generator: a growable big-endian writer, concatenation,
 * address text → bytes, and deterministic pseudo-random bytes (SHA-256 in counter mode).
 *
 * Test tooling only: never imported by src/; never uses Math.random, the clock or the
 * environment, so that every capture is byte-identical on every run.
 */
import { createHash } from 'crypto';

/** The bytes of `s` taken one per character (Latin-1): request heads written as the wire carries them. */
export function latin1(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

/** Concatenates byte arrays into one new array (copies). */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Growable big-endian byte writer used by every builder in test/gen. */
export class ByteWriter {
  readonly #bytes: number[] = [];
  /** Number of bytes written so far (the offset the next write lands at). */
  get length(): number {
    return this.#bytes.length;
  }
  /** Appends one byte (low 8 bits of `v`). */
  u8(v: number): this {
    this.#bytes.push(v & 0xff);
    return this;
  }
  /** Appends a big-endian 16-bit value. */
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  /** Appends a big-endian 24-bit value (TLS handshake lengths). */
  u24(v: number): this {
    return this.u8(v >>> 16).u8(v >>> 8).u8(v);
  }
  /** Appends a big-endian 32-bit value. */
  u32(v: number): this {
    return this.u16(v >>> 16).u16(v & 0xffff);
  }
  /** Appends bytes (copies). */
  bytes(b: Uint8Array | readonly number[]): this {
    for (const v of b) this.#bytes.push(v & 0xff);
    return this;
  }
  /** Appends the low byte of each UTF-16 unit of `s` (callers pass ASCII). */
  ascii(s: string): this {
    for (let i = 0; i < s.length; i++) this.#bytes.push(s.charCodeAt(i) & 0xff);
    return this;
  }
  /** Overwrites a 16-bit value already written at `offset` (for lengths known only later). */
  patchU16(offset: number, v: number): this {
    this.#bytes[offset] = (v >>> 8) & 0xff;
    this.#bytes[offset + 1] = v & 0xff;
    return this;
  }
  /** Copies the bytes out. */
  toBytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/**
 * `length` pseudo-random bytes derived from `label` (SHA-256 of label + counter). Stands in for
 * key shares, randoms and ciphertext; the same label always gives the same bytes.
 */
export function pseudoRandomBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0, block = 0; i < length; block++) {
    const digest = createHash('sha256').update(`${label}#${block}`).digest();
    for (let j = 0; j < digest.length && i < length; j++) out[i++] = digest[j];
  }
  return out;
}

/** Parses "aa:bb:cc:dd:ee:ff" into 6 bytes. Throws on anything else (generator input is ours). */
export function parseMac(mac: string): Uint8Array {
  const parts = mac.split(':');
  if (parts.length !== 6) throw new Error(`bad MAC ${mac}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** True when `ip` is IPv6 text. */
export function isIpv6(ip: string): boolean {
  return ip.includes(':');
}

/** Parses dotted-quad IPv4 text into 4 bytes. */
export function parseIpv4(ip: string): Uint8Array {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 ${ip}`);
  return Uint8Array.from(parts);
}

/** Parses IPv6 text (with at most one "::", no embedded IPv4) into 16 bytes. */
export function parseIpv6(ip: string): Uint8Array {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...t].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) throw new Error(`bad IPv6 ${ip}`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Parses IPv4 or IPv6 text. */
export function parseIp(ip: string): Uint8Array {
  return isIpv6(ip) ? parseIpv6(ip) : parseIpv4(ip);
}
