/**
 * HPACK decoding (RFC 7541): the request examples of Appendix C (C.3 without and C.4 with
 * Huffman coding, three blocks each, the dynamic table carried from one to the next), every
 * byte value through a canonical encoder rebuilt from the RFC's code lengths, table eviction
 * and size updates, each decoding error §5 and §6 name, and a "never throws" property.
 */
import fc from 'fast-check';
import { HpackDecoder, huffmanDecode, MAX_TABLE_SIZE } from '../../../src/extract/hpack';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('latin1'));

function decode(d: HpackDecoder, block: Uint8Array): { ok: boolean; authority: string | null; host: string | null; fields: number } {
  const ok = d.decodeBlock(block, 0, block.length);
  return { ok, authority: text(d.authority), host: text(d.host), fields: d.fields };
}

describe('RFC 7541 Appendix C request examples', () => {
  test('C.3: literals without Huffman coding; the second and third requests take :authority from the dynamic table', () => {
    const d = new HpackDecoder();
    expect(decode(d, hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'))).toEqual({ ok: true, authority: 'www.example.com', host: null, fields: 4 });
    expect(decode(d, hex('8286 84be 5808 6e6f 2d63 6163 6865'))).toEqual({ ok: true, authority: 'www.example.com', host: null, fields: 5 });
    expect(decode(d, hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65'))).toEqual({ ok: true, authority: 'www.example.com', host: null, fields: 5 });
  });

  test('C.4: the same requests Huffman-coded', () => {
    const d = new HpackDecoder();
    expect(decode(d, hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual({ ok: true, authority: 'www.example.com', host: null, fields: 4 });
    expect(decode(d, hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual({ ok: true, authority: 'www.example.com', host: null, fields: 5 });
    expect(decode(d, hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual({ ok: true, authority: 'www.example.com', host: null, fields: 5 });
  });

  test('without the first block the table is empty: index 62 is an error, not a guess', () => {
    expect(decode(new HpackDecoder(), hex('8286 84be 5886 a8eb 1064 9cbf')).ok).toBe(false);
  });
});

describe('Huffman coding (Appendix B)', () => {
  test('every byte value decodes to itself (the code table is complete and canonical)', () => {
    // Encode each symbol with the canonical code rebuilt independently here from the RFC's
    // lengths, and decode it: a wrong length would shift every later code.
    for (let sym = 0; sym < 256; sym++) {
      const bytes = encodeHuffman([sym, sym, 0x61]);
      const out = new Uint8Array(16);
      const n = huffmanDecode(bytes, 0, bytes.length, out);
      expect([...out.subarray(0, n)]).toEqual([sym, sym, 0x61]);
    }
  });

  test('padding of more than 7 bits, padding that is not all ones, and EOS are errors (§5.2)', () => {
    const out = new Uint8Array(64);
    // "a" is 00011 (5 bits): 0x1f pads with three ones.
    expect(huffmanDecode(hex('1f'), 0, 1, out)).toBe(1);
    expect(huffmanDecode(hex('18'), 0, 1, out)).toBe(-1); // padding 000
    expect(huffmanDecode(hex('1fff'), 0, 2, out)).toBe(-1); // 11 bits of padding
    expect(huffmanDecode(hex('ffffffff'), 0, 4, out)).toBe(-1); // EOS (30 ones) inside the string
    expect(huffmanDecode(hex(''), 0, 0, out)).toBe(0);
  });
});

describe('dynamic table (§4)', () => {
  test('entries are evicted oldest first once the table passes its size; index 62 is the newest', () => {
    const d = new HpackDecoder();
    // Size update to 100 bytes, then three literals with incremental indexing of 50 bytes each
    // (name 8 + value 10 + 32): only the last two fit.
    const lit = (name: string, value: string) => [0x40, name.length, ...Buffer.from(name), value.length, ...Buffer.from(value)];
    const block = Uint8Array.from([0x3f, 0x45, ...lit('x-first!', 'aaaaaaaaaa'), ...lit('x-second', 'bbbbbbbbbb'), ...lit('x-third!', 'cccccccccc')]);
    expect(d.decodeBlock(block, 0, block.length)).toBe(true);
    expect(d.decodeBlock(Uint8Array.from([0xbe]), 0, 1)).toBe(true); // 62: x-third!
    expect(d.decodeBlock(Uint8Array.from([0xbf]), 0, 1)).toBe(true); // 63: x-second
    expect(d.decodeBlock(Uint8Array.from([0xc0]), 0, 1)).toBe(false); // 64: x-first! was evicted
  });

  test('an :authority inserted with incremental indexing is found again by index', () => {
    const d = new HpackDecoder();
    const block = Uint8Array.from([0x41, 11, ...Buffer.from('a.example:8')]);
    expect(decode(d, block).authority).toBe('a.example:8');
    expect(decode(d, Uint8Array.from([0xbe])).authority).toBe('a.example:8');
  });

  test('an entry larger than the table empties it (§4.4)', () => {
    const d = new HpackDecoder();
    const big = 'v'.repeat(200);
    const block = Uint8Array.from([0x3f, 0x21 /* 31 + 33 = 64 */, 0x41, 5, ...Buffer.from('x.org'), 0x40, 1, 0x6e, 0x7f, 200 - 127, ...Buffer.from(big)]);
    expect(d.decodeBlock(block, 0, block.length)).toBe(true);
    expect(d.decodeBlock(Uint8Array.from([0xbe]), 0, 1)).toBe(false);
  });

  test(`a size update past ${MAX_TABLE_SIZE} bytes is refused`, () => {
    const d = new HpackDecoder();
    // 31 + 65506 = 65537: 0x3f, then 65506 in 7-bit groups.
    const v = MAX_TABLE_SIZE + 1 - 31;
    const block = Uint8Array.from([0x3f, 0x80 | (v & 0x7f), 0x80 | ((v >> 7) & 0x7f), v >> 14]);
    expect(d.decodeBlock(block, 0, block.length)).toBe(false);
  });
});

describe('decoding errors are false, never exceptions', () => {
  test.each([
    ['index 0', '80'],
    ['an index past both tables', 'ff00'],
    ['an integer cut short', 'ff'],
    ['an integer of more than 2^28', 'ffffffffffff7f'],
    ['a string longer than the block', '4105616263'],
    ['a literal name cut short', '40'],
    ['a value missing', '41'],
    ['a literal name whose value is missing', '4003616263'],
    ['bad Huffman padding in a value', '418118'],
  ])('%s', (_why, block) => {
    const b = hex(block);
    expect(new HpackDecoder().decodeBlock(b, 0, b.length)).toBe(false);
  });

  test('a Host field is reported apart from :authority', () => {
    const d = new HpackDecoder();
    const block = Uint8Array.from([0x82, 0x0f, 0x17, 9, ...Buffer.from('h.example')]); // literal without indexing, name index 38
    expect(decode(d, block)).toEqual({ ok: true, authority: null, host: 'h.example', fields: 2 });
  });

  test('property: any bytes, any bounds, any table history: a boolean', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 4 }), fc.integer({ min: -3, max: 300 }), (blocks, e) => {
      const d = new HpackDecoder();
      for (const b of blocks) {
        expect(typeof d.decodeBlock(b, 0, b.length)).toBe('boolean');
        expect(typeof d.decodeBlock(b, 1, Math.min(e, b.length))).toBe('boolean');
      }
    }), { numRuns: 3000 });
  });
});

/** Canonical Huffman encoding from the RFC's code lengths, rebuilt here independently of the decoder. */
function encodeHuffman(symbols: number[]): Uint8Array {
  const lengths = RFC_LENGTHS;
  const order = [...lengths.keys()].sort((a, b) => lengths[a] - lengths[b] || a - b);
  const codes = new Array<bigint>(257);
  let code = 0n;
  let prev = lengths[order[0]];
  order.forEach((s, i) => {
    if (i > 0) code = (code + 1n) << BigInt(lengths[s] - prev);
    prev = lengths[s];
    codes[s] = code;
  });
  let acc = 0n;
  let bits = 0;
  for (const s of symbols) {
    acc = (acc << BigInt(lengths[s])) | codes[s];
    bits += lengths[s];
  }
  const pad = (8 - (bits % 8)) % 8;
  acc = (acc << BigInt(pad)) | ((1n << BigInt(pad)) - 1n);
  bits += pad;
  const out = new Uint8Array(bits / 8);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(acc & 0xffn);
    acc >>= 8n;
  }
  return out;
}

/**
 * RFC 7541 Appendix B code lengths, written out as the RFC lists them, a second time (the
 * decoder's copy is in src/extract/hpack.ts); the known codes below pin a few entries.
 */
const RFC_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

test('the rebuilt code agrees with codes the RFC prints (| "0" 00000, "a" 00011, "w" 1111000, "~" 1111111111101, EOS 30 ones)', () => {
  expect([...encodeHuffman([0x30])]).toEqual([0b00000111]);
  expect([...encodeHuffman([0x61])]).toEqual([0b00011111]);
  expect([...encodeHuffman([0x77])]).toEqual([0b11110001]);
  expect([...encodeHuffman([0x7e])]).toEqual([0b11111111, 0b11101111]);
});
