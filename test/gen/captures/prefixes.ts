/**
 * Shapes where what names a flow does not sit where a reader first looks: a ClientHello of the
 * largest legal record (2^14 bytes) whose header pushes it past a 16 KiB stream head, a chunked
 * upload spanning segments with a request line inside its body and a pipelined request after it,
 * a mail dialogue caught after its STARTTLS on a port that names no service, a PROXY protocol v2
 * header before a ClientHello, an HTTP Host that is an address, and a server's segments seen
 * before a client's SYN with a new ISN on the same ports.
 *
 * Test tooling only: names are example.* (RFC 2606), addresses from RFC 5737.
 */
import { TCP_ACK, TCP_PSH, httpResponse, latin1, tlsClientHello } from '../packets';
import { CaptureBuilder, TcpScript, ms } from '../scenario';
import { CaptureDefinition, DEVICE_V4, DEVICE_V6, T0, device, ethernetPcap, finishTlsSession, remote, TSHARK_HELLOS_AND_REQUESTS } from './common';

/** A chunked body (RFC 9112 §7.1) of the given chunks. */
function chunked(chunks: readonly string[]): string {
  return chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n';
}

/** PROXY protocol v2 (HAProxy proxy-protocol.txt §2.2): PROXY over TCP/IPv4, the client's addresses and ports. */
const PROXY_V2 = Uint8Array.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c,
  203, 0, 113, 7, 198, 51, 100, 90, 0xc8, 0x22, 0x01, 0xbb,
]);

