/**
 * The DHCP, DHCPv6, STUN and MQTT content probes: real message layouts pass; each field the
 * probe checks, changed alone, fails it; cut messages and random bytes never throw.
 */
import * as fc from 'fast-check';
import { probeDhcp, probeDhcpv6, probeMqttConnect, probeStun } from '../../../src/extract/app-probes';
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
        expect(probeMqttConnect(b, skip, bytes.length)).toBe(probeMqttConnect(buf, skip, bytes.length));
      }
    }), { numRuns: 2000 });
  });
});
