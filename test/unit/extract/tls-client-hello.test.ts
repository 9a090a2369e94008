/**
 * ClientHello extractor: byte vectors, builder presets, every cut point of a post-quantum hello,
 * multi-record messages, one adversarial case per length field, and fast-check properties.
 */
import fc from 'fast-check';
import { A } from '../../../src/anomalies';
import {
  ClientHelloResult,
  leadingNonHelloRecords,
  MAX_CLIENT_HELLO_LENGTH,
  parseClientHelloMessage,
  parseClientHelloPrefix,
  parseClientHelloRecords,
  parseSslv2ClientHello,
  probeTlsRecord,
} from '../../../src/extract/tls-client-hello';
import { ascii } from '../../helpers/packets';
import { clientHelloMessage, concat, ext, filler, HelloSpec, hex, hexdump, pqHello, records, tls12Plain, tls13Grease } from './helpers/tls-builder';

function parse(bytes: Uint8Array): ClientHelloResult {
  return parseClientHelloRecords(bytes, 0, bytes.length);
}
function found(bytes: Uint8Array) {
  const r = parse(bytes);
  if (r.kind !== 'found') throw new Error(`expected found, got ${JSON.stringify(r)}\n${hexdump(bytes, 8)}`);
  return r.hello;
}
function helloWith(exts: HelloSpec['extensions'], more: Partial<HelloSpec> = {}): Uint8Array {
  return records(clientHelloMessage({ ciphers: [0x1301, 0xc02f], extensions: exts, ...more }));
}
const malformed = (anomaly: number) => ({ kind: 'malformed', anomaly });

// TLS 1.2 ClientHello, one record, SNI "example.org" first, built by tls-builder:
// 0000  16 03 01 00 67 01 00 00 63 03 03 01 20 3f 5e 7d  ....g...c... ?^}   record(22, 3.1, 103) hs(1, 99) v3.3 random…
// 0010  9c bb da f9 18 37 56 75 94 b3 d2 f1 10 2f 4e 6d  .....7Vu...../Nm
// 0020  8c ab ca e9 08 27 46 65 84 a3 c2 00 00 0c c0 2c  .....'Fe.......,   sid_len 0, suites_len 12
// 0030  c0 2b c0 30 c0 2f 00 9f 00 9e 01 00 00 2e 00 00  .+.0./..........   comp [0], ext_len 46, ext 0 (SNI)
// 0040  00 10 00 0e 00 00 0b 65 78 61 6d 70 6c 65 2e 6f  .......example.o   list 14, host_name len 11
// 0050  72 67 00 0a 00 06 00 04 00 1d 00 17 00 0b 00 02  rg..............   groups [x25519, secp256r1], ec_point_formats
// 0060  01 00 00 0d 00 06 00 04 04 03 08 04              ............       [0], signature_algorithms [0403, 0804]
const TLS12_EXAMPLE_ORG = hex(`
  160301006701000063030301203f5e7d9cbbdaf91837567594b3d2f1102f4e6d8cabcae90827466584a3c200000cc02c
  c02bc030c02f009f009e0100002e00000010000e00000b6578616d706c652e6f7267000a00060004001d0017000b0002
  0100000d0006000404030804`);

describe('probeTlsRecord', () => {
  test.each([
    ['handshake record, TLS 1.0 record version', '1603010067', true],
    ['handshake record, TLS 1.2 record version', '1603030067', true],
    ['one byte 0x16 is still possible', '16', true],
    ['application data (23) is not a handshake start', '1703030067', false],
    ['major version 2', '1602010067', false],
    ['minor version 5 does not exist', '1603050067', false],
    ['zero-length record (RFC 8446 §5.1)', '1603010000', false],
    ['HTTP request', '474554202f', false],
    ['SSLv2-compatible hello (msb-length header)', '802e010301', false],
    ['empty input', '', false],
  ])('%s', (_why, h, want) => {
    const b = hex(h);
    expect(probeTlsRecord(b, 0, b.length)).toBe(want);
  });
});

