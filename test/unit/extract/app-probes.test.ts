/**
 * The DHCP, DHCPv6, STUN, MQTT and VPN-tunnel (WireGuard, IKE, OpenVPN) content probes: real message layouts pass; each field the
 * probe checks, changed alone, fails it; cut messages and random bytes never throw.
 */
import * as fc from 'fast-check';
import { probeCoap, probeDhcp, probeDhcpv6, probeIke, probeMqttConnect, probeNbns, probeOpenVpnReset, probeStun, probeWireGuard } from '../../../src/extract/app-probes';
import { probeDnsQuery } from '../../../src/extract/dns-probe';
import { ikeMessage, openvpnHardReset, wireguardMessage } from '../../gen/app-messages';
import { concat as cat } from './helpers/tls-builder';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const whole = (b: Uint8Array): [Uint8Array, number, number] => [b, 0, b.length];

/** DHCPDISCOVER (RFC 2131 §4.4.1): op 1, htype 1, hlen 6, the cookie, message type 1, end. */
function dhcpDiscover(): Uint8Array {
  const b = new Uint8Array(244);
  b.set([1, 1, 6, 0, 0x39, 0x03, 0xf3, 0x26]);
  b.set([0x00, 0x00, 0x5e, 0x00, 0x53, 0x10], 28);
  b.set([0x63, 0x82, 0x53, 0x63, 53, 1, 1, 255], 236);
  return b;
}
/** DHCPv6 SOLICIT (RFC 8415 §16.2): type 1, transaction id, a Client Identifier and an Elapsed Time option. */
const DHCPV6_SOLICIT = hex('01 abcdef  0001 000a 0003 0001 00005e005310  0008 0002 0000');
/** STUN Binding Request (RFC 8489 §5) with one SOFTWARE attribute of 4 bytes. */
const STUN_BINDING = hex('0001 0008 2112a442 000102030405060708090a0b  8022 0004 74657374');
/** MQTT 3.1.1 CONNECT: clean session, keep-alive 60, client id "dev". */
const MQTT_311 = cat(hex('10 0f 0004'), text('MQTT'), hex('04 02 003c 0003'), text('dev'));
/** MQTT 5.0 CONNECT with an empty property list. */
const MQTT_5 = cat(hex('10 10 0004'), text('MQTT'), hex('05 02 003c 00 0003'), text('dev'));
/** MQTT 3.1 CONNECT ("MQIsdp", level 3). */
const MQTT_31 = cat(hex('10 11 0006'), text('MQIsdp'), hex('03 02 003c 0003'), text('dev'));

describe('probeDhcp', () => {
  test('a DISCOVER passes; op, hlen and the cookie each matter', () => {
    expect(probeDhcp(...whole(dhcpDiscover()))).toBe(true);
    const reply = dhcpDiscover(); reply[0] = 2;
    expect(probeDhcp(...whole(reply))).toBe(true);
    for (const [at, value] of [[0, 3], [2, 17], [236, 0x64], [239, 0]] as const) {
      const b = dhcpDiscover(); b[at] = value;
      expect(probeDhcp(...whole(b))).toBe(false);
    }
    expect(probeDhcp(dhcpDiscover(), 0, 239)).toBe(false);
  });
});

describe('probeDhcpv6', () => {
  test('a SOLICIT passes; options must account for the datagram exactly', () => {
    expect(probeDhcpv6(...whole(DHCPV6_SOLICIT))).toBe(true);
    expect(probeDhcpv6(DHCPV6_SOLICIT, 0, DHCPV6_SOLICIT.length - 1)).toBe(false);
    expect(probeDhcpv6(...whole(cat(DHCPV6_SOLICIT, hex('00'))))).toBe(false);
    expect(probeDhcpv6(...whole(hex('01abcdef')))).toBe(false); // no options
    const badType = DHCPV6_SOLICIT.slice(); badType[0] = 0;
    expect(probeDhcpv6(...whole(badType))).toBe(false);
  });

  test('a RELAY-FORW: options after the 34-byte relay header', () => {
    const relay = cat(hex('0c 00'), new Uint8Array(32), hex('0009 0004 01020304'));
    expect(probeDhcpv6(...whole(relay))).toBe(true);
    expect(probeDhcpv6(relay, 0, 33)).toBe(false);
  });
});

