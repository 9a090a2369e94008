/**
 * THE README SAMPLE: one minute of a Nebra Helium hotspot (balenaOS, Docker containers) on a LAN,
 * seen from its Ethernet port. Traffic to the domains and ports its vendor documents
 * (/work/shared/seeds: *.nebra.com, *.balena-cloud.com, *.docker.com, *.docker.io; 53/123/443 out,
 * 80 in for diagnostics) plus what a reviewer should see flagged: TLS to a tracker, libp2p to an
 * IP literal on 44158, and a look-alike name (nebra.com.evil-cdn.net).
 *
 * Test tooling only: the vendor names are public documentation; everything else (tracker,
 * look-alike, every address, MAC and byte of payload) is invented or documentation space.
 */
import { LINKTYPE_ETHERNET } from '../../../src/capture/source';
import { serializePcapng } from '../capture-file';
import type { DnsExpectation, FlowExpectation } from '../expectation';
import {
  DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_CNAME, DnsMessageSpec, DnsRecordSpec, ETHERTYPE_ARP, TLS_GROUP_X25519, TLS_GROUP_X25519MLKEM768,
  arp, concat, ethernet, httpRequest, httpResponse, multistreamMessage, ntpClientRequest, ntpServerReply, pseudoRandomBytes, tlsClientHello,
} from '../packets';
import { CaptureBuilder, FlowScript, TcpScript, UdpScript, ms, udpDnsLookup } from '../scenario';
import { CaptureDefinition, DEVICE_ARGS, DEVICE_MAC, DEVICE_V4, DEVICE_V6, RESOLVER, ROUTER_MAC, RESOLVER_V4, T0, TlsExchange, device, lanHost, remote, summaryOf, tlsSession } from './common';

const FILE = 'sample-device.pcapng';

interface Lookup {
  atMs: number;
  port: number;
  id: number;
  name: string;
  type: number;
  answers: DnsRecordSpec[];
}

interface TlsFlowSpec {
  atMs: number;
  port: number;
  server: string;
  sni: string;
  alpn: string[];
  pq: boolean;
  /** Linux TCP timestamps on every segment (the balena supervisor's host stack) or not. */
  timestamps: boolean;
  exchanges: TlsExchange[];
  /** Name the DNS answer gives (the asked name at the head of any CNAME chain). */
  dnsName: string;
  why: string;
}

const A = (name: string, data: string, ttl = 60): DnsRecordSpec => ({ name, type: DNS_TYPE_A, ttl, data });

const LOOKUPS: Lookup[] = [
  { atMs: 5, port: 41001, id: 0x7001, name: '0.resinio.pool.ntp.org', type: DNS_TYPE_A, answers: [A('0.resinio.pool.ntp.org', '203.0.113.123', 150)] },
  { atMs: 60, port: 41002, id: 0x7002, name: 'api.nebra.com', type: DNS_TYPE_A, answers: [A('api.nebra.com', '198.51.100.20')] },
  { atMs: 60.2, port: 41003, id: 0x7003, name: 'api.nebra.com', type: DNS_TYPE_AAAA, answers: [{ name: 'api.nebra.com', type: DNS_TYPE_AAAA, ttl: 60, data: '2001:db8:100::20' }] },
  {
    atMs: 2000, port: 41004, id: 0x7004, name: 'api.balena-cloud.com', type: DNS_TYPE_A,
    answers: [{ name: 'api.balena-cloud.com', type: DNS_TYPE_CNAME, ttl: 300, data: 'api-lb.balena-cloud.com' }, A('api-lb.balena-cloud.com', '198.51.100.30')],
  },
  { atMs: 5000, port: 41005, id: 0x7005, name: 'registry-1.docker.io', type: DNS_TYPE_A, answers: [A('registry-1.docker.io', '198.51.100.40'), A('registry-1.docker.io', '198.51.100.41')] },
  { atMs: 6900, port: 41009, id: 0x7009, name: 'production.cloudflare.docker.com', type: DNS_TYPE_A, answers: [A('production.cloudflare.docker.com', '198.51.100.50', 300)] },
  { atMs: 5600, port: 41006, id: 0x7006, name: 'auth.docker.io', type: DNS_TYPE_A, answers: [A('auth.docker.io', '198.51.100.45')] },
  { atMs: 20000, port: 41007, id: 0x7007, name: 'telemetry.example-tracker.com', type: DNS_TYPE_A, answers: [A('telemetry.example-tracker.com', '203.0.113.66', 300)] },
  { atMs: 40000, port: 41008, id: 0x7008, name: 'nebra.com.evil-cdn.net', type: DNS_TYPE_A, answers: [A('nebra.com.evil-cdn.net', '203.0.113.99')] },
];

