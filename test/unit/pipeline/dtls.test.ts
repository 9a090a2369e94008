/**
 * DTLS end to end: a CoAP-over-DTLS handshake with its HelloVerifyRequest, a post-quantum
 * DTLS 1.3 hello in fragments with the server's datagrams between them, a hello that never
 * completes, DTLS-looking bytes that are not a hello, and a hello without SNI whose server's
 * certificate names are read from its fragments: what each flow's record says.
 */
import { Scenario } from './scenario';
import { TLS_GROUP_X25519MLKEM768, dtlsClientHelloBody, dtlsHandshakeDatagrams, dtlsHelloVerifyRequest } from '../../gen/app-messages';
import { concat, hex } from '../extract/helpers/tls-builder';
import { SAN_CERT, certificate, u16 } from '../extract/helpers/tls-server';

const DEV = '192.0.2.10';
const CLOUD = '203.0.113.50';
const CH = 1;
const HVR = 3;

test('CoAP over DTLS 1.2 with a cookie exchange is one dtls flow named by its SNI', () => {
  const cookie = hex('a1a2a3a4a5a6a7a8a9aaabacadaeaf b0b1b2b3');
  const first = dtlsHandshakeDatagrams(CH, dtlsClientHelloBody({ seed: 'c', serverName: 'lwm2m.example.com' }), { messageSeq: 0, recordSeq: 0 });
  const verify = dtlsHandshakeDatagrams(HVR, dtlsHelloVerifyRequest(cookie), { messageSeq: 0, recordSeq: 0 });
  const second = dtlsHandshakeDatagrams(CH, dtlsClientHelloBody({ seed: 'c', serverName: 'lwm2m.example.com', cookie }), { messageSeq: 1, recordSeq: 1 });
  const r = new Scenario()
    .udp(0, DEV, 50684, CLOUD, 5684, first[0])
    .udp(5, CLOUD, 5684, DEV, 50684, verify[0])
    .udp(6, DEV, 50684, CLOUD, 5684, second[0])
    .udp(10, CLOUD, 5684, DEV, 50684, hex('16fefd00000000000000010010 0200000c000100000000000c fefd00000000000000000000'))
    .run([DEV]);
  expect(r.flows).toHaveLength(1);
  expect(r.flows[0]).toMatchObject({
    proto: 'udp', remote_port: 5684, app: 'dtls', sni: 'lwm2m.example.com', name: 'lwm2m.example.com', name_source: 'sni',
    packets_out: 2, packets_in: 2, tls_versions: [0xfefd], anomalies: [],
  });
  expect(r.flows[0].ja4).toMatch(/^dd2d/);
  expect(r.flows[0].ja3).toMatch(/^[0-9a-f]{32}$/);
});

test('a post-quantum DTLS 1.3 hello in fragments, the server speaking between them, is named when it is whole', () => {
  const body = dtlsClientHelloBody({ seed: 'pq', serverName: 'vpn.example.net', dtls13: { keyShareGroups: [TLS_GROUP_X25519MLKEM768] } });
  const frags = dtlsHandshakeDatagrams(CH, body, { messageSeq: 0, recordSeq: 0, fragment: 500 });
  expect(frags.length).toBe(3);
  const s = new Scenario();
  s.udp(0, DEV, 40443, CLOUD, 443, frags[2]).udp(1, CLOUD, 443, DEV, 40443, hex('17fefd0001000000000001000401020304'));
  s.udp(2, DEV, 40443, CLOUD, 443, frags[0]).udp(3, DEV, 40443, CLOUD, 443, frags[1]);
  const [f] = s.run([DEV]).flows;
  expect(f).toMatchObject({ app: 'dtls', sni: 'vpn.example.net', name_source: 'sni', tls_versions: [0xfefc, 0xfefd] });
  expect(f.key_share_groups).toEqual([TLS_GROUP_X25519MLKEM768]);
  expect(f.ja4).toMatch(/^dd3d/);
});

