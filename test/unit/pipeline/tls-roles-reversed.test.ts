/**
 * TLS with its roles reversed: the side that answered the SYN sends the ClientHello (an FTPS
 * data connection the server opens, a reverse tunnel; Zeek's tls-1.2-clienthello-from-tcp-
 * responder trace is this shape). tshark reads such a hello and reports its server name on the
 * connection; so does the record (`sni`, `tls_client: "responder"`). The name names the TCP
 * initiator: it is a name of the remote only when the device sent it.
 */
import { Scenario } from './scenario';
import { ascii, tcpPacket, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from '../../helpers/packets';
import { clientHelloMessage, concat, ext, records } from '../extract/helpers/tls-builder';
import { SAN_CERT, certificate, records as serverRecords, serverHello } from '../extract/helpers/tls-server';

const DEV = '192.0.2.10';
const REM = '203.0.113.7';

function hello(sni: string | null): Uint8Array {
  return records(clientHelloMessage({ ciphers: [0xc02f, 0x1301], extensions: [...(sni ? [ext.sni(sni)] : []), ext.alpn(['h2'])] }));
}

/**
 * A connection `init` → `resp` with a full handshake; the responder then sends `respBytes` in the
 * given [offset, length] pieces and order, and the initiator answers with `initBytes`.
 */
function reversed(init: string, iport: number, resp: string, rport: number, respBytes: Uint8Array, initBytes: Uint8Array,
  pieces: [number, number][] = [[0, respBytes.length]]): Scenario {
  const s = new Scenario();
  const i = (ms: number, flags: number, seq: number, ack: number, payload?: Uint8Array): void => { s.at(ms, tcpPacket({ src: init, dst: resp, sport: iport, dport: rport, flags, seq, ack, payload })); };
  const r = (ms: number, flags: number, seq: number, ack: number, payload?: Uint8Array): void => { s.at(ms, tcpPacket({ src: resp, dst: init, sport: rport, dport: iport, flags, seq, ack, payload })); };
  i(0, TCP_SYN, 1000, 0);
  r(1, TCP_SYN | TCP_ACK, 5000, 1001);
  i(2, TCP_ACK, 1001, 5001);
  pieces.forEach(([off, len], k) => r(3 + k, TCP_ACK | TCP_PSH, 5001 + off, 1001, respBytes.subarray(off, off + len)));
  const rEnd = 5001 + respBytes.length;
  i(10, TCP_ACK | TCP_PSH, 1001, rEnd, initBytes);
  i(11, TCP_FIN | TCP_ACK, 1001 + initBytes.length, rEnd);
  r(12, TCP_FIN | TCP_ACK, rEnd, 1002 + initBytes.length);
  return s;
}

const SERVER_FLIGHT = serverRecords(concat(serverHello(false), certificate(SAN_CERT)));

test('the device opens the connection and the remote sends the hello: its server name is reported, but names nothing', () => {
  const [f] = reversed(DEV, 41000, REM, 31338, hello('responder.example.com'), SERVER_FLIGHT).run([DEV]).flows;
  expect(f).toMatchObject({
    direction: 'egress', device_port: 41000, remote_port: 31338, initiator_by: 'syn', packets_out: 4, packets_in: 3,
    app: 'tls', sni: 'responder.example.com', alpn: ['h2'], tls_client: 'responder',
    name: null, unnamed_reason: 'tls-roles-reversed', anomalies: [],
  });
  expect(f.names).toEqual([]);
  expect(f.ja3).toMatch(/^[0-9a-f]{32}$/);
});

test('the remote opens the connection and the device sends the hello: the device named the remote', () => {
  const [f] = reversed(REM, 20, DEV, 50123, hello('ftp.vendor.example'), SERVER_FLIGHT).run([DEV]).flows;
  expect(f).toMatchObject({
    direction: 'inbound', device_port: 50123, remote_port: 20, sni: 'ftp.vendor.example', tls_client: 'responder',
    name: 'ftp.vendor.example', name_source: 'sni',
  });
});

test('a reversed hello split across segments and sent out of order is put together', () => {
  const h = hello('split.example.com');
  const [f] = reversed(DEV, 41001, REM, 31339, h, SERVER_FLIGHT, [[40, h.length - 40], [0, 40]]).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'tls', sni: 'split.example.com', tls_client: 'responder', anomalies: [] });
});

test('a reversed hello without a server name: tls-no-sni, and the initiator\'s certificate is read', () => {
  const [f] = reversed(DEV, 41002, REM, 31340, hello(null), SERVER_FLIGHT).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'tls', sni: null, tls_client: 'responder', unnamed_reason: 'tls-no-sni' });
  expect(f.server_cert_names).toEqual(['gateway.example.com', '*.gw.example.com']);
});

test('not reversed: a server that speaks first with a banner, and an ordinary client hello', () => {
  const smtp = reversed(DEV, 41003, REM, 25, ascii('220 mail.example.com ESMTP\r\n'), ascii('EHLO device.example\r\n')).run([DEV]).flows[0];
  expect(smtp.tls_client).toBeUndefined();
  const normal = new Scenario().tcp(0, DEV, 41004, REM, 443, hello('api.example.com')).run([DEV]).flows[0];
  expect(normal).toMatchObject({ sni: 'api.example.com', name: 'api.example.com', name_source: 'sni' });
  expect(normal.tls_client).toBeUndefined();
});

test('a connection first seen mid-stream takes the hello\'s sender as its initiator instead', () => {
  // No SYN: the first packet seen is an empty ACK from the server side, then the client's hello.
  const s = new Scenario();
  s.at(0, tcpPacket({ src: REM, dst: DEV, sport: 443, dport: 41005, flags: TCP_ACK, seq: 5001, ack: 1001 }));
  s.at(1, tcpPacket({ src: DEV, dst: REM, sport: 41005, dport: 443, flags: TCP_ACK | TCP_PSH, seq: 1001, ack: 5001, payload: hello('mid.example.com') }));
  const [f] = s.run().flows;
  expect(f).toMatchObject({ direction: 'egress', device_ip: DEV, remote_port: 443, sni: 'mid.example.com', name: 'mid.example.com' });
  expect(f.tls_client).toBeUndefined();
});

test('a server banner cut inside its first 6 bytes still reads as SSH', () => {
  const banner = ascii('SSH-2.0-OpenSSH_9.2\r\n');
  const [f] = reversed(DEV, 41006, REM, 22, banner, ascii('SSH-2.0-client\r\n'), [[0, 3], [3, banner.length - 3]]).run([DEV]).flows;
  expect(f.app).toBe('ssh');
  expect(f.tls_client).toBeUndefined();
});