describe('leadingNonHelloRecords: records a server reads past before the hello', () => {
  const hello = records(clientHelloMessage({ ciphers: [0x1301, 0xc02f], extensions: [ext.sni('hidden.example.test')] }));
  test('an empty handshake record, ChangeCipherSpec, alert, empty application data or heartbeat, up to eight: their length', () => {
    for (const lead of ['1603010000', '140303000101', '15030300020100', '1703030000', '1803030003010000']) {
      expect(leadingNonHelloRecords(concat(hex(lead), hello), 0, hex(lead).length + hello.length)).toBe(hex(lead).length);
    }
    const eight = hex('140303000101'.repeat(8));
    expect(leadingNonHelloRecords(concat(eight, hello), 0, eight.length + hello.length)).toBe(eight.length);
    const nine = hex('140303000101'.repeat(9));
    expect(leadingNonHelloRecords(concat(nine, hello), 0, nine.length + hello.length)).toBe(0);
  });
  test('a stream that starts with the hello, or with no TLS, or with a large record: 0', () => {
    expect(leadingNonHelloRecords(hello, 0, hello.length)).toBe(0);
    expect(leadingNonHelloRecords(ascii('GET / HTTP/1.1\r\n'), 0, 16)).toBe(0);
    const big = concat(hex('17030301 01'), new Uint8Array(257), hello);
    expect(leadingNonHelloRecords(big, 0, big.length)).toBe(0);
    const notTls = concat(hex('1603010000'), ascii('SSH-2.0-x\r\n'));
    expect(leadingNonHelloRecords(notTls, 0, notTls.length)).toBe(0);
  });
  test('cut before the hello\'s record header, or inside a first record header that may be one: -1 (more bytes)', () => {
    const s = concat(hex('15030300020100'), hello);
    for (const n of [1, 3, 4, 7, 8, 11]) expect(leadingNonHelloRecords(s, 0, n)).toBe(-1);
    expect(leadingNonHelloRecords(s, 0, 12)).toBe(7);
    expect(leadingNonHelloRecords(hex('16'), 0, 1)).toBe(0);
    expect(leadingNonHelloRecords(hex('1504'), 0, 2)).toBe(0);
  });
});

describe('parseSslv2ClientHello: the SSL 2.0-format hello old clients send to offer TLS (RFC 5246 Appendix E.2)', () => {
  // 2-byte header (high bit), CLIENT-HELLO, version 3.1, 9 bytes of specs, no session id, 16-byte challenge.
  const v2 = hex('8022 01 0301 0009 0000 0010 00002f 000035 010080' + '11'.repeat(16));
  test('read: TLS suites among its specs (what JA3/JA4 are computed over), its version, no server name', () => {
    const r = parseSslv2ClientHello(v2, 0, v2.length);
    expect(r.kind).toBe('found');
    if (r.kind !== 'found') return;
    expect(r.hello).toMatchObject({ sni: null, legacyVersion: 0x0301, cipherSuites: [0x2f, 0x35], sslv2: true, messageLength: 36 });
  });
  test('cut anywhere: more bytes asked for; any length that disagrees, or another message type: not TLS', () => {
    for (const n of [1, 2, 5, 10, 11, 35]) expect(parseSslv2ClientHello(v2, 0, n).kind).toBe('need-more');
    const patched = (at: number, b: number): Uint8Array => { const x = Uint8Array.from(v2); x[at] = b; return x; };
    expect(parseSslv2ClientHello(patched(1, 0x23), 0, 36).kind).toBe('not-tls'); // header length
    expect(parseSslv2ClientHello(patched(2, 2), 0, 36).kind).toBe('not-tls'); // not CLIENT-HELLO
    expect(parseSslv2ClientHello(patched(4, 9), 0, 36).kind).toBe('not-tls'); // version 3.9
    expect(parseSslv2ClientHello(patched(6, 8), 0, 36).kind).toBe('not-tls'); // specs not in threes
    expect(parseSslv2ClientHello(patched(10, 8), 0, 36).kind).toBe('not-tls'); // challenge under 16
    expect(parseSslv2ClientHello(hex('1603010000'), 0, 5).kind).toBe('not-tls');
  });
});

