/**
 * Shapes Zeek's test traces hold and tshark reads, one of each: TLS with its roles reversed (the
 * TCP responder sends the ClientHello, as in Zeek's tls-1.2-clienthello-from-tcp-responder), and
 * HTTP request heads off the RFC whose Host tshark still reports (two Host fields, as request
 * smuggling sends them; a request line without a version; runs of spaces; a head over 16 KiB).
 *
 * Test tooling only: names are example.* (RFC 2606), addresses from RFC 5737.
 */
import { httpResponse, latin1, tlsClientFinished, tlsClientHello, tlsServerFlight } from '../packets';
import { CaptureBuilder, TcpScript, ms } from '../scenario';
import { CaptureDefinition, DEVICE_V4, DEVICE_V6, T0, device, ethernetPcap, remote } from './common';


export const ROLES_AND_REQUEST_SHAPES: CaptureDefinition = {
  file: 'roles-and-request-shapes.pcap',
  title: 'TLS whose ClientHello comes from the TCP responder, and HTTP request heads off the RFC that tshark still names',
  holds: [
    'Ethernet, classic pcap, six TCP connections with handshake and FIN teardown:',
    '1. 192.0.2.10:50300 opens a connection to 198.51.100.73:6443, and the remote answers the SYN and then sends a ClientHello ' +
    '(SNI `gw-7.devices.example.net`); the device sends the server flight. tshark shows the hello and its SNI on the connection, ' +
    'as Zeek reads its tls-1.2-clienthello-from-tcp-responder trace. The record says `sni` and `tls_client: "responder"`, but ' +
    'the remote chose that name (for the device), so it names nothing: `unnamed_reason: "tls-roles-reversed"`.',
    '2. 203.0.113.74:989 opens a connection to the device\'s port 50301 (an implicit-FTPS data connection in active mode) and the device ' +
    'sends the ClientHello (SNI `files.example.com`): inbound, and the name the device gave the remote names the flow.',
    '3. to 198.51.100.75:80: `GET /fw HTTP/1.1` with `Host: cdn.example.com` and a second `Host: other.example.org` ' +
    '(RFC 9112 §3.2 forbids it; request smuggling sends it): tshark lists both; both are names, flagged `http.conflicting_host`.',
    '4. to 198.51.100.75:80: `GET /status` with no version, then `Host: legacy.example.com`: tshark reads the Host; ' +
    'so does egress-audit, flagged `http.malformed_request`.',
    '5. to 198.51.100.75:80: `GET  /  HTTP/1.1` (two spaces each) with `Host: spaced.example.com`: words split on runs of ' +
    'whitespace, as RFC 9112 §3 allows; no anomaly.',
    '6. to 198.51.100.75:80: a GET with `Host: jar.example.com` and a 20,000-byte Cookie, over 14 segments: the head is over ' +
    '16 KiB, its Host is read from the lines whole within the first 16 KiB, flagged `http.header_too_large`.',
  ],
  builder: 'ROLES_AND_REQUEST_SHAPES in test/gen/captures/roles.ts',
  tshark: [{
    args: ['-Y', 'tls.handshake.type == 1 || http.request', '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e',
      'tls.handshake.extensions_server_name', '-e', 'http.host'],
    output: '6443\t50300\tgw-7.devices.example.net\t\n50301\t989\tfiles.example.com\t\n50302\t80\t\tcdn.example.com,other.example.org\n' +
      '50303\t80\t\tlegacy.example.com\n50304\t80\t\tspaced.example.com\n50305\t80\t\tjar.example.com\n',
  }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);

    // 1 and 2: the TLS client is the side that answered the SYN.
    const reversedTls = (tcp: TcpScript, t0: bigint, sni: string, seed: string): void => {
      let t = tcp.handshake(t0);
      t = tcp.send('s2c', t + ms(0.5), tlsClientHello({ seed, serverName: sni, alpn: ['http/1.1'] }).record);
      t = tcp.send('c2s', t + tcp.rtt, tlsServerFlight(seed, 1800));
      t = tcp.send('s2c', t + ms(1), tlsClientFinished(seed));
      tcp.close(t + ms(20));
    };
    const out = new TcpScript(b, 0, device(50300), remote('198.51.100.73', 6443), { clientIsn: 0x50300001, serverIsn: 0x73000001, rttMs: 12 });
    reversedTls(out, T0 + ms(1), 'gw-7.devices.example.net', `${this.file}/1`);
    const ftpData = new TcpScript(b, 0, remote('203.0.113.74', 989), device(50301), { clientIsn: 0x74000001, serverIsn: 0x50301001, rttMs: 20 });
    reversedTls(ftpData, T0 + ms(200), 'files.example.com', `${this.file}/2`);

    // 3 to 6: HTTP request heads tshark reads though they are not as RFC 9112 writes them.
    const ok = httpResponse(200, 'OK', [['Content-Type', 'text/plain']], 'ok\n');
    const request = (port: number, at: number, head: string): TcpScript => {
      const tcp = new TcpScript(b, 0, device(port), remote('198.51.100.75', 80), { clientIsn: port * 0x10001, serverIsn: 0x75000000 + port, rttMs: 8 });
      let t = tcp.handshake(T0 + ms(at));
      t = tcp.exchange(t + ms(0.3), latin1(head), ok);
      tcp.close(t + ms(5));
      return tcp;
    };
    const twoHosts = request(50302, 400, 'GET /fw HTTP/1.1\r\nHost: cdn.example.com\r\nHost: other.example.org\r\nAccept: */*\r\n\r\n');
    const noVersion = request(50303, 500, 'GET /status\r\nHost: legacy.example.com\r\n\r\n');
    const spaced = request(50304, 600, 'GET  /  HTTP/1.1\r\nHost: spaced.example.com\r\n\r\n');
    const jar = request(50305, 700, `GET /app HTTP/1.1\r\nHost: jar.example.com\r\nCookie: session=${'c'.repeat(20000)}\r\n\r\n`);

    return ethernetPcap(this.file, b.records(), [
      out.expect({
        why: 'the remote sent the ClientHello: its SNI is reported, but names the device, not the remote', app: 'tls',
        sni: 'gw-7.devices.example.net', alpn: ['http/1.1'], tls_client: 'responder', name: null, name_source: null,
        unnamed_reason: 'tls-roles-reversed', syn_seen: true, anomalies: [],
      }),
      ftpData.expect({
        why: 'the device sent the ClientHello on a connection the remote opened: its SNI names the remote', app: 'tls',
        sni: 'files.example.com', tls_client: 'responder', name: 'files.example.com', name_source: 'sni', syn_seen: true,
      }),
      twoHosts.expect({
        why: 'two Host fields naming different hosts: both are names', app: 'http', http_host: 'cdn.example.com', name: 'cdn.example.com',
        name_source: 'http-host', names_include: [{ name: 'other.example.org', source: 'http-host' }], anomalies: ['http.conflicting_host'],
      }),
      noVersion.expect({
        why: 'a request line without a version: its Host still read', app: 'http', http_host: 'legacy.example.com', name: 'legacy.example.com',
        anomalies: ['http.malformed_request'],
      }),
      spaced.expect({ why: 'runs of spaces split the request line', app: 'http', http_host: 'spaced.example.com', anomalies: [] }),
      jar.expect({
        why: 'a head over 16 KiB: the Host near its top names the flow', app: 'http', http_host: 'jar.example.com', name: 'jar.example.com',
        anomalies: ['http.header_too_large'],
      }),
    ]);
  },
};