describe('probeStun', () => {
  test('a Binding Request passes; leading bits, length and cookie each matter', () => {
    expect(probeStun(...whole(STUN_BINDING))).toBe(true);
    for (const [at, value] of [[0, 0x40], [3, 0x0c], [3, 0x09], [4, 0x22]] as const) {
      const b = STUN_BINDING.slice(); b[at] = value;
      expect(probeStun(...whole(b))).toBe(false);
    }
    expect(probeStun(STUN_BINDING, 0, 19)).toBe(false);
  });
});

describe('probeCoap (RFC 7252 §3; each message checked with tshark 4.0, which decodes it without a malformed mark)', () => {
  test.each([
    // CON GET, token 2 bytes, Uri-Host "example.net", Uri-Path "rd", Uri-Query of 14 bytes (length nibble 13, extended).
    ['a confirmable GET with Uri-Host, Uri-Path and an extended-length Uri-Query', '4201abcd1234 3b6578616d706c652e6e6574 827264 4d0165703d6e6f64652d372d6c6f6e67'],
    ['a ping (confirmable empty message)', '40000001'],
    ['an ACK 2.05 Content with a token, Content-Format and a payload', '6145abce99 c100 ff7b2276223a317d'],
    ['a non-confirmable POST with an 18-byte Uri-Path and a payload', `5002abcf bd05${'78'.repeat(18)} ff64617461`],
  ])('%s passes', (_why, h) => {
    expect(probeCoap(...whole(hex(h)))).toBe(true);
  });

  test.each([
    ['version 2', '8001abcd'],
    ['a token of 9 bytes', `4901abcd${'00'.repeat(9)}`],
    ['an empty message with a token', '41000001aa'],
    ['an empty message with bytes after it', '40000001ff00'],
    ['code 1.01 (no such class)', '4021abcd'],
    ['code 7.01 (signaling is for CoAP over TCP)', '40e1abcd'],
    ['an option nibble of 15 that is not the payload marker', '4001abcdf1'],
    ['a payload marker with no payload', '4001abcdff'],
    ['an option longer than the datagram', '4001abcd3b6578616d'],
    ['a token longer than the datagram', '4401abcd0102'],
    ['three bytes', '400100'],
  ])('%s fails', (_why, h) => {
    expect(probeCoap(...whole(hex(h)))).toBe(false);
  });
});

describe('probeNbns (RFC 1002 §4.2; each message checked with tshark 4.0, which shows it as NBNS)', () => {
  /** WPAD<00>, first-level encoded (RFC 1002 §4.1), with the root as its scope. */
  const WPAD = '20 4648464145424545434143414341434143414341434143414341434143414141 00';
  const QUERY = hex(`b1e6 0110 0001 0000 0000 0000 ${WPAD} 0020 0001`); // nDPI's 1kxun.pcap, frame 39: "Name query NB WPAD<00>"
  test.each([
    ['a name query (NB)', QUERY],
    ['a positive name query response', hex(`b1e6 8500 0000 0001 0000 0000 ${WPAD} 0020 0001 0003f480 0006 0000 c0000217`)],
    ['a registration with an additional record', hex('abcd2910000100000000000120454e4546454646454545454545454545454545454545454545454545454541410000200001c00c00200001000493e0000600000a000005')],
    ['a node status query (NBSTAT) with a scope', hex(`0001 0000 0001 0000 0000 0000 20 ${'4341'.repeat(16)} 07 6578616d706c65 00 0021 0001`)],
  ])('%s passes', (_why, b) => {
    expect(probeNbns(...whole(b))).toBe(true);
  });

  test('the DNS probe alone takes a NetBIOS name query for DNS: the reason this probe runs first on 137', () => {
    expect(probeDnsQuery(...whole(QUERY))).toBe(true);
  });

  test.each([
    ['a DNS query for a name of ordinary labels', hex('1234 0100 0001 0000 0000 0000 07 6578616d706c65 03 636f6d 00 0001 0001')],
    ['an encoded name with a letter past P', hex(`b1e6 0110 0001 0000 0000 0000 20 ${'5141'.repeat(16)} 00 0020 0001`)],
    ['a first label of 31 bytes', hex(`b1e6 0110 0001 0000 0000 0000 1f ${'41'.repeat(31)} 00 0020 0001`)],
    ['RR type A instead of NB', hex(`b1e6 0110 0001 0000 0000 0000 ${WPAD} 0001 0001`)],
    ['opcode 2 (not a NetBIOS opcode)', hex(`b1e6 1110 0001 0000 0000 0000 ${WPAD} 0020 0001`)],
    ['no question and no answer', hex(`b1e6 0110 0000 0000 0000 0000 ${WPAD} 0020 0001`)],
    ['cut before the class', QUERY.subarray(0, QUERY.length - 2)],
  ])('%s fails', (_why, b) => {
    expect(probeNbns(...whole(b))).toBe(false);
  });
});

