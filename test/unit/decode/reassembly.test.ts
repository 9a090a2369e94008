/**
 * IP fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5): in order, out of order, duplicates,
 * overlaps, never completed, over the count/byte/time bounds, and adversarial fragments.
 */
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../src/capture/source';
import { DecodeStatus, IPPROTO_UDP } from '../../../src/decode/packet-view';
import { concat, decodeFrame, ethernet, frag6, ipv4, ipv6, newDecoder, payloadText, text, udp } from './build';

/** A UDP datagram of 8 + 40 bytes: "0123456789" x 4, split into IPv4 fragments of `sizes` bytes. */
const DATAGRAM = udp(5353, 53, text('0123456789'.repeat(4)));

/** IPv4 fragment carrying DATAGRAM[offset, offset + length). MF set unless it is the end. */
function frag4(offset: number, length: number, id = 0x4242, bytes: Uint8Array = DATAGRAM, src?: string): Uint8Array {
  const more = offset + length < bytes.length;
  return ipv4({ proto: IPPROTO_UDP, id, flags: more ? 1 : 0, fragOffset: offset, src }, bytes.subarray(offset, offset + length));
}

/** IPv6 packet with a Fragment header carrying DATAGRAM[offset, offset + length). */
function fragment6(offset: number, length: number, id = 0x01020304): Uint8Array {
  const more = offset + length < DATAGRAM.length;
  return ipv6({ nextHeader: 44 }, concat(frag6(IPPROTO_UDP, offset, more, id), DATAGRAM.subarray(offset, offset + length)));
}

function expectDatagram(dec: ReturnType<typeof newDecoder>['dec']): void {
  expect([dec.view.srcPort, dec.view.dstPort, dec.view.reassembled]).toEqual([5353, 53, true]);
  expect(payloadText(dec)).toBe('0123456789'.repeat(4));
}

