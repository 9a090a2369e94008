/**
 * Unit tests for src/extract/gquic.ts: CHLO SNI/UAID from both gQUIC header shapes, the
 * structural checks that keep a stray "CHLO" from matching, and "any bytes → no throw".
 * The real Q025 and Q046 packets are checked in quic-corpus.test.ts.
 */
import fc from 'fast-check';
import { isGquicVersion, parseChloMessage, parseGquicPacket } from '../../../src/extract/gquic';
import { QuicInitialDecoder } from '../../../src/extract/quic-initial';
import { chloMessage as chlo, unhex } from './helpers/quic-frames';

const ENTRIES: [string, Uint8Array][] = [
  ['PAD', Buffer.alloc(20, 0x2d)],
  ['SNI', Buffer.from('www.example.org')],
  ['VER', Buffer.from('Q043')],
  ['UAID', Buffer.from('Chrome/70.0 Linux x86_64')],
];

/**
 * Q043 public header (gQUIC wire layout):
 *   09                 flags: VERSION (0x01) | 8-byte connection ID (0x08); 1-byte packet number
 *   1122334455667788   connection ID
 *   51303433           "Q043"
 *   01                 packet number
 *   <12 bytes>         null-encryption hash (FNV-1a-128 truncated)
 *   a0 01 xxxx         STREAM frame: data-length present, stream 1, data length (BE since Q039)
 */
function q043(message: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length);
  return Buffer.concat([unhex('09 1122334455667788 51303433 01'), Buffer.alloc(12, 0xab), unhex('a0 01'), len, message]);
}

/**
 * Q046 long header:
 *   c3                 long header, 4-byte packet number
 *   51303436           "Q046"
 *   50                 DCID length nibble 5 → 5 + 3 = 8 bytes, SCID length 0
 *   <8 bytes DCID> 00000001 <12-byte hash> a4 01 0000 xxxx <CHLO>
 */
function q046(message: Buffer, version = '51303436'): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length);
  return Buffer.concat([unhex(`c3 ${version} 50 eacfe6e706df272d 00000001`), Buffer.alloc(12, 0xcd), unhex('a4 01 0000'), len, message]);
}

describe('gQUIC CHLO', () => {
  test('version tags', () => {
    expect(isGquicVersion(0x51303433)).toBe(true); // Q043
    expect(isGquicVersion(0x54303531)).toBe(true); // T051
    expect(isGquicVersion(0x00000001)).toBe(false);
    expect(isGquicVersion(0x51303a33)).toBe(false);
  });

  test('Q043 public header → SNI and UAID', () => {
    const p = q043(chlo(ENTRIES));
    expect(parseGquicPacket(p, 0, p.length)).toEqual({
      kind: 'found',
      chlo: { version: 'Q043', versionNumber: 0x51303433, sni: 'www.example.org', uaid: 'Chrome/70.0 Linux x86_64', tagCount: 4, complete: true },
    });
    expect(new QuicInitialDecoder().feed(p, 0, p.length)).toMatchObject({ kind: 'gquic', version: 0x51303433, chlo: { sni: 'www.example.org' } });
  });

  test('Q046 long header → SNI', () => {
    const p = q046(chlo(ENTRIES));
    expect(parseGquicPacket(p, 0, p.length)).toMatchObject({ kind: 'found', chlo: { version: 'Q046', sni: 'www.example.org' } });
  });

  test('Q050 and T051 Initials are encrypted: this plaintext reader reports them, not guesses (quic-initial.ts decrypts them)', () => {
    const p = q046(chlo(ENTRIES), '51303530');
    expect(parseGquicPacket(p, 0, p.length)).toEqual({ kind: 'encrypted', versionNumber: 0x51303530 });
    const t = q046(chlo(ENTRIES), '54303531');
    expect(parseGquicPacket(t, 0, t.length).kind).toBe('encrypted');
  });

  test('a CHLO without SNI, and non-printable SNI bytes escaped as \\ooo', () => {
    const noSni = q043(chlo([ENTRIES[0], ENTRIES[2]]));
    expect(parseGquicPacket(noSni, 0, noSni.length)).toMatchObject({ kind: 'found', chlo: { sni: null, uaid: null } });
    const odd = q043(chlo([['SNI', Buffer.from([0x61, 0x01, 0x5c, 0x62])]]));
    expect(parseGquicPacket(odd, 0, odd.length)).toMatchObject({ kind: 'found', chlo: { sni: 'a\\001\\134b' } });
  });

  test('value area cut by the end of the packet: tags before the cut still count', () => {
    const m = chlo(ENTRIES);
    const p = q043(m).subarray(0, q043(m).length - 10);
    expect(parseGquicPacket(p, 0, p.length)).toMatchObject({ kind: 'found', chlo: { sni: 'www.example.org', uaid: null, complete: false } });
  });

  test('structural checks: decreasing offsets, zero or too many tags, table past the end', () => {
    const bad = chlo(ENTRIES);
    bad.writeUInt32LE(1, 8 + 8 + 4); // SNI ends before PAD does
    const p = q043(bad);
    expect(parseGquicPacket(p, 0, p.length)).toEqual({ kind: 'no-chlo', versionNumber: 0x51303433 });
    expect(parseChloMessage(unhex('43484c4f 0000 0000'), 0, 8, 0)).toBeNull();
    expect(parseChloMessage(unhex('43484c4f 8100 0000'), 0, 8, 0)).toBeNull(); // 129 tags
    expect(parseChloMessage(unhex('43484c4f 0200 0000 534e4900 00000000'), 0, 16, 0)).toBeNull();
  });

  test('not gQUIC: IETF versions, short packets, no version flag', () => {
    expect(parseGquicPacket(unhex('c000000001'), 0, 5)).toEqual({ kind: 'not-gquic' });
    const noVersion = q043(chlo(ENTRIES));
    noVersion[0] = 0x08;
    expect(parseGquicPacket(noVersion, 0, noVersion.length)).toEqual({ kind: 'not-gquic' });
    expect(parseGquicPacket(new Uint8Array(4), 0, 10)).toEqual({ kind: 'not-gquic' });
  });

  test('any bytes → a status, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1400 }), fc.constantFrom('', '09 1122334455667788 51303433 01', 'c3 51303436 50 0102030405060708'), (tail, prefix) => {
        const b = Buffer.concat([unhex(prefix), tail]);
        const r = parseGquicPacket(b, 0, b.length);
        expect(['found', 'not-gquic', 'no-chlo', 'encrypted']).toContain(r.kind);
        const c = Buffer.concat([Buffer.from('CHLO'), tail]);
        parseChloMessage(c, 0, c.length, 0x51303433);
      }),
      { numRuns: 2000 },
    );
  });
});