describe('probeMqttConnect', () => {
  test.each([['3.1.1', MQTT_311], ['5.0', MQTT_5], ['3.1', MQTT_31]])('MQTT %s CONNECT passes, and every cut of it says more, never no', (_v, m) => {
    expect(probeMqttConnect(...whole(m))).toBe('yes');
    // The level byte decides at the latest; any cut before it cannot tell.
    const levelAt = m[3] === 4 ? 8 : 10;
    for (let n = 1; n <= levelAt; n++) expect(probeMqttConnect(m, 0, n)).toBe('more');
  });

  test('another packet type, a wrong name, a wrong level, a too short or too long Remaining Length', () => {
    expect(probeMqttConnect(...whole(cat(hex('20'), MQTT_311.subarray(1))))).toBe('no'); // CONNACK
    const name = MQTT_311.slice(); name[5] = 0x58;
    expect(probeMqttConnect(...whole(name))).toBe('no');
    const level = MQTT_311.slice(); level[8] = 3;
    expect(probeMqttConnect(...whole(level))).toBe('no');
    expect(probeMqttConnect(...whole(cat(hex('10 05'), MQTT_311.subarray(2))))).toBe('no');
    expect(probeMqttConnect(...whole(hex('10 ff ff ff ff 01')))).toBe('no');
    expect(probeMqttConnect(...whole(cat(hex('10 0f 0005'), text('MQTTX'))))).toBe('no');
  });
});

describe('probeWireGuard', () => {
  test('initiation, response and transport data pass at their sizes; the reserved bytes, the type and the size each matter', () => {
    for (const m of [wireguardMessage(1, 'a'), wireguardMessage(2, 'a'), wireguardMessage(4, 'a', 16), wireguardMessage(4, 'a', 1408)]) {
      expect(probeWireGuard(...whole(m))).toBe(true);
    }
    expect(probeWireGuard(...whole(cat(hex('03000000'), new Uint8Array(60))))).toBe(true); // cookie reply, 64 bytes
    const init = wireguardMessage(1, 'a');
    for (const at of [1, 2, 3]) { const b = init.slice(); b[at] = 1; expect([at, probeWireGuard(...whole(b))]).toEqual([at, false]); }
    for (const type of [0, 5, 0x41]) { const b = init.slice(); b[0] = type; expect([type, probeWireGuard(...whole(b))]).toEqual([type, false]); }
    expect(probeWireGuard(init, 0, 147)).toBe(false);
    expect(probeWireGuard(...whole(cat(init, new Uint8Array(1))))).toBe(false);
    expect(probeWireGuard(...whole(cat(hex('04000000'), new Uint8Array(36))))).toBe(false); // data not in 16-byte blocks
  });
});