describe('parseClientHelloRecords: well-formed hellos', () => {
  test('TLS 1.2 vector: every field', () => {
    const h = found(TLS12_EXAMPLE_ORG);
    expect(h).toEqual({
      sni: 'example.org', alpn: [], legacyVersion: 0x0303, supportedVersions: [],
      cipherSuites: [0xc02c, 0xc02b, 0xc030, 0xc02f, 0x009f, 0x009e], extensionTypes: [0, 10, 11, 13],
      supportedGroups: [0x1d, 0x17], ecPointFormats: [0], signatureAlgorithms: [0x0403, 0x0804], partial: false,
      keyShareGroups: [], ech: false, esni: false, messageLength: 103, anomalies: [],
    });
  });

  test('TLS 1.2 preset (OpenSSL shape)', () => {
    const h = found(records(clientHelloMessage(tls12Plain('example.org'))));
    expect(h.sni).toBe('example.org');
    expect(h.ecPointFormats).toEqual([0, 1, 2]);
    expect(h.extensionTypes).toEqual([0, 11, 10, 35, 13, 23]);
  });

  test('TLS 1.3 with GREASE everywhere: GREASE kept in wire-order lists', () => {
    const h = found(records(clientHelloMessage(tls13Grease('www.example.com'))));
    expect(h.sni).toBe('www.example.com');
    expect(h.cipherSuites[0]).toBe(0x4a4a);
    expect(h.extensionTypes[0]).toBe(0x2a2a);
    expect(h.extensionTypes[h.extensionTypes.length - 1]).toBe(0x1a1a);
    expect(h.supportedVersions).toEqual([0x5a5a, 0x0304, 0x0303]);
    expect(h.supportedGroups).toEqual([0x3a3a, 0x1d, 0x17, 0x18]);
    expect(h.keyShareGroups).toEqual([0x3a3a, 0x1d]);
    expect(h.alpn).toEqual(['h2', 'http/1.1']);
    expect(h.anomalies).toEqual([]);
  });

  test('post-quantum hello: 1.7–1.9 KB, X25519MLKEM768 key share, ECH, SNI late in the list', () => {
    const bytes = records(clientHelloMessage(pqHello('lh3.google.com')));
    expect(bytes.length).toBeGreaterThan(1700);
    expect(bytes.length).toBeLessThan(1900);
    const h = found(bytes);
    expect(h.sni).toBe('lh3.google.com');
    expect(h.keyShareGroups).toEqual([0x8a8a, 0x11ec, 0x001d]);
    expect(h.ech).toBe(true);
    expect(h.messageLength).toBe(bytes.length - 5);
  });

  test('ECH outer hello: ech flag set, public name in SNI', () => {
    const h = found(helloWith([ext.sni('cloudflare-ech.com'), ext.ech(144), ext.versions([0x0304])]));
    expect(h.ech).toBe(true);
    expect(h.sni).toBe('cloudflare-ech.com');
  });

  test('ESNI (0xffce, draft-ietf-tls-esni-02) next to a cleartext SNI: esni set, ech not, the cleartext name kept as sni', () => {
    const h = found(helloWith([ext.sni('decoy.example'), ext.raw(0xffce, new Uint8Array(120).fill(7)), ext.versions([0x0304])]));
    expect(h).toMatchObject({ esni: true, ech: false, sni: 'decoy.example' });
    expect(found(helloWith([ext.sni('plain.example')])).esni).toBe(false);
  });

  test('no SNI: sni null, no anomaly', () => {
    const h = found(helloWith([ext.groups([0x1d]), ext.alpn(['h2'])]));
    expect(h.sni).toBeNull();
    expect(h.anomalies).toEqual([]);
  });

  test('SNI as the last extension, after a 1.2 KB key share', () => {
    const h = found(helloWith([ext.keyShare([[0x11ec, 1216]]), ext.raw(0x0015, filler(300)), ext.sni('last.example')]));
    expect(h.sni).toBe('last.example');
    expect(h.extensionTypes).toEqual([51, 21, 0]);
  });

  test('no extensions block at all (allowed before TLS 1.3, RFC 5246 §7.4.1.2)', () => {
    const h = found(helloWith(null, { legacyVersion: 0x0301 }));
    expect(h.extensionTypes).toEqual([]);
    expect(h.sni).toBeNull();
    expect(h.legacyVersion).toBe(0x0301);
  });

  test('SNI bytes are kept faithfully: case kept, spaces and UTF-8 as text, other bytes and backslash as \\DDD', () => {
    const name = concat(Uint8Array.from('Ex', (c) => c.charCodeAt(0)), Uint8Array.of(0x00, 0x20, 0x5c, 0xff, 0x2e), Uint8Array.of(0x61), Uint8Array.from(Buffer.from('é', 'utf8')));
    expect(found(helloWith([ext.sni(name)])).sni).toBe('Ex\\000 \\092\\255.aé');
  });

  test('an unknown name_type before host_name is skipped (RFC 6066 §3)', () => {
    // list(20) = [type 5, len 3, "abc"] [host_name, len 11, "example.org"]
    const data = hex('0014 05 0003 616263 00 000b 6578616d706c652e6f7267');
    expect(found(helloWith([ext.raw(0, data)])).sni).toBe('example.org');
  });

  test('the message may be followed by more handshake bytes in the same record', () => {
    const msg = clientHelloMessage(tls12Plain());
    const extra = concat(msg, hex('0b000000')); // a (nonsensical) trailing handshake message
    expect(found(records(extra)).sni).toBe('example.org');
  });

  test('reads only [off, off+len): same result when the hello sits inside a larger buffer', () => {
    const big = concat(filler(37), TLS12_EXAMPLE_ORG, filler(50));
    const r = parseClientHelloRecords(big, 37, TLS12_EXAMPLE_ORG.length);
    expect(r).toEqual(parse(TLS12_EXAMPLE_ORG));
    // Window one byte short: the following bytes in the buffer must not be used.
    expect(parseClientHelloRecords(big, 37, TLS12_EXAMPLE_ORG.length - 1)).toEqual({ kind: 'need-more', needed: TLS12_EXAMPLE_ORG.length });
  });
});

