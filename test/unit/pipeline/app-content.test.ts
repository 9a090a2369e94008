/**
 * Apps recognised by content that carry no name — SSDP, DHCP, DHCPv6, CoAP, NBNS, STUN, MQTT — end to end:
 * the flow's `app` says what it is, and traffic on the same ports that is something else stays
 * unidentified.
 */
import { Scenario } from './scenario';
import { ascii } from '../../helpers/packets';
import type { FlowRecord } from '../../../src/report/records';
import { concat as cat } from '../extract/helpers/tls-builder';

const DEV = '192.168.1.10';
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const appOf = (flows: FlowRecord[], port: number): (string | null)[] => flows.filter((f) => f.remote_port === port || f.device_port === port).map((f) => f.app);

function dhcpDiscover(): Uint8Array {
  const b = new Uint8Array(244);
  b.set([1, 1, 6, 0, 0x39, 0x03, 0xf3, 0x26]);
  b.set([0x63, 0x82, 0x53, 0x63, 53, 1, 1, 255], 236);
  return b;
}

test('SSDP M-SEARCH and its unicast answer are ssdp; other datagrams on 1900 are not', () => {
  const flows = new Scenario()
    .udp(0, DEV, 50000, '239.255.255.250', 1900, ascii('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: ssdp:all\r\n\r\n'))
    .udp(5, '192.168.1.77', 1900, DEV, 50000, ascii('HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n'))
    .udp(10, DEV, 50001, '192.168.1.78', 1900, hex('00010203'))
    .run([DEV]).flows;
  expect(flows.map((f) => [f.device_port, f.remote_ip, f.app, f.name])).toEqual([
    [50000, '239.255.255.250', 'ssdp', null],
    [50000, '192.168.1.77', 'ssdp', null],
    [50001, '192.168.1.78', null, null],
  ]);
});

test('DHCP on 67/68 and DHCPv6 on 546/547 by content; the same bytes on another port are not', () => {
  const flows = new Scenario()
    .udp(0, DEV, 68, '255.255.255.255', 67, dhcpDiscover())
    .udp(5, DEV, 40000, '198.51.100.9', 6767, dhcpDiscover())
    .run([DEV]).flows;
  expect(appOf(flows, 67)).toEqual(['dhcp']);
  expect(appOf(flows, 6767)).toEqual([null]);
  const v6 = new Scenario().udp(0, 'fe80::10', 546, 'ff02::1:2', 547, hex('01abcdef 0001 000a 0003 0001 00005e005310 0008 0002 0000')).run(['fe80::10']).flows;
  expect(v6.map((f) => f.app)).toEqual(['dhcpv6']);
});

test('CoAP on 5683 by content; the same bytes on another port, and other bytes on 5683, are not', () => {
  const get = hex('4201abcd1234 3b6578616d706c652e6e6574 827264');
  const flows = new Scenario()
    .udp(0, DEV, 50010, '198.51.100.60', 5683, get)
    .udp(1, '198.51.100.60', 5683, DEV, 50010, hex('6245abcd1234 ff6f6b'))
    .udp(2, DEV, 50011, '198.51.100.61', 5683, hex('00010203'))
    .udp(3, DEV, 50012, '198.51.100.62', 6683, get)
    .run([DEV]).flows;
  expect(flows.map((f) => [f.remote_port, f.app, f.packets_out, f.packets_in])).toEqual([[5683, 'coap', 1, 1], [5683, null, 1, 0], [6683, null, 1, 0]]);
});

test('NetBIOS name service on 137 by content, not DNS on a non-DNS port; a DNS query on 137 is still DNS', () => {
  const wpad = hex('b1e6 0110 0001 0000 0000 0000 20 4648464145424545434143414341434143414341434143414341434143414141 00 0020 0001');
  const dnsQuery = hex('1234 0100 0001 0000 0000 0000 07 6578616d706c65 03 636f6d 00 0001 0001');
  const r = new Scenario()
    .udp(0, DEV, 137, '192.168.1.255', 137, wpad)
    .udp(1, DEV, 50013, '198.51.100.63', 137, wpad)
    .udp(2, DEV, 50014, '198.51.100.64', 137, dnsQuery)
    .run([DEV]);
  expect(r.flows.map((f) => [f.remote_port, f.app, f.dns_names])).toEqual([[137, 'nbns', null], [137, 'nbns', null], [137, 'dns', ['example.com']]]);
  expect(r.dns.map((d) => d.qname)).toEqual(['example.com']);
});

test('STUN on any port; a QUIC-looking or random datagram is not STUN', () => {
  const flows = new Scenario()
    .udp(0, DEV, 50002, '198.51.100.40', 3478, hex('0001 0000 2112a442 000102030405060708090a0b'))
    .udp(1, DEV, 50003, '198.51.100.41', 19302, hex('0001 0008 2112a442 000102030405060708090a0b 8022 0004 74657374'))
    .udp(2, DEV, 50004, '198.51.100.42', 3478, hex('0001 0004 2112a442 000102030405060708090a0b'))
    .run([DEV]).flows;
  expect(flows.map((f) => [f.remote_port, f.app])).toEqual([[3478, 'stun'], [19302, 'stun'], [3478, null]]);
});

test('MQTT CONNECT, also split after its first byte; a binary stream on 1883 is not MQTT', () => {
  const connect = cat(hex('10 0f 0004'), ascii('MQTT'), hex('04 02 003c 0003'), ascii('dev'));
  const flows = new Scenario()
    .tcp(0, DEV, 41000, '198.51.100.18', 1883, connect)
    .tcp(10, DEV, 41001, '198.51.100.18', 1883, connect, { segments: [[0, 1], [1, connect.length - 1]] })
    .tcp(20, DEV, 41002, '198.51.100.18', 1883, hex('30 0a 0003 612f62 68656c6c6f'))
    .run([DEV]).flows;
  expect(flows.map((f) => [f.device_port, f.app])).toEqual([[41000, 'mqtt'], [41001, 'mqtt'], [41002, null]]);
});
