/**
 * Unit tests for src/extract/quic-initial.ts: RFC 9001 / RFC 9369 Appendix A vectors, header and
 * frame parsing, key epochs, coalescing, and "any bytes → no throw".
 */
import fc from 'fast-check';
import { A, AnomalyCounters } from '../../../src/anomalies';
import {
  decodePacketNumber,
  decryptInitialPacket,
  deriveClientInitialKeys,
  hkdfExpandLabel,
  hkdfExtract,
  PACKET_HANDSHAKE,
  PACKET_INITIAL,
  GQUIC_Q050,
  GQUIC_T050,
  GQUIC_T051,
  parseGquicInitialFrames,
  parseInitialFrames,
  parseQuicLongHeader,
  QuicInitialDecoder,
  QuicLongHeader,
  quicVersionInfo,
  QUIC_V1,
  QUIC_V2,
} from '../../../src/extract/quic-initial';
import { newVarintCursor, readVarint, VARINT_HUGE } from '../../../src/extract/quic-varint';
import { parseClientHelloMessage } from '../../../src/extract/tls-client-hello';
import { chloMessage, unhex } from './helpers/quic-frames';
import { cryptoFrame, fakeClientHello, protectInitial, varint } from './helpers/quic-protect';
import * as V from './helpers/quic-vectors';

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** True once the real ClientHello parser has replaced the stub (it then finds the RFC vector's hello). */
const REAL_TLS_PARSER = parseClientHelloMessage(V.VECTOR_CRYPTO_FRAME, 4, 241).kind === 'found';

function header(buf: Uint8Array): QuicLongHeader {
  const r = parseQuicLongHeader(buf, 0, buf.length);
  if (r.kind !== 'ok') throw new Error(`header: ${r.kind}`);
  return r.header;
}

describe('QUIC varints (RFC 9000 §16, Appendix A.1 examples)', () => {
  const cases: [string, number][] = [
    ['c2197c5eff14e88c', VARINT_HUGE], // 151 288 809 941 952 652 > 2^53: reported as huge
    ['9d7f3e7d', 494878333],
    ['7bbd', 15293],
    ['25', 37],
    ['4025', 37], // same value in two bytes
    ['c000000000000001', 1],
    ['c01fffffffffffff', 2 ** 53 - 1],
  ];
  test.each(cases)('%s → %d', (h, v) => {
    const b = unhex(h);
    const c = newVarintCursor();
    expect(readVarint(b, 0, b.length, c)).toBe(true);
    expect(c.value).toBe(v);
    expect(c.next).toBe(b.length);
  });
  test('a varint cut short is refused, not misread', () => {
    const c = newVarintCursor();
    expect(readVarint(unhex('9d7f3e'), 0, 3, c)).toBe(false);
    expect(readVarint(unhex('40'), 0, 1, c)).toBe(false);
    expect(readVarint(unhex(''), 0, 0, c)).toBe(false);
  });
});

describe('Initial keys', () => {
  test('RFC 9001 A.1: v1 client keys for DCID 8394c8f03e515708', () => {
    const info = quicVersionInfo(QUIC_V1)!;
    expect(hexOf(hkdfExtract(info.salt, V.VECTOR_DCID))).toBe(V.V1_KEYS.initialSecret);
    expect(hexOf(hkdfExpandLabel(hkdfExtract(info.salt, V.VECTOR_DCID), 'client in', 32))).toBe(V.V1_KEYS.clientInitialSecret);
    const k = deriveClientInitialKeys(info, V.VECTOR_DCID);
    expect(hexOf(k.secret)).toBe(V.V1_KEYS.clientInitialSecret);
    expect(hexOf(k.key)).toBe(V.V1_KEYS.key);
    expect(hexOf(k.iv)).toBe(V.V1_KEYS.iv);
    expect(hexOf(k.hp)).toBe(V.V1_KEYS.hp);
  });
  test('RFC 9369 A.1: v2 client keys (v2 salt, "quicv2" labels)', () => {
    const k = deriveClientInitialKeys(quicVersionInfo(QUIC_V2)!, V.VECTOR_DCID);
    expect(hexOf(k.secret)).toBe(V.V2_KEYS.clientInitialSecret);
    expect(hexOf(k.key)).toBe(V.V2_KEYS.key);
    expect(hexOf(k.iv)).toBe(V.V2_KEYS.iv);
    expect(hexOf(k.hp)).toBe(V.V2_KEYS.hp);
  });
  test('version table: drafts, mvfst, and what is not decryptable', () => {
    expect(quicVersionInfo(0xff000017)!.salt.toString('hex')).toBe('c3eef712c72ebb5a11a7d2432bb46365bef9f502');
    expect(quicVersionInfo(0xff00001c)!.salt.toString('hex')).toBe('c3eef712c72ebb5a11a7d2432bb46365bef9f502');
    expect(quicVersionInfo(0xff00001d)!.salt.toString('hex')).toBe('afbfec289993d24c9e9786f19c6111e04390a899');
    expect(quicVersionInfo(0xff000020)!.salt.toString('hex')).toBe('afbfec289993d24c9e9786f19c6111e04390a899');
    expect(quicVersionInfo(0xff000021)!.salt.toString('hex')).toBe('38762cf7f55934b34d179ae6a4c80cadccbb7f0a');
    expect(quicVersionInfo(0xff000022)!.name).toBe('draft-34');
    expect(quicVersionInfo(0xfaceb002)!.salt.toString('hex')).toBe('c3eef712c72ebb5a11a7d2432bb46365bef9f502');
    expect(quicVersionInfo(0xfaceb001)!.salt.toString('hex')).toBe('7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a');
    expect(quicVersionInfo(QUIC_V2)!.initialTypeBits).toBe(1);
    // Q046 and older Google QUIC: plaintext CHLOs, read by ./gquic.ts, nothing to decrypt.
    for (const v of [0, 0xff000015, 0xff000023, 0x1a2a3b4a, 0x51303436, 0x51303531, 0x54303532, 0x709a50c4]) expect(quicVersionInfo(v)).toBeNull();
  });
  test('version table: versions reserved to force version negotiation (0x?a?a?a?a) take draft-29\'s salt, as Wireshark and nDPI do', () => {
    for (const v of [0x0a0a0a0a, 0x1a2a3a4a, 0xfafafafa]) {
      expect(quicVersionInfo(v)).toMatchObject({ version: v >>> 0, name: 'reserved', labelStem: 'quic', initialTypeBits: 0, payload: 'tls' });
      expect(quicVersionInfo(v)!.salt.toString('hex')).toBe('afbfec289993d24c9e9786f19c6111e04390a899');
    }
  });
  test('version table: Google QUIC Q050, T050, T051 (salts as Wireshark and nDPI carry them)', () => {
    expect(quicVersionInfo(GQUIC_Q050)).toMatchObject({ name: 'Q050', payload: 'gquic-chlo', initialTypeBits: 0, labelStem: 'quic' });
    expect(quicVersionInfo(GQUIC_Q050)!.salt.toString('hex')).toBe('504574efd066fe2f9d945cfcdbd3a7f0d3b56b45');
    expect(quicVersionInfo(GQUIC_T050)).toMatchObject({ name: 'T050', payload: 'gquic-tls' });
    expect(quicVersionInfo(GQUIC_T050)!.salt.toString('hex')).toBe('7ff579e5acd072915580304c43a2367c60488310');
    expect(quicVersionInfo(GQUIC_T051)).toMatchObject({ name: 'T051', payload: 'gquic-tls' });
    expect(quicVersionInfo(GQUIC_T051)!.salt.toString('hex')).toBe('7a4edef4e7ccee5fa4506c19124fc8ccda6e033d');
  });
});

describe('RFC 9001 A.2 / RFC 9369 A.2: the protected client Initial', () => {
  const vectors = [
    { name: 'v1', packet: V.V1_PROTECTED_PACKET, version: QUIC_V1, unprotected: V.V1_UNPROTECTED_HEADER, sample: V.V1_SAMPLE, mask: V.V1_MASK },
    { name: 'v2', packet: V.V2_PROTECTED_PACKET, version: QUIC_V2, unprotected: V.V2_UNPROTECTED_HEADER, sample: V.V2_SAMPLE, mask: V.V2_MASK },
  ];
  describe.each(vectors)('$name', ({ packet, version, unprotected, sample }) => {
    test('long header fields', () => {
      expect(packet.length).toBe(1200);
      const h = header(packet);
      expect(h.version).toBe(version);
      expect(h.packetType).toBe(PACKET_INITIAL);
      expect(hexOf(packet.subarray(h.dcidOff, h.dcidOff + h.dcidLen))).toBe('8394c8f03e515708');
      expect(h.scidLen).toBe(0);
      expect(h.tokenLen).toBe(0);
      expect(h.length).toBe(1182);
      expect(h.pnOffset).toBe(18);
      expect(h.end).toBe(1200);
      expect(hexOf(packet.subarray(h.pnOffset + 4, h.pnOffset + 20))).toBe(sample);
    });
    test('decrypts: header, packet number 2, CRYPTO frame then PADDING', () => {
      const h = header(packet);
      const keys = deriveClientInitialKeys(h.info!, V.VECTOR_DCID);
      const r = decryptInitialPacket(packet, h, keys);
      if (r.kind !== 'ok') throw new Error(r.kind);
      expect(r.packetNumber).toBe(2);
      expect(r.pnLength).toBe(4);
      expect(hexOf(r.header)).toBe(hexOf(unprotected));
      expect(r.payload.length).toBe(V.VECTOR_PAYLOAD_LENGTH);
      expect(hexOf(r.payload.subarray(0, V.VECTOR_CRYPTO_FRAME.length))).toBe(hexOf(V.VECTOR_CRYPTO_FRAME));
      expect(r.payload.subarray(V.VECTOR_CRYPTO_FRAME.length).every((b) => b === 0)).toBe(true);
      const frames = parseInitialFrames(r.payload, 0, r.payload.length);
      expect(frames.crypto).toEqual([{ streamOffset: 0, dataOff: 4, dataLen: 241 }]);
      expect(frames.padding).toBe(1);
      expect(frames.malformed).toBe(false);
      expect(frames.unknownFrameType).toBe(-1);
    });
    test('the test helper protects the plaintext back into the RFC bytes', () => {
      const info = quicVersionInfo(version)!;
      const keys = deriveClientInitialKeys(info, V.VECTOR_DCID);
      const out = protectInitial({
        version, typeBits: info.initialTypeBits, dcid: V.VECTOR_DCID, packetNumber: 2, pnLength: 4,
        payload: V.VECTOR_CRYPTO_FRAME, padTo: V.VECTOR_PAYLOAD_LENGTH,
      }, keys);
      expect(hexOf(out)).toBe(hexOf(packet));
    });
    test('QuicInitialDecoder: one datagram → the ClientHello (type 1, length 0x0000ed)', () => {
      const d = new QuicInitialDecoder();
      const r = d.feed(packet, 0, packet.length);
      const ch = d.clientHelloBytes()!;
      expect(ch).not.toBeNull();
      expect(hexOf(ch.subarray(0, 4))).toBe('010000ed');
      expect(ch.length).toBe(241);
      if (REAL_TLS_PARSER) {
        expect(r.kind).toBe('found');
        if (r.kind === 'found') {
          expect(r.hello.sni).toBe('example.com');
          expect(r.version).toBe(version);
          expect(r.packets).toBe(1);
        }
      } else {
        // Stub parser: the CRYPTO stream is complete, the TLS verdict is the stub's.
        expect(r).toMatchObject({ kind: 'failed', version, terminal: true });
      }
    });
    test('a flipped ciphertext byte fails authentication (quic.decrypt_failed), not an exception', () => {
      const bad = Uint8Array.from(packet);
      bad[600] ^= 1;
      const counters = new AnomalyCounters();
      const d = new QuicInitialDecoder(counters);
      expect(d.feed(bad, 0, bad.length)).toEqual({ kind: 'failed', version, anomaly: A['quic.decrypt_failed'], terminal: false });
      expect(counters.toRecord()).toEqual({ 'quic.decrypt_failed': 1 });
      // The flow can still succeed with the intact retransmission.
      expect(d.feed(packet, 0, packet.length).kind).not.toBe('need-more');
      expect(d.clientHelloBytes()).not.toBeNull();
    });
  });
});

describe('packet numbers (RFC 9000 Appendix A.3)', () => {
  test('RFC example: largest 0xa82f30ea, truncated 0x9b32 (16 bits) → 0xa82f9b32', () => {
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 16)).toBe(0xa82f9b32);
  });
  test('first packet of a flow: expected 0', () => {
    expect(decodePacketNumber(-1, 2, 32)).toBe(2);
    expect(decodePacketNumber(-1, 0, 8)).toBe(0);
    expect(decodePacketNumber(255, 1, 8)).toBe(257);
  });
});