test('a hello whose middle fragment never arrives: a dtls flow, unnamed because its hello is incomplete', () => {
  const body = dtlsClientHelloBody({ seed: 'pq', serverName: 'vpn.example.net', dtls13: { keyShareGroups: [TLS_GROUP_X25519MLKEM768] } });
  const frags = dtlsHandshakeDatagrams(CH, body, { messageSeq: 0, recordSeq: 0, fragment: 500 });
  const [f] = new Scenario().udp(0, DEV, 40444, CLOUD, 443, frags[0]).udp(1, DEV, 40444, CLOUD, 443, frags[2]).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'dtls', sni: null, name: null, unnamed_reason: 'tls-hello-incomplete' });
});

test('a client that keeps sending pieces that never complete is given up, and its later datagrams are not read', () => {
  const body = dtlsClientHelloBody({ seed: 'pq', serverName: 'vpn.example.net', dtls13: { keyShareGroups: [TLS_GROUP_X25519MLKEM768] } });
  const frags = dtlsHandshakeDatagrams(CH, body, { messageSeq: 0, recordSeq: 0, fragment: 100 });
  const s = new Scenario();
  // The first fragment sixteen times over (retransmitted flights that never reach the rest), then everything.
  for (let i = 0; i < 16; i++) s.udp(i, DEV, 40445, CLOUD, 443, frags[0]);
  frags.forEach((d, i) => s.udp(100 + i, DEV, 40445, CLOUD, 443, d));
  const [f] = s.run([DEV]).flows;
  expect(f).toMatchObject({ app: 'dtls', sni: null, unnamed_reason: 'tls-hello-incomplete' });
  expect(f.packets_out).toBe(16 + frags.length);
});

test('DTLS application data, and a DTLS hello sent by the responder, do not make a flow dtls', () => {
  const hello = dtlsHandshakeDatagrams(CH, dtlsClientHelloBody({ seed: 'c', serverName: 'x.example.com' }), { messageSeq: 0, recordSeq: 0 })[0];
  const r = new Scenario()
    .udp(0, DEV, 40500, CLOUD, 4433, hex('17fefd000100000000000500100102030405060708090a0b0c0d0e0f'))
    .udp(10, DEV, 40501, CLOUD, 5000, hex('00'))
    .udp(11, CLOUD, 5000, DEV, 40501, hello)
    .run([DEV]);
  expect(r.flows.map((f) => [f.remote_port, f.app, f.sni])).toEqual([[4433, null, null], [5000, null, null]]);
});

test('a DTLS 1.2 hello without SNI: the names of the certificate the server sends in fragments; the flow stays unnamed', () => {
  const hello = dtlsHandshakeDatagrams(CH, dtlsClientHelloBody({ seed: 'nosni', serverName: null }), { messageSeq: 0, recordSeq: 0 });
  const serverHello = dtlsHandshakeDatagrams(2, concat(u16(0xfefd), new Uint8Array(32).fill(9), Uint8Array.of(0), u16(0xc02b), Uint8Array.of(0), u16(0)), { messageSeq: 1, recordSeq: 1 });
  const cert = dtlsHandshakeDatagrams(11, certificate(SAN_CERT).subarray(4), { messageSeq: 2, recordSeq: 2, fragment: 300 });
  const s = new Scenario().udp(0, DEV, 50685, CLOUD, 5684, hello[0]).udp(5, CLOUD, 5684, DEV, 50685, serverHello[0]);
  cert.forEach((d, i) => s.udp(6 + i, CLOUD, 5684, DEV, 50685, d));
  const [f] = s.run([DEV]).flows;
  expect(f).toMatchObject({ app: 'dtls', sni: null, name: null, unnamed_reason: 'tls-no-sni', server_cert_names: ['gateway.example.com', '*.gw.example.com'] });
  expect(f.names).toEqual([]);
});
