/**
 * Tiny test-local stream walker: frames from `openCapture` (src/capture) → Ethernet/VLAN,
 * Linux SLL/SLL2, BSD null, raw IP → IPv4/IPv6 → TCP, then the first bytes of every TCP
 * direction reassembled by sequence number. Enough to pull real ClientHellos and HTTP heads out
 * of corpus captures for the extractor tests, independent of the product's decoder and flow
 * table. Test tooling only: it may throw on a broken file (the test then fails loudly), and it
 * ignores IP fragments and tunnels.
 */
import { openCapture } from '../../../../src/capture/open-capture';
import { newFrame } from '../../../../src/capture/source';

export interface TcpDirection {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** Sent the SYN (without ACK) of this connection. */
  synSender: boolean;
  /** Contiguous payload from the first byte (ISN+1 when the SYN was seen), up to a gap. */
  head: Uint8Array;
}

interface Seg {
  seq: number;
  data: Uint8Array;
}

/** Frames via the product's reader; `data` is a view valid until the next iteration. */
function* packets(file: string): Generator<{ linkType: number; data: Uint8Array }> {
  const src = openCapture(file);
  const frame = newFrame();
  try {
    while (src.next(frame)) {
      yield { linkType: frame.linkType, data: frame.buf.subarray(frame.offset, frame.offset + frame.capturedLength) };
    }
  } finally {
    src.close();
  }
}

function ipv6Text(d: Uint8Array, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) parts.push(((d[o + 2 * i] << 8) | d[o + 2 * i + 1]).toString(16));
  return parts.join(':');
}

/** Canonical expanded form of an IPv4 or IPv6 address string, to compare tshark's text with ours. */
export function canonicalAddress(a: string): string {
  if (!a.includes(':')) return a;
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const zeros = a.includes('::') ? 8 - h.length - t.length : 0;
  return [...h, ...Array(zeros).fill('0'), ...t].map((x) => parseInt(x, 16).toString(16)).join(':');
}

function decodeToIp(linkType: number, d: Uint8Array): { off: number; ethertype: number } | null {
  let o = 0;
  let et = 0;
  switch (linkType) {
    case 1:
      o = 14;
      et = (d[12] << 8) | d[13];
      while ((et === 0x8100 || et === 0x88a8 || et === 0x9100) && o + 4 <= d.length) {
        et = (d[o + 2] << 8) | d[o + 3];
        o += 4;
      }
      break;
    case 113:
      o = 16;
      et = (d[14] << 8) | d[15];
      break;
    case 276:
      o = 20;
      et = (d[0] << 8) | d[1];
      break;
    case 0:
    case 108:
      o = 4;
      et = (d[4] >> 4) === 6 ? 0x86dd : 0x0800;
      break;
    case 101:
    case 12:
    case 14:
      et = (d[0] >> 4) === 6 ? 0x86dd : 0x0800;
      break;
    default:
      return null;
  }
  return { off: o, ethertype: et };
}

/** All TCP directions in `file` with their reassembled payload heads (at most `maxHead` bytes). */
export function tcpDirections(file: string, maxHead = 65536): TcpDirection[] {
  const dirs = new Map<string, { d: TcpDirection; isn: number | null; segs: Seg[] }>();
  for (const { linkType, data: d } of packets(file)) {
    const l = decodeToIp(linkType, d);
    if (!l) continue;
    let o = l.off;
    let src: string, dst: string, end: number;
    if (l.ethertype === 0x0800 && (d[o] >> 4) === 4) {
      const ihl = (d[o] & 15) * 4;
      if (d[o + 9] !== 6 || (((d[o + 6] << 8) | d[o + 7]) & 0x3fff) !== 0) continue; // TCP, unfragmented
      end = Math.min(d.length, o + ((d[o + 2] << 8) | d[o + 3]));
      src = `${d[o + 12]}.${d[o + 13]}.${d[o + 14]}.${d[o + 15]}`;
      dst = `${d[o + 16]}.${d[o + 17]}.${d[o + 18]}.${d[o + 19]}`;
      o += ihl;
    } else if (l.ethertype === 0x86dd && (d[o] >> 4) === 6) {
      if (d[o + 6] !== 6) continue;
      end = Math.min(d.length, o + 40 + ((d[o + 4] << 8) | d[o + 5]));
      src = ipv6Text(d, o + 8);
      dst = ipv6Text(d, o + 24);
      o += 40;
    } else continue;
    if (o + 20 > end) continue;
    const sport = (d[o] << 8) | d[o + 1];
    const dport = (d[o + 2] << 8) | d[o + 3];
    const seq = ((d[o + 4] << 24) | (d[o + 5] << 16) | (d[o + 6] << 8) | d[o + 7]) >>> 0;
    const flags = d[o + 13];
    const payload = d.subarray(o + (d[o + 12] >> 4) * 4, end);
    const key = `${src}|${sport}|${dst}|${dport}`;
    let e = dirs.get(key);
    if (!e) {
      e = { d: { src, dst, sport, dport, synSender: false, head: new Uint8Array(0) }, isn: null, segs: [] };
      dirs.set(key, e);
    }
    if (flags & 0x02) {
      e.isn = seq;
      if (!(flags & 0x10)) e.d.synSender = true;
    }
    if (payload.length > 0) e.segs.push({ seq, data: Uint8Array.from(payload) });
  }
  const out: TcpDirection[] = [];
  for (const e of dirs.values()) {
    if (e.segs.length === 0) continue;
    const base = e.isn !== null ? (e.isn + 1) >>> 0 : e.segs[0].seq;
    const rel = (s: number) => ((s - base) >>> 0) | 0; // signed distance, 32-bit wrap
    const segs = e.segs.map((s) => ({ at: rel(s.seq), data: s.data })).sort((a, b) => a.at - b.at);
    const buf = new Uint8Array(maxHead);
    let have = 0;
    for (const s of segs) {
      if (s.at > have) break; // gap
      const from = have - s.at;
      if (from >= s.data.length) continue;
      const n = Math.min(s.data.length - from, maxHead - have);
      buf.set(s.data.subarray(from, from + n), have);
      have += n;
      if (have >= maxHead) break;
    }
    e.d.head = buf.slice(0, have);
    out.push(e.d);
  }
  return out;
}
