/**
 * Tunnels: IP-in-IP (4 and 41 in IPv4 and IPv6), Ethernet in IP (143, SRv6 layer-2 services), GRE (RFC 2784/2890) with IP, Ethernet, MPLS
 * and ERSPAN payloads, VXLAN (RFC 7348), VXLAN-GPE, Geneve (RFC 8926), GTP-U (TS 29.281),
 * Teredo (RFC 4380), AYIYA, L2TPv3 Ethernet pseudowires (RFC 3931) over IP and UDP, GUE, the
 * depth bound and malformed tunnel headers.
 */
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../src/capture/source';
import type { AnomalyName } from '../../../src/anomalies';
import { MAX_GTPU_EXTENSION_HEADERS, MAX_TUNNEL_DEPTH, MAX_TZSP_TAGS } from '../../../src/decode/tunnels';
import { DecodeStatus, InnerKind, IPPROTO_TCP, IPPROTO_UDP } from '../../../src/decode/packet-view';
import { concat, decodeFrame, ethernet, hex, ip4word, ipv4, ipv6, newDecoder, payloadText, tcp, text, u16, udp } from './build';

const INNER4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp({ sport: 1111, dport: 80 }, text('GET')));
const INNER6 = ipv6({ src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 17 }, udp(2222, 53, text('q')));
const OUTER = { src: '198.51.100.1', dst: '203.0.113.1' };

/** The view holds INNER4 or INNER6, one tunnel layer down. */
function expectInnerPacket(dec: ReturnType<typeof newDecoder>['dec'], innerVersion: number): void {
  const v = dec.view;
  expect([v.tunnelDepth, v.ipVersion]).toEqual([1, innerVersion]);
  if (innerVersion === 4) {
    expect([v.sa3, v.da3, v.ipProto, v.srcPort, v.dstPort]).toEqual([ip4word('10.0.0.1'), ip4word('10.0.0.2'), IPPROTO_TCP, 1111, 80]);
    expect(payloadText(dec)).toBe('GET');
  } else {
    expect([v.sa0, v.sa3, v.da3, v.ipProto, v.srcPort, v.dstPort]).toEqual([0x20010db8, 0xa, 0xb, IPPROTO_UDP, 2222, 53]);
    expect(payloadText(dec)).toBe('q');
  }
}

describe('IP-in-IP: the outer packet is no flow, decode() returns the inner one', () => {
  test.each<[string, Uint8Array, number]>([
    ['IPv4-in-IPv4 (protocol 4, RFC 2003)', ipv4({ ...OUTER, proto: 4 }, INNER4), 4],
    ['IPv6-in-IPv4 (6in4, protocol 41, RFC 4213)', ipv4({ ...OUTER, proto: 41 }, INNER6), 6],
    ['IPv4-in-IPv6 (protocol 4)', ipv6({ nextHeader: 4 }, INNER4), 4],
    ['IPv6-in-IPv6 (protocol 41, RFC 2473)', ipv6({ nextHeader: 41 }, INNER6), 6],
  ])('%s', (_name, packet, innerVersion) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(packet[0] >> 4 === 6 ? 0x86dd : 0x0800, packet), LINKTYPE_ETHERNET))
      .toBe(DecodeStatus.Transport);
    expectInnerPacket(dec, innerVersion);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('Ethernet padding after a 6in4 packet is excluded by the outer and inner lengths', () => {
    const frame = concat(ethernet(0x0800, ipv4({ ...OUTER, proto: 41 }, INNER6)), new Uint8Array(8));
    const { dec } = newDecoder();
    expect(decodeFrame(dec, frame, LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(payloadText(dec)).toBe('q');
  });

  test('the outer VLAN id is kept for an IP-in-IP inner packet', () => {
    const { dec } = newDecoder();
    decodeFrame(dec, ethernet(0x0800, ipv4({ ...OUTER, proto: 4 }, INNER4), [[0x8100, 42]]), LINKTYPE_ETHERNET);
    expect(dec.view.vlanId).toBe(42);
  });

  test(`nesting deeper than MAX_TUNNEL_DEPTH (${MAX_TUNNEL_DEPTH}) is refused`, () => {
    let packet = INNER4;
    for (let i = 0; i <= MAX_TUNNEL_DEPTH; i++) packet = ipv4({ ...OUTER, proto: 4 }, packet);
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, packet, LINKTYPE_RAW)).toBe(DecodeStatus.Unsupported);
    expect(count('tunnel.too_deep')).toBe(1);
    expect(dec.view.tunnelDepth).toBe(MAX_TUNNEL_DEPTH);
  });

  test('exactly MAX_TUNNEL_DEPTH layers decode', () => {
    let packet = INNER4;
    for (let i = 0; i < MAX_TUNNEL_DEPTH; i++) packet = ipv4({ ...OUTER, proto: 4 }, packet);
    const { dec } = newDecoder();
    expect(decodeFrame(dec, packet, LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect(dec.view.tunnelDepth).toBe(MAX_TUNNEL_DEPTH);
  });

  test('an inner packet with a bad header is reported with the inner anomaly', () => {
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, ipv4({ ...OUTER, proto: 4 }, INNER4.subarray(0, 12)), LINKTYPE_RAW)).toBe(DecodeStatus.Truncated);
    expect(count('ip4.truncated')).toBe(1);
  });

  test('protocol 41 whose payload is empty', () => {
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, ipv4({ ...OUTER, proto: 41 }, new Uint8Array(0)), LINKTYPE_RAW)).toBe(DecodeStatus.Truncated);
    expect(count('tunnel.truncated')).toBe(1);
  });
});

/** GRE header: flags/version word, protocol type, then optional checksum, key, sequence words. */
function gre(flags: number, protocol: number, payload: Uint8Array): Uint8Array {
  // C, K, S; then PPTP's acknowledgment number (A, 0x0080) in enhanced GRE (version 1).
  const present = [0x8000, 0x2000, 0x1000].filter((f) => (flags & f) !== 0);
  if ((flags & 7) === 1 && (flags & 0x0080) !== 0) present.push(0x0080);
  return concat(u16(flags), u16(protocol), ...present.map(() => hex('a1b2c3d4')), payload);
}

describe('Ethernet in IP (protocol 143: SRv6 layer-2 services, RFC 8986); each shape checked with tshark 4.0 and tcpdump 4.99', () => {
  // A Segment Routing Header (RFC 8754): next header, length 2 (one segment), routing type 4,
  // segments left 0, last entry 0, flags, tag, the segment; then the layer-2 frame.
  const srh = (next: number): Uint8Array => concat(Uint8Array.of(next, 2, 4, 0, 0, 0, 0, 0), hex('20010db8000000000000000000000001'));

  test.each<[string, Uint8Array, number]>([
    ['IPv4, protocol 143, then an Ethernet frame holding IPv4/TCP', ipv4({ ...OUTER, proto: 143 }, ethernet(0x0800, INNER4)), 4],
    ['IPv6, next header 143 directly, then Ethernet with IPv6/UDP', ipv6({ nextHeader: 143 }, ethernet(0x86dd, INNER6)), 6],
    ['IPv6 with a Segment Routing Header naming 143 (End.DX2), then Ethernet with IPv4/TCP', ipv6({ nextHeader: 43 }, concat(srh(143), ethernet(0x0800, INNER4))), 4],
    ['IPv6 SRH, Ethernet with an 802.1Q tag, then IPv6/UDP', ipv6({ nextHeader: 43 }, concat(srh(143), ethernet(0x86dd, INNER6, [[0x8100, 7]]))), 6],
    // EtherIP (protocol 97, RFC 3378): a 2-byte header before the frame; tshark 4.0 decodes it.
    ['EtherIP in IPv4 (version 3), then Ethernet with IPv4/TCP', ipv4({ ...OUTER, proto: 97 }, concat(hex('3000'), ethernet(0x0800, INNER4))), 4],
    ['EtherIP in IPv6 with MikroTik EoIPv6\'s tunnel id in the reserved bits, then IPv6/UDP', ipv6({ nextHeader: 97 }, concat(hex('3abc'), ethernet(0x86dd, INNER6))), 6],
  ])('%s', (_name, packet, innerVersion) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(packet[0] >> 4 === 6 ? 0x86dd : 0x0800, packet), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expectInnerPacket(dec, innerVersion);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('EtherIP with its 2-byte header cut: tunnel.truncated; an EoIP keep-alive (no frame): no flow, no anomaly', () => {
    const { dec, count, anomalies } = newDecoder();
    expect(decodeFrame(dec, ipv4({ ...OUTER, proto: 97 }, hex('30')), LINKTYPE_RAW)).toBe(DecodeStatus.Truncated);
    expect(count('tunnel.truncated')).toBe(1);
    const b = newDecoder();
    expect(decodeFrame(b.dec, ipv4({ ...OUTER, proto: 47 }, hex('2001 6400 0000 0001')), LINKTYPE_RAW)).toBe(DecodeStatus.OtherIp);
    expect(b.anomalies.toRecord()).toEqual({});
    expect(anomalies.toRecord()).toEqual({ 'tunnel.truncated': 1 });
  });

  test('an Ethernet header cut short after protocol 143 is link.truncated, not a flow', () => {
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, ipv4({ ...OUTER, proto: 143 }, hex('0200000000020200000000')), LINKTYPE_RAW)).toBe(DecodeStatus.Truncated);
    expect(count('link.truncated')).toBe(1);
  });

  test('a frame that is not IP inside protocol 143 is no flow and no anomaly', () => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ipv4({ ...OUTER, proto: 143 }, ethernet(0x88cc, new Uint8Array(20))), LINKTYPE_RAW)).toBe(DecodeStatus.NotIp);
    expect(anomalies.toRecord()).toEqual({});
  });

  test(`Ethernet-in-IP nested past MAX_TUNNEL_DEPTH (${MAX_TUNNEL_DEPTH}) is refused`, () => {
    let packet = INNER4;
    for (let i = 0; i <= MAX_TUNNEL_DEPTH; i++) packet = ipv4({ ...OUTER, proto: 143 }, ethernet(0x0800, packet));
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, packet, LINKTYPE_RAW)).toBe(DecodeStatus.Unsupported);
    expect(count('tunnel.too_deep')).toBe(1);
  });
});

