/**
 * The pipeline names flows whose TLS starts after plaintext (STARTTLS, HTTP CONNECT, SOCKS)
 * from the ClientHello after the upgrade request, however the client's bytes are cut into
 * segments or reordered, and keeps the plaintext protocol as the flow's app.
 */
import { Scenario } from './scenario';
import { ascii, clientHello } from '../../helpers/packets';
import { clientHelloMessage, concat as cat, ext, records } from '../../unit/extract/helpers/tls-builder';
import type { FlowRecord } from '../../../src/report/records';

const DEV = '192.168.1.10';
const MAIL = '198.51.100.25';

const flowOf = (s: Scenario): FlowRecord => {
  const flows = s.run([DEV]).flows;
  expect(flows).toHaveLength(1);
  return flows[0];
};

describe('STARTTLS', () => {
  const preamble = ascii('EHLO device.example.com\r\nSTARTTLS\r\n');
  const hello = clientHello('smtp.example.com');
  const stream = cat(preamble, hello);

  test('one segment per message: app smtp, named by the SNI after STARTTLS', () => {
    const f = flowOf(new Scenario().tcp(0, DEV, 40000, MAIL, 587, stream, { segments: [[0, 25], [25, 10], [35, hello.length]] }));
    expect(f).toMatchObject({ app: 'smtp', sni: 'smtp.example.com', name: 'smtp.example.com', name_source: 'sni', http_host: null });
    expect(f.ja4).toMatch(/^t/);
  });

  test('cuts inside the STARTTLS line and inside the record header, and segments out of order', () => {
    const cuts: [number, number][] = [[0, 30], [30, 8], [38, 3], [41, hello.length - 6]];
    const f = flowOf(new Scenario().tcp(0, DEV, 40001, MAIL, 587, stream, { segments: [cuts[0], cuts[2], cuts[1], cuts[3]] }));
    expect(f).toMatchObject({ app: 'smtp', sni: 'smtp.example.com', name_source: 'sni' });
  });

  test('the whole preamble and hello in one segment', () => {
    expect(flowOf(new Scenario().tcp(0, DEV, 40002, MAIL, 25, stream))).toMatchObject({ app: 'smtp', sni: 'smtp.example.com' });
  });

  test('refused (plaintext goes on after STARTTLS): app smtp, no name, not taken for HTTP', () => {
    const f = flowOf(new Scenario().tcp(0, DEV, 40003, MAIL, 25, ascii('EHLO a\r\nSTARTTLS\r\nMAIL FROM:<a@example.com>\r\nQUIT\r\n')));
    expect(f).toMatchObject({ app: 'smtp', sni: null, name: null, http_host: null });
  });

  test('a hello without SNI after STARTTLS: unnamed_reason tls-no-sni', () => {
    const noSni = records(clientHelloMessage({ ciphers: [0x1301], extensions: [ext.alpn(['smtp'])] }));
    const f = flowOf(new Scenario().tcp(0, DEV, 40004, MAIL, 587, cat(preamble, noSni)));
    expect(f).toMatchObject({ app: 'smtp', sni: null, name: null, unnamed_reason: 'tls-no-sni' });
  });

  test('a bare STARTTLS on a port of no known protocol: the flow is tls once its hello is seen, unidentified otherwise', () => {
    const f = flowOf(new Scenario().tcp(0, DEV, 40006, MAIL, 6697, cat(ascii('STARTTLS\r\n'), clientHello('irc.example.net'))));
    expect(f).toMatchObject({ app: 'tls', sni: 'irc.example.net', name_source: 'sni' });
    const g = flowOf(new Scenario().tcp(0, DEV, 40007, MAIL, 6697, ascii('STARTTLS\r\nNICK dev\r\n')));
    expect(g).toMatchObject({ app: null, sni: null });
  });

  test('an IMAP upper-case tag is IMAP, not an HTTP request line', () => {
    const f = flowOf(new Scenario().tcp(0, DEV, 40005, MAIL, 143, cat(ascii('A1 CAPABILITY\r\nA2 STARTTLS\r\n'), clientHello('imap.example.com'))));
    expect(f).toMatchObject({ app: 'imap', sni: 'imap.example.com', http_host: null });
  });
});

