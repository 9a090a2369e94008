/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) headers: options, extension-header chains, jumbograms,
 * Ethernet padding, non-TCP/UDP protocols, and every malformed header (one comment per case).
 */
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../src/capture/source';
import { DecodeStatus, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IGMP, IPPROTO_TCP, IPPROTO_UDP } from '../../../src/decode/packet-view';
import { MAX_IPV6_EXT_HEADERS } from '../../../src/decode/ipv6';
import { concat, decodeFrame, ethernet, ext6, frag6, hex, ip6addr, ipv4, ipv6, newDecoder, payloadText, tcp, text, udp } from './build';
import type { AnomalyName } from '../../../src/anomalies';

const HTTP = text('GET / HTTP/1.1\r\n\r\n');

describe('IPv4', () => {
  test('Ethernet padding after a short IPv4/UDP packet is not payload (Total Length bounds it)', () => {
    // 14 + 20 + 8 + 2 = 44 bytes, zero-padded to the 60-byte Ethernet minimum.
    const frame = concat(ethernet(0x0800, ipv4({ proto: 17 }, udp(5353, 53, text('hi')))), new Uint8Array(16));
    const { dec } = newDecoder();
    expect(decodeFrame(dec, frame, LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(payloadText(dec)).toBe('hi');
  });

  test('options are skipped: IHL 6 with a Router Alert option (94 04 00 00), as IGMPv3 reports carry', () => {
    const packet = ipv4({ proto: IPPROTO_IGMP, options: hex('94040000') }, hex('22 00 f9 02 00 00 00 00'));
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, packet, LINKTYPE_RAW)).toBe(DecodeStatus.OtherIp);
    expect([dec.view.icmpType, dec.nonFlow.igmp]).toEqual([0x22, 1]);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('TCP behind 40 bytes of options (IHL 15: NOP, NOP, timestamp option 68 x 36, EOL padding)', () => {
    const options = concat(hex('0101'), hex('4424 0500'), new Uint8Array(32), hex('00 00'));
    const packet = ipv4({ proto: IPPROTO_TCP, options }, tcp({ flags: 0x18 }, HTTP));
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, packet, LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect(payloadText(dec)).toBe('GET / HTTP/1.1\r\n\r\n');
    expect(anomalies.toRecord()).toEqual({});
  });

  test('ICMP echo: counted as non-flow with its type', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, ipv4({ proto: IPPROTO_ICMP }, hex('0800f7ff00010001')), LINKTYPE_RAW)).toBe(DecodeStatus.OtherIp);
    expect([dec.view.icmpType, dec.view.ipProto, dec.nonFlow.icmp]).toEqual([8, 1, 1]);
  });

  test('SCTP (132) and ESP (50): valid IP, not a flow', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, ipv4({ proto: 132 }, new Uint8Array(12)), LINKTYPE_RAW)).toBe(DecodeStatus.OtherIp);
    expect(decodeFrame(dec, ipv4({ proto: 50 }, new Uint8Array(12)), LINKTYPE_RAW)).toBe(DecodeStatus.OtherIp);
    expect(dec.nonFlow.otherIp).toBe(2);
  });

  test('Authentication Header (51, RFC 4302): the TCP segment it protects is decoded (tshark: raw:ip:ah:tcp)', () => {
    // Next header 6, Payload Len 4 → (4 + 2) × 4 = 24 bytes: SPI, sequence number, 12-byte ICV.
    const ah = concat(hex('06040000 00001000 00000001'), new Uint8Array(12));
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ipv4({ proto: 51 }, concat(ah, tcp({}, text('hello')))), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect([dec.view.ipProto, dec.view.dstPort, payloadText(dec)]).toEqual([IPPROTO_TCP, 443, 'hello']);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, Uint8Array, DecodeStatus, number]>([
    ['an AH whose length runs past the packet', concat(hex('06ff0000 00001000 00000001'), new Uint8Array(8)), DecodeStatus.Truncated, 1],
    ['an AH shorter than its 12 fixed bytes', hex('0600000000001000'), DecodeStatus.Truncated, 1],
    ['AH inside AH: IP that is no flow', concat(hex('33010000 00001000 00000001'), hex('06010000 00001000 00000001'), tcp({})), DecodeStatus.OtherIp, 0],
  ])('%s', (_name, payload, status, truncations) => {
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, ipv4({ proto: 51 }, payload), LINKTYPE_RAW)).toBe(status);
    expect(count('ip4.ah_truncated')).toBe(truncations);
  });

  const good = ipv4({ proto: IPPROTO_TCP }, tcp({}));
  test.each<[string, Uint8Array, number, DecodeStatus, AnomalyName]>([
    // IHL 4 (16 bytes): below the 20-byte minimum of RFC 791 §3.1.
    ['IHL 4', ipv4({ proto: 6, ihl: 4 }, tcp({})), good.length, DecodeStatus.Malformed, 'ip4.bad_ihl'],
    // IHL 0: a header of no length.
    ['IHL 0', ipv4({ proto: 6, ihl: 0 }, tcp({})), good.length, DecodeStatus.Malformed, 'ip4.bad_ihl'],
    // Total Length 19: smaller than the header itself.
    ['Total Length below IHL·4', ipv4({ proto: 6, totalLength: 19 }, tcp({})), good.length, DecodeStatus.Malformed, 'ip4.bad_total_length'],
    // Total Length 0 on a 40-byte packet: no offload makes a packet this small, so it is damage.
    ['Total Length 0 on a packet of ordinary size', ipv4({ proto: 6, totalLength: 0 }, tcp({})), good.length, DecodeStatus.Malformed, 'ip4.bad_total_length'],
    // Total Length 1500 on a 40-byte packet: claims more than was on the wire.
    ['Total Length beyond the wire', ipv4({ proto: 6, totalLength: 1500 }, tcp({})), good.length, DecodeStatus.Malformed, 'ip4.bad_total_length'],
    // IHL 15 (60 bytes) but only 40 bytes exist.
    ['IHL beyond the packet', ipv4({ proto: 6, ihl: 15 }, tcp({})), good.length, DecodeStatus.Truncated, 'ip4.truncated'],
    // Snaplen cut inside the fixed header (12 of 20 bytes).
    ['header cut by the snaplen', good.subarray(0, 12), good.length, DecodeStatus.Truncated, 'ip4.truncated'],
    // Ethertype says IPv4 but the version nibble says 5 (6 is decoded as IPv6, below).
    ['version 5 under ethertype 0x0800', ipv4({ proto: 6, version: 5 }, tcp({})), good.length, DecodeStatus.Malformed, 'ip.unknown_version'],
  ])('%s', (_name, packet, wireLength, status, anomaly) => {
    const { dec, count, anomalies } = newDecoder();
    const frame = ethernet(0x0800, packet);
    expect(dec.decode(frame, 0, frame.length, 14 + wireLength, LINKTYPE_ETHERNET, 0)).toBe(status);
    expect(count(anomaly)).toBe(1);
    expect(Object.keys(anomalies.toRecord())).toEqual([anomaly]);
  });

  test('Total Length 0 on a packet longer than an MTU (captured before segmentation offload): the rest of the frame is the packet, counted', () => {
    const { dec, count } = newDecoder();
    const payload = new Uint8Array(4000).fill(0x61);
    const packet = ipv4({ proto: 6, totalLength: 0 }, tcp({ sport: 40000, dport: 80 }, payload));
    const frame = ethernet(0x0800, packet);
    expect(dec.decode(frame, 0, frame.length, frame.length, LINKTYPE_ETHERNET, 0)).toBe(DecodeStatus.Transport);
    expect([dec.view.dstPort, dec.view.payloadLength]).toEqual([80, 4000]);
    expect(count('ip4.zero_total_length')).toBe(1);
    expect(count('ip4.bad_total_length')).toBe(0);
  });

  test.each<[string, string]>([
    // An option (type 0x44) whose length byte (40) runs past the 4 option bytes.
    ['option length past the header', '44280000'],
    // An option with length 1: below the 2-byte minimum (type + length).
    ['option length 1', '07010000'],
    // A multi-byte option type as the last byte: no room for its length.
    ['type byte without a length', '01010107'],
  ])('malformed options are counted but the packet still decodes: %s', (_name, options) => {
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, ipv4({ proto: 6, options: hex(options) }, tcp({})), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect(count('ip4.bad_options')).toBe(1);
  });
});

