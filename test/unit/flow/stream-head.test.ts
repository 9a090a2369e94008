/**
 * StreamHead: contiguous-prefix reassembly of the first STREAM_HEAD_BYTES of a TCP direction.
 * Each adversarial case says what it guards against; a randomized test checks that any
 * segmentation, order and duplication of a stream gives back the stream's bytes.
 */
import { FAR_SEGMENT_COST, STREAM_HEAD_BYTES, StreamHead, StreamHeadBudget } from '../../../src/flow/stream-head';

/** Deterministic stream bytes: byte i is (i * 7 + 3) mod 251 (no period that aligns with segment sizes). */
function streamBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + 3) % 251;
  return out;
}

/** Adds stream bytes [from, to) of `data` as one segment, with the stream starting at `base`. */
function seg(h: StreamHead, base: number, data: Uint8Array, from: number, to: number): boolean {
  return h.add((base + from) >>> 0, data, from, to - from);
}

const head = (h: StreamHead): number[] => [...h.buf.subarray(0, h.contiguous)];

describe('StreamHead', () => {
  const data = streamBytes(3000);

  test('in-order segments extend the contiguous prefix', () => {
    const h = new StreamHead(1000);
    expect(seg(h, 1000, data, 0, 100)).toBe(true);
    expect(seg(h, 1000, data, 100, 1500)).toBe(true);
    expect(h.contiguous).toBe(1500);
    expect(head(h)).toEqual([...data.subarray(0, 1500)]);
    expect(h.hasHole).toBe(false);
    expect(h.conflicts).toBe(0);
  });

  test('a zero-length segment (a bare ACK) changes nothing', () => {
    const h = new StreamHead(0);
    expect(h.add(0, data, 0, 0)).toBe(false);
    expect(h.contiguous).toBe(0);
  });

  test('out-of-order: a later segment waits behind the hole, then both become contiguous', () => {
    const h = new StreamHead(5);
    expect(seg(h, 5, data, 100, 200)).toBe(false);
    expect(h.contiguous).toBe(0);
    expect(h.hasHole).toBe(true);
    expect(h.pendingBytes).toBe(100);
    expect(seg(h, 5, data, 0, 100)).toBe(true);
    expect(h.contiguous).toBe(200);
    expect(h.hasHole).toBe(false);
    expect(h.pendingBytes).toBe(0);
    expect(head(h)).toEqual([...data.subarray(0, 200)]);
  });

  test('an identical retransmission is not a conflict and does not grow the prefix', () => {
    const h = new StreamHead(0);
    seg(h, 0, data, 0, 100);
    expect(seg(h, 0, data, 0, 100)).toBe(false);
    expect(seg(h, 0, data, 10, 50)).toBe(false);
    expect(h.conflicts).toBe(0);
    expect(h.contiguous).toBe(100);
  });

  test('a retransmission with different bytes keeps the first copy and counts a conflict', () => {
    // Adversarial: an evasion that sends "example.org" first and "evil.example" in the retransmission.
    const h = new StreamHead(0);
    seg(h, 0, data, 0, 100);
    const other = data.slice(0, 100);
    other[50] ^= 0xff;
    expect(h.add(0, other, 0, 100)).toBe(false);
    expect(h.conflicts).toBe(1);
    expect(head(h)).toEqual([...data.subarray(0, 100)]);
  });

  test('an overlap that also brings new bytes adds only the new part; differing overlap is a conflict', () => {
    const h = new StreamHead(0);
    seg(h, 0, data, 0, 100);
    const other = data.slice();
    other[60] ^= 1; // differs inside the overlap [50, 100)
    expect(h.add(50, other, 50, 100)).toBe(true); // covers [50, 150)
    expect(h.contiguous).toBe(150);
    expect(h.conflicts).toBe(1);
    expect(head(h)).toEqual([...data.subarray(0, 150)]); // byte 60 is the first copy's
  });

  test('an overlap with a buffered range past a hole is compared too', () => {
    const h = new StreamHead(0);
    seg(h, 0, data, 200, 300); // pending
    const other = data.slice();
    other[250] ^= 1;
    h.add(180, other, 180, 120); // [180, 300): new bytes 180..200, overlap 200..300 differs
    expect(h.conflicts).toBe(1);
    seg(h, 0, data, 0, 180);
    expect(h.contiguous).toBe(300);
    expect(head(h)).toEqual([...data.subarray(0, 300)]);
  });

  test('a segment spanning two buffered ranges fills the holes between them', () => {
    const h = new StreamHead(0);
    seg(h, 0, data, 10, 20);
    seg(h, 0, data, 30, 40);
    seg(h, 0, data, 50, 60);
    expect(seg(h, 0, data, 0, 55)).toBe(true);
    expect(h.contiguous).toBe(60);
    expect(h.hasHole).toBe(false);
    expect(head(h)).toEqual([...data.subarray(0, 60)]);
  });

  test('a cut inside the 5-byte TLS record header (1 + 4 bytes) reassembles', () => {
    const h = new StreamHead(77);
    const hello = Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01);
    h.add(77 + 1, hello, 1, 5);
    expect(h.contiguous).toBe(0);
    h.add(77, hello, 0, 1);
    expect(head(h)).toEqual([...hello]);
  });

  test('sequence numbers wrap at 2^32', () => {
    // Adversarial: a stream whose ISN is just below 2^32, so its bytes cross the wrap.
    const base = 0xfffffff0;
    const h = new StreamHead(base);
    // [16, 64) arrives first; its sequence number (0x00000000) is numerically below the base.
    expect(h.add(0x00000000, data, 16, 48)).toBe(false);
    expect(h.hasHole).toBe(true);
    expect(h.add(base, data, 0, 16)).toBe(true);
    expect(h.contiguous).toBe(64);
    expect(head(h)).toEqual([...data.subarray(0, 64)]);
  });

  test('a base given as a negative int32 is normalised to unsigned', () => {
    const h = new StreamHead(-16); // 0xfffffff0 as a signed word
    expect(h.base).toBe(0xfffffff0);
    expect(h.add(0xfffffff0, data, 0, 10)).toBe(true);
  });

  test('bytes before the base (an old retransmission overlapping the start) are dropped, the rest kept', () => {
    const h = new StreamHead(1000);
    // Segment [990, 1010): only stream bytes 0..9 (data[10..20)) belong to the stream.
    expect(h.add(990, data, 0, 20)).toBe(true);
    expect(h.contiguous).toBe(10);
    expect(head(h)).toEqual([...data.subarray(10, 20)]);
  });

  test('a segment entirely before the base is ignored', () => {
    const h = new StreamHead(1000);
    expect(h.add(900, data, 0, 100)).toBe(false);
    expect(h.contiguous).toBe(0);
    expect(h.hasHole).toBe(false);
  });

  test('a segment far ahead (more than 2^31 bytes) is treated as before the base, not as a huge hole', () => {
    const h = new StreamHead(0);
    expect(h.add(0x90000000, data, 0, 100)).toBe(false);
    expect(h.contiguous).toBe(0);
    expect(h.overflow).toBe(false);
  });

  test('a segment starting beyond the bound sets overflow and hasHole, and buffers nothing', () => {
    const h = new StreamHead(0);
    seg(h, 0, data, 0, 100);
    const big = new Uint8Array(100);
    expect(h.add(STREAM_HEAD_BYTES + 10, big, 0, 100)).toBe(false);
    expect(h.overflow).toBe(true);
    expect(h.hasHole).toBe(true);
    expect(h.contiguous).toBe(100);
    expect(h.buf.length).toBeLessThanOrEqual(STREAM_HEAD_BYTES);
  });

  test('a segment crossing the bound is clipped at exactly STREAM_HEAD_BYTES', () => {
    const h = new StreamHead(0);
    const big = streamBytes(STREAM_HEAD_BYTES + 500);
    expect(h.add(0, big, 0, big.length)).toBe(true);
    expect(h.contiguous).toBe(STREAM_HEAD_BYTES);
    expect(h.overflow).toBe(true);
    expect(h.hasHole).toBe(false);
    expect(h.buf.length).toBe(STREAM_HEAD_BYTES);
    // The next in-order segment lies wholly beyond the bound: nothing changes, no hole.
    expect(h.add(STREAM_HEAD_BYTES, big, 0, 10)).toBe(false);
    expect(h.hasHole).toBe(false);
  });

  test('a tiny initial size grows as needed and never hangs', () => {
    // Adversarial: a buffer that starts empty must still grow (doubling from 0 would loop forever).
    const h = new StreamHead(0, 0);
    expect(h.add(0, data, 0, 100)).toBe(true);
    expect(head(h)).toEqual([...data.subarray(0, 100)]);
  });

  test('restart forgets the buffered bytes and state, and counts from the new base', () => {
    const h = new StreamHead(0);
    seg(h, 0, data, 0, 50);
    seg(h, 0, data, 100, 150);
    h.add(STREAM_HEAD_BYTES + 1, data, 0, 1);
    h.restart(5000);
    expect([h.base, h.contiguous, h.hasHole, h.overflow, h.pendingBytes]).toEqual([5000, 0, false, false, 0]);
    expect(h.add(5000, data, 200, 10)).toBe(true);
    expect(head(h)).toEqual([...data.subarray(200, 210)]);
  });

  test('many small holes (more than the tracked maximum) never corrupt the contiguous prefix', () => {
    // Adversarial: 1-byte segments at every other offset create far more holes than are tracked.
    const h = new StreamHead(0);
    for (let i = 2; i < 400; i += 2) seg(h, 0, data, i, i + 1);
    for (let i = 0; i < 400; i++) seg(h, 0, data, i, i + 1);
    expect(h.contiguous).toBe(400);
    expect(head(h)).toEqual([...data.subarray(0, 400)]);
    expect(h.conflicts).toBe(0);
  });

  test('a lone segment far past the start costs its bytes and a fixed overhead, not a 16 KiB buffer', () => {
    // Adversarial: one byte 16,000 bytes past the SYN, per flow, over millions of flows.
    const budget = new StreamHeadBudget();
    const big = streamBytes(16_010);
    const h = new StreamHead(0, 2048, budget);
    expect(h.add(16_000, big, 16_000, 1)).toBe(false);
    expect(h.buf.length).toBe(0);
    expect(budget.usedBytes).toBe(FAR_SEGMENT_COST + 1);
    expect([h.contiguous, h.hasHole, h.pendingBytes]).toEqual([0, true, 1]);
    // The hole filled: the far byte joins the stream where it belongs.
    expect(h.add(0, big, 0, 16_000)).toBe(true);
    expect(h.contiguous).toBe(16_001);
    expect(h.hasHole).toBe(false);
    expect(Buffer.compare(Buffer.from(h.buf.subarray(0, 16_001)), Buffer.from(big.subarray(0, 16_001)))).toBe(0);
  });

  test('far segments: a differing copy counts one conflict on arrival, none again when they join, and the first copy wins', () => {
    const h = new StreamHead(0);
    seg(h, 0, data, 0, 10);
    seg(h, 0, data, 2500, 2600); // past the hole and beyond the 2 KiB buffer: kept apart
    const other = data.slice();
    other[2550] ^= 1;
    h.add(2540, other, 2540, 20); // overlaps it and differs
    expect(h.conflicts).toBe(1);
    h.add(2500, data, 2500, 100); // an identical retransmission: no conflict
    expect(h.conflicts).toBe(1);
    seg(h, 0, data, 10, 2500); // fills the hole: the far segments join, oldest first
    expect(h.conflicts).toBe(1);
    expect(h.contiguous).toBe(2600);
    expect(head(h)).toEqual([...data.subarray(0, 2600)]);
  });

  test('a far segment reached by the buffer joins it before the segment that grew it', () => {
    const h = new StreamHead(0);
    seg(h, 0, data, 0, 10);
    seg(h, 0, data, 2100, 2200); // far (the buffer is 2 KiB)
    const other = data.slice();
    other[2150] ^= 1;
    // Grows the buffer over the far segment: that one arrived first, so its bytes are kept.
    h.add(2000, other, 2000, 300);
    expect(h.conflicts).toBe(1);
    seg(h, 0, data, 10, 2000);
    expect(h.contiguous).toBe(2300);
    expect(head(h)).toEqual([...data.subarray(0, 2300)]);
  });

  test('restart and shedding drop far segments', () => {
    const budget = new StreamHeadBudget(4096);
    const h = new StreamHead(0, 2048, budget);
    seg(h, 0, data, 2500, 2600);
    h.restart(0);
    expect([h.contiguous, h.hasHole, h.pendingBytes]).toEqual([0, false, 0]);
    seg(h, 0, data, 2500, 2600);
    h.shedBuffer();
    expect(h.pendingBytes).toBe(0);
    expect(h.add(0, data, 0, 2600)).toBe(false);
  });

  test('any segmentation, order and duplication gives back the stream (seeded random)', () => {
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const len = 1 + rnd(3000);
      const base = rnd(2) === 0 ? (0xffffffff - rnd(2000)) >>> 0 : rnd(0x7fffffff); // half the rounds cross the wrap
      const segs: [number, number][] = [];
      for (let p = 0; p < len; ) {
        const n = 1 + rnd(600);
        segs.push([p, Math.min(len, p + n)]);
        p += n;
      }
      // Duplicate some segments and add overlapping ones, then shuffle.
      const extra = segs.filter(() => rnd(4) === 0).map(([a, b]): [number, number] => [Math.max(0, a - rnd(50)), Math.min(len, b + rnd(50))]);
      const all = [...segs, ...extra];
      for (let i = all.length - 1; i > 0; i--) {
        const j = rnd(i + 1);
        [all[i], all[j]] = [all[j], all[i]];
      }
      const h = new StreamHead(base);
      for (const [a, b] of all) seg(h, base, data, a, b);
      if (h.contiguous !== len || h.hasHole || h.conflicts !== 0) {
        throw new Error(`round ${round}: len ${len} base ${base} → contiguous ${h.contiguous} hole ${h.hasHole} conflicts ${h.conflicts}`);
      }
      expect(Buffer.compare(Buffer.from(h.buf.subarray(0, len)), Buffer.from(data.subarray(0, len)))).toBe(0);
    }
  });
});