describe('long header parsing', () => {
  test('unknown version: invariant fields only, not decryptable', () => {
    const b = unhex('c01a2a3b4a04aabbccdd02eeff00112233');
    const r = parseQuicLongHeader(b, 0, b.length);
    expect(r.kind).toBe('ok');
    if (r.kind === 'ok') {
      expect(r.header.info).toBeNull();
      expect(r.header.packetType).toBe(-1);
      expect(r.header.dcidLen).toBe(4);
      expect(r.header.scidLen).toBe(2);
      expect(r.header.end).toBe(b.length);
    }
    expect(new QuicInitialDecoder().feed(b, 0, b.length)).toEqual({ kind: 'unsupported', version: 0x1a2a3b4a });
  });
  test('truncated vs malformed', () => {
    expect(parseQuicLongHeader(unhex('c0000000'), 0, 4).kind).toBe('truncated');
    expect(parseQuicLongHeader(unhex('c00000000108aabb'), 0, 8).kind).toBe('truncated');
    // v1 forbids connection IDs longer than 20 bytes (RFC 9000 §17.2).
    const long = new Uint8Array(40);
    long.set(unhex('c00000000115'));
    expect(parseQuicLongHeader(long, 0, long.length)).toEqual({ kind: 'malformed', reason: 'dcid longer than 20 bytes' });
    // Length field larger than the datagram.
    expect(parseQuicLongHeader(unhex('c000000001000000 4100 00'), 0, 11).kind).toBe('truncated');
    expect(parseQuicLongHeader(unhex('40'), 0, 1).kind).toBe('not-long-header');
    expect(parseQuicLongHeader(unhex('c0'), 0, 5).kind).toBe('malformed'); // range outside the buffer
  });
  test('a damaged Initial of a known version is quic.malformed; short headers are not QUIC Initials', () => {
    const d = new QuicInitialDecoder();
    const cut = V.V1_PROTECTED_PACKET.subarray(0, 100); // Length says 1182
    expect(d.feed(cut, 0, cut.length)).toEqual({ kind: 'failed', version: QUIC_V1, anomaly: A['quic.malformed'], terminal: false });
    expect(new QuicInitialDecoder().feed(unhex('4012345678'), 0, 5)).toEqual({ kind: 'not-quic' });
    expect(new QuicInitialDecoder().feed(unhex('c000000000'), 0, 5)).toEqual({ kind: 'not-quic' }); // Version Negotiation
  });
});