describe('parseClientHelloRecords: segmentation and record fragmentation', () => {
  const pqMsg = clientHelloMessage(pqHello());
  const single = records(pqMsg);

  test('every prefix of a PQ hello is need-more with a lower bound that makes progress', () => {
    for (let cut = 0; cut < single.length; cut++) {
      const r = parseClientHelloRecords(single, 0, cut);
      if (r.kind !== 'need-more') throw new Error(`cut ${cut}: ${JSON.stringify(r)}`);
      expect(r.needed).toBeGreaterThan(cut);
      expect(r.needed).toBeLessThanOrEqual(single.length);
      if (cut >= 5) expect(r.needed).toBe(single.length); // header known: exact
    }
    expect(parse(single).kind).toBe('found');
  });

  // The same message split into records in several ways, including 1-byte records so the
  // 4-byte handshake header straddles records, and a cut inside the second record header.
  test.each([
    ['2 records (1000 + rest)', [1000]],
    ['3 records (1 + 2 + rest): handshake header spans 3 records', [1, 2]],
    ['4 records (600 + 600 + 600 + rest)', [600, 600, 600]],
    ['record boundary right after the handshake header', [4]],
  ])('every prefix of a hello in %s', (_name, frags) => {
    const bytes = records(pqMsg, frags);
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = parseClientHelloRecords(bytes, 0, cut);
      if (r.kind !== 'need-more') throw new Error(`cut ${cut}: ${JSON.stringify(r)}`);
      expect(r.needed).toBeGreaterThan(cut);
      expect(r.needed).toBeLessThanOrEqual(bytes.length);
    }
    const h = found(bytes);
    expect(h).toEqual(found(single));
  });

  test('fed as 1..4 TCP segments with arbitrary boundaries: need-more until complete, then found', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: single.length - 1 }), { minLength: 0, maxLength: 3 }), (cuts) => {
        const bounds = [...cuts.sort((a, b) => a - b), single.length];
        let have = 0;
        let needed = 0;
        for (const b of bounds) {
          have = b; // the flow stage appends each segment to its stream head
          const r = parseClientHelloRecords(single, 0, have);
          if (have < single.length) {
            if (r.kind !== 'need-more') return false;
            if (r.needed <= have || r.needed < needed) return false; // progress, never shrinks
            needed = r.needed;
          } else if (r.kind !== 'found' || r.hello.sni !== 'lh3.google.com') return false;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });

  test('handshake message spanning 2 records gives the same facts as one record', () => {
    const two = records(clientHelloMessage(tls13Grease()), [100]);
    expect(found(two)).toEqual(found(records(clientHelloMessage(tls13Grease()))));
  });
});