const TLS_FLOWS: TlsFlowSpec[] = [
  {
    atMs: 90, port: 50100, server: '2001:db8:100::20', sni: 'api.nebra.com', alpn: ['http/1.1'], pq: false, timestamps: true, dnsName: 'api.nebra.com',
    exchanges: [{ atMs: 400, request: 610, response: 290 }, { atMs: 5400, request: 180, response: 120 }], why: 'declared: *.nebra.com over IPv6',
  },
  {
    atMs: 2040, port: 50101, server: '198.51.100.30', sni: 'api.balena-cloud.com', alpn: ['h2'], pq: false, timestamps: true, dnsName: 'api.balena-cloud.com',
    exchanges: [300, 10000, 20000, 30000, 40000, 50000].map((at, i) => ({ atMs: at, request: i === 0 ? 900 : 260, response: i === 0 ? 1400 : 90 })),
    why: 'declared: *.balena-cloud.com (supervisor state reports every 10 s)',
  },
  {
    atMs: 5030, port: 50102, server: '198.51.100.40', sni: 'registry-1.docker.io', alpn: ['http/1.1'], pq: true, timestamps: true, dnsName: 'registry-1.docker.io',
    exchanges: [{ atMs: 200, request: 250, response: 520 }], why: 'declared: *.docker.io (Go 1.24 client: X25519MLKEM768)',
  },
  {
    atMs: 5630, port: 50103, server: '198.51.100.45', sni: 'auth.docker.io', alpn: ['http/1.1'], pq: true, timestamps: true, dnsName: 'auth.docker.io',
    exchanges: [{ atMs: 200, request: 350, response: 2800 }], why: 'declared: *.docker.io (token)',
  },
  {
    atMs: 6400, port: 50104, server: '198.51.100.40', sni: 'registry-1.docker.io', alpn: ['http/1.1'], pq: true, timestamps: true, dnsName: 'registry-1.docker.io',
    exchanges: [{ atMs: 200, request: 420, response: 6100 }], why: 'declared: *.docker.io (manifest; address from the cached answer)',
  },
  {
    atMs: 6930, port: 50108, server: '198.51.100.50', sni: 'production.cloudflare.docker.com', alpn: ['http/1.1'], pq: true, timestamps: true, dnsName: 'production.cloudflare.docker.com',
    exchanges: [{ atMs: 200, request: 640, response: 26000 }], why: 'declared: *.docker.com (image layer download from the CDN)',
  },
  {
    atMs: 20030, port: 50105, server: '203.0.113.66', sni: 'telemetry.example-tracker.com', alpn: ['h2'], pq: true, timestamps: true, dnsName: 'telemetry.example-tracker.com',
    exchanges: [{ atMs: 250, request: 2400, response: 120 }], why: 'UNDECLARED: a tracker the documentation does not list',
  },
  {
    atMs: 40030, port: 50106, server: '203.0.113.99', sni: 'nebra.com.evil-cdn.net', alpn: ['http/1.1'], pq: false, timestamps: true, dnsName: 'nebra.com.evil-cdn.net',
    exchanges: [{ atMs: 200, request: 300, response: 4200 }], why: 'UNDECLARED: look-alike; contains "nebra.com" but is under evil-cdn.net',
  },
  {
    atMs: 50000, port: 50107, server: '198.51.100.20', sni: 'api.nebra.com', alpn: ['http/1.1'], pq: false, timestamps: true, dnsName: 'api.nebra.com',
    exchanges: [{ atMs: 300, request: 180, response: 120 }], why: 'declared: *.nebra.com over IPv4, 50 s after the lookup (TTL 60)',
  },
];