describe('probeIke', () => {
  const v2 = ikeMessage({ seed: 'x', version: 0x20, exchange: 34, responderSpi: false, flags: 0x08, messageId: 0, bodyLength: 200 });
  test('IKEv2 and IKEv1, bare and behind the non-ESP marker, pass', () => {
    expect(probeIke(...whole(v2))).toBe(true);
    expect(probeIke(...whole(ikeMessage({ seed: 'x', version: 0x20, exchange: 35, responderSpi: true, flags: 0x08, messageId: 1, bodyLength: 300, nonEspMarker: true })))).toBe(true);
    expect(probeIke(...whole(ikeMessage({ seed: 'x', version: 0x10, exchange: 2, responderSpi: false, flags: 0, messageId: 0, bodyLength: 120 })))).toBe(true);
  });
  test('the length, the version, the exchange type and the initiator SPI each matter', () => {
    expect(probeIke(...whole(cat(v2, new Uint8Array(1))))).toBe(false);
    for (const [at, value] of [[17, 0x21], [17, 0x30], [18, 33], [18, 6]] as const) {
      const b = v2.slice(); b[at] = value;
      expect([at, value, probeIke(...whole(b))]).toEqual([at, value, false]);
    }
    const noSpi = v2.slice(); noSpi.fill(0, 0, 8);
    expect(probeIke(...whole(noSpi))).toBe(false);
    expect(probeIke(...whole(cat(hex('00000001'), v2)))).toBe(false); // an ESP SPI, not the marker
  });
});

describe('probeOpenVpnReset', () => {
  const udp = openvpnHardReset({ seed: 'o', server: false });
  const tcp = openvpnHardReset({ seed: 'o', server: false, tlsAuthHmac: 20, tcp: true });
  test('the client\'s hard reset passes over UDP (14 bytes) and TCP (2 + 42 with tls-auth), on 1194 and elsewhere', () => {
    expect(udp.length).toBe(14);
    expect(tcp.length).toBe(44);
    for (const onPort of [true, false]) {
      expect(probeOpenVpnReset(...whole(udp), false, onPort)).toBe(true);
      expect(probeOpenVpnReset(...whole(tcp), true, onPort)).toBe(true);
    }
  });
  test('off 1194 it must also be a payload-free reset; on 1194 the opcode is enough (tls-crypt); the server\'s reset and a wrong TCP length never pass', () => {
    const tlsCrypt = cat(hex('38'), new Uint8Array(8).fill(7), new Uint8Array(45).fill(0x5a)); // 54 bytes, encrypted tail
    expect(probeOpenVpnReset(...whole(tlsCrypt), false, true)).toBe(true);
    expect(probeOpenVpnReset(...whole(tlsCrypt), false, false)).toBe(false);
    expect(probeOpenVpnReset(...whole(cat(udp, new Uint8Array(2))), false, false)).toBe(false); // 16 bytes: no known size
    expect(probeOpenVpnReset(...whole(openvpnHardReset({ seed: 'o', server: true })), false, true)).toBe(false);
    const badLength = tcp.slice(); badLength[1] += 1;
    expect(probeOpenVpnReset(...whole(badLength), true, true)).toBe(false);
    expect(probeOpenVpnReset(udp, 0, 13, false, true)).toBe(false);
  });
});

describe('the probes on random bytes', () => {
  test('never throw and never read outside the range given', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 8 }), (bytes, skip) => {
      const buf = cat(new Uint8Array(skip), bytes);
      // A copy with different bytes after the range must give the same answers.
      const poisoned = cat(buf, new Uint8Array(64).fill(0x63));
      for (const b of [buf, poisoned]) {
        expect(probeDhcp(b, skip, bytes.length)).toBe(probeDhcp(buf, skip, bytes.length));
        expect(probeDhcpv6(b, skip, bytes.length)).toBe(probeDhcpv6(buf, skip, bytes.length));
        expect(probeStun(b, skip, bytes.length)).toBe(probeStun(buf, skip, bytes.length));
        expect(probeCoap(b, skip, bytes.length)).toBe(probeCoap(buf, skip, bytes.length));
        expect(probeMqttConnect(b, skip, bytes.length)).toBe(probeMqttConnect(buf, skip, bytes.length));
        expect(probeWireGuard(b, skip, bytes.length)).toBe(probeWireGuard(buf, skip, bytes.length));
        expect(probeIke(b, skip, bytes.length)).toBe(probeIke(buf, skip, bytes.length));
        for (const tcp of [true, false]) expect(probeOpenVpnReset(b, skip, bytes.length, tcp, false)).toBe(probeOpenVpnReset(buf, skip, bytes.length, tcp, false));
      }
    }), { numRuns: 2000 });
  });
});