describe('IPv6', () => {
  const UDP = udp(5353, 53, text('q'));
  /** An address as the view's four 32-bit words. */
  const words = (a: string) => {
    const b = ip6addr(a);
    return [0, 4, 8, 12].map((i) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0);
  };
  /** Decodes `ext` (extension headers ending in UDP's next header) behind an IPv6 header, expecting the UDP datagram and no anomaly. */
  const decodeBehind = (nextHeader: number, ext: Uint8Array, o: { src?: string; dst?: string } = {}) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ipv6({ nextHeader, ...o }, concat(ext, UDP)), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect([dec.view.ipProto, dec.view.dstPort, payloadText(dec)]).toEqual([IPPROTO_UDP, 53, 'q']);
    expect(anomalies.toRecord()).toEqual({});
    return dec;
  };

  test('extension chain: Hop-by-Hop → Destination Options → Routing → AH → UDP', () => {
    // AH (RFC 4302): Payload Len 4 means (4 + 2) · 4 = 24 bytes.
    const ah = concat(hex('11 04 0000 00000100 00000001'), new Uint8Array(12));
    const payload = concat(ext6(60, 8), ext6(43, 16), ext6(51, 24), ah, UDP);
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ipv6({ nextHeader: 0 }, payload), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect([dec.view.ipProto, dec.view.srcPort, dec.view.dstPort]).toEqual([IPPROTO_UDP, 5353, 53]);
    expect(payloadText(dec)).toBe('q');
    expect(anomalies.toRecord()).toEqual({});
  });

  describe('a Routing header with segments left names the final destination (as tshark and tcpdump show it)', () => {
    const dst = (dec: ReturnType<typeof newDecoder>['dec']) => [dec.view.da0, dec.view.da1, dec.view.da2, dec.view.da3].map((w) => w >>> 0);
    /** Routing header: next header 17, Hdr Ext Len, type, segments left, 4 reserved bytes, then the addresses. */
    const routing = (type: number, segLeft: number, addrs: string[]) =>
      concat(Uint8Array.of(17, addrs.length * 2, type, segLeft), new Uint8Array(4), ...addrs.map(ip6addr));
    const decodeWith = (rh: Uint8Array) => decodeBehind(43, rh, { dst: '2001:db8:1::1' });
    // tcpdump's ipv6-routing-header.pcap: type 0, one address, segments left 1
    test('type 0 (deprecated source route): the last address of the list', () => {
      expect(dst(decodeWith(routing(0, 2, ['2001:db8:2::2', '2001:db8:3::3'])))).toEqual(words('2001:db8:3::3'));
    });
    test('type 2 (Mobile IPv6): the home address', () => {
      expect(dst(decodeWith(routing(2, 1, ['2001:db8:4::4'])))).toEqual(words('2001:db8:4::4'));
    });
    // tcpdump's ipv6-srh-insert-cksum.pcap: SRH with Segment List [b2::2, 3::d6, 2::f1:0], segments left 2
    test('type 4 (Segment Routing): Segment List[0]', () => {
      expect(dst(decodeWith(routing(4, 2, ['2001:db8:5::5', '2001:db8:6::6', '2001:db8:7::7'])))).toEqual(words('2001:db8:5::5'));
    });
    test('segments left 0: the IPv6 header\'s destination is already the final one', () => {
      expect(dst(decodeWith(routing(4, 0, ['2001:db8:5::5', '2001:db8:1::1'])))).toEqual(words('2001:db8:1::1'));
    });
    test('type 3 (RPL, compressed addresses) and an unknown type keep the IPv6 header\'s destination', () => {
      expect(dst(decodeWith(routing(3, 1, ['2001:db8:5::5'])))).toEqual(words('2001:db8:1::1'));
      expect(dst(decodeWith(routing(9, 1, ['2001:db8:5::5'])))).toEqual(words('2001:db8:1::1'));
    });
  });

  test('an IPv6 packet under ethertype 0x0800 is decoded as IPv6, as tshark does, and counted', () => {
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, ethernet(0x0800, ipv6({ nextHeader: 17 }, UDP)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect([dec.view.ipVersion, dec.view.dstPort, payloadText(dec), count('ip.ipv6_under_ipv4_type')]).toEqual([6, 53, 'q', 1]);
  });

  test('6in4 (protocol 41) must carry IPv6; IP-in-IP (protocol 4) takes either version, as tshark reads them', () => {
    const inner4 = ipv4({ proto: 17 }, UDP);
    const inner6 = ipv6({ nextHeader: 17 }, UDP);
    const outer = (proto: number, inner: Uint8Array) => ipv4({ proto }, inner);
    for (const [proto, inner, status] of [[41, inner6, DecodeStatus.Transport], [41, inner4, DecodeStatus.Malformed], [4, inner4, DecodeStatus.Transport], [4, inner6, DecodeStatus.Transport]] as const) {
      const { dec } = newDecoder();
      expect(decodeFrame(dec, outer(proto, inner), LINKTYPE_RAW)).toBe(status);
      if (status === DecodeStatus.Transport) expect([dec.view.tunnelDepth, dec.view.dstPort]).toEqual([1, 53]);
    }
  });

  describe('a Home Address option (Mobile IPv6, RFC 6275 §6.3) names the source, as tshark shows it', () => {
    const src = (dec: ReturnType<typeof newDecoder>['dec']) => [dec.view.sa0, dec.view.sa1, dec.view.sa2, dec.view.sa3].map((w) => w >>> 0);
    /** Destination Options (next header UDP, 24 bytes): `pad` PadN/Pad1 bytes, then option `type` with 16 bytes of address. */
    const dstopts = (pad: Uint8Array, type: number, addr: string) => {
      const body = concat(pad, Uint8Array.of(type, 16), ip6addr(addr));
      return concat(Uint8Array.of(17, (2 + body.length) / 8 - 1), body);
    };
    const decodeWith = (opts: Uint8Array) => decodeBehind(60, opts, { src: '2001:db8::10' });
    test('after PadN (4 bytes, as RFC 6275 aligns it 8n+6): the home address replaces the care-of source', () => {
      expect(src(decodeWith(dstopts(hex('0102 0000'), 0xc9, '2001:db8:99::77')))).toEqual(words('2001:db8:99::77'));
    });
    test('after Pad1 bytes too; another option type leaves the source alone', () => {
      expect(src(decodeWith(dstopts(hex('00 00 00 00'), 0xc9, '2001:db8:99::77')))).toEqual(words('2001:db8:99::77'));
      expect(src(decodeWith(dstopts(hex('0102 0000'), 0x1e, '2001:db8:99::77')))).toEqual(words('2001:db8::10'));
    });
  });

  test('atomic fragment (offset 0, M = 0, RFC 6946) is decoded as a whole packet', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, ipv6({ nextHeader: 44 }, concat(frag6(17, 0, false, 7), UDP)), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect(dec.view.reassembled).toBe(false);
  });

  test('ESP (50) ends the walk: encrypted, not a flow', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, ipv6({ nextHeader: 0 }, concat(ext6(50, 8), new Uint8Array(16))), LINKTYPE_RAW)).toBe(DecodeStatus.OtherIp);
    expect(dec.view.ipProto).toBe(50);
  });

  test('No Next Header (59): valid, not a flow', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, ipv6({ nextHeader: 59 }, new Uint8Array(0)), LINKTYPE_RAW)).toBe(DecodeStatus.OtherIp);
  });

  test('ICMPv6 neighbour solicitation: counted with its type', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, ipv6({ nextHeader: IPPROTO_ICMPV6 }, hex('8700 0000 00000000')), LINKTYPE_RAW)).toBe(DecodeStatus.OtherIp);
    expect([dec.view.icmpType, dec.nonFlow.icmpv6]).toEqual([135, 1]);
  });

  test('jumbogram (RFC 2675): Payload Length 0 + Hop-by-Hop, UDP Length 0 → the rest of the packet', () => {
    // Hop-by-Hop with the Jumbo Payload option (C2 04 <length>); the decoder does not trust the option's value.
    const hbh = concat(hex('11 00 c2 04'), hex('00000000'));
    const packet = ipv6({ nextHeader: 0, payloadLength: 0 }, concat(hbh, udp(1, 2, text('jumbo'), 0)));
    const { dec } = newDecoder();
    expect(decodeFrame(dec, packet, LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect(payloadText(dec)).toBe('jumbo');
  });

  test('Payload Length 0 without Hop-by-Hop is an empty payload, not a jumbogram (UDP then lacks room)', () => {
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, ipv6({ nextHeader: 17, payloadLength: 0 }, UDP), LINKTYPE_RAW)).toBe(DecodeStatus.Malformed);
    expect(count('udp.bad_length')).toBe(1);
  });

  test('Ethernet padding after IPv6 is excluded by Payload Length', () => {
    const frame = concat(ethernet(0x86dd, ipv6({ nextHeader: 17 }, UDP)), new Uint8Array(6));
    const { dec } = newDecoder();
    expect(decodeFrame(dec, frame, LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(payloadText(dec)).toBe('q');
  });

  const tooMany = concat(...Array.from({ length: MAX_IPV6_EXT_HEADERS + 1 }, () => ext6(60, 8)), UDP);
  test.each<[string, Uint8Array, number | undefined, DecodeStatus, AnomalyName]>([
    // Fewer than 40 bytes: the fixed header is cut.
    ['fixed header cut', ipv6({ nextHeader: 17 }, UDP).subarray(0, 39), undefined, DecodeStatus.Truncated, 'ip6.truncated'],
    // Version nibble 4 under ethertype 0x86dd.
    ['version 4 under 0x86dd', ipv6({ nextHeader: 17, version: 4 }, UDP), undefined, DecodeStatus.Malformed, 'ip.unknown_version'],
    // Payload Length 1000 on a 9-byte payload: more than was on the wire.
    ['Payload Length beyond the wire', ipv6({ nextHeader: 17, payloadLength: 1000 }, UDP), undefined, DecodeStatus.Malformed, 'ip6.bad_payload_length'],
    // Nine Destination Options headers: one more than MAX_IPV6_EXT_HEADERS (8).
    ['9 extension headers', ipv6({ nextHeader: 60 }, tooMany), undefined, DecodeStatus.Malformed, 'ip6.too_many_ext_headers'],
    // A Hop-by-Hop header claiming 2048 bytes (Hdr Ext Len 255) inside a 17-byte payload.
    ['extension header longer than the payload', ipv6({ nextHeader: 0 }, concat(hex('11ff000000000000'), UDP)), undefined,
      DecodeStatus.Malformed, 'ip6.bad_payload_length'],
    // Routing header of 16 bytes, of which the snaplen kept 8 (the wire has all of it).
    ['extension header cut by the snaplen', ipv6({ nextHeader: 43 }, concat(ext6(17, 16), UDP)).subarray(0, 48), 40 + 16 + 9,
      DecodeStatus.Truncated, 'ip6.ext_header_truncated'],
    // Payload Length 4: a Destination Options header (8 bytes minimum) cannot fit.
    ['extension header in a 4-byte payload', ipv6({ nextHeader: 60, payloadLength: 4 }, concat(ext6(17, 8), UDP)), undefined,
      DecodeStatus.Malformed, 'ip6.bad_payload_length'],
  ])('%s', (_name, packet, wireLength, status, anomaly) => {
    const { dec, count, anomalies } = newDecoder();
    const frame = ethernet(0x86dd, packet);
    expect(dec.decode(frame, 0, frame.length, 14 + (wireLength ?? packet.length), LINKTYPE_ETHERNET, 0)).toBe(status);
    expect(count(anomaly)).toBe(1);
    expect(Object.keys(anomalies.toRecord())).toEqual([anomaly]);
  });
});

test('IPv4 and IPv6 fields are both reset between packets (an IPv4 packet after IPv6 has sa0..sa2 = 0)', () => {
  const { dec } = newDecoder();
  decodeFrame(dec, ipv6({ nextHeader: 17 }, udp(1, 2, new Uint8Array(0))), LINKTYPE_RAW);
  decodeFrame(dec, ipv4({ proto: 17 }, udp(1, 2, new Uint8Array(0))), LINKTYPE_RAW);
  expect([dec.view.sa0, dec.view.sa1, dec.view.sa2, dec.view.da0, dec.view.ipVersion]).toEqual([0, 0, 0, 0, 4]);
});
