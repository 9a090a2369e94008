/**
 * Unit tests for QuicCryptoReassembler: out-of-order and overlapping CRYPTO data, the first-copy
 * rule, the byte cap, and the ClientHello completeness check (RFC 8446 §4 header).
 */
import fc from 'fast-check';
import { QuicCryptoReassembler } from '../../../src/extract/quic-crypto-reassembler';

const msg = (bodyLen: number): Uint8Array => {
  const m = new Uint8Array(4 + bodyLen);
  m[0] = 1;
  m[1] = bodyLen >> 16;
  m[2] = (bodyLen >> 8) & 0xff;
  m[3] = bodyLen & 0xff;
  for (let i = 4; i < m.length; i++) m[i] = i & 0xff;
  return m;
};

describe('QuicCryptoReassembler', () => {
  test('empty: needs the 4-byte handshake header', () => {
    const r = new QuicCryptoReassembler();
    expect(r.status()).toEqual({ kind: 'need-more', needed: 4, gap: false });
    expect(r.view().length).toBe(0);
  });

  test('in order, then complete exactly at the declared length', () => {
    const m = msg(3000);
    const r = new QuicCryptoReassembler();
    expect(r.add(0, m, 0, 1000)).toBe('ok');
    expect(r.status()).toEqual({ kind: 'need-more', needed: 3004, gap: false });
    r.add(1000, m, 1000, 2004);
    expect(r.status()).toEqual({ kind: 'complete', length: 3004 });
    expect(Buffer.from(r.view()).equals(Buffer.from(m))).toBe(true);
  });

  test('reverse order with overlaps: the prefix closes when the hole fills', () => {
    const m = msg(2500);
    const r = new QuicCryptoReassembler();
    r.add(2000, m, 2000, 504);
    r.add(900, m, 900, 1200); // overlaps the next piece
    expect(r.hasGap).toBe(true);
    expect(r.contiguous).toBe(0);
    expect(r.highest).toBe(2504);
    r.add(0, m, 0, 1000);
    expect(r.contiguous).toBe(2504);
    expect(r.status()).toEqual({ kind: 'complete', length: 2504 });
  });

  test('differing retransmission: first copy wins, reported as conflict', () => {
    const m = msg(100);
    const other = Uint8Array.from(m);
    other[50] ^= 0xff;
    const r = new QuicCryptoReassembler();
    r.add(0, m, 0, 60);
    expect(r.add(40, other, 40, 64)).toBe('conflict');
    expect(r.view()[50]).toBe(m[50]);
    expect(r.add(40, m, 40, 64)).toBe('ok'); // same bytes again: fine
  });

  test('bounded: data at or past the cap is dropped; too-large and not-client-hello', () => {
    const r = new QuicCryptoReassembler(1024);
    const m = msg(5000);
    expect(r.add(2000, m, 0, 100)).toBe('over-limit');
    expect(r.highest).toBe(0);
    expect(r.add(1000, m, 0, 100)).toBe('over-limit');
    expect(r.highest).toBe(1024);
    r.add(0, m, 0, 4);
    expect(r.status()).toEqual({ kind: 'too-large', length: 5004 });
    const s = new QuicCryptoReassembler();
    s.add(0, Uint8Array.of(2, 0, 0, 0), 0, 4);
    expect(s.status()).toEqual({ kind: 'not-client-hello', handshakeType: 2 });
  });

  test('reset forgets everything', () => {
    const r = new QuicCryptoReassembler();
    r.add(0, msg(10), 0, 14);
    r.reset();
    expect(r.contiguous).toBe(0);
    expect(r.status().kind).toBe('need-more');
  });

  test('property: any split and delivery order reassembles the same bytes', () => {
    const m = msg(3000);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: m.length - 1 }), { maxLength: 12 }), fc.func(fc.integer()), (cuts, order) => {
        const points = [0, ...cuts.sort((a, b) => a - b), m.length];
        const pieces = points.slice(1).map((e, i) => [points[i], e] as const);
        pieces.sort((a, b) => order(a[0]) - order(b[0]));
        const r = new QuicCryptoReassembler();
        for (const [s, e] of pieces) r.add(s, m, s, e - s);
        expect(r.status()).toEqual({ kind: 'complete', length: m.length });
        expect(Buffer.from(r.view()).equals(Buffer.from(m))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