describe('parseClientHelloRecords: malformed input, one case per length field', () => {
  const good = records(clientHelloMessage(tls12Plain()));
  /** Copy of `good` with bytes overwritten at offset `at`. */
  const patch = (at: number, bytes: number[], base = good) => {
    const b = Uint8Array.from(base);
    b.set(bytes, at);
    return b;
  };
  // Offsets into a one-record hello with an empty session id: 5 record header, 4 hs header,
  // 2 version, 32 random → 43 session_id length, 44 cipher_suites length.
  const SID = 43;
  const SUITES = 44;

  test('record length 0: zero-length handshake fragments are forbidden (RFC 8446 §5.1)', () => {
    expect(parse(hex('1603010000'))).toEqual(malformed(A['tls.record_bad_length']));
  });
  test('an empty handshake record between the hello\'s fragments is read past, as OpenSSL does, and flagged', () => {
    const msg = clientHelloMessage({ ciphers: [0x1301, 0xc02f], extensions: [ext.sni('zeromid.example.test')] });
    const two = records(msg, [40, msg.length]);
    const withEmpty = concat(two.subarray(0, 45), hex('1603010000'), hex('1603010000'), two.subarray(45));
    const r = parse(withEmpty);
    expect(r.kind).toBe('found');
    if (r.kind !== 'found') return;
    expect(r.hello.sni).toBe('zeromid.example.test');
    expect(r.hello.anomalies).toContain(A['tls.record_bad_length']);
    // Cut right after the empty record: more is asked for, nothing is decided.
    expect(parse(withEmpty.subarray(0, 50)).kind).toBe('need-more');
  });
  test('record length 2^14 + 1: over the plaintext record limit', () => {
    expect(parse(hex('1603014001'))).toEqual(malformed(A['tls.record_bad_length']));
  });
  test('handshake type 2 (ServerHello) in the client stream', () => {
    expect(parse(patch(5, [2]))).toEqual(malformed(A['tls.malformed_client_hello']));
  });
  test('handshake length 16 KiB + 1: over MAX_CLIENT_HELLO_LENGTH, only its first 16 KiB are asked for', () => {
    const n = MAX_CLIENT_HELLO_LENGTH - 4 + 1;
    expect(parse(hex(`1603010010 01 ${n.toString(16).padStart(6, '0')}`))).toEqual({ kind: 'need-more', needed: MAX_CLIENT_HELLO_LENGTH });
  });
  test('handshake length 2^24 - 1 split across records: the same, nothing sized by the claim', () => {
    expect(parse(hex('1603010001 01 1603010003 ffffff'))).toEqual({ kind: 'need-more', needed: MAX_CLIENT_HELLO_LENGTH });
    // 16 KiB of it that are no hello body (no fixed part): refused, flagged too large.
    const junk = concat(hex('1603010001 01 1603010003 ffffff'), new Uint8Array(MAX_CLIENT_HELLO_LENGTH));
    expect(parse(junk)).toEqual(malformed(A['tls.client_hello_too_large']));
  });
  test('application data record in the middle of the handshake message (RFC 8446 §5.1)', () => {
    const two = records(clientHelloMessage(tls12Plain()), [50]);
    const bad = patch(55, [23], two);
    expect(parse(bad)).toEqual(malformed(A['tls.malformed_client_hello']));
  });
  test('a cut second record header with a non-handshake type is rejected early', () => {
    const two = records(clientHelloMessage(tls12Plain()), [50]);
    expect(parse(patch(55, [21], two).subarray(0, 56))).toEqual(malformed(A['tls.malformed_client_hello']));
  });
  test('handshake length shorter than the fixed fields (version + random + sid length)', () => {
    expect(parse(hex('1603010008 01000004 0303 0000'))).toEqual(malformed(A['tls.malformed_client_hello']));
  });
  test('legacy_session_id length 33 (max 32)', () => {
    expect(parse(patch(SID, [33]))).toEqual(malformed(A['tls.malformed_client_hello']));
  });
  test('cipher_suites length odd', () => {
    expect(parse(patch(SUITES, [0, 11]))).toEqual(malformed(A['tls.malformed_client_hello']));
  });
  test('cipher_suites length 0 where suites follow: the framing breaks, malformed', () => {
    expect(parse(patch(SUITES, [0, 0]))).toEqual(malformed(A['tls.malformed_client_hello']));
  });
  test.each<[string, number[], number[]]>([
    ['no cipher suites (minimum one)', [], [0]],
    ['no compression methods (minimum one)', [0x1301, 0xc02f], []],
  ])('%s, the message still framed by its lengths: read on to the server name, flagged, as tshark reads it', (_name, ciphers, compression) => {
    const h = found(records(clientHelloMessage({ ciphers, compression, extensions: [ext.sni('empty-lists.example.com')] })));
    expect([h.sni, h.cipherSuites, h.anomalies]).toEqual(['empty-lists.example.com', ciphers, [A['tls.malformed_client_hello']]]);
  });
  test('cipher_suites length runs past the message', () => {
    expect(parse(patch(SUITES, [0xff, 0xfe]))).toEqual(malformed(A['tls.malformed_client_hello']));
  });
  test('compression methods length 0 where a method follows: the framing breaks after the fixed part, flagged', () => {
    // The method byte (0) is then read as the first byte of the extensions length: the extensions
    // block no longer fits, and what it still frames is kept, flagged.
    expect(found(patch(SUITES + 2 + 12, [0])).anomalies).toEqual([A['tls.malformed_client_hello']]);
  });
  // The message is whole and its fixed part sound: a broken extensions framing keeps the
  // extensions read before the break and flags the hello (tshark and nDPI do the same).
  const flaggedHello = (bytes: Uint8Array) => {
    const h = found(bytes);
    expect(h.anomalies).toEqual([A['tls.malformed_client_hello']]);
    expect(h.cipherSuites.length).toBeGreaterThan(0);
    return h;
  };
  test('extensions block length larger than what is left: the whole extensions are read, flagged', () => {
    const h = flaggedHello(patch(SUITES + 2 + 12 + 2, [0x7f, 0xff]));
    expect(h.extensionTypes).toEqual(found(good).extensionTypes);
    expect(h.sni).toBe(found(good).sni);
  });
  test('extensions block length smaller than what is left (trailing bytes): the block is read as declared, flagged', () => {
    const at = SUITES + 2 + 12 + 2;
    const len = (good[at] << 8) | good[at + 1];
    const h = flaggedHello(patch(at, [(len - 1) >> 8, (len - 1) & 0xff]));
    // the last extension now runs one byte past the declared block: it is the break
    expect(h.extensionTypes).toEqual(found(good).extensionTypes.slice(0, -1));
  });
  test('the first extension length runs past the block: no extension, flagged', () => {
    const at = SUITES + 2 + 12 + 2 + 2; // first extension header: type(2) len(2)
    const h = flaggedHello(patch(at + 2, [0x7f, 0x00]));
    expect(h.extensionTypes).toEqual([]);
    expect(h.sni).toBeNull();
  });
  test('a later extension length runs past the message: the server_name before it is kept', () => {
    const ok = helloWith([ext.sni('kept.example'), ext.alpn(['h2']), ext.raw(0x17, hex(''))]);
    const h0 = found(ok);
    expect(h0.extensionTypes).toEqual([0, 0x10, 0x17]);
    const b = Uint8Array.from(ok);
    b.set([0x4f, 0xc6], b.length - 2); // the last extension's length: 20,422 bytes
    const h = flaggedHello(b);
    expect(h.sni).toBe('kept.example');
    expect(h.alpn).toEqual(['h2']);
    expect(h.extensionTypes).toEqual([0, 0x10]);
  });
  test('a single stray byte after the compression methods (no room for a length): flagged', () => {
    const msg = concat(hex('0100002a 0303'), filler(32), hex('00 0002 1301 01 00 ff'));
    const h = flaggedHello(records(msg));
    expect(h.cipherSuites).toEqual([0x1301]);
    expect(h.extensionTypes).toEqual([]);
  });
  test('SSLv2-compatible hello is not TLS records', () => {
    expect(parse(hex('802e0103010015000000100100800300800700c006004000'))).toEqual({ kind: 'not-tls' });
  });
  test('an HTTP request is not TLS', () => {
    expect(parse(Uint8Array.from('GET / HTTP/1.1\r\n', (c) => c.charCodeAt(0)))).toEqual({ kind: 'not-tls' });
  });
});