describe('IPv4 fragments', () => {
  test('in order: held, held, then the complete datagram decoded from the reassembly buffer', () => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, frag4(0, 16), LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, frag4(16, 16), LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
    const last = frag4(32, 16);
    expect(decodeFrame(dec, last, LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expectDatagram(dec);
    expect(dec.view.buf).not.toBe(last);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('out of order (last first), over Ethernet with padding on the short fragment', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, ethernet(0x0800, frag4(32, 16)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, concat(ethernet(0x0800, frag4(0, 8)), new Uint8Array(18)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, ethernet(0x0800, frag4(8, 24)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expectDatagram(dec);
  });

  test('the same addresses and id on two VLANs of a trunk are two datagrams (tshark keeps them apart)', () => {
    const other = udp(5353, 53, text('abcdefghij'.repeat(4)));
    const { dec, anomalies } = newDecoder();
    const on = (vid: number, f: Uint8Array): Uint8Array => ethernet(0x0800, f, [[0x8100, vid]]);
    expect(decodeFrame(dec, on(10, frag4(0, 24)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, on(20, frag4(0, 24, 0x4242, other)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, on(10, frag4(24, 24)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expectDatagram(dec);
    expect(decodeFrame(dec, on(20, frag4(24, 24, 0x4242, other)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(payloadText(dec)).toBe('abcdefghij'.repeat(4));
    expect(anomalies.toRecord()).toEqual({});
  });

  test('an identical retransmitted fragment is not an overlap', () => {
    const { dec, anomalies } = newDecoder();
    decodeFrame(dec, frag4(0, 24), LINKTYPE_RAW);
    decodeFrame(dec, frag4(0, 24), LINKTYPE_RAW);
    expect(decodeFrame(dec, frag4(24, 24), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expectDatagram(dec);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('overlap with different bytes: counted, the first bytes received win', () => {
    // Fragment 2 claims bytes 8..24 with "XXXXXXXXXXXXXXXX"; bytes 8..16 were already received.
    const forged = concat(DATAGRAM.subarray(0, 8), text('X'.repeat(16)), DATAGRAM.subarray(24));
    const { dec, count } = newDecoder();
    decodeFrame(dec, frag4(0, 16), LINKTYPE_RAW);
    decodeFrame(dec, frag4(8, 16, 0x4242, forged), LINKTYPE_RAW);
    expect(decodeFrame(dec, frag4(24, 24), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect(count('ip.fragment_overlap')).toBe(1);
    expect(payloadText(dec)).toBe('01234567XXXXXXXX6789' + '0123456789'.repeat(2));
  });

  test('partial overlap with identical bytes is still counted (it is not a plain retransmission)', () => {
    const { dec, count } = newDecoder();
    decodeFrame(dec, frag4(0, 16), LINKTYPE_RAW);
    decodeFrame(dec, frag4(8, 16), LINKTYPE_RAW);
    expect(decodeFrame(dec, frag4(24, 24), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expectDatagram(dec);
    expect(count('ip.fragment_overlap')).toBe(1);
  });

  test('two "last" fragments that disagree on the end: the second is an overlap and ignored', () => {
    const { dec, count } = newDecoder();
    decodeFrame(dec, frag4(32, 16), LINKTYPE_RAW);
    // A second last fragment ending at 40 instead of 48.
    expect(decodeFrame(dec, ipv4({ proto: 17, id: 0x4242, fragOffset: 32 }, DATAGRAM.subarray(32, 40)), LINKTYPE_RAW))
      .toBe(DecodeStatus.FragmentHeld);
    expect(count('ip.fragment_overlap')).toBe(1);
    decodeFrame(dec, frag4(0, 32), LINKTYPE_RAW);
    expectDatagram(dec);
  });

  test('a fragment past the known end is an overlap and ignored', () => {
    const { dec, count } = newDecoder();
    decodeFrame(dec, frag4(32, 16), LINKTYPE_RAW);
    expect(decodeFrame(dec, ipv4({ proto: 17, id: 0x4242, flags: 1, fragOffset: 48 }, new Uint8Array(8)), LINKTYPE_RAW))
      .toBe(DecodeStatus.FragmentHeld);
    expect(count('ip.fragment_overlap')).toBe(1);
  });

  test('different ids, sources or protocols never mix', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, frag4(0, 24, 1), LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, frag4(24, 24, 2), LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, frag4(24, 24, 1, DATAGRAM, '10.0.0.99'), LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, frag4(24, 24, 1), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
  });

  test('never completed: counted as incomplete at finish()', () => {
    const { dec, count } = newDecoder();
    decodeFrame(dec, frag4(0, 16), LINKTYPE_RAW);
    decodeFrame(dec, frag4(0, 16, 7), LINKTYPE_RAW);
    dec.finish();
    expect(count('ip.fragment_incomplete')).toBe(2);
  });

  test('timeout on packet time: a late fragment starts a new datagram, the old one is incomplete', () => {
    const { dec, count } = newDecoder({ maxDatagrams: 16, maxBytes: 1 << 20, timeoutMicros: 1_000_000 });
    const first = frag4(0, 24);
    dec.decode(first, 0, first.length, first.length, LINKTYPE_RAW, 0);
    const last = frag4(24, 24);
    expect(dec.decode(last, 0, last.length, last.length, LINKTYPE_RAW, 2_000_000)).toBe(DecodeStatus.FragmentHeld);
    expect(count('ip.fragment_incomplete')).toBe(1);
  });

  test('default timeout 255 s: a last fragment 100 s late still completes the datagram; 256 s late it starts a new one', () => {
    for (const [lateSeconds, want] of [[100, DecodeStatus.Transport], [256, DecodeStatus.FragmentHeld]] as const) {
      const { dec, count } = newDecoder();
      const first = frag4(0, 24);
      dec.decode(first, 0, first.length, first.length, LINKTYPE_RAW, 0);
      const last = frag4(24, 24);
      expect(dec.decode(last, 0, last.length, last.length, LINKTYPE_RAW, lateSeconds * 1e6)).toBe(want);
      expect(count('ip.fragment_incomplete')).toBe(want === DecodeStatus.Transport ? 0 : 1);
    }
  });

  test('over the datagram bound: the oldest is evicted and counted', () => {
    const { dec, count } = newDecoder({ maxDatagrams: 2, maxBytes: 1 << 20, timeoutMicros: 30_000_000 });
    for (let id = 1; id <= 3; id++) dec.decode(frag4(0, 24, id), 0, 44, 44, LINKTYPE_RAW, id);
    expect(count('ip.fragment_table_full')).toBe(1);
    // id 1 was evicted: its second half now starts a new datagram instead of completing one.
    expect(decodeFrame(dec, frag4(24, 24, 1), LINKTYPE_RAW, undefined, 4)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, frag4(24, 24, 3), LINKTYPE_RAW, undefined, 5)).toBe(DecodeStatus.Transport);
  });

  test('over the byte bound: a datagram that cannot fit is dropped and counted', () => {
    const { dec, count } = newDecoder({ maxDatagrams: 16, maxBytes: 4096, timeoutMicros: 30_000_000 });
    // A fragment at offset 8000 needs an 8 KiB buffer: more than maxBytes.
    const far = ipv4({ proto: 17, id: 9, flags: 1, fragOffset: 8000 }, new Uint8Array(16));
    expect(decodeFrame(dec, far, LINKTYPE_RAW)).toBe(DecodeStatus.Malformed);
    expect(count('ip.fragment_table_full')).toBe(1);
  });

  test('ping of death: offset + length beyond 65535 is dropped', () => {
    const { dec, count } = newDecoder();
    const pod = ipv4({ proto: 1, id: 9, fragOffset: 65528 }, new Uint8Array(16));
    expect(decodeFrame(dec, pod, LINKTYPE_RAW)).toBe(DecodeStatus.Malformed);
    expect(count('ip.fragment_too_large')).toBe(1);
  });

  test('a non-last fragment whose length is not a multiple of 8 is malformed', () => {
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, ipv4({ proto: 17, id: 9, flags: 1 }, new Uint8Array(13)), LINKTYPE_RAW)).toBe(DecodeStatus.Malformed);
    expect(count('ip4.bad_total_length')).toBe(1);
  });

  test('a later fragment cut by the snaplen is not stored', () => {
    const { dec, count } = newDecoder();
    const f = frag4(16, 24);
    expect(dec.decode(f, 0, f.length - 4, f.length, LINKTYPE_RAW, 0)).toBe(DecodeStatus.Truncated);
    expect(count('ip4.truncated')).toBe(1);
  });

  test('a first fragment cut by the snaplen is read as a datagram cut short (tshark lists its conversation), not stored', () => {
    const { dec, count } = newDecoder();
    const f = frag4(0, 24);
    // 20 bytes of IP, the 8-byte UDP header and 4 bytes of payload captured.
    expect(dec.decode(f, 0, 32, f.length, LINKTYPE_RAW, 0)).toBe(DecodeStatus.Transport);
    expect([dec.view.srcPort, dec.view.dstPort, dec.view.payloadLength, dec.view.payloadTruncated, dec.view.reassembled]).toEqual([5353, 53, 4, true, false]);
    expect(count('ip4.truncated')).toBe(1);
    // Its other fragments never complete a datagram.
    expect(decodeFrame(dec, frag4(24, 24), LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
    dec.finish();
    expect(count('ip.fragment_incomplete')).toBe(1);
  });

  test('a first fragment cut inside its UDP header, or an IPv6 one cut anywhere: nothing decoded', () => {
    const { dec } = newDecoder();
    const f = frag4(0, 24);
    expect(dec.decode(f, 0, 24, f.length, LINKTYPE_RAW, 0)).toBe(DecodeStatus.Truncated);
    const g = fragment6(0, 24);
    expect(dec.decode(g, 0, g.length - 4, g.length, LINKTYPE_RAW, 0)).toBe(DecodeStatus.Truncated);
  });

  test('a reassembled datagram whose transport header is bad is reported like any other', () => {
    const bad = udp(1, 2, new Uint8Array(24), 200); // UDP Length 200 > 32
    const { dec, count } = newDecoder();
    decodeFrame(dec, frag4(0, 16, 5, bad), LINKTYPE_RAW);
    expect(decodeFrame(dec, frag4(16, 16, 5, bad), LINKTYPE_RAW)).toBe(DecodeStatus.Malformed);
    expect(count('udp.bad_length')).toBe(1);
  });

  test('many fragments, then the buffer of a finished datagram is reused safely', () => {
    const { dec } = newDecoder();
    for (let round = 0; round < 40; round++) {
      for (let off = 0; off < 48; off += 8) {
        const status = decodeFrame(dec, frag4(off, 8, round), LINKTYPE_RAW);
        expect(status).toBe(off === 40 ? DecodeStatus.Transport : DecodeStatus.FragmentHeld);
      }
      expectDatagram(dec);
    }
  });
});

describe('IPv6 fragments', () => {
  test('out of order, then decoded; the Fragment header\'s Next Header names the transport', () => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, fragment6(24, 24), LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, fragment6(0, 24), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expectDatagram(dec);
    expect(dec.view.ipVersion).toBe(6);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('extension headers after the Fragment header are walked in the reassembled datagram', () => {
    // Fragmentable part: Destination Options (8 bytes, next = UDP) + DATAGRAM.
    const part = concat(Uint8Array.of(17, 0, 0, 0, 0, 0, 0, 0), DATAGRAM);
    const f = (offset: number, length: number): Uint8Array => ipv6({ nextHeader: 44 },
      concat(frag6(60, offset, offset + length < part.length, 77), part.subarray(offset, offset + length)));
    const { dec } = newDecoder();
    expect(decodeFrame(dec, f(0, 32), LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, f(32, 24), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expectDatagram(dec);
  });

  test('a second Fragment header inside the reassembled datagram is malformed (RFC 8200 §4.1)', () => {
    const part = concat(frag6(17, 0, false, 5), DATAGRAM);
    const f = (offset: number, length: number): Uint8Array => ipv6({ nextHeader: 44 },
      concat(frag6(44, offset, offset + length < part.length, 78), part.subarray(offset, offset + length)));
    const { dec, count } = newDecoder();
    decodeFrame(dec, f(0, 32), LINKTYPE_RAW);
    expect(decodeFrame(dec, f(32, 24), LINKTYPE_RAW)).toBe(DecodeStatus.Malformed);
    expect(count('ip6.too_many_ext_headers')).toBe(1);
  });

  test('an IPv4 and an IPv6 fragment with the same id and low address words never mix', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, frag4(0, 24, 0x0304), LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, fragment6(24, 24, 0x0304), LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
  });

  test('non-last fragment of 13 bytes is malformed', () => {
    const { dec, count } = newDecoder();
    const p = ipv6({ nextHeader: 44 }, concat(frag6(17, 0, true, 1), new Uint8Array(13)));
    expect(decodeFrame(dec, p, LINKTYPE_RAW)).toBe(DecodeStatus.Malformed);
    expect(count('ip6.bad_payload_length')).toBe(1);
  });
});