export const PREFIXES_AND_CONTINUATIONS: CaptureDefinition = {
  file: 'prefixes-and-continuations.pcap',
  title: 'A 2^14-byte ClientHello, a chunked upload over segments, STARTTLS caught mid-dialogue, PROXY v2, an address as Host, a SYN after a server-only view',
  holds: [
    'Ethernet, classic pcap:',
    '1. 192.0.2.10:50500 to 203.0.113.100:443: a ClientHello padded (RFC 7685) to fill one record of 2^14 bytes, the largest ' +
    'RFC 8446 §5.1 allows: 16,389 bytes on the wire, more than the 16 KiB stream head. It is read from its first 16 KiB (its ' +
    'server_name `big-hello.example.com` is near the front), flagged `tls.client_hello_too_large`, without JA3/JA4. tshark names it too.',
    '2. 192.0.2.10:50501 to 198.51.100.81:80: a POST with a chunked body of 3,000 bytes in three segments; the third starts with ' +
    '`GET / HTTP/1.1` and a `Host: inside-body.example.com` line that belong to the body; the last segment ends the body and ' +
    'holds a GET for `after-upload.example.com`. Both real Hosts are names; the line inside the body is not (tshark agrees).',
    '3. 192.0.2.10:50502 to 198.51.100.25:2525, first seen mid-dialogue (no handshake): `NOOP`, the server\'s `250`, then the ' +
    'ClientHello (SNI `relay.example.com`) of a STARTTLS negotiated before the capture. tshark finds the hello; so does egress-audit, ' +
    'and `NOOP` is no HTTP request.',
    '4. 192.0.2.10:50503 to 198.51.100.90:443: a PROXY protocol v2 header, then a ClientHello (SNI `behind-lb.example.com`). tshark 4.0 ' +
    'stops after the PROXY header; egress-audit reads the hello behind it.',
    '5. 192.0.2.10:50504 to 198.51.100.82:80: `GET /status` with `Host: 198.51.100.82`. The address is a candidate and the ' +
    '`http_host`, but never the flow\'s name: unnamed, `ip-literal`.',
    '6. 192.0.2.10:50505 and 203.0.113.110:443: the server\'s segments of a connection that began before the capture, then a SYN ' +
    'from the device with a new ISN on the same ports (a device that rebooted) and a TLS session (SNI `fresh.example.com`): two ' +
    'connections for tshark (the SYN differs from what the server acknowledged), two flows.',
  ],
  builder: 'PREFIXES_AND_CONTINUATIONS in test/gen/captures/prefixes.ts',
  tshark: [
    {
      args: [...TSHARK_HELLOS_AND_REQUESTS],
      // tshark puts the chunked POST together with its body: both Hosts on the frame that ends it.
      output: '0\t50500\tbig-hello.example.com\t\n1\t50501\t\tupload.example.com,after-upload.example.com\n' +
        '2\t50502\trelay.example.com\t\n4\t50504\t\t198.51.100.82\n6\t50505\tfresh.example.com\t\n',
    },
  ],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);

    // 1. One 2^14-byte handshake record: 16,389 bytes on the wire.
    const big = new TcpScript(b, 0, device(50500), remote('203.0.113.100', 443), { clientIsn: 0x50500001, serverIsn: 0xb1000001, rttMs: 14 });
    const bigAt = T0 + ms(1);
    let t = big.handshake(bigAt);
    const hello = tlsClientHello({ seed: `${this.file}/1`, serverName: 'big-hello.example.com', alpn: ['h2'], recordLength: 16384 + 5 }).record;
    if (hello.length !== 16389) throw new Error(`record of ${hello.length} bytes`);
    t = big.send('c2s', t + ms(0.3), hello);
    finishTlsSession(big, bigAt, t, `${this.file}/1`, [{ atMs: 200, request: 300, response: 800 }]);

    // 2. A chunked upload in three segments, a request line inside its body, a request after it.
    const up = new TcpScript(b, 0, device(50501), remote('198.51.100.81', 80), { clientIsn: 0x50501001, serverIsn: 0x81000001, rttMs: 9 });
    t = up.handshake(T0 + ms(400));
    const fake = 'GET / HTTP/1.1\r\nHost: inside-body.example.com\r\n\r\n';
    const head = 'POST /upload HTTP/1.1\r\nHost: upload.example.com\r\nTransfer-Encoding: chunked\r\n\r\n';
    const body = chunked(['a'.repeat(1200), 'b'.repeat(800), fake + 'c'.repeat(1000 - fake.length)]);
    const stream = latin1(head + body + 'GET /done HTTP/1.1\r\nHost: after-upload.example.com\r\n\r\n');
    const fakeAt = head.length + body.indexOf(fake);
    const bodyEnd = head.length + body.length;
    t = up.sendPieces('c2s', t + ms(0.3), stream, [[0, head.length + 700], [head.length + 700, fakeAt], [fakeAt, bodyEnd - 10], [bodyEnd - 10, stream.length]], 0.2);
    const ok = httpResponse(200, 'OK', [['Content-Type', 'text/plain']], 'ok\n');
    t = up.send('s2c', t + up.rtt, ok);
    t = up.send('s2c', t + ms(1), ok);
    up.ack('c2s', t + ms(0.3));
    up.close(t + ms(5));

    // 3. Caught after EHLO and STARTTLS on 2525: a command, the server's answer, the hello.
    const mail = new TcpScript(b, 0, device(50502), remote('198.51.100.25', 2525), { clientIsn: 0x50502001, serverIsn: 0x25000001, rttMs: 11 });
    t = T0 + ms(700);
    mail.segment('c2s', t, TCP_ACK | TCP_PSH, latin1('NOOP\r\n'));
    mail.segment('s2c', t + mail.rtt, TCP_ACK | TCP_PSH, latin1('250 2.0.0 OK\r\n'));
    t = mail.send('c2s', t + mail.rtt + ms(1), tlsClientHello({ seed: `${this.file}/3`, serverName: 'relay.example.com' }).record);
    finishTlsSession(mail, T0 + ms(700), t, `${this.file}/3`, [{ atMs: 150, request: 200, response: 100 }]);

    // 4. A load balancer's PROXY v2 header before the client's hello.
    const lb = new TcpScript(b, 0, device(50503), remote('198.51.100.90', 443), { clientIsn: 0x50503001, serverIsn: 0x90900001, rttMs: 6 });
    const lbAt = T0 + ms(1000);
    t = lb.handshake(lbAt);
    const behind = tlsClientHello({ seed: `${this.file}/4`, serverName: 'behind-lb.example.com' }).record;
    const withProxy = new Uint8Array(PROXY_V2.length + behind.length);
    withProxy.set(PROXY_V2);
    withProxy.set(behind, PROXY_V2.length);
    t = lb.send('c2s', t + ms(0.3), withProxy);
    finishTlsSession(lb, lbAt, t, `${this.file}/4`, [{ atMs: 100, request: 150, response: 300 }]);

    // 5. An address as the Host.
    const lit = new TcpScript(b, 0, device(50504), remote('198.51.100.82', 80), { clientIsn: 0x50504001, serverIsn: 0x82000001, rttMs: 8 });
    t = lit.handshake(T0 + ms(1300));
    t = lit.exchange(t + ms(0.3), latin1('GET /status HTTP/1.1\r\nHost: 198.51.100.82\r\n\r\n'), ok);
    lit.close(t + ms(3));

    // 6. The server's segments of an earlier connection, then the device's SYN with a new ISN.
    const old = new TcpScript(b, 0, device(50505), remote('203.0.113.110', 443), { clientIsn: 0x0abc0001, serverIsn: 0x11000001, rttMs: 12 });
    t = T0 + ms(1600);
    old.segment('s2c', t, TCP_ACK | TCP_PSH, latin1('\x17\x03\x03\x00\x10' + 'q'.repeat(16)));
    old.segment('s2c', t + ms(20), TCP_ACK | TCP_PSH, latin1('\x17\x03\x03\x00\x10' + 'r'.repeat(16)));
    const fresh = new TcpScript(b, 0, device(50505), remote('203.0.113.110', 443), { clientIsn: 0x7f000001, serverIsn: 0x12000001, rttMs: 12 });
    const freshAt = T0 + ms(1700);
    t = fresh.handshake(freshAt);
    t = fresh.send('c2s', t + ms(0.3), tlsClientHello({ seed: `${this.file}/6`, serverName: 'fresh.example.com' }).record);
    finishTlsSession(fresh, freshAt, t, `${this.file}/6`, [{ atMs: 100, request: 120, response: 240 }]);

    return ethernetPcap(this.file, b.records(), [
      big.expect({
        why: 'a 2^14-byte hello past the 16 KiB head: read from its first 16 KiB, named, no fingerprints',
        app: 'tls', sni: 'big-hello.example.com', name: 'big-hello.example.com', name_source: 'sni', syn_seen: true,
        anomalies: ['tls.client_hello_too_large'],
      }),
      up.expect({
        why: 'the chunked body walked over its segments: the request line inside it is body; the request after it is read',
        app: 'http', http_host: 'upload.example.com', name: 'upload.example.com',
        names_include: [{ name: 'after-upload.example.com', source: 'http-host' }],
      }),
      mail.expect({
        why: 'first seen mid-dialogue: NOOP is no request; the ClientHello at a segment start is read',
        app: 'tls', sni: 'relay.example.com', name: 'relay.example.com', http_host: null, syn_seen: false,
      }),
      lb.expect({ why: 'the hello behind a PROXY v2 header names the flow', app: 'tls', sni: 'behind-lb.example.com', name: 'behind-lb.example.com', anomalies: [] }),
      lit.expect({
        why: 'an address as Host is no name: judged as an IP literal',
        app: 'http', http_host: '198.51.100.82', name: null, unnamed_reason: 'ip-literal',
        names_include: [{ name: '198.51.100.82', source: 'http-host' }],
      }),
      old.expect({ why: 'the server\'s segments of a connection begun before the capture', app: null, name: null, syn_seen: false }),
      fresh.expect({ why: 'a SYN whose ISN differs from what the server acknowledged: a new connection', app: 'tls', sni: 'fresh.example.com', name: 'fresh.example.com', syn_seen: true }),
    ]);
  },
};
