/**
 * Test-only capture walker for the QUIC extractor tests: reads classic pcap and pcapng files and
 * yields, per frame, the UDP payload with its 5-tuple (Ethernet/802.1Q → IPv4/IPv6 → UDP).
 *
 * It exists because the real readers (src/capture) and decoder (src/decode) are being written in
 * parallel; once they land these tests can switch to them. It is deliberately small: no IP
 * reassembly, no tunnels, Ethernet only (every QUIC capture in the corpus is EN10MB). It throws
 * on damaged files — acceptable in a test helper, never in src/.
 */
import * as fs from 'fs';

/** One UDP datagram found in a capture. `frame` is 1-based, as tshark numbers frames. */
export interface UdpDatagram {
  frame: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Uint8Array;
}

/** Raw link-layer frames of a pcap or pcapng file, in file order (1-based numbering). */
export function readFrames(path: string): { frame: number; linkType: number; data: Uint8Array }[] {
  const buf = new Uint8Array(fs.readFileSync(path));
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, false);
  const out: { frame: number; linkType: number; data: Uint8Array }[] = [];
  if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) {
    const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
    const linkType = dv.getUint32(20, le) & 0xffff;
    let p = 24;
    while (p + 16 <= buf.length) {
      const caplen = dv.getUint32(p + 8, le);
      p += 16;
      if (p + caplen > buf.length) break;
      out.push({ frame: out.length + 1, linkType, data: buf.subarray(p, p + caplen) });
      p += caplen;
    }
    return out;
  }
  if (magic === 0x0a0d0d0a) {
    let le = true;
    const linkTypes: number[] = [];
    let p = 0;
    while (p + 12 <= buf.length) {
      // The SHB's byte-order magic decides endianness for its section.
      let type = dv.getUint32(p, le);
      if (type === 0x0a0d0d0a) {
        le = dv.getUint32(p + 8, true) === 0x1a2b3c4d;
        type = 0x0a0d0d0a;
        linkTypes.length = 0;
      }
      const blen = dv.getUint32(p + 4, le);
      if (blen < 12 || p + blen > buf.length) break;
      if (type === 1) linkTypes.push(dv.getUint16(p + 8, le));
      else if (type === 6) {
        const ifId = dv.getUint32(p + 8, le);
        const caplen = dv.getUint32(p + 20, le);
        out.push({ frame: out.length + 1, linkType: linkTypes[ifId] ?? 1, data: buf.subarray(p + 28, p + 28 + caplen) });
      } else if (type === 3) {
        const wire = dv.getUint32(p + 8, le);
        const caplen = Math.min(wire, blen - 16);
        out.push({ frame: out.length + 1, linkType: linkTypes[0] ?? 1, data: buf.subarray(p + 12, p + 12 + caplen) });
      } else if (type === 2) {
        const ifId = dv.getUint16(p + 8, le);
        const caplen = dv.getUint32(p + 20, le);
        out.push({ frame: out.length + 1, linkType: linkTypes[ifId] ?? 1, data: buf.subarray(p + 28, p + 28 + caplen) });
      }
      p += blen;
    }
    return out;
  }
  throw new Error(`${path}: not a pcap or pcapng file`);
}

function ip4(b: Uint8Array, p: number): string {
  return `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;
}

function ip6(b: Uint8Array, p: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[p + i] << 8) | b[p + i + 1]).toString(16));
  return parts.join(':');
}

/** The UDP datagram in an Ethernet frame, or null (not UDP, fragment, truncated). */
export function udpOf(frame: number, linkType: number, d: Uint8Array): UdpDatagram | null {
  if (linkType !== 1 || d.length < 14) return null;
  let p = 12;
  let et = (d[p] << 8) | d[p + 1];
  p += 2;
  while ((et === 0x8100 || et === 0x88a8) && p + 4 <= d.length) {
    et = (d[p + 2] << 8) | d[p + 3];
    p += 4;
  }
  let proto: number;
  let src: string;
  let dst: string;
  let end = d.length;
  if (et === 0x0800) {
    if (p + 20 > d.length) return null;
    const ihl = (d[p] & 0x0f) * 4;
    const fragField = (d[p + 6] << 8) | d[p + 7];
    if ((fragField & 0x3fff) !== 0) return null;
    proto = d[p + 9];
    src = ip4(d, p + 12);
    dst = ip4(d, p + 16);
    end = Math.min(end, p + ((d[p + 2] << 8) | d[p + 3]));
    p += ihl;
  } else if (et === 0x86dd) {
    if (p + 40 > d.length) return null;
    proto = d[p + 6];
    src = ip6(d, p + 8);
    dst = ip6(d, p + 24);
    end = Math.min(end, p + 40 + ((d[p + 4] << 8) | d[p + 5]));
    p += 40;
    // Hop-by-hop, routing, destination options: skip; a fragment header: give up.
    for (let i = 0; i < 8 && (proto === 0 || proto === 43 || proto === 60); i++) {
      if (p + 2 > end) return null;
      proto = d[p];
      p += (d[p + 1] + 1) * 8;
    }
  } else return null;
  if (proto !== 17 || p + 8 > end) return null;
  const ulen = (d[p + 4] << 8) | d[p + 5];
  const uend = Math.min(end, p + Math.max(ulen, 8));
  return { frame, src, dst, sport: (d[p] << 8) | d[p + 1], dport: (d[p + 2] << 8) | d[p + 3], payload: d.subarray(p + 8, uend) };
}

/** All UDP datagrams of a capture, keyed by 1-based frame number. */
export function udpDatagrams(path: string): Map<number, UdpDatagram> {
  const m = new Map<number, UdpDatagram>();
  for (const f of readFrames(path)) {
    const u = udpOf(f.frame, f.linkType, f.data);
    if (u !== null) m.set(f.frame, u);
  }
  return m;
}

/** Hex string (spaces and newlines ignored) → bytes. For the hexdump-commented vectors. */
export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/[^0-9a-fA-F]/g, ''), 'hex'));
}

/** "aa:bb:cc" (tshark's CID rendering) → bytes. */
export function colonHex(s: string): Uint8Array {
  return unhex(s.replace(/:/g, ''));
}