describe('frames in Initial packets (RFC 9000 §19)', () => {
  test('PING, ACK with ranges, ACK_ECN, CRYPTO, CONNECTION_CLOSE, PADDING', () => {
    const b = Buffer.concat([
      unhex('01'),
      // ACK: largest 10, delay 0, 2 ranges, first range 1, (gap 1, len 1) × 2
      unhex('02 0a 00 02 01 01 01 01 01'),
      // ACK_ECN: largest 0x1234 (2-byte), delay 0, 0 ranges, first 0, ECT0/ECT1/CE counts
      unhex('03 5234 00 00 00 05 06 07'),
      cryptoFrame(5, unhex('aabbcc')),
      // CONNECTION_CLOSE (transport): error 0x0a, frame type 0x06, reason "hi"
      unhex('1c 0a 06 02 6869'),
      unhex('000000'),
    ]);
    const f = parseInitialFrames(b, 0, b.length);
    expect(f).toEqual({
      crypto: [{ streamOffset: 5, dataOff: 22, dataLen: 3 }],
      padding: 1, ping: 1, ack: 2, connectionClose: 1, unknownFrameType: -1, malformed: false,
    });
  });
  test('stops at a frame not allowed in Initials, keeps what came before', () => {
    const b = Buffer.concat([cryptoFrame(0, unhex('01')), unhex('08 00 00'), cryptoFrame(1, unhex('02'))]);
    const f = parseInitialFrames(b, 0, b.length);
    expect(f.crypto.length).toBe(1);
    expect(f.unknownFrameType).toBe(0x08);
  });
  test('a CRYPTO frame longer than the payload is malformed', () => {
    const b = unhex('06 00 10 aabb');
    expect(parseInitialFrames(b, 0, b.length)).toMatchObject({ crypto: [], malformed: true });
  });
  test('an ACK claiming absurd range counts is malformed, bounded', () => {
    const b = unhex('02 00 00 bfffffff 00');
    expect(parseInitialFrames(b, 0, b.length).malformed).toBe(true);
  });
});