describe('HTTP CONNECT', () => {
  const connect = ascii('CONNECT api.example.net:443 HTTP/1.1\r\nHost: api.example.net:443\r\n\r\n');

  test('the ClientHello after the CONNECT head names the flow; the Host stays a candidate', () => {
    const hello = clientHello('api.example.net');
    const f = flowOf(new Scenario().tcp(0, DEV, 41000, '198.51.100.3', 3128, cat(connect, hello), { segments: [[0, connect.length], [connect.length, 7], [connect.length + 7, hello.length - 7]] }));
    expect(f).toMatchObject({ app: 'http', sni: 'api.example.net', http_host: 'api.example.net', name_source: 'sni' });
    expect(f.names).toContainEqual({ name: 'api.example.net', source: 'http-host' });
  });

  test('the hello in the same segment as the head', () => {
    const f = flowOf(new Scenario().tcp(0, DEV, 41001, '198.51.100.3', 3128, cat(connect, clientHello('other.example.org'))));
    expect(f).toMatchObject({ sni: 'other.example.org', http_host: 'api.example.net', name: 'other.example.org' });
  });

  test('plaintext in the tunnel: named by the CONNECT authority, no SNI', () => {
    const f = flowOf(new Scenario().tcp(0, DEV, 41002, '198.51.100.3', 3128, cat(connect, ascii('SSH-2.0-OpenSSH_9.6\r\n'))));
    expect(f).toMatchObject({ app: 'http', sni: null, http_host: 'api.example.net', name_source: 'http-host' });
  });

  test('a CONNECT retried after 407 on the same connection: the hello after the second one names the flow', () => {
    const denied = ascii('CONNECT api.example.net:443 HTTP/1.1\r\nHost: api.example.net:443\r\n\r\n');
    const retry = ascii('CONNECT api.example.net:443 HTTP/1.1\r\nHost: api.example.net:443\r\nProxy-Authorization: Basic ZGV2OnB3\r\n\r\n');
    const hello = clientHello('api.example.net');
    const f = flowOf(new Scenario().tcp(0, DEV, 41004, '198.51.100.3', 3128, cat(denied, retry, hello),
      { segments: [[0, denied.length], [denied.length, retry.length], [denied.length + retry.length, hello.length]] }));
    expect(f).toMatchObject({ app: 'http', sni: 'api.example.net', name_source: 'sni' });
  });

  test('plain HTTP through the CONNECT tunnel: its requests are read too', () => {
    const inner = ascii('GET /x HTTP/1.1\r\nHost: inner.example.org\r\n\r\n');
    const f = flowOf(new Scenario().tcp(0, DEV, 41005, '198.51.100.3', 3128, cat(connect, inner), { segments: [[0, connect.length], [connect.length, inner.length]] }));
    expect(f.names.filter((n) => n.source === 'http-host').map((n) => n.name)).toEqual(['api.example.net', 'inner.example.org']);
  });

  test('a GET is not a tunnel: later requests are still read for their Host', () => {
    const f = flowOf(new Scenario().tcp(0, DEV, 41003, '198.51.100.3', 8080, ascii('GET / HTTP/1.1\r\nHost: a.example\r\n\r\nGET / HTTP/1.1\r\nHost: b.example\r\n\r\n'), { segments: [[0, 35], [35, 35]] }));
    expect(f).toMatchObject({ app: 'http', sni: null, http_host: 'a.example' });
    expect(f.names.map((n) => n.name)).toEqual(['a.example', 'b.example']);
  });
});

