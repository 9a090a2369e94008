/**
 * Pipeline end to end (in-process, synthetic raw-IP pcaps): name attribution and its order
 * (sni > http-host > dns-answer > dns-query), the DNS query/response join (retransmissions,
 * response_only), CNAME chains back to the asked name, per-client DNS knowledge and TTL,
 * direction (egress / inbound / local, with and without --device) and unnamed_reason.
 */
import { Scenario } from './scenario';
import { ipv4, udp } from '../decode/build';
import {
  DNS_A, DNS_AAAA, DNS_CNAME, DnsAnswerSpec, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, ascii, clientHello, dnsMessage, httpGet, tcpPacket,
} from '../../helpers/packets';
import { clientHelloMessage, ext, records } from '../../unit/extract/helpers/tls-builder';
import type { FlowRecord } from '../../../src/report/records';

const DEV = '192.168.1.10';
const DEV2 = '192.168.1.11';
const RESOLVER = '192.168.1.1';
const WEB = '93.184.216.34';

/** A DNS lookup by `client` from port `port`: query at `ms`, answer 5 ms later. */
function lookup(s: Scenario, ms: number, client: string, port: number, id: number, qname: string, answers: DnsAnswerSpec[], qtype = DNS_A): Scenario {
  s.udp(ms, client, port, RESOLVER, 53, dnsMessage(id, false, qname, qtype));
  s.udp(ms + 5, RESOLVER, 53, client, port, dnsMessage(id, true, qname, qtype, answers));
  return s;
}

const A = (name: string, data: string, ttl = 300): DnsAnswerSpec => ({ name, type: DNS_A, ttl, data });
const flowsTo = (flows: FlowRecord[], ip: string, port: number): FlowRecord[] => flows.filter((f) => f.remote_ip === ip && f.remote_port === port);
const only = (flows: FlowRecord[], ip: string, port: number): FlowRecord => {
  const f = flowsTo(flows, ip, port);
  if (f.length !== 1) throw new Error(`expected one flow to ${ip}:${port}, got ${f.length}`);
  return f[0];
};

/** A ClientHello with no server_name extension (connecting to an IP literal). */
const helloNoSni = (): Uint8Array => records(clientHelloMessage({ ciphers: [0x1301], extensions: [ext.alpn(['h2'])] }));

describe('attribution order', () => {
  test('SNI beats an earlier DNS answer for the same address; both are candidates', () => {
    const s = lookup(new Scenario(), 0, DEV, 40000, 1, 'cdn-name.example', [A('cdn-name.example', WEB)]);
    s.tcp(100, DEV, 50000, WEB, 443, clientHello('api.vendor.example'));
    const f = only(s.run().flows, WEB, 443);
    expect(f.name).toBe('api.vendor.example');
    expect(f.name_source).toBe('sni');
    expect(f.sni).toBe('api.vendor.example');
    expect(f.app).toBe('tls');
    expect(f.names).toEqual([
      { name: 'api.vendor.example', source: 'sni' },
      { name: 'cdn-name.example', source: 'dns-answer' },
    ]);
    expect(f.unnamed_reason).toBeNull();
  });

  test('the HTTP Host beats a DNS answer', () => {
    const s = lookup(new Scenario(), 0, DEV, 40000, 1, 'dns-name.example', [A('dns-name.example', WEB)]);
    s.tcp(100, DEV, 50000, WEB, 80, httpGet('Update.Vendor.Example:8080'));
    const f = only(s.run().flows, WEB, 80);
    expect(f.name_source).toBe('http-host');
    expect(f.name).toBe('update.vendor.example'); // lowercased, port removed
    expect(f.http_host).toBe('update.vendor.example');
    expect(f.names.map((n) => n.source)).toEqual(['http-host', 'dns-answer']);
  });

  test('a DNS answer names a flow whose content carries no name', () => {
    const s = lookup(new Scenario(), 0, DEV, 40000, 1, 'mqtt.vendor.example', [A('mqtt.vendor.example', WEB)]);
    s.tcp(100, DEV, 50000, WEB, 8883, helloNoSni());
    const f = only(s.run().flows, WEB, 8883);
    expect(f.name).toBe('mqtt.vendor.example');
    expect(f.name_source).toBe('dns-answer');
  });

  test('the DNS flow itself is named by the question it asked (dns-query)', () => {
    const s = lookup(new Scenario(), 0, DEV, 40000, 1, 'time.vendor.example', [A('time.vendor.example', WEB)]);
    const f = only(s.run().flows, RESOLVER, 53);
    expect(f.app).toBe('dns');
    expect(f.dns_names).toEqual(['time.vendor.example']);
    expect(f.name).toBe('time.vendor.example');
    expect(f.name_source).toBe('dns-query');
  });

  test('a DNS answer seen after the flow started does not name it (answers name later flows only)', () => {
    const s = new Scenario();
    s.tcp(0, DEV, 50000, WEB, 8883, helloNoSni(), { close: false });
    lookup(s, 100, DEV, 40000, 1, 'late.example', [A('late.example', WEB)]);
    const f = only(s.run().flows, WEB, 8883);
    expect(f.name).toBeNull();
  });
});