describe('QuicInitialDecoder across datagrams', () => {
  const v1 = quicVersionInfo(QUIC_V1)!;
  const dcid = unhex('0011223344556677');
  const keys = deriveClientInitialKeys(v1, dcid);
  const hello = fakeClientHello('split.example.net', 1500); // > one packet

  function initial(pn: number, payload: Uint8Array, opts: { dcid?: Uint8Array; keys?: typeof keys; padTo?: number } = {}): Buffer {
    return protectInitial({
      version: QUIC_V1, typeBits: 0, dcid: opts.dcid ?? dcid, scid: unhex('a1a2a3a4'),
      packetNumber: pn, pnLength: 2, payload, padTo: opts.padTo ?? 1162,
    }, opts.keys ?? keys);
  }

  test('ClientHello split over three Initials, delivered out of order with an overlap', () => {
    const a = hello.subarray(0, 700);
    const b = hello.subarray(650, 1300); // overlaps a by 50 bytes (same bytes)
    const c = hello.subarray(1300);
    const counters = new AnomalyCounters();
    const d = new QuicInitialDecoder(counters);
    const pb = initial(1, cryptoFrame(650, b));
    const pc = initial(2, cryptoFrame(1300, c));
    expect(d.feed(pb, 0, pb.length)).toMatchObject({ kind: 'need-more', gap: true });
    expect(d.feed(pc, 0, pc.length)).toMatchObject({ kind: 'need-more', gap: true });
    expect(d.clientHelloBytes()).toBeNull();
    const last = initial(0, cryptoFrame(0, a));
    const r = d.feed(last, 0, last.length);
    expect(hexOf(d.clientHelloBytes()!)).toBe(hexOf(hello));
    expect(d.initialsDecrypted).toBe(3);
    if (REAL_TLS_PARSER) expect(r).toMatchObject({ kind: 'found', version: QUIC_V1, packets: 3, hello: { sni: 'split.example.net' } });
    else expect(r.kind).toBe('failed');
    // Once final, the same answer comes back.
    expect(d.feed(last, 0, last.length)).toBe(r);
    expect(counters.toRecord()).toEqual({});
  });

  test('two CRYPTO frames in one packet, and later Initials sent to the server CID keep the first keys', () => {
    const d = new QuicInitialDecoder();
    const p1 = initial(0, Buffer.concat([cryptoFrame(0, hello.subarray(0, 400)), cryptoFrame(400, hello.subarray(400, 900))]));
    expect(d.feed(p1, 0, p1.length)).toMatchObject({ kind: 'need-more', gap: false });
    // Second Initial addressed to the server's CID, still under the original DCID's keys (RFC 9001 §5.2).
    const p2 = initial(1, cryptoFrame(900, hello.subarray(900)), { dcid: unhex('5e5e5e5e5e5e5e5e') });
    d.feed(p2, 0, p2.length);
    expect(hexOf(d.clientHelloBytes()!)).toBe(hexOf(hello));
  });

  test('coalesced: Initial + Handshake (skipped by Length) + Initial in one datagram', () => {
    const d = new QuicInitialDecoder();
    const i1 = initial(0, cryptoFrame(0, hello.subarray(0, 500)), { padTo: 500 });
    // A Handshake packet (type 2): header-protected with other keys, we only skip it by Length.
    const hs = Buffer.concat([unhex('e1 00000001 08'), dcid, unhex('04 a1a2a3a4'), varint(40, 2), Buffer.alloc(40, 0x55)]);
    const hh = header(hs);
    expect(hh.packetType).toBe(PACKET_HANDSHAKE);
    expect(hh.end).toBe(hs.length);
    const i2 = initial(1, cryptoFrame(500, hello.subarray(500)), { padTo: 1100 });
    const dg = Buffer.concat([i1, hs, i2, Buffer.alloc(30)]); // trailing zeros: not a packet
    d.feed(dg, 0, dg.length);
    expect(d.initialsDecrypted).toBe(2);
    expect(hexOf(d.clientHelloBytes()!)).toBe(hexOf(hello));
  });

  test('Retry: a new DCID starts a new key epoch and a fresh CRYPTO stream', () => {
    const d = new QuicInitialDecoder();
    const first = initial(0, cryptoFrame(0, hello.subarray(0, 300)));
    d.feed(first, 0, first.length);
    expect(d.crypto.contiguous).toBe(300);
    const newDcid = unhex('99887766554433221100');
    const k2 = deriveClientInitialKeys(v1, newDcid);
    const other = fakeClientHello('after-retry.example', 0);
    const second = initial(1, cryptoFrame(0, other), { dcid: newDcid, keys: k2 });
    d.feed(second, 0, second.length);
    expect(hexOf(d.clientHelloBytes()!)).toBe(hexOf(other));
  });

  test('overlapping CRYPTO bytes that differ: first copy kept, stream.overlap_conflict counted', () => {
    const counters = new AnomalyCounters();
    const d = new QuicInitialDecoder(counters);
    const p1 = initial(0, cryptoFrame(0, hello.subarray(0, 100)));
    d.feed(p1, 0, p1.length);
    const altered = Buffer.from(hello.subarray(50, 150));
    altered[0] ^= 0xff;
    const p2 = initial(1, cryptoFrame(50, altered));
    d.feed(p2, 0, p2.length);
    expect(counters.toRecord()).toEqual({ 'stream.overlap_conflict': 1 });
    expect(d.crypto.view()[50]).toBe(hello[50]);
  });

  test('a CRYPTO stream that is not a ClientHello ends the flow', () => {
    const d = new QuicInitialDecoder();
    const p = initial(0, cryptoFrame(0, unhex('02000004 00000000')));
    expect(d.feed(p, 0, p.length)).toEqual({ kind: 'failed', version: QUIC_V1, anomaly: A['tls.malformed_client_hello'], terminal: true });
  });

  test('a ClientHello declaring more than MAX_CRYPTO_BYTES is refused', () => {
    const d = new QuicInitialDecoder(undefined, 4096);
    const p = initial(0, cryptoFrame(0, unhex('01ffffff 0303')));
    expect(d.feed(p, 0, p.length)).toEqual({ kind: 'failed', version: QUIC_V1, anomaly: A['tls.client_hello_too_large'], terminal: true });
  });

  test('finish() reports quic.crypto_gap when a hole never filled', () => {
    const counters = new AnomalyCounters();
    const d = new QuicInitialDecoder(counters);
    const p = initial(0, cryptoFrame(600, hello.subarray(600, 900)));
    d.feed(p, 0, p.length);
    expect(d.finish()).toBe(A['quic.crypto_gap']);
    expect(counters.toRecord()).toEqual({ 'quic.crypto_gap': 1 });
  });

  test('v2, draft-29 and reserved-version Initials go through the same door', () => {
    for (const version of [QUIC_V2, 0xff00001d, 0xff000017, 0xfaceb002, 0x0a0a0a0a]) {
      const info = quicVersionInfo(version)!;
      const k = deriveClientInitialKeys(info, dcid);
      const small = fakeClientHello('v.example', 0);
      const p = protectInitial({ version, typeBits: info.initialTypeBits, dcid, packetNumber: 0, pnLength: 1, payload: cryptoFrame(0, small), padTo: 1162 }, k);
      const d = new QuicInitialDecoder();
      const r = d.feed(p, 0, p.length);
      expect(r.kind === 'found' || r.kind === 'failed').toBe(true);
      expect(hexOf(d.clientHelloBytes()!)).toBe(hexOf(small));
    }
  });
});