describe('SOCKS', () => {
  test('SOCKS 5 CONNECT, then TLS through the proxy: app socks, named by SNI', () => {
    const greeting = Uint8Array.of(5, 1, 0);
    const request = cat(Uint8Array.of(5, 1, 0, 3, 11), ascii('example.com'), Uint8Array.of(1, 187));
    const hello = clientHello('www.example.com');
    const f = flowOf(new Scenario().tcp(0, DEV, 42000, '198.51.100.80', 1080, cat(greeting, request, hello), { segments: [[0, 3], [3, request.length], [3 + request.length, hello.length]] }));
    expect(f).toMatchObject({ app: 'socks', sni: 'www.example.com', name_source: 'sni' });
    expect(f.names).toEqual([{ name: 'www.example.com', source: 'sni' }, { name: 'example.com', source: 'socks-host' }]);
  });

  test('SOCKS 5 CONNECT carrying neither TLS nor HTTP: named by the host the proxy was asked for', () => {
    const request = cat(Uint8Array.of(5, 1, 0, 5, 1, 0, 3, 15), ascii('Git.Example.org'), Uint8Array.of(0, 22));
    const f = flowOf(new Scenario().tcp(0, DEV, 42002, '198.51.100.80', 1080, cat(request, ascii('SSH-2.0-OpenSSH_9.6\r\n'))));
    expect(f).toMatchObject({ app: 'socks', sni: null, name: 'git.example.org', name_source: 'socks-host' });
  });

  test('SOCKS 4a CONNECT carrying plain HTTP: app socks, named by the Host of each request in the tunnel', () => {
    const request = cat(Uint8Array.of(4, 1, 0, 80, 0, 0, 0, 1), ascii('dev'), Uint8Array.of(0), ascii('www.example.com'), Uint8Array.of(0));
    const get1 = ascii('GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n');
    const get2 = ascii('GET / HTTP/1.1\r\nHost: cdn.example.com\r\n\r\n');
    const f = flowOf(new Scenario().tcp(0, DEV, 42001, '198.51.100.80', 1080, cat(request, get1, get2),
      { segments: [[0, request.length], [request.length, get1.length], [request.length + get1.length, get2.length]] }));
    expect(f).toMatchObject({ app: 'socks', sni: null, http_host: 'www.example.com', name_source: 'http-host' });
    expect(f.names).toEqual([
      { name: 'www.example.com', source: 'http-host' }, { name: 'cdn.example.com', source: 'http-host' }, { name: 'www.example.com', source: 'socks-host' },
    ]);
  });
});

describe('PROXY protocol v1 header from a load balancer (HAProxy proxy-protocol.txt §2.1)', () => {
  const line = ascii('PROXY TCP4 203.0.113.7 198.51.100.44 51234 443\r\n');
  const hello = clientHello('behind-lb.example.com');
  const get = ascii('GET / HTTP/1.1\r\nHost: lb-http.example.com\r\n\r\n');

  test('the ClientHello after it names the flow: in one segment, in a segment of its own, cut inside the header', () => {
    const stream = cat(line, hello);
    for (const segments of [undefined, [[0, line.length], [line.length, hello.length]], [[0, 9], [9, stream.length - 9]], [[0, line.length - 1], [line.length - 1, 3], [line.length + 2, hello.length - 2]]] as ([number, number][] | undefined)[]) {
      const f = flowOf(new Scenario().tcp(0, DEV, 40100, MAIL, 443, stream, segments ? { segments } : {}));
      expect(f).toMatchObject({ app: 'tls', sni: 'behind-lb.example.com', name: 'behind-lb.example.com', anomalies: [] });
    }
  });

  test('an HTTP request after it names the flow by its Host, no anomaly', () => {
    const stream = cat(line, get);
    for (const segments of [undefined, [[0, line.length], [line.length, get.length]]] as ([number, number][] | undefined)[]) {
      const f = flowOf(new Scenario().tcp(0, DEV, 40101, MAIL, 80, stream, segments ? { segments } : {}));
      expect(f).toMatchObject({ app: 'http', http_host: 'lb-http.example.com', anomalies: [] });
    }
  });

  test('a line that only starts like one (no CRLF within 107 bytes, a control byte) is not taken for one', () => {
    const long = ascii(`PROXY ${'x'.repeat(120)}\r\n`);
    expect(flowOf(new Scenario().tcp(0, DEV, 40102, MAIL, 80, cat(long, get))).sni).toBeNull();
    const ctl = cat(ascii('PROXY TCP4 \x01\r\n'), hello);
    expect(flowOf(new Scenario().tcp(0, DEV, 40103, MAIL, 443, ctl)).sni).toBeNull();
  });
});