describe('a ClientHello larger than MAX_CLIENT_HELLO_LENGTH: read from its first bytes', () => {
  const padded = (sni: string | null, pad: number, after: HelloSpec['extensions'] = []): Uint8Array =>
    clientHelloMessage({ ciphers: [0x1301, 0xc02f], extensions: [...(sni === null ? [] : [ext.sni(sni)]), ext.alpn(['h2']), ext.raw(21, new Uint8Array(pad)), ...(after ?? [])] });
  /** Records of at most 2^14 bytes, as a stack sends an oversized hello. */
  const inRecords = (msg: Uint8Array): Uint8Array => records(msg, new Array<number>(Math.ceil(msg.length / 16384)).fill(16384));

  test('20 KB of padding after the server_name: need-more until 16 KiB are there, then the name, partial, flagged', () => {
    const stream = inRecords(padded('padded.example.com', 20000));
    expect(parse(stream.subarray(0, 9000))).toEqual({ kind: 'need-more', needed: MAX_CLIENT_HELLO_LENGTH });
    const h = found(stream.subarray(0, MAX_CLIENT_HELLO_LENGTH));
    expect(h).toMatchObject({ sni: 'padded.example.com', alpn: ['h2'], partial: true, anomalies: [A['tls.client_hello_too_large']] });
    expect(h.messageLength).toBe(padded('x', 20000).length - 'x'.length + 'padded.example.com'.length);
    // Handed more than 16 KiB, it reads the same first 16 KiB.
    expect(found(stream)).toEqual(h);
  });

  test('a server_name past the first 16 KiB (behind a large PSK-like extension) is unknown: sni null, partial', () => {
    const msg = clientHelloMessage({ ciphers: [0x1301], extensions: [ext.raw(41, new Uint8Array(18000)), ext.sni('late.example.com')] });
    const h = found(inRecords(msg).subarray(0, MAX_CLIENT_HELLO_LENGTH));
    expect(h).toMatchObject({ sni: null, partial: true, extensionTypes: [], anomalies: [A['tls.client_hello_too_large']] });
  });

  test('a hello of exactly 2^14 - 5 bytes in one record (16,385 bytes with its header): the prefix reads it all but the cut', () => {
    const msg = padded('edge.example.com', 16380 - padded('edge.example.com', 0).length);
    const one = records(msg);
    expect([msg.length, one.length]).toEqual([16380, MAX_CLIENT_HELLO_LENGTH + 1]);
    expect(parse(one.subarray(0, MAX_CLIENT_HELLO_LENGTH)).kind).toBe('need-more');
    expect(parseClientHelloPrefix(one, 0, MAX_CLIENT_HELLO_LENGTH)).toMatchObject({ kind: 'found', hello: { sni: 'edge.example.com', partial: true } });
    // Whole, the ordinary parser reads it, not partial.
    expect(found(one)).toMatchObject({ sni: 'edge.example.com', partial: false, anomalies: [] });
  });

  test('records of 1 byte each: the prefix gathers them; the fixed part cut off is refused', () => {
    const msg = padded('tiny.example.com', 20000);
    const frag = records(msg, new Array<number>(3000).fill(1));
    expect(parseClientHelloPrefix(frag, 0, MAX_CLIENT_HELLO_LENGTH)).toMatchObject({ kind: 'found', hello: { sni: 'tiny.example.com', partial: true } });
    expect(parseClientHelloPrefix(frag, 0, 40 * 6)).toEqual(malformed(A['tls.client_hello_too_large']));
    expect(parseClientHelloPrefix(hex('1503010002 0000'), 0, 7)).toEqual(malformed(A['tls.client_hello_too_large']));
  });
});