describe('DNS knowledge is per client and time-limited', () => {
  test('an answer to one client does not name another client\'s flow to the same address', () => {
    const s = lookup(new Scenario(), 0, DEV, 40000, 1, 'private.example', [A('private.example', WEB)]);
    s.tcp(100, DEV2, 50000, WEB, 8883, helloNoSni());
    const f = only(s.run().flows, WEB, 8883);
    expect(f.device_ip).toBe(DEV2);
    expect(f.name).toBeNull();
  });

  test('an answer is used within TTL + grace, and not after', () => {
    // TTL 10 s + default grace 300 s = 310 s.
    const s = lookup(new Scenario(), 0, DEV, 40000, 1, 'short.example', [A('short.example', WEB, 10)]);
    s.tcp(300_000, DEV, 50000, WEB, 8883, helloNoSni());
    s.tcp(320_000, DEV, 50001, WEB, 8883, helloNoSni());
    const flows = flowsTo(s.run().flows, WEB, 8883).sort((a, b) => a.first_ts - b.first_ts);
    expect(flows.map((f) => f.name)).toEqual(['short.example', null]);
  });

  test('a CNAME chain leads back to the name that was asked', () => {
    const s = lookup(new Scenario(), 0, DEV, 40000, 7, 'www.vendor.example', [
      { name: 'www.vendor.example', type: DNS_CNAME, ttl: 300, data: 'vendor.cdn.example' },
      { name: 'vendor.cdn.example', type: DNS_CNAME, ttl: 300, data: 'e12.edge.cdn.example' },
      A('e12.edge.cdn.example', WEB),
    ]);
    s.tcp(100, DEV, 50000, WEB, 8883, helloNoSni());
    const { flows, dns } = s.run();
    expect(only(flows, WEB, 8883).name).toBe('www.vendor.example');
    // The dns record keeps the whole chain as it was answered.
    expect(dns).toHaveLength(1);
    expect(dns[0].answers.map((a) => `${a.name} ${a.type} ${a.data}`)).toEqual([
      'www.vendor.example CNAME vendor.cdn.example',
      'vendor.cdn.example CNAME e12.edge.cdn.example',
      'e12.edge.cdn.example A 93.184.216.34',
    ]);
  });

  test('AAAA answers name IPv6 flows; the address is compared in canonical form', () => {
    const s = new Scenario();
    s.udp(0, '2001:db8::10', 40000, '2001:db8::1', 53, dnsMessage(3, false, 'v6.vendor.example', DNS_AAAA));
    s.udp(5, '2001:db8::1', 53, '2001:db8::10', 40000, dnsMessage(3, true, 'v6.vendor.example', DNS_AAAA, [
      { name: 'v6.vendor.example', type: DNS_AAAA, ttl: 300, data: '2600:1f18:0:0:0:0:0:a1' },
    ]));
    s.tcp(100, '2001:db8::10', 50000, '2600:1f18::a1', 8883, helloNoSni());
    const f = only(s.run().flows, '2600:1f18::a1', 8883);
    expect(f.name).toBe('v6.vendor.example');
    expect(f.device_ip).toBe('2001:db8::10');
  });
});

