/**
 * PcapStreamParser (src/capture/pcap-stream.ts), the tcpdump fallback's reader: records split at
 * every possible chunk boundary, both byte orders, nanosecond magic, and the two ways a stream
 * becomes unreadable (bad magic, impossible caplen). Pure bytes: runs everywhere.
 */
import { PcapStreamParser } from '../../../src/capture/pcap-stream';
import { MAX_CAPLEN } from '../../../src/capture/source';

interface Rec { ts: number; frac: number; data: number[]; wire?: number }

/** A classic pcap (draft-ietf-opsawg-pcap §4-5) with the given records. */
function pcap(recs: Rec[], opts: { le?: boolean; nanos?: boolean; linkType?: number } = {}): Uint8Array {
  const le = opts.le ?? true;
  const parts: number[] = [];
  const u32 = (v: number): void => {
    const b = [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    parts.push(...(le ? b.reverse() : b));
  };
  const u16 = (v: number): void => {
    const b = [(v >>> 8) & 255, v & 255];
    parts.push(...(le ? b.reverse() : b));
  };
  u32(opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4);
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(opts.linkType ?? 1);
  for (const r of recs) {
    u32(r.ts);
    u32(r.frac);
    u32(r.data.length);
    u32(r.wire ?? r.data.length);
    parts.push(...r.data);
  }
  return Uint8Array.from(parts);
}

const RECS: Rec[] = [
  { ts: 1_700_000_000, frac: 1, data: [1, 2, 3] },
  { ts: 1_700_000_001, frac: 999_999, data: [], wire: 60 },
  { ts: 1_700_000_002, frac: 500_000, data: Array.from({ length: 70 }, (_, i) => i), wire: 1500 },
];

/** Feeds `bytes` in chunks of `size` and copies out what each frame held. */
function parse(bytes: Uint8Array, size: number): { parser: PcapStreamParser; frames: { ts: number; cap: number; wire: number; link: number; data: number[] }[] } {
  const frames: { ts: number; cap: number; wire: number; link: number; data: number[] }[] = [];
  const parser = new PcapStreamParser((f) => {
    frames.push({ ts: f.tsMicros, cap: f.capturedLength, wire: f.wireLength, link: f.linkType, data: [...f.buf.subarray(f.offset, f.offset + f.capturedLength)] });
  });
  for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
  return { parser, frames };
}

const EXPECTED = RECS.map((r) => ({ ts: r.ts * 1e6 + r.frac, cap: r.data.length, wire: r.wire ?? r.data.length, link: 1, data: r.data }));

describe('PcapStreamParser', () => {
  test.each([1, 2, 3, 7, 16, 23, 24, 25, 64, 100_000])('chunks of %i bytes give the same records', (size) => {
    const { parser, frames } = parse(pcap(RECS), size);
    expect(frames).toEqual(EXPECTED);
    expect(parser).toMatchObject({ linkType: 1, snaplen: 65535, nanos: false, failure: null, packets: 3, pendingBytes: 0 });
  });

  test('big-endian streams and the nanosecond magic (rounded down to µs)', () => {
    const nanos = RECS.map((r) => ({ ...r, frac: r.frac * 1000 + 999 }));
    const { parser, frames } = parse(pcap(nanos, { le: false, nanos: true, linkType: 276 }), 5);
    expect(frames.map((f) => f.ts)).toEqual(EXPECTED.map((e) => e.ts));
    expect(parser).toMatchObject({ linkType: 276, nanos: true, failure: null });
  });

  test('a stream cut inside a record delivers the whole records and holds the rest', () => {
    const bytes = pcap(RECS);
    const { parser, frames } = parse(bytes.subarray(0, bytes.length - 10), 9);
    expect(frames).toHaveLength(2);
    expect(parser.pendingBytes).toBe(16 + 70 - 10);
    expect(parser.failure).toBeNull();
  });

  // A pipe that is not pcap (e.g. tcpdump printing text because -w was lost): stop, say why.
  test('a bad magic number sets failure and delivers nothing', () => {
    const { parser, frames } = parse(new TextEncoder().encode('12:00:00.000 IP 192.0.2.1 > 192.0.2.2: UDP, length 4\n'), 8);
    expect(frames).toEqual([]);
    expect(parser.failure).toMatch(/pcap magic/);
  });

  // A caplen above MAX_CAPLEN means the framing is lost: records after it cannot be trusted.
  test('an impossible caplen ends the stream after the good records', () => {
    const bytes = pcap([...RECS, { ts: 1, frac: 0, data: [] }]);
    const view = new DataView(bytes.buffer);
    view.setUint32(bytes.length - 8, MAX_CAPLEN + 1, true);
    const { parser, frames } = parse(bytes, 4);
    expect(frames).toHaveLength(3);
    expect(parser.failure).toMatch(/caplen/);
    parser.push(Uint8Array.of(1, 2, 3)); // ignored after a failure
    expect(parser.packets).toBe(3);
  });
});
