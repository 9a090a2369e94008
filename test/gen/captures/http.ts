/**
 * HTTP request-target forms (RFC 9112 §3.2): an absolute-form GET through a proxy with no Host
 * header, a CONNECT tunnel (authority-form) with TLS inside, and an origin-form request whose
 * Host has upper case and a port, on a non-standard port (found by content, not port).
 *
 * Test tooling only: names are example.* (RFC 2606), addresses from RFC 5737.
 */
import { LINKTYPE_ETHERNET } from '../../../src/capture/source';
import { serializePcap } from '../capture-file';
import { TLS_GROUP_X25519, httpRequest, httpResponse, tlsClientHello } from '../packets';
import { CaptureBuilder, TcpScript, ms } from '../scenario';
import { CaptureDefinition, DEVICE_ARGS, DEVICE_V4, DEVICE_V6, T0, device, finishTlsSession, remote, summaryOf } from './common';

/** Proxy-style requests: absolute-URI GET, CONNECT, and a mixed-case Host with a port. */
export const HTTP_ABSOLUTE_URI_AND_CONNECT: CaptureDefinition = {
  file: 'http-absolute-uri-and-connect.pcap',
  title: 'Proxy-style HTTP: absolute-URI GET without Host, CONNECT with TLS inside, and Host with upper case and a port',
  holds: [
    'Ethernet, classic pcap, three TCP connections from 192.0.2.10, each with handshake and FIN teardown:',
    '1. to the proxy 198.51.100.3:3128: `GET http://Updates.Example.com/fw/latest.bin HTTP/1.0` with NO Host header ' +
    '(absolute-form, RFC 9112 §3.2.2); the host comes from the URI: `updates.example.com`.',
    '2. to the proxy 198.51.100.3:3128: `CONNECT api.example.net:443 HTTP/1.1` with `Host: api.example.net:443` (authority-form, §3.2.3), ' +
    '`HTTP/1.1 200 Connection established`, then a TLS ClientHello with SNI api.example.net inside the tunnel and one exchange. ' +
    'The Host is `api.example.net` (port removed); the ClientHello after the CONNECT head names the flow by SNI (`api.example.net`, as tshark reports it).',
    '3. direct to 203.0.113.88:8080: `GET /status HTTP/1.1` with `Host: Status.Example.COM:8080`: reported lowercased without the port, ' +
    '`status.example.com`; port 8080 means HTTP must be recognised by content.',
  ],
  builder: 'HTTP_ABSOLUTE_URI_AND_CONNECT in test/gen/captures/http.ts',
  tshark: [{ args: ['-Y', 'http.request', '-T', 'fields', '-e', 'tcp.dstport', '-e', 'http.request.method', '-e', 'http.request.uri', '-e', 'http.host'], output: '3128\tGET\thttp://Updates.Example.com/fw/latest.bin\t\n3128\tCONNECT\tapi.example.net:443\tapi.example.net:443\n8080\tGET\t/status\tStatus.Example.COM:8080\n' }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);
    const proxy = (port: number, isn: number): TcpScript =>
      new TcpScript(b, 0, device(port), remote('198.51.100.3', 3128), { clientIsn: isn, serverIsn: isn ^ 0x5a5a5a5a, rttMs: 3 });

    const get = proxy(48001, 0x10000001);
    let t = get.handshake(T0 + ms(1));
    t = get.exchange(t + ms(0.2), httpRequest('GET', 'http://Updates.Example.com/fw/latest.bin', [['User-Agent', 'fw-fetch/0.9'], ['Accept', '*/*']], '', 'HTTP/1.0'),
      httpResponse(200, 'OK', [['Content-Type', 'application/octet-stream']], 'FWIMAGE-PLACEHOLDER'), 40);
    get.close(t + ms(2), 's2c');

    const connect = proxy(48002, 0x20000002);
    t = connect.handshake(T0 + ms(200));
    t = connect.exchange(t + ms(0.2), httpRequest('CONNECT', 'api.example.net:443', [['Host', 'api.example.net:443'], ['User-Agent', 'hotspot-agent/3.1']]),
      new TextEncoder().encode('HTTP/1.1 200 Connection established\r\n\r\n'), 25);
    const hello = tlsClientHello({ seed: this.file, serverName: 'api.example.net', alpn: ['http/1.1'], keyShareGroups: [TLS_GROUP_X25519] }).record;
    const helloStart = T0 + ms(260);
    if (helloStart <= t) throw new Error('timeline overlap');
    const afterHello = connect.send('c2s', helloStart, hello);
    finishTlsSession(connect, T0 + ms(200), afterHello, this.file, [{ atMs: 400, request: 200, response: 350 }]);

    const direct = new TcpScript(b, 0, device(48003), remote('203.0.113.88', 8080), { clientIsn: 0x30000003, serverIsn: 0x03000030, rttMs: 30 });
    t = direct.handshake(T0 + ms(700));
    t = direct.exchange(t + ms(0.2), httpRequest('GET', '/status', [['Host', 'Status.Example.COM:8080'], ['Accept', 'text/plain']]),
      httpResponse(200, 'OK', [['Content-Type', 'text/plain']], 'ok\n'));
    direct.close(t + ms(5));

    const records = b.records();
    return {
      bytes: serializePcap(records, { linkType: LINKTYPE_ETHERNET }),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcap', link_types: ['EN10MB'] }, 3, 0),
        flows: [
          get.expect({ why: 'absolute-form URI, no Host header', app: 'http', http_host: 'updates.example.com', name: 'updates.example.com', name_source: 'http-host', syn_seen: true }),
          connect.expect({ why: 'CONNECT authority-form, then TLS through the tunnel: the ClientHello after the CONNECT head names the flow by SNI, the Host agrees', app: 'http', sni: 'api.example.net', http_host: 'api.example.net', name: 'api.example.net', name_source: 'sni', names_include: [{ name: 'api.example.net', source: 'http-host' }], syn_seen: true }),
          direct.expect({ why: 'Host lowercased, port removed; HTTP found by content on 8080', app: 'http', http_host: 'status.example.com', name: 'status.example.com', name_source: 'http-host', syn_seen: true }),
        ],
        dns: [],
      },
    };
  },
};