describe('DNS query/response join', () => {
  test('a query and its response make one dns record with the answers and rcode', () => {
    const s = lookup(new Scenario(), 0, DEV, 40000, 0x1234, 'a.example', [A('a.example', WEB, 60)]);
    const { dns, summary } = s.run();
    expect(dns).toHaveLength(1);
    expect(dns[0]).toMatchObject({
      type: 'dns', proto: 'udp', client_ip: DEV, client_port: 40000, server_ip: RESOLVER, server_port: 53,
      id: 0x1234, qname: 'a.example', qtype: 'A', rcode: 'NOERROR',
      answers: [{ name: 'a.example', type: 'A', data: WEB, ttl: 60 }],
    });
    expect(dns[0].response_only).toBeUndefined();
    expect(dns[0].ts).toBeCloseTo(1_704_067_200, 3); // the query's time, not the response's
    expect(summary.dns_queries).toBe(1);
  });

  test('a retransmitted query is reported twice, both joined to the one response', () => {
    const s = new Scenario();
    s.udp(0, DEV, 40000, RESOLVER, 53, dnsMessage(9, false, 'retry.example', DNS_A));
    s.udp(1000, DEV, 40000, RESOLVER, 53, dnsMessage(9, false, 'retry.example', DNS_A));
    s.udp(1005, RESOLVER, 53, DEV, 40000, dnsMessage(9, true, 'retry.example', DNS_A, [A('retry.example', WEB)]));
    const { dns, summary } = s.run();
    expect(dns).toHaveLength(2);
    for (const r of dns) {
      expect(r.rcode).toBe('NOERROR');
      expect(r.answers).toHaveLength(1);
    }
    expect(dns.map((r) => r.ts)).toEqual([1_704_067_200, 1_704_067_201]);
    expect(summary.dns_queries).toBe(2);
  });

  test('a response whose query was not captured is reported with response_only', () => {
    const s = new Scenario();
    s.udp(0, RESOLVER, 53, DEV, 40000, dnsMessage(5, true, 'orphan.example', DNS_A, [A('orphan.example', WEB)]));
    s.tcp(100, DEV, 50000, WEB, 8883, helloNoSni());
    const { dns, flows } = s.run();
    expect(dns).toHaveLength(1);
    expect(dns[0]).toMatchObject({ response_only: true, qname: 'orphan.example', client_ip: DEV, server_ip: RESOLVER, rcode: 'NOERROR' });
    // The answer still teaches the cache.
    expect(only(flows, WEB, 8883).name).toBe('orphan.example');
  });

  test('an mDNS announcement (a response without questions, RFC 6762 §8.3) asked nothing: no dns record, the flow is mdns', () => {
    const withQuestion = dnsMessage(0, true, 'printer.local', DNS_A, [A('printer.local', '192.168.1.50')]);
    const questionBytes = 'printer.local'.length + 2 + 4; // the encoded name, then type and class
    const announcement = Uint8Array.from([...withQuestion.subarray(0, 12), ...withQuestion.subarray(12 + questionBytes)]);
    announcement[4] = 0; announcement[5] = 0; // QDCOUNT 0
    const s = new Scenario();
    s.udp(0, DEV, 5353, '224.0.0.251', 5353, announcement);
    const { dns, flows } = s.run([DEV]);
    expect(dns).toEqual([]);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ app: 'mdns', remote_ip: '224.0.0.251', direction: 'local' });
  });

  test('an unanswered query is still reported, with rcode null and no answers', () => {
    const s = new Scenario();
    s.udp(0, DEV, 40000, RESOLVER, 53, dnsMessage(11, false, 'lost.example', DNS_A));
    const { dns } = s.run();
    expect(dns).toHaveLength(1);
    expect(dns[0]).toMatchObject({ qname: 'lost.example', rcode: null, answers: [] });
  });

  test('a response with the same id but another question does not complete the query', () => {
    // Adversarial: a spoofed or stray response reusing the id must not attach its answers.
    const s = new Scenario();
    s.udp(0, DEV, 40000, RESOLVER, 53, dnsMessage(12, false, 'asked.example', DNS_A));
    s.udp(5, RESOLVER, 53, DEV, 40000, dnsMessage(12, true, 'other.example', DNS_A, [A('other.example', WEB)]));
    const { dns } = s.run();
    const asked = dns.find((r) => r.qname === 'asked.example')!;
    const other = dns.find((r) => r.qname === 'other.example')!;
    expect(asked.answers).toEqual([]);
    expect(asked.rcode).toBeNull();
    expect(other.response_only).toBe(true);
  });

  test('A and AAAA queries sharing one id on one socket are each joined to their own answer', () => {
    // Stubs that send both lookups at once with one id (the pattern glibc's single-request
    // option exists for); the AAAA answer arrives first.
    const s = new Scenario();
    s.udp(0, DEV, 40000, RESOLVER, 53, dnsMessage(14, false, 'both.example', DNS_A));
    s.udp(1, DEV, 40000, RESOLVER, 53, dnsMessage(14, false, 'both.example', DNS_AAAA));
    s.udp(5, RESOLVER, 53, DEV, 40000, dnsMessage(14, true, 'both.example', DNS_AAAA, [{ name: 'both.example', type: DNS_AAAA, ttl: 60, data: '2001:db8::7' }]));
    s.udp(6, RESOLVER, 53, DEV, 40000, dnsMessage(14, true, 'both.example', DNS_A, [A('both.example', WEB)]));
    const { dns } = s.run();
    expect(dns.map((r) => [r.qtype, r.answers.map((a) => a.data), r.response_only ?? false]).sort()).toEqual([
      ['A', [WEB], false],
      ['AAAA', ['2001:db8::7'], false],
    ]);
  });

  test('NXDOMAIN is joined with its rcode and teaches nothing', () => {
    const s = new Scenario();
    s.udp(0, DEV, 40000, RESOLVER, 53, dnsMessage(13, false, 'nope.example', DNS_A));
    s.udp(5, RESOLVER, 53, DEV, 40000, dnsMessage(13, true, 'nope.example', DNS_A, [], 3));
    const { dns } = s.run();
    expect(dns[0]).toMatchObject({ rcode: 'NXDOMAIN', answers: [] });
  });
});

describe('direction and the device side', () => {
  test('without --device: a private device talking to a public address is egress', () => {
    const s = new Scenario().tcp(0, DEV, 50000, WEB, 443, clientHello('a.example'));
    const { flows, summary } = s.run();
    const f = only(flows, WEB, 443);
    expect(f.direction).toBe('egress');
    expect([f.device_ip, f.device_port]).toEqual([DEV, 50000]);
    expect(f.packets_out).toBe(5); // SYN, ACK, data, FIN, last ACK
    expect(f.packets_in).toBe(2); // SYN-ACK, FIN
    expect(summary.device_source).toBe('inferred');
    expect(summary.device_ips).toEqual([DEV]);
  });

  test('without --device: a public host connecting in to a private one is inbound, named "inbound"', () => {
    const s = new Scenario().tcp(0, '198.18.0.77', 51000, DEV, 22, ascii('SSH-2.0-OpenSSH_9.6\r\n'));
    const f = s.run().flows[0];
    expect(f.direction).toBe('inbound');
    expect(f.device_ip).toBe(DEV);
    expect(f.remote_ip).toBe('198.18.0.77');
    expect(f.unnamed_reason).toBe('inbound');
  });

  test('without --device: between two public hosts the initiator is taken as the device', () => {
    const s = new Scenario().tcp(0, '8.8.4.4', 50000, '1.1.1.1', 443, clientHello('x.example'));
    const f = s.run().flows[0];
    expect([f.direction, f.device_ip, f.remote_ip]).toEqual(['egress', '8.8.4.4', '1.1.1.1']);
  });

  test('with --device naming the responder, the same flow is inbound', () => {
    const s = new Scenario().tcp(0, '8.8.4.4', 50000, '1.1.1.1', 443, clientHello('x.example'));
    const { flows, summary } = s.run(['1.1.1.0/24']);
    const f = flows[0];
    expect([f.direction, f.device_ip, f.device_port, f.remote_ip, f.remote_port]).toEqual(['inbound', '1.1.1.1', 443, '8.8.4.4', 50000]);
    expect(f.packets_out).toBe(2); // the device sent the SYN-ACK and FIN
    expect(summary.device_source).toBe('flag');
    expect(summary.device_ips).toEqual(['1.1.1.1']);
  });

  test('with --device, a private peer initiating to the device is inbound (no private-side guess)', () => {
    const s = new Scenario().tcp(0, DEV2, 50000, DEV, 8080, httpGet('dev.local'));
    expect(s.run([DEV]).flows[0].direction).toBe('inbound');
    expect(s.run([DEV2]).flows[0].direction).toBe('egress');
  });

  test('multicast (mDNS) and broadcast destinations are local', () => {
    const s = new Scenario();
    s.udp(0, DEV, 5353, '224.0.0.251', 5353, dnsMessage(0, false, '_hap._tcp.local', 12));
    s.udp(10, DEV, 68, '255.255.255.255', 67, new Uint8Array(300));
    const { flows } = s.run();
    expect(only(flows, '224.0.0.251', 5353)).toMatchObject({ direction: 'local', app: 'mdns' });
    expect(only(flows, '255.255.255.255', 67).direction).toBe('local');
  });

  test('link-local to link-local (IPv6 fe80::) is local', () => {
    const s = new Scenario().udp(0, 'fe80::10', 40000, 'fe80::1', 9999, new Uint8Array(10));
    expect(s.run().flows[0].direction).toBe('local');
  });
});