/** A Google QUIC CRYPTO frame (type 0x08, then varint offset and length, as in IETF QUIC). */
function gCryptoFrame(offset: number, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0x08]), varint(offset), varint(data.length), Buffer.from(data)]);
}

describe('Google QUIC with encrypted Initials (Q050, T050, T051)', () => {
  const dcid = unhex('51a2b3c4d5e6f708');
  function gInitial(version: number, pn: number, payload: Uint8Array, padTo = 1162): Buffer {
    return protectInitial({ version, typeBits: 0, dcid, packetNumber: pn, pnLength: 1, payload, padTo }, deriveClientInitialKeys(quicVersionInfo(version)!, dcid));
  }
  const CHLO = chloMessage([
    ['PAD', Buffer.alloc(900, 0x2d)],
    ['SNI', Buffer.from('www.example.org')],
    ['VER', Buffer.from('Q050')],
    ['UAID', Buffer.from('Chrome/80.0.3987.149 Linux x86_64')],
  ]);

  test('Q050: a CHLO split over two Initials, the second led by an ACK frame, gives its SNI and UAID', () => {
    const counters = new AnomalyCounters();
    const d = new QuicInitialDecoder(counters);
    const p1 = gInitial(GQUIC_Q050, 1, gCryptoFrame(0, CHLO.subarray(0, 600)));
    expect(d.feed(p1, 0, p1.length)).toMatchObject({ kind: 'need-more', version: GQUIC_Q050 });
    // ACK 0x45: largest acked 2 bytes, first block 2 bytes, no extra blocks; no timestamps.
    const ack = unhex('45 0001 0000 0001 00');
    const p2 = gInitial(GQUIC_Q050, 2, Buffer.concat([ack, gCryptoFrame(600, CHLO.subarray(600))]));
    const r = d.feed(p2, 0, p2.length);
    expect(r).toMatchObject({ kind: 'gquic', version: GQUIC_Q050, chlo: { version: 'Q050', sni: 'www.example.org', uaid: 'Chrome/80.0.3987.149 Linux x86_64', complete: true } });
    expect(counters.toRecord()).toEqual({});
  });

  test('T051 and T050: a TLS ClientHello in Google CRYPTO frames, out of order', () => {
    for (const version of [GQUIC_T051, GQUIC_T050]) {
      const hello = fakeClientHello('t05x.example.com', 1400);
      const d = new QuicInitialDecoder();
      const late = gInitial(version, 2, gCryptoFrame(700, hello.subarray(700)));
      expect(d.feed(late, 0, late.length)).toMatchObject({ kind: 'need-more', gap: true });
      const early = gInitial(version, 1, Buffer.concat([Buffer.from([0x07]), gCryptoFrame(0, hello.subarray(0, 700))]));
      const r = d.feed(early, 0, early.length);
      expect(hexOf(d.clientHelloBytes()!)).toBe(hexOf(hello));
      if (REAL_TLS_PARSER) expect(r).toMatchObject({ kind: 'found', version, hello: { sni: 't05x.example.com' } });
    }
  });

  test('Q050 whose CRYPTO stream is not a CHLO, or declares more than the cap, ends the flow', () => {
    const notChlo = gInitial(GQUIC_Q050, 1, gCryptoFrame(0, chloMessage([['SNI', Buffer.from('a.example')]], 'REJ\0')));
    expect(new QuicInitialDecoder().feed(notChlo, 0, notChlo.length)).toEqual({ kind: 'failed', version: GQUIC_Q050, anomaly: A['tls.malformed_client_hello'], terminal: true });
    const huge = chloMessage([['SNI', Buffer.from('a.example')]]);
    huge.writeUInt32LE(1 << 20, 12); // the one entry claims a 1 MiB value
    const p = gInitial(GQUIC_Q050, 1, gCryptoFrame(0, huge));
    expect(new QuicInitialDecoder().feed(p, 0, p.length)).toEqual({ kind: 'failed', version: GQUIC_Q050, anomaly: A['tls.client_hello_too_large'], terminal: true });
  });

  test('the wrong salt does not decrypt: a T051 packet relabelled Q050 fails authentication', () => {
    const hello = fakeClientHello('x.example', 0);
    const p = gInitial(GQUIC_T051, 1, gCryptoFrame(0, hello));
    p.writeUInt32BE(GQUIC_Q050, 1);
    const counters = new AnomalyCounters();
    expect(new QuicInitialDecoder(counters).feed(p, 0, p.length)).toMatchObject({ kind: 'failed', anomaly: A['quic.decrypt_failed'], terminal: false });
  });

  test('Google frame walker: padding, PING, ACK with blocks and timestamps, CRYPTO; stops at an unknown type; bounded', () => {
    // ACK 0x65: n=1 (blocks), ll=01 (2-byte largest), mm=01 (2-byte blocks); 2 extra blocks; 2 timestamps.
    const ack = unhex('65 0010 0000 02 0003 01 0002 01 0001 02 01 00000001 01 0002');
    const crypto = gCryptoFrame(5, unhex('aabbcc'));
    const b = Buffer.concat([unhex('00 00 07'), ack, crypto, unhex('0a ff')]);
    const f = parseGquicInitialFrames(b, 0, b.length);
    expect(f).toMatchObject({ padding: 1, ping: 1, ack: 1, unknownFrameType: 0x0a, malformed: false });
    expect(f.crypto).toEqual([{ streamOffset: 5, dataOff: 3 + ack.length + 3, dataLen: 3 }]);
    for (let cut = 0; cut < b.length - 2; cut++) {
      const g = parseGquicInitialFrames(b, 0, cut);
      expect(g.crypto.length === 0 || g.crypto[0].dataOff + g.crypto[0].dataLen <= cut).toBe(true);
    }
    expect(parseGquicInitialFrames(unhex('08 05 10 aa'), 0, 4).malformed).toBe(true);
    expect(parseGquicInitialFrames(unhex('45 00'), 0, 2).malformed).toBe(true);
  });
});

