/**
 * Packet builders for the decoder tests: small, explicit byte layouts (no checksums, since the
 * decoder does not verify them). Test-only; allocation and strings are fine here.
 */
import { AnomalyCounters, AnomalyName, anomalyId } from '../../../src/anomalies';
import { FrameDecoder } from '../../../src/decode/decode-frame';

/** Bytes from hex text; whitespace and `|` separators are ignored. */
export function hex(text: string | TemplateStringsArray): Uint8Array {
  const s = (typeof text === 'string' ? text : text.join('')).replace(/[\s|]/g, '');
  if (s.length % 2 !== 0) throw new Error(`odd hex length: ${s}`);
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

export function u16(v: number): Uint8Array {
  return Uint8Array.of(v >> 8, v & 0xff);
}

export function u32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

export function ip4addr(a: string): Uint8Array {
  return Uint8Array.from(a.split('.').map(Number));
}

/** 16 bytes of an IPv6 address written in full or with one `::`. */
export function ip6addr(a: string): Uint8Array {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return concat(...groups.map((g) => u16(parseInt(g, 16))));
}

/** IPv4 address as the unsigned 32-bit word the view holds. */
export function ip4word(a: string): number {
  return a.split('.').map(Number).reduce((acc, b) => acc * 256 + b, 0);
}

export const MAC_A = hex('02 00 00 00 00 01');
export const MAC_B = hex('02 00 00 00 00 02');

export function ethernet(type: number, payload: Uint8Array, tags: Array<[tpid: number, vid: number]> = []): Uint8Array {
  return concat(MAC_B, MAC_A, ...tags.flatMap(([tpid, vid]) => [u16(tpid), u16(vid)]), u16(type), payload);
}

export interface Ipv4Options {
  src?: string; dst?: string; proto: number; id?: number; flags?: number; fragOffset?: number;
  options?: Uint8Array; totalLength?: number; ihl?: number; version?: number;
}

/** IPv4 header (RFC 791 §3.1) + payload; `totalLength`/`ihl` override the computed values for malformed cases. */
export function ipv4(o: Ipv4Options, payload: Uint8Array): Uint8Array {
  const options = o.options ?? new Uint8Array(0);
  const ihl = o.ihl ?? (20 + options.length) / 4;
  const total = o.totalLength ?? 20 + options.length + payload.length;
  const fragField = ((o.flags ?? 0) << 13) | ((o.fragOffset ?? 0) >> 3);
  return concat(
    Uint8Array.of(((o.version ?? 4) << 4) | ihl, 0), u16(total), u16(o.id ?? 0x1234), u16(fragField),
    Uint8Array.of(64, o.proto), u16(0), ip4addr(o.src ?? '192.168.1.10'), ip4addr(o.dst ?? '93.184.216.34'),
    options, payload,
  );
}

export interface Ipv6Options { src?: string; dst?: string; nextHeader: number; payloadLength?: number; version?: number }

/** IPv6 fixed header (RFC 8200 §3) + payload (which includes any extension headers). */
export function ipv6(o: Ipv6Options, payload: Uint8Array): Uint8Array {
  return concat(
    Uint8Array.of((o.version ?? 6) << 4, 0, 0, 0), u16(o.payloadLength ?? payload.length), Uint8Array.of(o.nextHeader, 64),
    ip6addr(o.src ?? '2001:db8:20::10'), ip6addr(o.dst ?? '2001:db8:1::1'), payload,
  );
}

/** Generic extension header (RFC 8200 §4.3): next header, Hdr Ext Len in 8-byte units, padded with zeros. */
export function ext6(nextHeader: number, totalLength: number): Uint8Array {
  const h = new Uint8Array(totalLength);
  h[0] = nextHeader;
  h[1] = totalLength / 8 - 1;
  return h;
}

/** IPv6 Fragment header (RFC 8200 §4.5). */
export function frag6(nextHeader: number, offset: number, more: boolean, id: number): Uint8Array {
  return concat(Uint8Array.of(nextHeader, 0), u16(offset | (more ? 1 : 0)), u32(id));
}

export interface TcpOptions { sport?: number; dport?: number; seq?: number; ack?: number; flags?: number; dataOffset?: number; options?: Uint8Array }

export function tcp(o: TcpOptions, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const options = o.options ?? new Uint8Array(0);
  const doff = o.dataOffset ?? (20 + options.length) / 4;
  return concat(
    u16(o.sport ?? 49152), u16(o.dport ?? 443), u32(o.seq ?? 1000), u32(o.ack ?? 0),
    Uint8Array.of(doff << 4, o.flags ?? 0x02), u16(65535), u16(0), u16(0), options, payload,
  );
}

export function udp(sport: number, dport: number, payload: Uint8Array, length = 8 + payload.length): Uint8Array {
  return concat(u16(sport), u16(dport), u16(length), u16(0), payload);
}

export const text = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** A fresh decoder plus a helper to read anomaly counts by name. */
export function newDecoder(limits?: ConstructorParameters<typeof FrameDecoder>[1]): {
  dec: FrameDecoder; count: (name: AnomalyName) => number; anomalies: AnomalyCounters;
} {
  const anomalies = new AnomalyCounters();
  const dec = new FrameDecoder(anomalies, limits);
  return { dec, anomalies, count: (name) => anomalies.counts[anomalyId(name)] };
}

/** Decodes one whole frame (caplen = wire length unless given). */
export function decodeFrame(dec: FrameDecoder, frame: Uint8Array, linkType: number, wireLength = frame.length, ts = 0): number {
  return dec.decode(frame, 0, frame.length, wireLength, linkType, ts);
}

/** The payload the view points at, as a latin1 string. */
export function payloadText(dec: FrameDecoder): string {
  const v = dec.view;
  return Buffer.from(v.buf.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength)).toString('latin1');
}
