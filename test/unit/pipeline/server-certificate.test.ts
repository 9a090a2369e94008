/**
 * The server's certificate names on a TLS flow whose hello has no SNI: read from the server's
 * TLS 1.2 flight, across segments and out of order; not read when the hello names a server,
 * when the server picks TLS 1.3, or when the hello offers 1.3 only. The names are a fact of the
 * record, never the flow's name.
 */
import { Scenario } from './scenario';
import { tcpPacket, TCP_ACK, TCP_PSH, TCP_SYN } from '../../helpers/packets';
import { clientHelloMessage, ext, records as tlsRecords } from '../extract/helpers/tls-builder';
import { SAN_CERT, certificate, flight12, records, serverHello } from '../extract/helpers/tls-server';
import { concat } from '../extract/helpers/tls-builder';

const DEV = '192.0.2.10';
const SRV = '203.0.113.7';

/** A hello without SNI; `versions` as supported_versions when given. */
function hello(versions?: number[], sni?: string): Uint8Array {
  const exts = [...(sni ? [ext.sni(sni)] : []), ...(versions ? [{ type: 0x002b, data: concat(Uint8Array.of(versions.length * 2), ...versions.map((v) => Uint8Array.of(v >> 8, v & 0xff))) }] : [])];
  return tlsRecords(clientHelloMessage({ ciphers: [0xc02f, 0x1301], extensions: exts }));
}

/** A connection: handshake, the client's hello, then the server's bytes in the given [offset, length] pieces and order. */
function connection(port: number, clientHello: Uint8Array, server: Uint8Array, pieces: [number, number][]): Scenario {
  const s = new Scenario();
  const c = (ms: number, flags: number, seq: number, payload?: Uint8Array): void => { s.at(ms, tcpPacket({ src: DEV, dst: SRV, sport: port, dport: 443, flags, seq, ack: 5001, payload })); };
  const v = (ms: number, flags: number, seq: number, payload?: Uint8Array): void => { s.at(ms, tcpPacket({ src: SRV, dst: DEV, sport: 443, dport: port, flags, seq, ack: 1001 + clientHello.length, payload })); };
  c(0, TCP_SYN, 1000);
  s.at(1, tcpPacket({ src: SRV, dst: DEV, sport: 443, dport: port, flags: TCP_SYN | TCP_ACK, seq: 5000, ack: 1001 }));
  c(2, TCP_ACK, 1001);
  c(3, TCP_ACK | TCP_PSH, 1001, clientHello);
  pieces.forEach(([off, len], i) => v(10 + i, TCP_ACK | TCP_PSH, 5001 + off, server.subarray(off, off + len)));
  return s;
}

test('a hello without SNI: the names of the certificate the server sends in TLS 1.2, across segments and out of order', () => {
  const flight = records(flight12(), 600);
  const third = Math.floor(flight.length / 3);
  const [f] = connection(40001, hello(), flight, [[third, third], [0, third], [2 * third, flight.length - 2 * third]]).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'tls', sni: null, name: null, unnamed_reason: 'tls-no-sni', server_cert_names: ['gateway.example.com', '*.gw.example.com'] });
  expect(f.names).toEqual([]);
});

test('not read: a hello with SNI, a server that picks TLS 1.3, a hello offering TLS 1.3 only', () => {
  const flight = records(flight12());
  const named = connection(40002, hello(undefined, 'api.example.com'), flight, [[0, flight.length]]).run([DEV]).flows[0];
  expect(named).toMatchObject({ sni: 'api.example.com' });
  expect(named.server_cert_names).toBeUndefined();
  const tls13 = records(concat(serverHello(true), certificate(SAN_CERT)));
  const picked13 = connection(40003, hello([0x0304, 0x0303]), tls13, [[0, tls13.length]]).run([DEV]).flows[0];
  expect(picked13).toMatchObject({ app: 'tls', sni: null });
  expect(picked13.server_cert_names).toBeUndefined();
  const only13 = connection(40004, hello([0x0304]), flight, [[0, flight.length]]).run([DEV]).flows[0];
  expect(only13.server_cert_names).toBeUndefined();
});

test('a server that never finishes its certificate leaves the flow as it was', () => {
  const flight = records(flight12());
  const [f] = connection(40005, hello(), flight, [[0, 200]]).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'tls', sni: null, unnamed_reason: 'tls-no-sni' });
  expect(f.server_cert_names).toBeUndefined();
});