describe('robustness: any bytes → a status, never an exception', () => {
  test('random datagrams', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
        const d = new QuicInitialDecoder();
        d.feed(bytes, 0, bytes.length);
        parseQuicLongHeader(bytes, 0, bytes.length);
        parseInitialFrames(bytes, 0, bytes.length);
        d.finish();
      }),
      { numRuns: 2000 },
    );
  });
  test('random datagrams behind a v1 long-header prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1300 }), fc.integer({ min: 0, max: 3 }), (tail, t) => {
        const b = Buffer.concat([Buffer.from([0xc0 | (t << 4), 0, 0, 0, 1]), tail]);
        new QuicInitialDecoder().feed(b, 0, b.length);
      }),
      { numRuns: 2000 },
    );
  });
  test('the RFC packet with random byte damage', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1199), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(1200), (edits, cut) => {
        const b = Uint8Array.from(V.V1_PROTECTED_PACKET);
        for (const [i, x] of edits) b[i] ^= x;
        const d = new QuicInitialDecoder();
        const r = d.feed(b, 0, cut);
        expect(['not-quic', 'unsupported', 'need-more', 'failed', 'found', 'gquic']).toContain(r.kind);
      }),
      { numRuns: 300 },
    );
  });
  test('any decrypted plaintext under Q050, T051 and v1 keys: the frame walkers and the CHLO/ClientHello checks return a status', () => {
    const dcid = unhex('0102030405060708');
    const gframe = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.nat(70000), fc.uint8Array({ maxLength: 300 })).map(([o, d]) => Buffer.concat([Buffer.from([0x08]), varint(o), varint(d.length), Buffer.from(d)])),
      fc.tuple(fc.nat(4), fc.uint8Array({ maxLength: 300 })).map(([o, d]) => Buffer.concat([Buffer.from([0x08]), varint(o), varint(d.length + 8), Buffer.from('CHLO'), Buffer.from(d)])),
    );
    fc.assert(
      fc.property(fc.constantFrom(GQUIC_Q050, GQUIC_T051, QUIC_V1), fc.array(gframe, { maxLength: 4 }), fc.nat(3), (version, frames, pn) => {
        const payload = Buffer.concat(frames);
        const p = protectInitial({ version, typeBits: 0, dcid, packetNumber: pn, pnLength: 1, payload, padTo: 1162 }, deriveClientInitialKeys(quicVersionInfo(version)!, dcid));
        const d = new QuicInitialDecoder();
        const r = d.feed(p, 0, p.length);
        expect(['need-more', 'failed', 'found', 'gquic']).toContain(r.kind);
        parseGquicInitialFrames(payload, 0, payload.length);
        d.finish();
      }),
      { numRuns: 500 },
    );
  });
  test('offsets and lengths outside the buffer are refused', () => {
    const b = V.V1_PROTECTED_PACKET;
    expect(new QuicInitialDecoder().feed(b, 1000, 1000)).toEqual({ kind: 'not-quic' });
    expect(new QuicInitialDecoder().feed(b, -1, 10)).toEqual({ kind: 'not-quic' });
    expect(new QuicInitialDecoder().feed(new Uint8Array(70000), 0, 70000)).toEqual({ kind: 'not-quic' });
    expect(parseInitialFrames(b, 10, 5000).malformed).toBe(true);
    expect(parseGquicInitialFrames(b, 10, 5000).malformed).toBe(true);
  });
});