/** An 802.11 data frame header to the AP (ToDS), no QoS: 24 bytes, as Aruba's GRE carries it. */
const WLAN_DATA = hex('0801 0000 0a0000000001 0a0000000002 0a0000000003 1000');

describe('GRE', () => {
  test.each<[string, number, number, Uint8Array]>([
    ['version 0, no options, IPv4 payload (RFC 2784)', 0x0000, 0x0800, INNER4],
    ['checksum present (C)', 0x8000, 0x0800, INNER4],
    ['key and sequence number (K, S; RFC 2890)', 0x3000, 0x0800, INNER4],
    ['C, K and S together, IPv6 payload', 0xb000, 0x86dd, INNER6],
    ['transparent Ethernet bridging (0x6558)', 0x2000, 0x6558, ethernet(0x0800, INNER4, [[0x8100, 9]])],
    // ERSPAN (draft-foschiano-erspan): the payload is the mirrored Ethernet frame.
    ['ERSPAN type I (0x88be without a sequence number: no ERSPAN header)', 0x0000, 0x88be, ethernet(0x0800, INNER4)],
    ['ERSPAN type II (0x88be with S: 8-byte header, version 1)', 0x1000, 0x88be, concat(hex('10000007 00000000'), ethernet(0x0800, INNER4, [[0x8100, 9]]))],
    ['ERSPAN type III (0x22eb: 12-byte header, version 2)', 0x1000, 0x22eb, concat(hex('20000007 00000000 00000000'), ethernet(0x86dd, INNER6))],
    ['ERSPAN type III with the O bit (8-byte platform subheader)', 0x1000, 0x22eb, concat(hex('20000007 00000000 00000001 0000000000000000'), ethernet(0x0800, INNER4))],
    ['MPLS payload (0x8847, RFC 4023)', 0x0000, 0x8847, concat(hex('000641ff'), INNER4)],
    // PPTP (RFC 2637 §4.1): version 1, K always (payload length, call ID), then S and A; PPP inside.
    ['PPTP enhanced GRE v1: K and S, PPP with address/control and protocol 0x0021', 0x3001, 0x880b, concat(hex('ff03 0021'), INNER4)],
    ['PPTP enhanced GRE v1: K, S and A, PPP with compressed address/control and protocol (0x57)', 0x3081, 0x880b, concat(hex('57'), INNER6)],
    // MikroTik EoIP (tshark 4.0: gre:eth): version 1, K always (payload length, tunnel id), an Ethernet frame.
    ['MikroTik EoIP: enhanced GRE v1, protocol 0x6400, K, then Ethernet with IPv4', 0x2001, 0x6400, ethernet(0x0800, INNER4)],
    // Aruba (access point ↔ controller): an 802.11 data frame without FCS, then LLC/SNAP (tshark 4.0: gre:wlan:llc:ip).
    ['Aruba 0x8200: an 802.11 data frame to the AP, LLC/SNAP, IPv4', 0x0000, 0x8200, concat(WLAN_DATA, hex('aaaa0300000008 00'), INNER4)],
    ['Aruba 0x8370 (the last of its protocol types), IPv6', 0x2000, 0x8370, concat(WLAN_DATA, hex('aaaa03000000 86dd'), INNER6)],
    // WCCP (0x883e): IPv4 at once (v1), or after a 4-byte redirect header (v2), told apart by the first nibble (tshark 4.0 agrees).
    ['WCCPv1 redirect: IPv4 right after the GRE header', 0x0000, 0x883e, INNER4],
    // PPP in version 0 GRE (tshark 4.0: gre:ppp:ip), with and without its address and control bytes.
    ['version 0 GRE carrying PPP (0x880b) with address and control, IPv4', 0x0000, 0x880b, concat(hex('ff03 0021'), INNER4)],
    ['version 0 GRE with a key carrying PPP without address and control, IPv6', 0x2000, 0x880b, concat(hex('0057'), INNER6)],
    ['WCCPv2 redirect: a 4-byte redirect header, then IPv4', 0x0000, 0x883e, concat(hex('00000000'), INNER4)],
  ])('%s', (_name, flags, protocol, payload) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(0x0800, ipv4({ ...OUTER, proto: 47 }, gre(flags, protocol, payload))), LINKTYPE_ETHERNET))
      .toBe(DecodeStatus.Transport);
    expect(dec.view.tunnelDepth).toBe(1);
    expect(payloadText(dec)).toBe(dec.view.ipVersion === 6 ? 'q' : 'GET');
    expect(dec.view.vlanId).toBe(_name.includes('0x6558') || _name.includes('type II ') ? 9 : -1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('RFC 1701 routing (R): checksum and offset fields, source route entries up to the NULL one, then the payload (tshark walks them too)', () => {
    // An IPv4 source route entry (family 0x0800, offset 0, length 8: two addresses), then the NULL entry.
    const routed = concat(hex('4000 0800 0000 0000'), hex('0800 00 08 c0000201 c0000202'), hex('0000 00 00'), INNER4);
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(0x0800, ipv4({ ...OUTER, proto: 47 }, routed)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(dec.decodeInner(0)).toBe(DecodeStatus.Unsupported);
    expect([dec.view.tunnelDepth, payloadText(dec)]).toEqual([1, 'GET']);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, Uint8Array, DecodeStatus, AnomalyName]>([
    // Enhanced GRE (version 1) must carry PPP (0x880b): here it says IPv4.
    ['enhanced GRE v1 with a protocol other than PPP', concat(hex('3001 0800 0010 0001 00000001'), new Uint8Array(16)), DecodeStatus.Unsupported, 'gre.unsupported'],
    // EoIP without its Key field, and one cut inside it.
    ['EoIP without the Key field', concat(hex('0001 6400'), new Uint8Array(20)), DecodeStatus.Unsupported, 'gre.unsupported'],
    ['EoIP cut inside its Key field', hex('2001 6400 0010'), DecodeStatus.Truncated, 'tunnel.truncated'],
    // Enhanced GRE without its mandatory Key field (payload length and call ID).
    ['enhanced GRE v1 without the Key field', concat(hex('1001 880b 00000001'), new Uint8Array(16)), DecodeStatus.Unsupported, 'gre.unsupported'],
    // Enhanced GRE with S and A set but the acknowledgment number missing.
    ['enhanced GRE v1 cut before its acknowledgment number', hex('3081 880b 0010 0001 00000001'), DecodeStatus.Truncated, 'tunnel.truncated'],
    // Routing present (R bit, RFC 1701) with a source route entry that runs past the packet.
    ['routing bit set, its source route entry cut short', concat(hex('4000 0800 0000 0000 0800 00 08'), hex('c0000201')), DecodeStatus.Truncated, 'tunnel.truncated'],
    // Strict source route (s, 0x0800): reserved in RFC 2784 §2.3 and not read here.
    ['strict source route bit set', gre(0x0800, 0x0800, INNER4), DecodeStatus.Unsupported, 'gre.unsupported'],
    // A payload type we do not decode (0x8137, Novell IPX).
    ['IPX payload', gre(0x1000, 0x8137, new Uint8Array(16)), DecodeStatus.Unsupported, 'gre.unsupported'],
    // ERSPAN II whose header says version 0: the header disagrees with the GRE protocol type.
    ['ERSPAN II header with the wrong version', gre(0x1000, 0x88be, new Uint8Array(16)), DecodeStatus.Unsupported, 'gre.unsupported'],
    // ERSPAN III needs 12 bytes of header; 8 are there.
    ['ERSPAN III header cut short', gre(0x0000, 0x22eb, hex('20000007 00000000')), DecodeStatus.Truncated, 'tunnel.truncated'],
    // ERSPAN III with the O bit: the 8-byte platform subheader is missing.
    ['ERSPAN III platform subheader missing', gre(0x0000, 0x22eb, hex('20000007 00000000 00000001 0000')), DecodeStatus.Truncated, 'tunnel.truncated'],
    // Only 3 bytes of GRE header.
    ['header cut at 3 bytes', hex('000008'), DecodeStatus.Truncated, 'tunnel.truncated'],
    // K and S flags set but only 4 more bytes present (needs 8).
    ['optional fields missing', hex('30000800 00000001'), DecodeStatus.Truncated, 'tunnel.truncated'],
    // 0x8205 sits between Aruba's types (which step by 0x10): tshark shows it as data, so do we.
    ['a protocol type between Aruba\'s (0x8205)', gre(0x0000, 0x8205, concat(WLAN_DATA, hex('aaaa0300000008 00'), INNER4)), DecodeStatus.Unsupported, 'gre.unsupported'],
    // WCCPv2's redirect header cut short (its first byte is not an IPv4 header's).
    ['WCCP redirect header cut short', gre(0x0000, 0x883e, hex('0001')), DecodeStatus.Truncated, 'tunnel.truncated'],
    // Aruba's 802.11 frame cut inside its 24-byte header.
    ['Aruba 802.11 header cut short', gre(0x0000, 0x8200, WLAN_DATA.subarray(0, 20)), DecodeStatus.Truncated, 'link.truncated'],
  ])('%s', (_name, greBytes, status, anomaly) => {
    const { dec, count, anomalies } = newDecoder();
    expect(decodeFrame(dec, ipv4({ ...OUTER, proto: 47 }, greBytes), LINKTYPE_RAW)).toBe(status);
    expect(count(anomaly)).toBe(1);
    expect(Object.keys(anomalies.toRecord())).toEqual([anomaly]);
  });
});

test('Aruba GRE carrying an A-MSDU: each subframe is a packet of its own at the same tunnel depth (tshark 4.0 shows both)', () => {
  const sub = (msdu: Uint8Array): Uint8Array => {
    const head = concat(hex('0a0000000003 0a0000000002'), u16(msdu.length), msdu);
    return concat(head, new Uint8Array((4 - (head.length % 4)) % 4));
  };
  const qosAmsdu = hex('8801 0000 0a0000000001 0a0000000002 0a0000000003 1000 8000');
  const frame = ethernet(0x0800, ipv4({ ...OUTER, proto: 47 }, gre(0x0000, 0x8200, concat(qosAmsdu, sub(concat(hex('aaaa030000000800'), INNER4)), sub(concat(hex('aaaa03000000 86dd'), INNER6))))));
  const { dec, anomalies } = newDecoder();
  expect(decodeFrame(dec, frame, LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
  expect([dec.view.tunnelDepth, dec.view.ipVersion, payloadText(dec)]).toEqual([1, 4, 'GET']);
  expect(dec.siblingPending).toBe(true);
  expect(dec.decodeNextSibling()).toBe(DecodeStatus.Transport);
  expect([dec.view.tunnelDepth, dec.view.ipVersion, payloadText(dec)]).toEqual([1, 6, 'q']);
  expect(dec.siblingPending).toBe(false);
  expect(anomalies.toRecord()).toEqual({});
});

describe('VXLAN', () => {
  // VXLAN header: flags 0x08 (I), 3 reserved bytes, VNI 0x00007b (123), 1 reserved byte.
  const VXLAN_HEADER = hex('08000000 00007b00');
  const innerFrame = ethernet(0x0800, INNER4, [[0x8100, 77]]);

  function vxlanFrame(header: Uint8Array, inner: Uint8Array): Uint8Array {
    return ethernet(0x0800, ipv4({ ...OUTER, proto: 17 }, udp(50000, 4789, concat(header, inner))));
  }

  test('the outer UDP datagram is a flow; decodeInner() then yields the inner TCP packet', () => {
    const { dec, anomalies } = newDecoder();
    const f = vxlanFrame(VXLAN_HEADER, innerFrame);
    expect(decodeFrame(dec, f, LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    const v = dec.view;
    expect([v.dstPort, v.tunnelDepth, v.innerKind, v.innerOffset, v.innerEnd]).toEqual([4789, 0, InnerKind.Ethernet, 14 + 20 + 8 + 8, f.length]);
    expect(dec.decodeInner(0)).toBe(DecodeStatus.Transport);
    expect([v.tunnelDepth, v.sa3, v.srcPort, v.dstPort, v.vlanId, v.innerKind]).toEqual([1, ip4word('10.0.0.1'), 1111, 80, 77, InnerKind.None]);
    expect(payloadText(dec)).toBe('GET');
    expect(dec.decodeInner(0)).toBe(DecodeStatus.Unsupported); // nothing further inside
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each([
    ['I flag clear', '00000000 00007b00'],
    ['group policy extension (G and I flags, a policy id)', '88001234 00007b00'],
  ])('%s: the inner frame is still decoded, as tshark decodes it', (_name, header) => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, vxlanFrame(hex(header), innerFrame), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(dec.view.innerKind).toBe(InnerKind.Ethernet);
    expect(dec.decodeInner(0)).toBe(DecodeStatus.Transport);
    expect([dec.view.tunnelDepth, dec.view.dstPort]).toEqual([1, 80]);
  });

  test('VXLAN header shorter than 8 bytes: the UDP flow stays, tunnel.truncated counted', () => {
    const { dec, count } = newDecoder();
    expect(decodeFrame(dec, vxlanFrame(hex('0800'), new Uint8Array(0)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect([dec.view.innerKind, count('tunnel.truncated')]).toEqual([InnerKind.None, 1]);
  });

  test('inner frame cut short: decodeInner() reports the inner link truncation', () => {
    const { dec, count } = newDecoder();
    decodeFrame(dec, vxlanFrame(VXLAN_HEADER, innerFrame.subarray(0, 10)), LINKTYPE_ETHERNET);
    expect(dec.decodeInner(0)).toBe(DecodeStatus.Truncated);
    expect(count('link.truncated')).toBe(1);
  });

  test('VXLAN inside VXLAN: each decodeInner() goes one layer deeper, bounded by MAX_TUNNEL_DEPTH', () => {
    let f = innerFrame;
    for (let i = 0; i <= MAX_TUNNEL_DEPTH; i++) f = vxlanFrame(VXLAN_HEADER, f);
    const { dec, count } = newDecoder();
    let status = decodeFrame(dec, f, LINKTYPE_ETHERNET);
    let layers = 0;
    while (status === DecodeStatus.Transport && dec.view.innerKind !== InnerKind.None) {
      status = dec.decodeInner(0);
      layers++;
    }
    expect(layers).toBe(MAX_TUNNEL_DEPTH);
    expect(count('tunnel.too_deep')).toBe(1);
  });

  test('port 4789 as the source port is VXLAN too (tshark tries either port, the lower first)', () => {
    const { dec } = newDecoder();
    const f = ethernet(0x0800, ipv4({ ...OUTER, proto: 17 }, udp(4789, 55555, concat(VXLAN_HEADER, innerFrame))));
    expect(decodeFrame(dec, f, LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(dec.view.innerKind).toBe(InnerKind.Ethernet);
  });

  test('both ports a tunnel\'s: the lower port decides, in either direction', () => {
    // 2152 (GTP-U) is below 4789: a VXLAN header there is not GTP-U, so the datagram stays plain.
    for (const [sport, dport] of [[2152, 4789], [4789, 2152]]) {
      const { dec } = newDecoder();
      expect(decodeFrame(dec, ethernet(0x0800, ipv4({ ...OUTER, proto: 17 }, udp(sport, dport, concat(VXLAN_HEADER, innerFrame)))), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
      expect(dec.view.innerKind).toBe(InnerKind.None);
    }
    // 4789 is below 6081 (Geneve): VXLAN is read whichever side sent it.
    for (const [sport, dport] of [[6081, 4789], [4789, 6081]]) {
      const { dec } = newDecoder();
      decodeFrame(dec, ethernet(0x0800, ipv4({ ...OUTER, proto: 17 }, udp(sport, dport, concat(VXLAN_HEADER, innerFrame)))), LINKTYPE_ETHERNET);
      expect(dec.view.innerKind).toBe(InnerKind.Ethernet);
    }
  });

  test('a port below 1024 on the other side: never a tunnel', () => {
    const { dec } = newDecoder();
    decodeFrame(dec, ethernet(0x0800, ipv4({ ...OUTER, proto: 17 }, udp(4789, 53, concat(VXLAN_HEADER, innerFrame)))), LINKTYPE_ETHERNET);
    expect(dec.view.innerKind).toBe(InnerKind.None);
  });
});

/** An outer UDP datagram on Ethernet/IPv4 from `sport` to `dport` carrying `payload`. */
function udpFrame(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return ethernet(0x0800, ipv4({ ...OUTER, proto: 17 }, udp(sport, dport, payload)));
}

/** `frame` decodes as a UDP flow with nothing inside, having counted `truncations` tunnel.truncated. */
function expectPlainUdp(frame: Uint8Array, truncations: number): void {
  const { dec, count } = newDecoder();
  expect(decodeFrame(dec, frame, LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
  expect(dec.view.innerKind).toBe(InnerKind.None);
  expect(count('tunnel.truncated')).toBe(truncations);
}

/** Decodes `frame`, then its inner packet; returns the statuses and the view's facts after each step. */
function throughTunnel(frame: Uint8Array): { outer: number; kind: InnerKind; inner: number; depth: number; ports: number[] } {
  const { dec } = newDecoder();
  const outer = decodeFrame(dec, frame, LINKTYPE_ETHERNET);
  const kind = dec.view.innerKind;
  const inner = dec.decodeInner(0);
  return { outer, kind, inner, depth: dec.view.tunnelDepth, ports: [dec.view.srcPort, dec.view.dstPort] };
}

describe('Geneve (RFC 8926)', () => {
  // Version 0, no options, protocol, VNI 0x00abcd.
  const header = (optWords: number, protocol: number, options = new Uint8Array(optWords * 4)): Uint8Array =>
    concat(Uint8Array.of(optWords & 0x3f, 0), u16(protocol), hex('00abcd00'), options);

  test.each<[string, Uint8Array, InnerKind]>([
    ['Ethernet payload (0x6558), no options', concat(header(0, 0x6558), ethernet(0x0800, INNER4)), InnerKind.Ethernet],
    ['IPv4 payload after two option words', concat(header(2, 0x0800), INNER4), InnerKind.Ip],
    ['IPv6 payload', concat(header(0, 0x86dd), INNER6), InnerKind.Ip],
  ])('%s: the outer datagram is a flow, the inner packet one more', (_name, payload, kind) => {
    const r = throughTunnel(udpFrame(51000, 6081, payload));
    expect([r.outer, r.kind, r.inner, r.depth]).toEqual([DecodeStatus.Transport, kind, DecodeStatus.Transport, 1]);
    expect(r.ports).toEqual(kind === InnerKind.Ip && payload[2] === 0x86 ? [2222, 53] : [1111, 80]);
  });

  test.each<[string, Uint8Array, number]>([
    ['version 1', concat(Uint8Array.of(0x40, 0), u16(0x0800), hex('00abcd00'), INNER4), 0],
    ['a protocol that is not IP or Ethernet', concat(header(0, 0x8847), INNER4), 0],
    ['options longer than the datagram', header(10, 0x0800, new Uint8Array(8)), 1],
    ['a header shorter than 8 bytes', hex('000065580000'), 1],
  ])('%s: a plain UDP flow, nothing inside', (_name, payload, truncations) => {
    expectPlainUdp(udpFrame(51000, 6081, payload), truncations);
  });

  test('port 6081 as the source port is Geneve too', () => {
    expect(throughTunnel(udpFrame(6081, 51000, concat(header(0, 0x0800), INNER4))).kind).toBe(InnerKind.Ip);
  });
});

describe('VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe); each payload kind checked with tshark 4.0, which decodes port 4790 by default', () => {
  /** Flags (I, and P unless `noP`), next protocol, VNI 42. */
  const header = (next: number, flags = 0x0c): Uint8Array => concat(Uint8Array.of(flags, 0, 0, next), hex('00002a00'));
  const NSH_V4 = hex('0fc20201 000001ff');

  test.each<[string, Uint8Array, InnerKind, number[]]>([
    ['next protocol IPv4', concat(header(1), INNER4), InnerKind.Ip, [1111, 80]],
    ['next protocol IPv6', concat(header(2), INNER6), InnerKind.Ip, [2222, 53]],
    ['next protocol Ethernet', concat(header(3), ethernet(0x0800, INNER4)), InnerKind.Ethernet, [1111, 80]],
    ['next protocol NSH (a service chain), then IPv4', concat(header(4), NSH_V4, INNER4), InnerKind.Nsh, [1111, 80]],
    ['next protocol MPLS, one label, then IPv4', concat(header(5), hex('00064140'), INNER4), InnerKind.Mpls, [1111, 80]],
    ['the I and P flags clear, next protocol IPv4 (tshark reads the byte alone)', concat(header(1, 0x00), INNER4), InnerKind.Ip, [1111, 80]],
    ['version 1, next protocol IPv4', concat(header(1, 0x1c), INNER4), InnerKind.Ip, [1111, 80]],
  ])('%s: the outer datagram is a flow, the inner packet one more', (_name, payload, kind, ports) => {
    const r = throughTunnel(udpFrame(51000, 4790, payload));
    expect([r.outer, r.kind, r.inner, r.depth]).toEqual([DecodeStatus.Transport, kind, DecodeStatus.Transport, 1]);
    expect(r.ports).toEqual(ports);
  });

  test.each<[string, Uint8Array, number]>([
    ['no P flag and next protocol 0 (tshark shows data; the draft would say Ethernet)', concat(header(0, 0x08), ethernet(0x86dd, INNER6)), 0],
    ['an unassigned next protocol (0x7f)', concat(header(0x7f), INNER4), 0],
    ['a header shorter than 8 bytes', hex('0c000001 0000'), 1],
  ])('%s: a plain UDP flow, nothing inside', (_name, payload, truncations) => {
    expectPlainUdp(udpFrame(51000, 4790, payload), truncations);
  });

  test('port 4790 as the source port is VXLAN-GPE too', () => {
    expect(throughTunnel(udpFrame(4790, 51000, concat(header(1), INNER4))).kind).toBe(InnerKind.Ip);
  });
});

describe('GTP-U (3GPP TS 29.281)', () => {
  /** A GTP-U message: flags, type, length (of what follows the first 8 bytes), TEID, then `rest`. */
  const gtp = (flags: number, type: number, rest: Uint8Array, length = rest.length): Uint8Array =>
    concat(Uint8Array.of(flags, type), u16(length), hex('00c0ffee'), rest);

  test.each<[string, Uint8Array]>([
    ['a G-PDU with no optional fields', gtp(0x30, 0xff, INNER4)],
    ['a G-PDU with a sequence number (S)', gtp(0x32, 0xff, concat(hex('00010000'), INNER4))],
    ['a G-PDU with a PDU session container and a second extension header (E)', gtp(0x34, 0xff, concat(hex('00000085'), hex('01100940'), hex('02aabbccddee0000'), INNER4))],
  ])('%s: the user packet is a flow one layer down', (_name, payload) => {
    for (const [sport, dport] of [[2152, 2152], [40000, 2152], [2152, 40000]]) {
      const r = throughTunnel(udpFrame(sport, dport, payload));
      expect([r.outer, r.kind, r.inner, r.depth, ...r.ports]).toEqual([DecodeStatus.Transport, InnerKind.Ip, DecodeStatus.Transport, 1, 1111, 80]);
    }
  });

  test.each<[string, Uint8Array, number]>([
    ['an echo request (type 1), not a G-PDU', gtp(0x32, 0x01, hex('00010000')), 0],
    ['GTP version 2 flags', gtp(0x50, 0xff, INNER4), 0],
    ["GTP' (PT clear)", gtp(0x20, 0xff, INNER4), 0],
    ['a length field that does not account for the datagram', gtp(0x30, 0xff, INNER4, INNER4.length + 4), 0],
    ['a zero-length extension header', gtp(0x34, 0xff, concat(hex('00000085'), hex('00000000'), INNER4)), 0],
    ['an extension chain that never ends within the datagram', gtp(0x34, 0xff, concat(hex('00000085'), hex('01100985 02'))), 1],
    ['more extension headers than MAX_GTPU_EXTENSION_HEADERS', gtp(0x34, 0xff, concat(hex('00000085'), ...Array.from({ length: MAX_GTPU_EXTENSION_HEADERS + 1 }, () => hex('01000085')), INNER4)), 0],
    ['a payload that is not IP (first nibble 0)', gtp(0x30, 0xff, hex('00112233445566778899')), 0],
  ])('%s: a plain UDP flow, nothing inside', (_name, payload, truncations) => {
    expectPlainUdp(udpFrame(2152, 2152, payload), truncations);
  });
});

describe('Teredo (RFC 4380)', () => {
  const origin = hex('0000 fe44 34ff8ed1');
  test.each<[string, Uint8Array]>([
    ['a bare IPv6 packet', INNER6],
    ['after an origin indication', concat(origin, INNER6)],
    ['after an authentication indicator (ID 2, AU 3 bytes) and an origin indication', concat(hex('0001 02 03 aaaa bbbbbb 0102030405060708 00'), origin, INNER6)],
  ])('%s: the IPv6 packet is a flow one layer down, either way on port 3544', (_name, payload) => {
    for (const [sport, dport] of [[40000, 3544], [3544, 40000]]) {
      const r = throughTunnel(udpFrame(sport, dport, payload));
      expect([r.outer, r.kind, r.inner, r.depth, ...r.ports]).toEqual([DecodeStatus.Transport, InnerKind.Ip, DecodeStatus.Transport, 1, 2222, 53]);
    }
  });

  test.each<[string, Uint8Array]>([
    ['an IPv4 packet', INNER4],
    ['an IPv6 header whose payload length does not fit the datagram', concat(INNER6, hex('00'))],
    ['fewer than 40 bytes', INNER6.subarray(0, 39)],
    ['an authentication indicator whose lengths run past the datagram', concat(hex('0001 ff ff'), INNER6)],
  ])('%s: a plain UDP flow, nothing inside', (_name, payload) => {
    expect(throughTunnel(udpFrame(40000, 3544, payload)).kind).toBe(InnerKind.None);
  });

  test('a bubble (IPv6 with no next header, RFC 4380 §2.8) is the tunnel; its inner packet is IP that is no flow', () => {
    const bubble = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 59 }, new Uint8Array(0));
    const { dec } = newDecoder();
    expect(decodeFrame(dec, udpFrame(40000, 3544, bubble), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(dec.view.innerKind).toBe(InnerKind.Ip);
    expect(dec.decodeInner(0)).toBe(DecodeStatus.OtherIp);
    expect(dec.nonFlow.otherIp).toBe(1);
  });

  test('a Teredo packet cut by the snaplen is still recognised from its wire length', () => {
    const frame = udpFrame(40000, 3544, INNER6);
    const { dec } = newDecoder();
    expect(dec.decode(frame, 0, frame.length - 1, frame.length, LINKTYPE_ETHERNET, 0)).toBe(DecodeStatus.Transport);
    expect(dec.view.innerKind).toBe(InnerKind.Ip);
  });
});

describe('AYIYA (draft-massar-v6ops-ayiya)', () => {
  /** The 8-byte header: identity length 2^idPow, signature words, auth method 2, opcode, next header, epoch. */
  const header = (idPow: number, sigWords: number, opcode: number, next: number): Uint8Array =>
    concat(Uint8Array.of((idPow << 4) | 1, (sigWords << 4) | 2, 0x20 | opcode, next), hex('66656b40'), new Uint8Array(1 << idPow), new Uint8Array(sigWords * 4));

  test.each<[string, Uint8Array, number[]]>([
    ['IPv6 after a 16-byte identity and a 20-byte signature', concat(header(4, 5, 1, 41), INNER6), [2222, 53]],
    ['IPv4 after a 1-byte identity and no signature', concat(header(0, 0, 1, 4), INNER4), [1111, 80]],
  ])('a forward carrying %s is a flow one layer down, either way on port 5072', (_name, payload, ports) => {
    for (const [sport, dport] of [[5072, 5072], [40000, 5072], [5072, 40000]]) {
      const r = throughTunnel(udpFrame(sport, dport, payload));
      expect([r.outer, r.kind, r.inner, r.depth, ...r.ports]).toEqual([DecodeStatus.Transport, InnerKind.Ip, DecodeStatus.Transport, 1, ...ports]);
    }
  });

  test.each<[string, Uint8Array, number]>([
    ['an echo request (opcode 2), not a forward', concat(header(4, 5, 2, 41), INNER6), 0],
    ['a next header that is not IP (17)', concat(header(4, 5, 1, 17), udp(1, 2, new Uint8Array(4))), 0],
    ['a next header that disagrees with the packet (41 over IPv4)', concat(header(4, 5, 1, 41), INNER4), 0],
    ['an identity and signature longer than the datagram', header(15, 15, 1, 41).subarray(0, 64), 1],
  ])('%s: a plain UDP flow, nothing inside', (_name, payload, truncations) => {
    expectPlainUdp(udpFrame(5072, 5072, payload), truncations);
  });
});

describe('GRE-in-UDP (RFC 8086, port 4754) and MPLS-in-UDP (RFC 7510, port 6635); checked with tshark 4.0, which decodes either port', () => {
  test.each<[string, number, number, Uint8Array, InnerKind, number[]]>([
    ['GRE-in-UDP to 4754, IPv4 payload', 50000, 4754, gre(0x0000, 0x0800, INNER4), InnerKind.Gre, [1111, 80]],
    ['GRE-in-UDP from 4754 (the reply direction), IPv6 payload', 4754, 50001, gre(0x0000, 0x86dd, INNER6), InnerKind.Gre, [2222, 53]],
    ['GRE-in-UDP with a key, transparent Ethernet (0x6558)', 50002, 4754, gre(0x2000, 0x6558, ethernet(0x0800, INNER4)), InnerKind.Gre, [1111, 80]],
    ['GRE-in-UDP carrying MPLS (0x8847)', 50003, 4754, gre(0x0000, 0x8847, concat(hex('000641ff'), INNER4)), InnerKind.Gre, [1111, 80]],
    ['MPLS-in-UDP to 6635: one label, then IPv4', 50010, 6635, concat(hex('000641ff'), INNER4), InnerKind.Mpls, [1111, 80]],
    ['MPLS-in-UDP: two labels, then IPv6', 50011, 6635, concat(hex('00064000 000651ff'), INNER6), InnerKind.Mpls, [2222, 53]],
    ['PPTP\'s enhanced GRE (version 1) on 4754, PPP inside', 50000, 4754, gre(0x3001, 0x880b, concat(hex('ff030021'), INNER4)), InnerKind.Gre, [1111, 80]],
    ['version 0 GRE on 4754 carrying PPP', 50004, 4754, gre(0x0000, 0x880b, concat(hex('ff030021'), INNER4)), InnerKind.Gre, [1111, 80]],
  ])('%s: the inner packet is a flow one layer down', (_name, sport, dport, payload, kind, ports) => {
    const r = throughTunnel(udpFrame(sport, dport, payload));
    expect([r.outer, r.kind, r.inner, r.depth, ...r.ports]).toEqual([DecodeStatus.Transport, kind, DecodeStatus.Transport, 1, ...ports]);
  });

  test.each<[string, number, number, Uint8Array]>([
    ['a DNS reply from port 53 to 4754 (the well-known port wins, as in tshark)', 53, 4754, gre(0x0000, 0x0800, INNER4)],
    ['GRE version 0 naming IPX (tshark finds no IP after it either)', 50000, 4754, gre(0x0000, 0x8137, INNER4)],
    ['3 bytes on 4754', 50000, 4754, hex('000008')],
    ['an empty datagram to 6635', 50000, 6635, new Uint8Array(0)],
  ])('%s: a plain UDP flow, nothing inside, no anomaly', (_name, sport, dport, payload) => {
    expectPlainUdp(udpFrame(sport, dport, payload), 0);
  });

  test('a GRE-in-UDP header cut inside its key field: the outer flow stays, the inner packet is tunnel.truncated', () => {
    const r = throughTunnel(udpFrame(50000, 4754, hex('2000 0800 0000')));
    expect([r.outer, r.kind, r.inner]).toEqual([DecodeStatus.Transport, InnerKind.Gre, DecodeStatus.Truncated]);
  });
});

describe('CAPWAP data channel (RFC 5415 §4.3, port 5247); each shape checked with tshark 4.0', () => {
  /** The 8-byte header: preamble 0, HLEN 2 words, RID 1, `wbid`, the T bit, then F/L/W/M/K flags; fragment ID and offset 0. */
  const header = (t: boolean, wbid = 1, flags = 0, hlen = 2): Uint8Array => {
    const bits = (hlen << 19) | (1 << 14) | (wbid << 9) | ((t ? 1 : 0) << 8) | flags;
    return concat(Uint8Array.of(0, (bits >> 16) & 0xff, (bits >> 8) & 0xff, bits & 0xff), hex('00000000'));
  };
  /** An 802.11 data frame to the AP with LLC/SNAP IPv4; `swapped`: the Frame Control bytes as Cisco's access points send them. */
  const wlan = (swapped: boolean): Uint8Array => concat(hex(swapped ? '0108' : '0801'), hex('0000 0a0000000001 0a0000000002 0a0000000003 1000 aaaa030000000800'), INNER4);

  test.each<[string, Uint8Array, InnerKind]>([
    ['an 802.3 frame (T = 0)', concat(header(false), ethernet(0x0800, INNER4)), InnerKind.Ethernet],
    ['an 802.11 frame with swapped Frame Control (Cisco; tshark\'s default capwap.swap_fc)', concat(header(true), wlan(true)), InnerKind.Ieee80211],
    ['an 802.11 frame with Frame Control in order (other vendors; tshark needs capwap.swap_fc off)', concat(header(true), wlan(false)), InnerKind.Ieee80211],
    ['an 802.11 frame after a 16-byte header (the M bit: a radio MAC address, padded)', concat(header(true, 1, 0x10, 4), hex('06 0a0000000009 00'), wlan(true)), InnerKind.Ieee80211],
  ])('%s: the frame\'s packet is a flow one layer down', (_name, payload, kind) => {
    for (const [sport, dport] of [[50000, 5247], [5247, 50000]]) {
      const r = throughTunnel(udpFrame(sport, dport, payload));
      expect([r.outer, r.kind, r.inner, r.depth, ...r.ports]).toEqual([DecodeStatus.Transport, kind, DecodeStatus.Transport, 1, 1111, 80]);
    }
  });

  test.each<[string, number, Uint8Array]>([
    ['a keep-alive (K bit): no frame', 50000, concat(header(false, 1, 0x08), hex('0000 0000'))],
    ['a fragment (F bit): not reassembled', 50000, concat(header(true, 1, 0x80), wlan(true))],
    ['a DTLS-protected message (preamble type 1)', 50000, concat(hex('01'), header(true).subarray(1), wlan(true))],
    ['a native frame of another wireless binding (WBID 3)', 50000, concat(header(true, 3), wlan(true))],
    ['a header length past the datagram', 50000, header(true, 1, 0, 31)],
    ['a reply from port 53 to 5247 (the well-known port wins)', 53, concat(header(false), ethernet(0x0800, INNER4))],
  ])('%s: a plain UDP flow, nothing inside, no anomaly', (_name, sport, payload) => {
    expectPlainUdp(udpFrame(sport, 5247, payload), 0);
  });
});

describe('TZSP (MikroTik\'s sniffer stream, port 37008), LISP data (4341) and L2TPv2 data (1701); each shape checked with tshark 4.0', () => {
  /** TZSP: version 1, `type`, `encapsulation`, then tagged fields (given as hex) ending in END (1). */
  const tzsp = (encapsulation: number, tags = '01', type = 0): Uint8Array => concat(Uint8Array.of(1, type), u16(encapsulation), hex(tags));
  const WLAN = hex('0801 0000 0a0000000001 0a0000000002 0a0000000003 1000 aaaa030000000800');

  test.each<[string, number, Uint8Array, InnerKind, number[]]>([
    ['TZSP Ethernet (encapsulation 1), END tag only', 37008, concat(tzsp(1), ethernet(0x0800, INNER4)), InnerKind.Link, [1111, 80]],
    ['TZSP Ethernet after a padding byte, an RSSI tag and a channel tag', 37008, concat(tzsp(1, '00 0a01c4 120106 01'), ethernet(0x86dd, INNER6)), InnerKind.Link, [2222, 53]],
    ['TZSP 802.11 (encapsulation 18): a data frame with LLC/SNAP', 37008, concat(tzsp(18), WLAN, INNER4), InnerKind.Link, [1111, 80]],
    ['TZSP raw IP (encapsulation 7)', 37008, concat(tzsp(7), INNER6), InnerKind.Link, [2222, 53]],
    ['TZSP 802.11 behind a Prism header (encapsulation 119)', 37008, concat(tzsp(119), hex('41000000 90000000'), new Uint8Array(136), WLAN, INNER4), InnerKind.Link, [1111, 80]],
    ['TZSP version 2 (tshark does not check the version either)', 37008, concat(Uint8Array.of(2, 0), u16(1), hex('01'), ethernet(0x0800, INNER4)), InnerKind.Link, [1111, 80]],
    ['TZSP PPP (encapsulation 4)', 37008, concat(tzsp(4), hex('ff030021'), INNER4), InnerKind.Link, [1111, 80]],
    ['TZSP with 200 padding tags before END', 37008, concat(tzsp(1, '00'.repeat(200) + '01'), ethernet(0x0800, INNER4)), InnerKind.Link, [1111, 80]],
    ['LISP data: the 8-byte header (N bit, nonce, instance ID), then IPv4', 4341, concat(hex('80000001 00000100'), INNER4), InnerKind.Ip, [1111, 80]],
    ['LISP data, IPv6 inside', 4341, concat(hex('00000000 00000000'), INNER6), InnerKind.Ip, [2222, 53]],
    ['L2TPv2 data with the length field, PPP with address and control', 1701, concat(hex('4002 0040 0001 0002 ff03 0021'), INNER4), InnerKind.Ppp, [1111, 80]],
    ['L2TPv2 data with sequence numbers and an offset pad, PPP protocol compressed (0x57)', 1701, concat(hex('0a02 0001 0002 0000 0000 0002 0000 57'), INNER6), InnerKind.Ppp, [2222, 53]],
  ])('%s: the inner packet is a flow one layer down', (_name, port, payload, kind, ports) => {
    for (const [sport, dport] of [[50000, port], [port, 50000]]) {
      const r = throughTunnel(udpFrame(sport, dport, payload));
      expect([r.outer, r.kind, r.inner, r.depth, ...r.ports]).toEqual([DecodeStatus.Transport, kind, DecodeStatus.Transport, 1, ...ports]);
    }
  });

  test.each<[string, number, Uint8Array]>([
    ['TZSP type 3 (NULL: no frame)', 37008, tzsp(1, '01', 3)],
    ['TZSP encapsulation 3 (SLIP), not decoded', 37008, concat(tzsp(3), INNER4)],
    ['TZSP without an END tag', 37008, concat(tzsp(1, '0a01c4'))],
    [`TZSP with more than MAX_TZSP_TAGS (${MAX_TZSP_TAGS}) padding tags before END (a bound of ours; tshark walks on)`, 37008, concat(tzsp(1, '00'.repeat(MAX_TZSP_TAGS + 1) + '01'), ethernet(0x0800, INNER4))],
    ['LISP data whose payload is not IP', 4341, concat(hex('80000001 00000100'), hex('0000000000000000'))],
    ['an L2TP control message (T bit)', 1701, concat(hex('c802 0014 0001 0000 0000 0000'), hex('80080000000000010001'))],
    ['L2TPv2 whose offset pad runs past the datagram', 1701, hex('0202 0001 0002 00ff')],
  ])('%s: a plain UDP flow, nothing inside, no anomaly', (_name, port, payload) => {
    expectPlainUdp(udpFrame(50000, port, payload), 0);
  });
});

describe('L2TPv3 Ethernet pseudowires (RFC 3931, RFC 4719) over IP (protocol 115) and UDP (1701)', () => {
  // The headers as a capture of QEMU's l2tpv3 netdev between two namespaces shows them (the
  // layout of Linux's l2tp_build_l2tpv3_header): session ID 0xeeeeeeee, then the cookie, then
  // the default L2-specific sublayer (Linux sends 0; QEMU's `counter` a running number, 2 here).
  const SESSION = hex('eeeeeeee');
  const FRAME4 = ethernet(0x0800, INNER4);
  const FRAME6 = ethernet(0x86dd, INNER6);
  const overIp = (payload: Uint8Array): Uint8Array => ethernet(0x0800, ipv4({ ...OUTER, proto: 115 }, payload));
  const overIp6 = (payload: Uint8Array): Uint8Array => ethernet(0x86dd, ipv6({ nextHeader: 115 }, payload));
  const overUdp = (payload: Uint8Array): Uint8Array => udpFrame(1701, 1701, concat(hex('0003 0000'), payload));
  const CONFIGS: Array<[string, Uint8Array]> = [
    ['no cookie, the default sublayer (Linux\'s default session)', hex('00000000')],
    ['no cookie, l2spec_type none', hex('')],
    ['a 4-byte cookie, the default sublayer', hex('11223344 00000000')],
    ['a 4-byte cookie, l2spec_type none', hex('44332211')],
    ['an 8-byte cookie, the default sublayer with a sequence number (S bit, as with `seq both`)', hex('8877665544332211 40000005')],
    ['an 8-byte cookie, the sublayer as QEMU\'s counter fills it', hex('8877665544332211 00000002')],
    ['an 8-byte cookie, l2spec_type none', hex('1122334455667788')],
  ];

  test.each(CONFIGS)('over IP, %s: the frame\'s packet is decoded, no anomaly', (_name, between) => {
    for (const [frame, version] of [[FRAME4, 4], [FRAME6, 6]] as const) {
      const { dec, anomalies } = newDecoder();
      expect(decodeFrame(dec, overIp(concat(SESSION, between, frame)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
      expectInnerPacket(dec, version);
      expect(anomalies.toRecord()).toEqual({});
    }
  });

  test.each(CONFIGS)('over UDP, %s: the frame\'s packet is a flow one layer down, no anomaly', (_name, between) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, overUdp(concat(SESSION, between, FRAME4)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(dec.view.innerKind).toBe(InnerKind.Ethernet);
    expect(dec.decodeInner(0)).toBe(DecodeStatus.Transport);
    expectInnerPacket(dec, 4);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, Uint8Array, DecodeStatus, number]>([
    ['over IPv6', overIp6(concat(SESSION, hex('00000000'), FRAME4)), DecodeStatus.Transport, 4],
    ['a VLAN-tagged frame (802.1Q, VLAN 20)', overIp(concat(SESSION, ethernet(0x0800, INNER4, [[0x8100, 20]]))), DecodeStatus.Transport, 4],
    ['a short packet (IPv6, no next header) in a frame padded to 60 bytes', overIp(concat(SESSION, hex('00000000'), ethernet(0x86dd, ipv6({ nextHeader: 59 }, new Uint8Array(0))), new Uint8Array(6))), DecodeStatus.OtherIp, 6],
    // A switch adds its tag to a minimum frame without taking the padding off (IEEE 802.1Q: a
    // tagged frame's minimum is 4 bytes more), so a trunk port's short frames are 64 bytes: a
    // bare TCP segment (14 + 4 + 40 = 58 bytes) padded to 64.
    ['a VLAN-tagged TCP segment in a frame padded to 64 bytes (the tagged minimum)', overIp(concat(SESSION, hex('00000000'),
      ethernet(0x0800, ipv4({ proto: 6 }, tcp({ sport: 1111, dport: 80 })), [[0x8100, 20]]), new Uint8Array(6))), DecodeStatus.Transport, 4],
    ['the same segment tagged and padded to 60 bytes, as a host that tags its own frames pads them', overIp(concat(SESSION, hex('00000000'),
      ethernet(0x0800, ipv4({ proto: 6 }, tcp({ sport: 1111, dport: 80 })), [[0x8100, 20]]), new Uint8Array(2))), DecodeStatus.Transport, 4],
  ])('%s: the frame\'s packet is decoded, no anomaly', (_name, frame, status, version) => {
    const { dec, anomalies } = newDecoder();
    expect([decodeFrame(dec, frame, LINKTYPE_ETHERNET), dec.view.tunnelDepth, dec.view.ipVersion]).toEqual([status, 1, version]);
    expect(anomalies.toRecord()).toEqual({});
    // Found where it starts: its own MAC addresses (ethernet()'s 02:00:00:00:00:01 to :02), and its VLAN when tagged.
    const v = dec.view;
    expect([...v.macBuf.subarray(v.srcMacOffset, v.srcMacOffset + 6)]).toEqual([2, 0, 0, 0, 0, 1]);
    expect(v.vlanId).toBe(/VLAN/.test(_name) || /tagged/.test(_name) ? 20 : -1);
  });

  test('an ARP frame in the pseudowire: not IP, counted as ARP', () => {
    const arp = hex('0001 0800 06 04 0001 020000000001 c0000201 000000000000 c0000202');
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, overIp(concat(SESSION, hex('00000000'), ethernet(0x0806, arp))), LINKTYPE_ETHERNET)).toBe(DecodeStatus.NotIp);
    expect(dec.nonFlow.arp).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('a control message over IP (session ID 0): IP that is no flow, no anomaly', () => {
    const { dec, anomalies } = newDecoder();
    // Session ID 0, then a control header (T, L, version 3), length, connection ID 0, Ns, Nr, a Message Type AVP (SCCRQ).
    expect(decodeFrame(dec, overIp(hex('00000000 c803 0014 00000000 0000 0000 8008 0000 0000 0001')), LINKTYPE_ETHERNET)).toBe(DecodeStatus.OtherIp);
    expect(dec.nonFlow.otherIp).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, Uint8Array, DecodeStatus, AnomalyName]>([
    ['over IP, 3 bytes: too short for a session ID', overIp(hex('eeeeee')), DecodeStatus.Malformed, 'l2tp.malformed'],
    ['over IP, a PPP pseudowire (not Ethernet)', overIp(concat(SESSION, hex('ff03 0021'), INNER4)), DecodeStatus.Unsupported, 'l2tp.unsupported'],
    ['over IP, an IP pseudowire (the packet right after the session ID)', overIp(concat(SESSION, INNER4)), DecodeStatus.Unsupported, 'l2tp.unsupported'],
    ['over IP, 16 bytes between session ID and frame (more than a cookie and sublayer)', overIp(concat(SESSION, new Uint8Array(16), FRAME4)), DecodeStatus.Unsupported, 'l2tp.unsupported'],
    ['over IP, a frame whose IPv4 Total Length disagrees with the message', overIp(concat(SESSION, FRAME4, hex('00'))), DecodeStatus.Unsupported, 'l2tp.unsupported'],
    ['over IP, a frame with an IPv6 type but an IPv4 header', overIp(concat(SESSION, ethernet(0x86dd, INNER4))), DecodeStatus.Unsupported, 'l2tp.unsupported'],
    ['over IP, a frame of another type (LLDP)', overIp(concat(SESSION, ethernet(0x88cc, new Uint8Array(40)))), DecodeStatus.Unsupported, 'l2tp.unsupported'],
  ])('%s: counted, no flow', (_name, frame, status, anomaly) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, frame, LINKTYPE_ETHERNET)).toBe(status);
    expect(anomalies.toRecord()).toEqual({ [anomaly]: 1 });
  });

  test('over IP, cut by the snaplen inside the frame\'s Ethernet header: tunnel.truncated', () => {
    const frame = overIp(concat(SESSION, hex('00000000'), FRAME4));
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, frame.subarray(0, 14 + 20 + 8 + 10), LINKTYPE_ETHERNET, frame.length)).toBe(DecodeStatus.Truncated);
    expect(anomalies.toRecord()).toEqual({ 'tunnel.truncated': 1 });
  });

  test('over IP, cut by the snaplen inside the session ID: tunnel.truncated', () => {
    const frame = overIp(concat(SESSION, FRAME4));
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, frame.subarray(0, 14 + 20 + 2), LINKTYPE_ETHERNET, frame.length)).toBe(DecodeStatus.Truncated);
    expect(anomalies.toRecord()).toEqual({ 'tunnel.truncated': 1 });
  });

  test.each<[string, Uint8Array, Record<string, number>]>([
    ['a control message (T bit, version 3)', udpFrame(1701, 1701, hex('c803 0014 00000000 0000 0000 8008 0000 0000 0001')), {}],
    ['version 3 data with a header and nothing more', udpFrame(1701, 1701, hex('0003 0000')), { 'l2tp.malformed': 1 }],
    ['version 3 data with a 2-byte session ID', udpFrame(1701, 1701, hex('0003 0000 eeee')), { 'l2tp.malformed': 1 }],
    ['version 3 data carrying an IP packet (an IP pseudowire)', udpFrame(50000, 1701, concat(hex('0003 0000 00000001'), INNER4)), { 'l2tp.unsupported': 1 }],
  ])('over UDP, %s: a plain UDP flow, nothing inside', (_name, frame, anomalies) => {
    const { dec, anomalies: counted } = newDecoder();
    expect(decodeFrame(dec, frame, LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(dec.view.innerKind).toBe(InnerKind.None);
    expect(counted.toRecord()).toEqual(anomalies);
  });
});

describe('GUE, Generic UDP Encapsulation (draft-ietf-intarea-gue, port 6080)', () => {
  // Linux's `encap gue` header: version 0, C clear, Hlen 0, the payload's IP protocol, flags 0.
  const gue = (protocol: number, hlen = 0, flags = 0, fields: Uint8Array = new Uint8Array(hlen * 4)): Uint8Array =>
    concat(Uint8Array.of(hlen & 0x1f, protocol), u16(flags), fields);

  test.each<[string, Uint8Array, InnerKind, number[]]>([
    ['version 0, IPv4 (an ipip tunnel with encap gue)', concat(gue(4), INNER4), InnerKind.Ip, [1111, 80]],
    ['version 0, IPv6 (a sit tunnel with encap gue)', concat(gue(41), INNER6), InnerKind.Ip, [2222, 53]],
    ['version 0, GRE with IPv4 (a gre tunnel with encap gue)', concat(gue(47), hex('0000 0800'), INNER4), InnerKind.Gre, [1111, 80]],
    ['version 0 with a private data field (Hlen 1, the P flag; Linux\'s remote checksum offload)', concat(gue(4, 1, 0x0001, hex('80000000')), INNER4), InnerKind.Ip, [1111, 80]],
    ['version 1: the IPv4 header right after UDP', INNER4, InnerKind.Ip, [1111, 80]],
    ['version 1: the IPv6 header right after UDP', INNER6, InnerKind.Ip, [2222, 53]],
  ])('%s: the inner packet is a flow one layer down', (_name, payload, kind, ports) => {
    for (const [sport, dport] of [[49152, 6080], [6080, 49152]]) {
      const r = throughTunnel(udpFrame(sport, dport, payload));
      expect([r.outer, r.kind, r.inner, r.depth, ...r.ports]).toEqual([DecodeStatus.Transport, kind, DecodeStatus.Transport, 1, ...ports]);
    }
  });

  test.each<[string, number, Uint8Array, number?]>([
    ['a control message (C bit)', 6080, concat(Uint8Array.of(0x20, 0), u16(0), INNER4)],
    ['version 0 with a payload protocol other than IP and GRE (UDP, 17)', 6080, concat(gue(17), udp(1, 2, new Uint8Array(0)))],
    ['version 0, IPv4 named but IPv6 inside', 6080, concat(gue(4), INNER6)],
    ['version 0, an IPv4 packet shorter than the datagram (trailing bytes)', 6080, concat(gue(4), INNER4, hex('00'))],
    ['version 0, Hlen past the datagram', 6080, concat(gue(4, 31), hex('00000000'))],
    ['version 2 (undefined)', 6080, concat(Uint8Array.of(0x80, 4), u16(0), INNER4)],
    ['version 1 whose IPv4 Total Length disagrees with the datagram', 6080, concat(INNER4, hex('0000'))],
    ['a GUE-shaped datagram from port 53', 53, concat(gue(4), INNER4)],
    ['plain FOU (an IPv4 packet right after UDP) on a port of its own: cannot be told apart, never read', 49152, INNER4, 5555],
  ])('%s: a plain UDP flow, nothing inside, no anomaly', (_name, sport, payload, dport = 6080) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, udpFrame(sport, dport, payload), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect(dec.view.innerKind).toBe(InnerKind.None);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('extension fields cut by the snaplen: tunnel.truncated, the datagram plain', () => {
    const frame = udpFrame(49152, 6080, concat(gue(4, 2, 0x0001), INNER4));
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, frame.subarray(0, 14 + 20 + 8 + 8), LINKTYPE_ETHERNET, frame.length)).toBe(DecodeStatus.Transport);
    expect(dec.view.innerKind).toBe(InnerKind.None);
    expect(anomalies.toRecord()).toEqual({ 'tunnel.truncated': 1 });
  });
});

describe('PPTP: enhanced GRE frames that are not IP', () => {
  test.each<[string, Uint8Array]>([
    ['LCP (0xc021)', hex('ff03 c021 01010004')],
    ['compressed data (CCP/MPPE, 0x00fd)', hex('00fd 9001 aabbccdd')],
  ])('%s: counted as not IP, no anomaly', (_name, ppp) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ipv4({ ...OUTER, proto: 47 }, gre(0x3001, 0x880b, ppp)), LINKTYPE_RAW)).toBe(DecodeStatus.NotIp);
    expect(dec.nonFlow.otherL2).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('an acknowledgment without payload: an IP packet that is no flow, no anomaly', () => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ipv4({ ...OUTER, proto: 47 }, gre(0x2081, 0x880b, new Uint8Array(0))), LINKTYPE_RAW)).toBe(DecodeStatus.OtherIp);
    expect(dec.nonFlow.otherIp).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('a payload the snaplen cut off entirely: the PPP header is reported truncated', () => {
    const { dec, count } = newDecoder();
    const frame = ipv4({ ...OUTER, proto: 47 }, gre(0x3001, 0x880b, concat(hex('ff03 0021'), INNER4)));
    expect(decodeFrame(dec, frame, LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    const cut = frame.subarray(0, 20 + 12);
    expect(dec.decode(cut, 0, cut.length, frame.length, LINKTYPE_RAW, 0)).toBe(DecodeStatus.Truncated);
    expect(count('link.truncated')).toBe(1);
  });
});

describe('UDP tunnel ports against well-known services', () => {
  // A valid IPv6 packet is also a valid Teredo payload; a DNS answer from port 53 to a client
  // that picked 3544 is DNS all the same (tshark tries the lower port first).
  test.each<[string, number, number, Uint8Array]>([
    ['Teredo-shaped payload from port 53 to 3544', 53, 3544, INNER6],
    ['Teredo-shaped payload from 3544 to port 123', 3544, 123, INNER6],
    ['GTP-U-shaped payload from port 53 to 2152', 53, 2152, concat(Uint8Array.of(0x30, 0xff), u16(INNER4.length), hex('00000001'), INNER4)],
    ['Geneve-shaped payload from port 53 to 6081', 53, 6081, concat(hex('0000 0800 00abcd00'), INNER4)],
    ['VXLAN-shaped payload from port 53 to 4789', 53, 4789, concat(hex('08000000 00007b00'), ethernet(0x0800, INNER4))],
    ['AYIYA-shaped payload from port 53 to 5072', 53, 5072, concat(hex('0102 2129 00000000 00'), INNER6)],
  ])('%s: a plain UDP flow', (_name, sport, dport, payload) => {
    const r = throughTunnel(udpFrame(sport, dport, payload));
    expect([r.outer, r.kind]).toEqual([DecodeStatus.Transport, InnerKind.None]);
  });

  test('the same payloads between unprivileged ports are tunnels (the tests above fail for the port alone)', () => {
    expect(throughTunnel(udpFrame(40000, 3544, INNER6)).kind).toBe(InnerKind.Ip);
    expect(throughTunnel(udpFrame(1024, 4789, concat(hex('08000000 00007b00'), ethernet(0x0800, INNER4)))).kind).toBe(InnerKind.Ethernet);
    expect(throughTunnel(udpFrame(1024, 5072, concat(hex('0102 2129 00000000 00'), INNER6))).kind).toBe(InnerKind.Ip);
  });
});

describe('tunnels and IP fragmentation', () => {
  test('a GTP-U datagram fragmented on the outer IPv4 (as on a GTP backhaul with a small MTU): reassembled, then its user packet decoded', () => {
    const inner = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp({ sport: 1111, dport: 80 }, text('GET / HTTP/1.1\r\nHost: gtp.example\r\n\r\n')));
    const datagram = udp(2152, 2152, concat(Uint8Array.of(0x30, 0xff), u16(inner.length), hex('00000001'), inner));
    const cut = 32; // a multiple of 8: the first fragment carries the UDP and GTP-U headers and the start of the user packet
    const first = ipv4({ ...OUTER, proto: 17, id: 7, flags: 1 }, datagram.subarray(0, cut));
    const second = ipv4({ ...OUTER, proto: 17, id: 7, fragOffset: cut }, datagram.subarray(cut));
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, first, LINKTYPE_RAW)).toBe(DecodeStatus.FragmentHeld);
    expect(decodeFrame(dec, second, LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect([dec.view.dstPort, dec.view.innerKind]).toEqual([2152, InnerKind.Ip]);
    expect(dec.decodeInner(0)).toBe(DecodeStatus.Transport);
    expect([dec.view.tunnelDepth, dec.view.dstPort]).toEqual([1, 80]);
    expect(payloadText(dec)).toContain('Host: gtp.example');
    expect(anomalies.toRecord()).toEqual({});
  });
});