describe('server_name and inner extension problems are flags, not failures', () => {
  const flags = (exts: HelloSpec['extensions']) => found(helloWith(exts));

  test('server_name_list length disagrees with the extension length → tls.sni_bad_length', () => {
    const h = flags([ext.raw(0, hex('0010 00 000b 6578616d706c652e6f7267'))]);
    expect(h.sni).toBeNull();
    expect(h.anomalies).toEqual([A['tls.sni_bad_length']]);
  });
  test('host_name length runs past the list → tls.sni_bad_length', () => {
    const h = flags([ext.raw(0, hex('000e 00 00ff 6578616d706c652e6f7267'))]);
    expect(h.sni).toBeNull();
    expect(h.anomalies).toEqual([A['tls.sni_bad_length']]);
  });
  test('empty extension data (the ServerHello form) → tls.sni_empty', () => {
    const h = flags([ext.raw(0)]);
    expect(h.sni).toBeNull();
    expect(h.anomalies).toEqual([A['tls.sni_empty']]);
    expect(h.extensionTypes).toEqual([0]);
  });
  test('empty server_name_list → tls.sni_empty', () => {
    expect(flags([ext.raw(0, hex('0000'))]).anomalies).toEqual([A['tls.sni_empty']]);
  });
  test('host_name of length 0 → tls.sni_empty', () => {
    expect(flags([ext.sni('')]).anomalies).toEqual([A['tls.sni_empty']]);
  });
  test('two host_name entries in one list → first kept, tls.sni_duplicate', () => {
    const h = flags([ext.raw(0, hex('000e 00 0005 6669727374 00 0003 736563'))]);
    expect(h.sni).toBe('first');
    expect(h.anomalies).toEqual([A['tls.sni_duplicate']]);
  });
  test('two server_name extensions → first kept, tls.sni_duplicate (RFC 8446 §4.2)', () => {
    const h = flags([ext.sni('first.example'), ext.sni('second.example')]);
    expect(h.sni).toBe('first.example');
    expect(h.anomalies).toEqual([A['tls.sni_duplicate']]);
  });
  test('host_name longer than 255 bytes → kept, tls.sni_bad_length', () => {
    const name = 'a'.repeat(300);
    const h = flags([ext.sni(name)]);
    expect(h.sni).toBe(name);
    expect(h.anomalies).toEqual([A['tls.sni_bad_length']]);
  });
  test('ALPN with a zero-length protocol name → tls.malformed_client_hello flag, names before it kept', () => {
    const h = flags([ext.raw(16, hex('0005 02 6832 00 00'))]);
    expect(h.alpn).toEqual(['h2']);
    expect(h.anomalies).toEqual([A['tls.malformed_client_hello']]);
  });
  test('key_share entry whose key runs past the extension → flag; groups before it kept', () => {
    const h = flags([ext.raw(51, hex('000b 001d 0002 aaaa 11ec 0400 bb'))]);
    expect(h.keyShareGroups).toEqual([0x1d]);
    expect(h.anomalies).toEqual([A['tls.malformed_client_hello']]);
  });
  test('supported_versions with an odd byte count → flag, empty list', () => {
    const h = flags([ext.raw(43, hex('03 0304 03'))]);
    expect(h.supportedVersions).toEqual([]);
    expect(h.anomalies).toEqual([A['tls.malformed_client_hello']]);
  });
  test('supported_groups length disagrees with the extension → flag', () => {
    expect(flags([ext.raw(10, hex('0006 001d 0017'))]).anomalies).toEqual([A['tls.malformed_client_hello']]);
  });
  test('ec_point_formats length disagrees with the extension → flag', () => {
    expect(flags([ext.raw(11, hex('05 00'))]).anomalies).toEqual([A['tls.malformed_client_hello']]);
  });
});