describe('PROXY protocol v2 header from a load balancer (HAProxy proxy-protocol.txt §2.2)', () => {
  const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  /** Signature, PROXY command over TCP/IPv4, addresses and ports, then `tlv` bytes of TLVs. */
  const v2 = (tlv: number, verCmd = 0x21): Uint8Array => {
    const body = [203, 0, 113, 7, 198, 51, 100, 44, 0xc8, 0x22, 0x01, 0xbb, ...new Array<number>(tlv).fill(0)];
    return Uint8Array.from([...SIG, verCmd, 0x11, body.length >> 8, body.length & 0xff, ...body]);
  };
  const hello = clientHello('behind-lb-v2.example.com');
  const get = ascii('GET / HTTP/1.1\r\nHost: lb-v2-http.example.com\r\n\r\n');

  test('the ClientHello after it names the flow: in one segment, in a segment of its own, cut inside the signature and the length', () => {
    for (const header of [v2(0), v2(300)]) {
      const stream = cat(header, hello);
      for (const segments of [undefined, [[0, header.length], [header.length, hello.length]], [[0, 5], [5, stream.length - 5]], [[0, 15], [15, stream.length - 15]], [[0, header.length - 1], [header.length - 1, 3], [header.length + 2, hello.length - 2]]] as ([number, number][] | undefined)[]) {
        const f = flowOf(new Scenario().tcp(0, DEV, 40110, MAIL, 443, stream, segments ? { segments } : {}));
        expect(f).toMatchObject({ app: 'tls', sni: 'behind-lb-v2.example.com', name: 'behind-lb-v2.example.com', anomalies: [] });
      }
    }
  });

  test('an HTTP request after it (a LOCAL command too) names the flow by its Host', () => {
    for (const header of [v2(0), v2(0, 0x20)]) {
      const f = flowOf(new Scenario().tcp(0, DEV, 40111, MAIL, 80, cat(header, get)));
      expect(f).toMatchObject({ app: 'http', http_host: 'lb-v2-http.example.com', anomalies: [] });
    }
  });

  test('not taken for one: another version nibble, a claimed length past the bound, a request after blank lines', () => {
    expect(flowOf(new Scenario().tcp(0, DEV, 40112, MAIL, 443, cat(v2(0, 0x11), hello))).sni).toBeNull();
    const huge = v2(0);
    huge[14] = 0xff;
    huge[15] = 0xff;
    expect(flowOf(new Scenario().tcp(0, DEV, 40113, MAIL, 443, cat(huge, hello))).sni).toBeNull();
    // Blank lines before a request start like the signature and are still read as HTTP.
    const blank = cat(ascii('\r\n\r\n'), get);
    for (const segments of [undefined, [[0, 2], [2, blank.length - 2]], [[0, 4], [4, blank.length - 4]]] as ([number, number][] | undefined)[]) {
      const f = flowOf(new Scenario().tcp(0, DEV, 40114, MAIL, 80, blank, segments ? { segments } : {}));
      expect(f).toMatchObject({ app: 'http', http_host: 'lb-v2-http.example.com' });
    }
  });
});

describe('records a server reads past before the ClientHello (an empty handshake record, ChangeCipherSpec, an alert)', () => {
  const WEB = '203.0.113.80';
  const hello = clientHello('hidden.example.test');
  const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/ /g, ''), 'hex'));

  test('from a stream\'s start, however cut: the hello after them names the flow, flagged', () => {
    for (const lead of ['16 0301 0000', '14 0303 0001 01', '15 0303 0002 0100 17 0303 0000']) {
      const stream = cat(hex(lead), hello);
      for (const segments of [undefined, [[0, 3], [3, 4], [7, stream.length - 7]] as [number, number][]]) {
        const f = flowOf(new Scenario().tcp(0, DEV, 40200, WEB, 443, stream, segments ? { segments } : {}));
        expect(f).toMatchObject({ app: 'tls', sni: 'hidden.example.test', name: 'hidden.example.test', name_source: 'sni' });
        expect(f.anomalies).toContain('tls.records_before_hello');
      }
    }
  });

  test('a connection seen mid-stream is not read that way (application data is all it carries)', () => {
    const f = flowOf(new Scenario().tcp(0, DEV, 40201, WEB, 443, cat(hex('17 0303 0004 01020304'), hello), { handshake: false }));
    expect(f.anomalies).not.toContain('tls.records_before_hello');
  });
});