describe('unnamed_reason', () => {
  test('ip-literal: a handshake and content that carries no name, no DNS answer', () => {
    const f = new Scenario().tcp(0, DEV, 50000, WEB, 7000, ascii('\x00\x01binary-protocol')).run().flows[0];
    expect(f.name).toBeNull();
    expect(f.unnamed_reason).toBe('ip-literal');
  });

  test('ip-literal: a request whose Host is an address keeps it as a candidate and in http_host, but it names nothing', () => {
    for (const host of ['93.184.216.34', '[2001:db8::34]:8080']) {
      const f = new Scenario().tcp(0, DEV, 50001, WEB, 80, ascii(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`)).run().flows[0];
      const literal = host.replace(/:8080$/, '');
      expect(f).toMatchObject({ app: 'http', name: null, name_source: null, unnamed_reason: 'ip-literal' });
      expect(f.http_host === literal || f.http_host === literal.replace(/^\[|\]$/g, '')).toBe(true);
      expect(f.names).toEqual([{ name: f.http_host, source: 'http-host' }]);
    }
  });

  test('ip-literal, not tls-no-sni: a ClientHello whose server_name is an address (against RFC 6066 §3) names nothing', () => {
    for (const literal of ['192.0.2.20', '2001:db8::5']) {
      const f = new Scenario().tcp(0, DEV, 50002, WEB, 443, clientHello(literal)).run().flows[0];
      expect(f).toMatchObject({ app: 'tls', sni: literal, name: null, unnamed_reason: 'ip-literal' });
    }
  });

  test('a server_name with the root\'s dot names the host without it (as a Host field does); sni keeps it as sent', () => {
    const f = new Scenario().tcp(0, DEV, 50003, WEB, 443, clientHello('Dot.Example.Test.')).run().flows[0];
    expect(f).toMatchObject({ sni: 'Dot.Example.Test.', name: 'dot.example.test', name_source: 'sni' });
  });

  test('tls-no-sni: a whole ClientHello without server_name', () => {
    const f = new Scenario().tcp(0, DEV, 50000, WEB, 443, helloNoSni()).run().flows[0];
    expect(f.app).toBe('tls');
    expect(f.unnamed_reason).toBe('tls-no-sni');
  });

  test('ech: a ClientHello with an encrypted_client_hello extension and no SNI', () => {
    const hello = records(clientHelloMessage({ ciphers: [0x1301], extensions: [ext.ech()] }));
    const f = new Scenario().tcp(0, DEV, 50000, WEB, 443, hello).run().flows[0];
    expect(f.ech).toBe(true);
    expect(f.unnamed_reason).toBe('ech');
  });

  test('started-before-capture: no SYN and nothing to learn from', () => {
    const f = new Scenario().tcp(0, DEV, 50000, WEB, 7000, ascii('\x00\x01binary'), { handshake: false }).run().flows[0];
    expect(f.syn_seen).toBe(false);
    expect(f.initiator_by).toBe('first-packet'); // neither 50000 nor 7000 is a service port
    expect(f.unnamed_reason).toBe('started-before-capture');
  });

  test('stream-gap: the first segment of the ClientHello was not captured', () => {
    const hello = clientHello('lost.example');
    // Only the second half is sent: the stream head has a hole at its start.
    const f = new Scenario().tcp(0, DEV, 50000, WEB, 443, hello, { segments: [[40, hello.length - 40]] }).run().flows[0];
    expect(f.name).toBeNull();
    expect(f.unnamed_reason).toBe('stream-gap');
    expect(f.anomalies).toContain('stream.gap');
  });

  test('tls-hello-incomplete: a ClientHello cut off by the end of the capture', () => {
    // Regression guard (was a bug in src/pipeline.ts, now fixed): a flow whose client sent the first part of a
    // ClientHello (record header 16 03 01 and more) and then the capture ended is reported with
    // app null and unnamed_reason "ip-literal", which tells the reader the device connected to a
    // bare IP. identifyTcp() is waiting ('need-more') and info.app is still null at flow end, so
    // unnamedReason() never reaches its 'tls-hello-incomplete' branch. Expected: app 'tls',
    // unnamed_reason 'tls-hello-incomplete'.
    const hello = clientHello('cut.example');
    const f = new Scenario().tcp(0, DEV, 50000, WEB, 443, hello, { segments: [[0, 30]], close: false }).run().flows[0];
    expect(f.unnamed_reason).toBe('tls-hello-incomplete');
    expect(f.app).toBe('tls');
  });
});

describe('stream reassembly feeds the extractors', () => {
  test('a ClientHello cut in the record header and sent out of order with a retransmission is named', () => {
    const hello = clientHello('split.vendor.example');
    const n = hello.length;
    const f = new Scenario().tcp(0, DEV, 50000, WEB, 443, hello, {
      segments: [[3, 40], [43, n - 43], [0, 3], [3, 40]],
    }).run().flows[0];
    expect(f.name).toBe('split.vendor.example');
    expect(f.anomalies).not.toContain('stream.gap');
  });

  test('a ClientHello whose ISN is just below 2^32 (sequence numbers wrap inside it) is named', () => {
    const hello = clientHello('wrap.vendor.example');
    const f = new Scenario().tcp(0, DEV, 50000, WEB, 443, hello, { isn: 0xffffffe0, segments: [[0, 50], [50, hello.length - 50]] }).run().flows[0];
    expect(f.name).toBe('wrap.vendor.example');
  });

  test('a ClientHello carried in the SYN (TCP Fast Open) is named', () => {
    // Regression guard (was a bug in src/pipeline.ts, now fixed): data in a SYN starts at ISN + 1 (RFC 7413 §2,
    // RFC 9293 §3.4: the SYN occupies one sequence number), but onTcpPayload passes the SYN's own
    // sequence number (ISN) to StreamHead.add with base ISN + 1, so the first byte is dropped as
    // "before the stream" and every later byte lands one position early: the ClientHello starts
    // with 03 01 instead of 16 03 01 and is not recognised.
    const hello = clientHello('tfo.vendor.example');
    const s = new Scenario();
    // MSS, then the Fast Open option with an 8-byte cookie (kind 34, RFC 7413 §4.1.1), then padding.
    const options = Uint8Array.of(2, 4, 0x05, 0xb4, 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1);
    s.at(0, tcpPacket({ src: DEV, dst: WEB, sport: 50000, dport: 443, flags: TCP_SYN, seq: 1000, payload: hello, options }));
    s.at(1, tcpPacket({ src: WEB, dst: DEV, sport: 443, dport: 50000, flags: TCP_SYN | TCP_ACK, seq: 5000, ack: 1001 + hello.length }));
    s.at(2, tcpPacket({ src: DEV, dst: WEB, sport: 50000, dport: 443, flags: TCP_ACK | TCP_PSH, seq: 1001 + hello.length, ack: 5001 }));
    const f = s.run().flows[0];
    expect(f.name).toBe('tfo.vendor.example');
  });
});

describe('segment data no receiver takes names nothing (crafted segments from a TCP lab; Linux as the receiver)', () => {
  /** A handshake from DEV:port to WEB:443 (client ISN 1000, server ISN 5000). */
  const handshake = (s: Scenario, ms: number, port: number, syn: { payload?: Uint8Array; options?: Uint8Array } = {}): Scenario => s
    .at(ms, tcpPacket({ src: DEV, dst: WEB, sport: port, dport: 443, flags: TCP_SYN, seq: 1000, ...syn }))
    .at(ms + 1, tcpPacket({ src: WEB, dst: DEV, sport: 443, dport: port, flags: TCP_SYN | TCP_ACK, seq: 5000, ack: 1001 }))
    .at(ms + 2, tcpPacket({ src: DEV, dst: WEB, sport: port, dport: 443, flags: TCP_ACK, seq: 1001, ack: 5001 }));
  const data = (ms: number, port: number, flags: number, payload: Uint8Array, urgent?: number) =>
    tcpPacket({ src: DEV, dst: WEB, sport: port, dport: 443, flags, seq: 1001, ack: 5001, payload, urgent });
  const good = clientHello('good.vendor.example');
  const evil = clientHello('evil.attacker.example');

  test('data in a SYN without a Fast Open option (the server ignored it; the client sent the real hello after the handshake)', () => {
    const s = handshake(new Scenario(), 0, 50100, { payload: evil }).at(3, data(3, 50100, TCP_ACK | TCP_PSH, good));
    const r = s.run();
    expect(r.flows[0]).toMatchObject({ sni: 'good.vendor.example', anomalies: ['tcp.syn_data_without_fast_open'] });
    expect(r.summary.anomalies).toMatchObject({ 'tcp.syn_data_without_fast_open': 1 });
  });

  test('the experimental Fast Open option Linux sent before kind 34 (254, ExID 0xF989) is Fast Open', () => {
    const options = Uint8Array.of(254, 12, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8);
    const s = handshake(new Scenario(), 0, 50101, { payload: good, options });
    expect(s.run().flows[0]).toMatchObject({ sni: 'good.vendor.example', anomalies: [] });
  });

  test('data without ACK after the handshake, and a RST carrying a hello, are not read', () => {
    const s = handshake(new Scenario(), 0, 50102).at(3, data(3, 50102, TCP_PSH, evil)).at(4, data(4, 50102, TCP_ACK | TCP_PSH, good))
      .at(10, tcpPacket({ src: DEV, dst: WEB, sport: 50103, dport: 443, flags: TCP_RST | TCP_ACK, seq: 1001, ack: 5001, payload: evil }));
    const r = s.run();
    expect(r.flows.find((f) => f.device_port === 50102)).toMatchObject({ sni: 'good.vendor.example', anomalies: ['tcp.data_without_ack'] });
    expect(r.flows.find((f) => f.device_port === 50103)).toMatchObject({ sni: null, name: null, anomalies: ['tcp.rst_with_data'] });
  });

  test('data past the client\'s FIN is not read (the server had only what came before it)', () => {
    const s = handshake(new Scenario(), 0, 50106)
      .at(3, data(3, 50106, TCP_ACK | TCP_PSH, good.subarray(0, 30)))
      .at(4, tcpPacket({ src: DEV, dst: WEB, sport: 50106, dport: 443, flags: TCP_ACK | TCP_FIN, seq: 1031, ack: 5001 }))
      .at(5, tcpPacket({ src: DEV, dst: WEB, sport: 50106, dport: 443, flags: TCP_ACK | TCP_PSH, seq: 1032, ack: 5001, payload: evil }));
    expect(s.run().flows[0]).toMatchObject({ sni: null, name: null, anomalies: ['tcp.data_after_fin'] });
  });

  test('a connection that ended inside the first request head is named by a Host line sent whole, and by nothing cut short', () => {
    const head = (host: string): Uint8Array => new TextEncoder().encode(`GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: fw/1.0\r\n`);
    const cut = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: cut.vend');
    const rst = (ms: number, port: number, seq: number) => tcpPacket({ src: DEV, dst: WEB, sport: port, dport: 443, flags: TCP_RST | TCP_ACK, seq, ack: 5001 });
    const whole = head('before-rst.vendor.example');
    const s = handshake(new Scenario(), 0, 50107).at(3, data(3, 50107, TCP_ACK | TCP_PSH, whole)).at(4, rst(4, 50107, 1001 + whole.length))
      .at(10, tcpPacket({ src: DEV, dst: WEB, sport: 50108, dport: 443, flags: TCP_SYN, seq: 1000 }))
      .at(11, tcpPacket({ src: WEB, dst: DEV, sport: 443, dport: 50108, flags: TCP_SYN | TCP_ACK, seq: 5000, ack: 1001 }))
      .at(12, data(12, 50108, TCP_ACK | TCP_PSH, cut)).at(13, rst(13, 50108, 1001 + cut.length));
    const flows = s.run().flows;
    expect(flows.find((f) => f.device_port === 50107)).toMatchObject({ app: 'http', http_host: 'before-rst.vendor.example', name: 'before-rst.vendor.example', anomalies: ['http.head_unfinished'] });
    expect(flows.find((f) => f.device_port === 50108)).toMatchObject({ app: 'http', http_host: null, name: null });
  });

  test('urgent data before the name is said on the flow (a receiver takes the urgent byte out of the stream)', () => {
    const s = handshake(new Scenario(), 0, 50104).at(3, data(3, 50104, TCP_ACK | TCP_PSH | 0x20, httpGet('urgent.vendor.example'), 1));
    expect(s.run().flows[0].anomalies).toEqual(['tcp.urgent_data']);
  });

  test('a retransmission that differs from the bytes kept is counted in the run as well as on the flow', () => {
    const hello = clientHello('split.vendor.example');
    const other = Uint8Array.from(hello);
    other[30] ^= 0xff; // in the random
    const s = handshake(new Scenario(), 0, 50105)
      .at(3, tcpPacket({ src: DEV, dst: WEB, sport: 50105, dport: 443, flags: TCP_ACK, seq: 1001, ack: 5001, payload: hello.subarray(0, 40) }))
      .at(4, tcpPacket({ src: DEV, dst: WEB, sport: 50105, dport: 443, flags: TCP_ACK, seq: 1001, ack: 5001, payload: other.subarray(0, 40) }))
      .at(5, tcpPacket({ src: DEV, dst: WEB, sport: 50105, dport: 443, flags: TCP_ACK, seq: 1041, ack: 5001, payload: hello.subarray(40) }));
    const r = s.run();
    expect(r.flows[0]).toMatchObject({ sni: 'split.vendor.example', anomalies: ['stream.overlap_conflict'] });
    expect(r.summary.anomalies).toMatchObject({ 'stream.overlap_conflict': 1 });
  });
});

describe('a ClientHello larger than a stream head (16 KiB)', () => {
  const big = (exts: Parameters<typeof ext.raw>[] , sni: string | null): Uint8Array => {
    const msg = clientHelloMessage({ ciphers: [0x1301], extensions: [...(sni === null ? [] : [ext.sni(sni)]), ...exts.map(([t, d]) => ext.raw(t, d))] });
    return records(msg, new Array<number>(Math.ceil(msg.length / 16384)).fill(16384));
  };
  const mss = (n: number): [number, number][] => Array.from({ length: Math.ceil(n / 1460) }, (_, i) => [i * 1460, Math.min(1460, n - i * 1460)] as [number, number]);

  test('padded to 20 KB, in MSS segments and out of order: named from its first bytes, no fingerprints, flagged', () => {
    const hello = big([[21, new Uint8Array(20000)]], 'padded.vendor.example');
    for (const segments of [mss(hello.length), mss(hello.length).reverse()]) {
      const f = new Scenario().tcp(0, DEV, 50010, WEB, 443, hello, { segments }).run().flows[0];
      expect(f).toMatchObject({ app: 'tls', sni: 'padded.vendor.example', name: 'padded.vendor.example', name_source: 'sni', ja3: null, ja4: null });
      expect(f.anomalies).toContain('tls.client_hello_too_large');
    }
  });

  test('the server_name past the first 16 KiB: unnamed, tls-hello-incomplete (not tls-no-sni)', () => {
    const hello = big([[41, new Uint8Array(18000)], [0, Uint8Array.of(0, 9, 0, 0, 6, 0x6c, 0x61, 0x74, 0x65, 0x2e, 0x78)]], null);
    const f = new Scenario().tcp(0, DEV, 50011, WEB, 443, hello, { segments: mss(hello.length) }).run().flows[0];
    expect(f).toMatchObject({ app: 'tls', sni: null, name: null, unnamed_reason: 'tls-hello-incomplete' });
  });
});

describe('flows and the summary', () => {
  test('a datagram sent in IP fragments counts every fragment: packets and wire bytes of all its frames', () => {
    // UDP 40000 → 9999 with 4,000 bytes of payload in three fragments of at most 1,480 bytes.
    const datagram = udp(40000, 9999, new Uint8Array(4000));
    const s = new Scenario();
    const cuts = [[0, 1480], [1480, 1480], [2960, datagram.length - 2960]];
    cuts.forEach(([off, len], i) => {
      const more = off + len < datagram.length;
      s.at(i, ipv4({ proto: 17, src: DEV, dst: WEB, id: 77, flags: more ? 1 : 0, fragOffset: off }, datagram.subarray(off, off + len)));
    });
    const f = only(s.run().flows, WEB, 9999);
    expect([f.packets_out, f.bytes_out]).toEqual([3, 3 * 20 + datagram.length]);
  });

  test('a flow inside a tunnel whose packets were IP-fragmented counts every frame that carried it, whichever fragment came last (a tunnel lab: VXLAN at MTU 1280)', () => {
    // An inner UDP datagram (IPv4 in IP-in-IP) of 3,000 bytes: the outer packet is cut in three.
    const inner = ipv4({ proto: 17, src: DEV, dst: WEB }, udp(40001, 9998, new Uint8Array(3000)));
    const outer = (order: number[]): Scenario => {
      const s = new Scenario();
      const cuts = [[0, 1480], [1480, 1480], [2960, inner.length - 2960]];
      order.forEach((k, i) => {
        const [off, len] = cuts[k];
        const more = off + len < inner.length;
        s.at(i, ipv4({ proto: 4, src: '198.51.100.1', dst: '198.51.100.2', id: 78, flags: more ? 1 : 0, fragOffset: off }, inner.subarray(off, off + len)));
      });
      return s;
    };
    for (const order of [[0, 1, 2], [2, 1, 0]]) {
      const f = only(outer(order).run().flows, WEB, 9998);
      expect({ order, counts: [f.packets_out, f.bytes_out] }).toEqual({ order, counts: [3, 3 * 20 + inner.length] });
    }
  });

  test('a fragment repeated after its datagram completed (a duplicating SPAN port) starts no datagram that never completes', () => {
    const datagram = udp(40002, 9997, new Uint8Array(2000));
    const s = new Scenario();
    const cuts = [[0, 1480], [1480, datagram.length - 1480]];
    let ms = 0;
    for (const [off, len] of cuts) {
      const more = off + len < datagram.length;
      const frag = ipv4({ proto: 17, src: DEV, dst: WEB, id: 79, flags: more ? 1 : 0, fragOffset: off }, datagram.subarray(off, off + len));
      s.at(ms++, frag).at(ms++, frag); // every frame twice
    }
    const r = s.run();
    expect(only(r.flows, WEB, 9997).packets_out).toBeGreaterThanOrEqual(2);
    expect(r.summary.anomalies).toEqual({});
  });

  test('bare ACK, FIN and RST segments of a connection that closed and left the table are counted late, not a new unnamed flow; data always makes a flow', () => {
    const ack = (ms: number, flags: number, payload?: Uint8Array) =>
      tcpPacket({ src: WEB, dst: DEV, sport: 443, dport: 50100, flags, seq: 9000, ack: 2000, payload });
    const s = new Scenario().tcp(0, DEV, 50100, WEB, 443, clientHello('closed.vendor.example'))
      .at(30_000, ack(30_000, TCP_ACK))
      .at(31_000, ack(31_000, TCP_ACK | TCP_FIN))
      .at(32_000, ack(32_000, TCP_RST))
      .at(40_000, ack(40_000, TCP_ACK | TCP_PSH, ascii('late data')))
      .at(300_000, tcpPacket({ src: WEB, dst: DEV, sport: 443, dport: 50101, flags: TCP_ACK, seq: 1, ack: 1 }));
    // a bare ACK on a 5-tuple that never closed here (a capture started mid-connection): a flow as before
    const r = s.run([DEV]);
    const on50100 = r.flows.filter((f) => f.device_port === 50100).sort((a, b) => a.first_ts - b.first_ts);
    expect(on50100.map((f) => [f.name, f.packets_in])).toEqual([['closed.vendor.example', 2], [null, 1]]); // its SYN-ACK and FIN; then the late data alone
    expect(on50100[1]).toMatchObject({ unnamed_reason: 'started-before-capture', bytes_in: expect.any(Number) });
    expect(r.flows.filter((f) => f.device_port === 50101)).toHaveLength(1);
    expect(r.summary.non_flow).toMatchObject({ late_tcp: 3 });
    expect(r.summary.packets).toBe(s.packets.length);
  });

  test('the same ports reused after a close are two flows, both reported', () => {
    const s = new Scenario();
    s.tcp(0, DEV, 50000, WEB, 443, clientHello('first.example'));
    s.tcp(100, DEV, 50000, WEB, 443, clientHello('second.example'), { isn: 900_000 });
    const { flows, summary } = s.run();
    expect(flows.map((f) => f.name).sort()).toEqual(['first.example', 'second.example']);
    expect(new Set(flows.map((f) => f.id)).size).toBe(2);
    expect(summary.flows).toBe(2);
  });

  test('a flow that takes over an ended flow\'s slot (and its reused FlowInfo) starts with none of its facts', () => {
    // Each connection ends 5 s after its close; the next new flow takes its table slot and its
    // FlowInfo object. The first is named by SNI and a DNS answer, the second carries a gap.
    const s = lookup(new Scenario(), 0, DEV, 40000, 1, 'a.example', [A('a.example', WEB)]);
    s.tcp(100, DEV, 50000, WEB, 443, clientHello('first.example'));
    const hello = clientHello('second.example');
    s.tcp(10_000, DEV, 50001, '203.0.113.9', 443, hello, { segments: [[0, 3], [9, hello.length - 9]] });
    s.tcp(20_000, DEV, 50002, '203.0.113.10', 8080, ascii('opaque bytes'));
    const { flows } = s.run();
    const first = only(flows, WEB, 443);
    expect(first.names).toEqual([{ name: 'first.example', source: 'sni' }, { name: 'a.example', source: 'dns-answer' }]);
    expect(first.ja3).toEqual(expect.any(String));
    const second = only(flows, '203.0.113.9', 443);
    expect(second).toMatchObject({ app: 'tls', sni: null, name: null, names: [], anomalies: ['stream.gap'], unnamed_reason: 'stream-gap' });
    expect(second.ja3).toBeUndefined();
    const third = only(flows, '203.0.113.10', 8080);
    expect(third).toMatchObject({
      app: null, sni: null, alpn: null, http_host: null, dns_names: null, name: null, name_source: null,
      names: [], anomalies: [], unnamed_reason: 'ip-literal',
    });
  });

  test('timestamps are epoch seconds with microseconds; bytes are wire lengths per direction', () => {
    const s = new Scenario();
    s.at(0.5, tcpPacket({ src: DEV, dst: WEB, sport: 50000, dport: 9000, flags: TCP_SYN, seq: 1 }));
    s.at(1.25, tcpPacket({ src: WEB, dst: DEV, sport: 9000, dport: 50000, flags: TCP_SYN | TCP_ACK, seq: 1, ack: 2 }));
    const f = s.run().flows[0];
    expect(f.first_ts).toBe(1_704_067_200.0005);
    expect(f.last_ts).toBe(1_704_067_200.00125);
    expect(f.bytes_out).toBe(40); // 20 IPv4 + 20 TCP
    expect(f.bytes_in).toBe(40);
    expect(f.proto).toBe('tcp');
  });

  test('the summary counts packets, bytes, flows and DNS queries', () => {
    const s = lookup(new Scenario(), 0, DEV, 40000, 1, 'a.example', [A('a.example', WEB)]);
    s.tcp(100, DEV, 50000, WEB, 443, clientHello('a.example'));
    const { summary, flows, exitCode } = s.run();
    expect(exitCode).toBe(0);
    expect(summary.packets).toBe(2 + 7);
    expect(summary.flows).toBe(flows.length);
    expect(summary.flows).toBe(2);
    expect(summary.dns_queries).toBe(1);
    expect(summary.inputs).toHaveLength(1);
    expect(summary.inputs[0]).toMatchObject({ format: 'pcap', packets: 9 });
  });
});

describe('the carrier flow of a UDP tunnel names the tunnel', () => {
  const GNB = '198.51.100.21';
  const UPF = '198.51.100.22';
  /** A GTP-U header (version 1, PT) of message `type` for `payload`, TEID 1. */
  const gtpu = (type: number, payload: Uint8Array): Uint8Array =>
    Uint8Array.from([0x30, type, payload.length >> 8, payload.length & 0xff, 0, 0, 0, 1, ...payload]);
  const inner = (): Uint8Array => tcpPacket({ src: DEV, dst: WEB, sport: 50000, dport: 443, flags: TCP_SYN, seq: 1 });

  test('a G-PDU first: app gtp-u, and the user packet is a flow of its own', () => {
    const s = new Scenario().udp(0, GNB, 2152, UPF, 2152, gtpu(0xff, inner()));
    const flows = s.run().flows;
    expect(only(flows, UPF, 2152).app).toBe('gtp-u');
    expect(only(flows, WEB, 443).tunnel_depth).toBe(1);
  });

  test('an echo request first (no user packet inside), G-PDUs after: still app gtp-u', () => {
    const s = new Scenario().udp(0, GNB, 2152, UPF, 2152, gtpu(0x01, Uint8Array.from([0, 0, 0, 0])));
    s.udp(10, GNB, 2152, UPF, 2152, gtpu(0xff, inner()));
    const flows = s.run().flows;
    expect(only(flows, UPF, 2152).app).toBe('gtp-u');
    expect(flowsTo(flows, WEB, 443)).toHaveLength(1);
  });

  test('echoes only: no tunnel was seen, app stays null', () => {
    const s = new Scenario().udp(0, GNB, 2152, UPF, 2152, gtpu(0x01, Uint8Array.from([0, 0, 0, 0])));
    s.udp(10, UPF, 2152, GNB, 2152, gtpu(0x02, Uint8Array.from([0, 0, 0, 0])));
    expect(only(s.run().flows, UPF, 2152).app).toBeNull();
  });
});