describe('parseClientHelloMessage (QUIC CRYPTO frame payload)', () => {
  const msg = clientHelloMessage(pqHello('quic.example'));

  test('a bare message is found', () => {
    const r = parseClientHelloMessage(msg, 0, msg.length);
    expect(r.kind === 'found' && r.hello.sni).toBe('quic.example');
  });
  test('need-more: 4 until the header is known, then the exact message length', () => {
    expect(parseClientHelloMessage(msg, 0, 0)).toEqual({ kind: 'need-more', needed: 4 });
    expect(parseClientHelloMessage(msg, 0, 3)).toEqual({ kind: 'need-more', needed: 4 });
    expect(parseClientHelloMessage(msg, 0, 4)).toEqual({ kind: 'need-more', needed: msg.length });
    expect(parseClientHelloMessage(msg, 0, msg.length - 1)).toEqual({ kind: 'need-more', needed: msg.length });
  });
  test('another handshake type is not a ClientHello', () => {
    expect(parseClientHelloMessage(hex('02000000'), 0, 4)).toEqual({ kind: 'not-tls' });
  });
  test('over 16 KiB → tls.client_hello_too_large', () => {
    expect(parseClientHelloMessage(hex('01004000'), 0, 4)).toEqual(malformed(A['tls.client_hello_too_large']));
  });
});

describe('properties', () => {
  const KINDS = new Set(['found', 'need-more', 'not-tls', 'malformed']);
  const valid = [
    records(clientHelloMessage(tls12Plain())),
    records(clientHelloMessage(tls13Grease()), [90]),
    records(clientHelloMessage(pqHello()), [700, 3]),
  ];

  function wellFormedResult(r: ClientHelloResult, len: number): boolean {
    if (!KINDS.has(r.kind)) return false;
    if (r.kind === 'need-more') return r.needed > len && r.needed <= 5 * 4096 + MAX_CLIENT_HELLO_LENGTH;
    return true;
  }

  test('arbitrary bytes: never throws, always one of the four kinds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        const withHeader = concat(hex('160301'), b); // steer half the inputs past the probe
        return wellFormedResult(parse(b), b.length) && wellFormedResult(parse(withHeader), withHeader.length) &&
          wellFormedResult(parseClientHelloMessage(b, 0, b.length), b.length);
      }),
      { numRuns: 3000 },
    );
  });

  test('mutated real hellos: never throws, one of the four kinds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (base, flips, cut) => {
          const b = Uint8Array.from(base);
          for (const [i, v] of flips) b[i % b.length] = v;
          const len = cut % (b.length + 1);
          return wellFormedResult(parseClientHelloRecords(b, 0, len), len);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('reads only inside the window: result equals parsing an exact copy of the window', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.uint8Array({ maxLength: 40 }), fc.nat(), (base, pre, cut) => {
        const big = concat(pre, base, filler(64, 99));
        const len = cut % (base.length + 1);
        const inPlace = parseClientHelloRecords(big, pre.length, len);
        const copy = parseClientHelloRecords(big.slice(pre.length, pre.length + len), 0, len);
        expect(inPlace).toEqual(copy);
      }),
      { numRuns: 500 },
    );
  });

  test('out-of-range windows are rejected, not read', () => {
    const b = valid[0];
    expect(parseClientHelloRecords(b, b.length - 2, 10)).toEqual({ kind: 'not-tls' });
    expect(parseClientHelloRecords(b, -1, 5)).toEqual({ kind: 'not-tls' });
    expect(probeTlsRecord(b, b.length, 1)).toBe(false);
  });
});