/** The README sample capture. */
export const SAMPLE_DEVICE: CaptureDefinition = {
  file: FILE,
  title: 'README sample: one minute of a Nebra Helium hotspot, declared and undeclared traffic',
  holds: [
    'pcapng, one Ethernet interface `eth0` (if_tsresol 6), 60 seconds from 2024-06-01T12:00:00Z. The device is 192.0.2.10 / ' +
    '2001:db8::10 (MAC 00:00:5e:00:53:10); the router and resolver is 192.0.2.1; a laptop on the LAN is 192.0.2.50. Frames the ' +
    'device receives are padded to the 60-byte Ethernet minimum, as a NIC delivers them; device-sent frames are not. TCP segments ' +
    'carry Linux-style timestamps options. Every TCP connection has a full handshake, data both ways and a FIN teardown.',
    'What the vendor documents (seed: Nebra "Device Security Overview"): outbound 53 (DNS), 123 (NTP), 443 (updates) to *.nebra.com, ' +
    '*.balena-cloud.com, *.docker.com, *.docker.io; inbound 80 (diagnostics). In this capture:',
    '- ARP for the router; DNS (UDP, one source port per lookup) for every name below;',
    '- NTP to 0.resinio.pool.ntp.org (203.0.113.123) twice, 30 s apart, from different source ports (chrony-style);',
    '- TLS 1.3 to api.nebra.com over IPv6 and later over IPv4, to api.balena-cloud.com (reached through a CNAME to api-lb.balena-cloud.com; ' +
    'a long-lived connection with a report every 10 s), to registry-1.docker.io (twice, second time from the DNS cache), auth.docker.io ' +
    'and production.cloudflare.docker.com (a 26 KB layer download) (Go-style post-quantum ClientHellos, ~1.8 KB, two segments);',
    '- one inbound HTTP request from the laptop to the diagnostics page (`GET /` then `GET /json`, `Host: 192.0.2.10`);',
    '- UNDECLARED, for the reviewer: TLS to telemetry.example-tracker.com (203.0.113.66) posting 2.4 KB; libp2p (multistream-select, ' +
    '/noise, then stand-in ciphertext) over TCP to the IP literal 203.0.113.158:44158 with no DNS lookup (the Helium miner\'s p2p port, ' +
    'which the documentation does not list); TLS to the look-alike nebra.com.evil-cdn.net (203.0.113.99).',
  ],
  builder: 'SAMPLE_DEVICE in test/gen/captures/sample-device.ts',
  tshark: [
    { args: ['-o', 'tcp.desegment_tcp_streams:TRUE', '-Y', 'tls.handshake.type == 1', '-T', 'fields', '-e', 'tls.handshake.extensions_server_name'], output: 'api.nebra.com\napi.balena-cloud.com\nregistry-1.docker.io\nauth.docker.io\nregistry-1.docker.io\nproduction.cloudflare.docker.com\ntelemetry.example-tracker.com\nnebra.com.evil-cdn.net\napi.nebra.com\n' },
    { args: ['-Y', 'dns.flags.response == 0', '-T', 'fields', '-e', 'dns.qry.name', '-e', 'dns.qry.type'], output: '0.resinio.pool.ntp.org\t1\napi.nebra.com\t1\napi.nebra.com\t28\napi.balena-cloud.com\t1\nregistry-1.docker.io\t1\nauth.docker.io\t1\nproduction.cloudflare.docker.com\t1\ntelemetry.example-tracker.com\t1\nnebra.com.evil-cdn.net\t1\n' },
    { args: ['-q', '-z', 'conv,tcp'], output: '================================================================================\nTCP Conversations\nFilter:<No Filter>\n                                                           |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |\n                                                           | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n192.0.2.10:50108           <-> 198.51.100.50:443               22 30 kB          17 3623 bytes      39 33 kB         6.930000000         0.3152\n192.0.2.10:50101           <-> 198.51.100.30:443               10 5286 bytes      18 3796 bytes      28 9082 bytes     2.040000000        50.0895\n192.0.2.10:50104           <-> 198.51.100.40:443                9 9445 bytes      11 3007 bytes      20 12 kB         6.400000000         0.3079\n192.0.2.10:44170           <-> 203.0.113.158:44158              6 1810 bytes      13 1354 bytes      19 3164 bytes    25.000000000        33.0852\n2001:db8::10:50100         <-> 2001:db8:100::20:443             6 3682 bytes      10 2037 bytes      16 5719 bytes     0.090000000         5.4835\n192.0.2.10:50106           <-> 203.0.113.99:443                 7 7413 bytes       9 1285 bytes      16 8698 bytes    40.030000000         0.3257\n192.0.2.10:50103           <-> 198.51.100.45:443                6 5947 bytes       9 2805 bytes      15 8752 bytes     5.630000000         0.3016\n192.0.2.10:50105           <-> 203.0.113.66:443                 5 3201 bytes      10 4921 bytes      15 8122 bytes    20.030000000         0.3696\n192.0.2.10:50102           <-> 198.51.100.40:443                5 3601 bytes       9 2705 bytes      14 6306 bytes     5.030000000         0.2955\n192.0.2.10:50107           <-> 198.51.100.20:443                5 3201 bytes       8 1090 bytes      13 4291 bytes    50.000000000         0.4315\n192.0.2.50:51500           <-> 192.0.2.10:80                    4 1608 bytes       8 707 bytes      12 2315 bytes    10.000000000         2.8291\n================================================================================\n' },
  ],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet', padReceived: true }], [DEVICE_V4, DEVICE_V6]);
    const flows: FlowExpectation[] = [];
    const dns: DnsExpectation[] = [];
    const expectFlow = (f: FlowScript, facts: Parameters<FlowScript['expect']>[0]): void => {
      flows.push(f.expect(facts));
    };

    // ARP for the router (the reply is padded to 60 bytes by the receiving NIC).
    b.emitFrame(T0, 0, ethernet({ src: DEVICE_MAC, dst: 'ff:ff:ff:ff:ff:ff', etherType: ETHERTYPE_ARP }, arp(1, DEVICE_MAC, DEVICE_V4, '00:00:00:00:00:00', RESOLVER_V4)));
    b.emitFrame(T0 + ms(0.4), 0, ethernet({ src: ROUTER_MAC, dst: DEVICE_MAC, etherType: ETHERTYPE_ARP, padToMinimum: true }, arp(2, ROUTER_MAC, RESOLVER_V4, DEVICE_MAC, DEVICE_V4)));

    for (const l of LOOKUPS) {
      const query: DnsMessageSpec = { id: l.id, response: false, questions: [{ name: l.name, type: l.type }] };
      const r = udpDnsLookup(b, 0, device(l.port), RESOLVER, T0 + ms(l.atMs), query, { ...query, response: true, answers: l.answers }, 11);
      expectFlow(r.flow, { why: `lookup of ${l.name}`, app: 'dns', dns_names: [l.name] });
      dns.push(...r.dns);
    }

    // NTP, twice, from fresh source ports.
    [[25, 42001], [30025, 42002]].forEach(([atMs, port]) => {
      const ntp = new UdpScript(b, 0, device(port), remote('203.0.113.123', 123));
      const sent = T0 + ms(atMs);
      ntp.send('c2s', sent, ntpClientRequest(sent));
      ntp.send('s2c', sent + ms(24), ntpServerReply(sent, sent + ms(12), sent + ms(12.02)));
      expectFlow(ntp, { why: 'declared: NTP (port 123) to the pool name', app: 'ntp', name: '0.resinio.pool.ntp.org', name_source: 'dns-answer' });
    });

    TLS_FLOWS.forEach((s, i) => {
      const v6 = s.server.includes(':');
      const tcp = new TcpScript(b, 0, device(s.port, v6 ? DEVICE_V6 : DEVICE_V4), remote(s.server, 443),
        { clientIsn: 0x10000000 * (i + 1) + 0x1234, serverIsn: 0x0f000000 * (i + 1) + 0x4321, rttMs: 24 + i * 3, timestamps: s.timestamps });
      const hello = tlsClientHello({
        seed: `${FILE}/${s.port}`, serverName: s.sni, alpn: s.alpn,
        keyShareGroups: s.pq ? [TLS_GROUP_X25519MLKEM768, TLS_GROUP_X25519] : [TLS_GROUP_X25519], recordLength: s.pq ? 1784 : undefined,
      }).record;
      tlsSession(tcp, T0 + ms(s.atMs), hello, `${FILE}/${s.port}`, s.exchanges);
      expectFlow(tcp, {
        why: s.why, app: 'tls', sni: s.sni, alpn: s.alpn, name: s.sni, name_source: 'sni',
        names_include: [{ name: s.sni, source: 'sni' }, { name: s.dnsName, source: 'dns-answer' }], syn_seen: true,
        ...(s.pq ? { key_share_groups_include: [TLS_GROUP_X25519MLKEM768] } : {}),
      });
    });

    // Inbound diagnostics page from the laptop (declared: port 80 in).
    const laptop = lanHost('192.0.2.50', '00:00:5e:00:53:50', 51500);
    const diag = new TcpScript(b, 0, laptop, { ip: DEVICE_V4, mac: DEVICE_MAC, port: 80 }, { clientIsn: 0x5000aaaa, serverIsn: 0x6000bbbb, rttMs: 1.2, timestamps: true });
    let t = diag.handshake(T0 + ms(10000));
    const page = '<!doctype html><title>Nebra Diagnostics</title><h1>Hotspot</h1>' + '<p>ok</p>'.repeat(120);
    t = diag.exchange(t + ms(0.3), httpRequest('GET', '/', [['Host', DEVICE_V4], ['User-Agent', 'Mozilla/5.0'], ['Accept', 'text/html']]),
      httpResponse(200, 'OK', [['Content-Type', 'text/html']], page), 15);
    t = diag.exchange(t + ms(800), httpRequest('GET', '/json', [['Host', DEVICE_V4], ['User-Agent', 'Mozilla/5.0'], ['Accept', 'application/json']]),
      httpResponse(200, 'OK', [['Content-Type', 'application/json']], '{"BT":"ok","LOR":"ok","ECC":"ok","miner_height":1234567}'), 8);
    diag.close(t + ms(2000));
    expectFlow(diag, { why: 'declared: inbound diagnostics on port 80', app: 'http', http_host: DEVICE_V4, sni: null, syn_seen: true });

    // libp2p to an IP literal on 44158, never looked up: undeclared and unnamed.
    const p2p = new TcpScript(b, 0, device(44170), remote('203.0.113.158', 44158), { clientIsn: 0x70707070, serverIsn: 0x07070707, rttMs: 85, timestamps: true });
    t = p2p.handshake(T0 + ms(25000));
    const hello = concat([multistreamMessage('/multistream/1.0.0'), multistreamMessage('/noise')]);
    t = p2p.exchange(t + ms(0.3), hello, hello, 1);
    t = p2p.exchange(t + ms(1), concat([Uint8Array.of(0, 32), pseudoRandomBytes('p2p/e', 32)]), concat([Uint8Array.of(0, 96), pseudoRandomBytes('p2p/e-ee-s-es', 96)]), 2);
    t = p2p.send('c2s', t + ms(1), concat([Uint8Array.of(0, 64), pseudoRandomBytes('p2p/s-se', 64)]));
    for (const at of [36000, 47000]) t = p2p.exchange(T0 + ms(at), pseudoRandomBytes(`p2p/req${at}`, 180), pseudoRandomBytes(`p2p/resp${at}`, 640), 4);
    p2p.close(T0 + ms(58000));
    expectFlow(p2p, { why: 'UNDECLARED: libp2p (Helium p2p) to an IP literal on 44158, no DNS, no SNI', sni: null, http_host: null, name: null, unnamed_reason: 'ip-literal', syn_seen: true });

    const records = b.records();
    return {
      bytes: serializePcapng(records, [{ linkType: LINKTYPE_ETHERNET, tsresol: 6, name: 'eth0' }]),
      records: records.length,
      expect: {
        file: FILE, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcapng', link_types: ['EN10MB'] }, flows.length, dns.length),
        flows,
        dns,
      },
    };
  },
};
