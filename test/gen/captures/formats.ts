/**
 * Captures that exercise file formats and link layers: QinQ (802.1ad + 802.1Q) Ethernet, Linux
 * cooked v2 (SLL2), pcapng with two interfaces of different link types and timestamp
 * resolutions, nanosecond classic pcap, and a file cut in the middle of its last record.
 *
 * Test tooling only: the application content is deliberately plain (one DNS lookup, one TLS or
 * HTTP flow) so that a failure points at the container or link layer, not at a parser.
 */
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_PKTAP, LINKTYPE_RAW } from '../../../src/capture/source';
import { concat } from '../bytes';
import { CaptureRecord, serializePcap, serializePcapng } from '../capture-file';
import {
  DNS_TYPE_A, DNS_TYPE_AAAA, DnsMessageSpec, ETHERTYPE_QINQ, ethernet, ETHERTYPE_VLAN, TLS_GROUP_X25519, TLS_GROUP_X25519MLKEM768,
  httpRequest, httpResponse, ntpClientRequest, ntpServerReply, tlsApplicationData, tlsClientHello,
} from '../packets';
import { CaptureBuilder, LinkSpec, TcpScript, UdpScript, WrappedLink, ms, udpDnsLookup } from '../scenario';
import { CaptureDefinition, DEVICE_ARGS, DEVICE_V4, DEVICE_V6, RESOLVER, T0, device, remote, summaryOf, tlsSession } from './common';

const DEVICES = [DEVICE_V4, DEVICE_V6];
const TSHARK_SNI = ['-o', 'tcp.desegment_tcp_streams:TRUE', '-Y', 'tls.handshake.type == 1', '-T', 'fields', '-e', 'frame.number', '-e', 'tls.handshake.extensions_server_name'];

/** 802.1ad outer tag + 802.1Q inner tag around an HTTP GET. */
export const ETHERNET_QINQ_HTTP: CaptureDefinition = {
  file: 'ethernet-qinq-http.pcap',
  title: 'Double-tagged Ethernet (802.1ad S-tag 100 + 802.1Q C-tag 10) carrying an HTTP GET with Host',
  holds: [
    'Every frame carries two VLAN tags: outer TPID 0x88a8 VID 100 (service tag), inner TPID 0x8100 VID 10 (customer tag), then IPv4. ' +
    'One TCP connection 192.0.2.10:49152 → 203.0.113.80:80: handshake, `GET /firmware/latest.json HTTP/1.1` with `Host: www.example.com`, ' +
    'a 200 response with a small JSON body, FIN teardown.',
  ],
  builder: 'ETHERNET_QINQ_HTTP in test/gen/captures/formats.ts',
  tshark: [{ args: ['-Y', 'http.request', '-T', 'fields', '-e', 'vlan.etype', '-e', 'vlan.id', '-e', 'http.host', '-e', 'http.request.uri'], output: '0x0800\t10\twww.example.com\t/firmware/latest.json\n' }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet', vlans: [{ tpid: ETHERTYPE_QINQ, vid: 100 }, { tpid: ETHERTYPE_VLAN, vid: 10 }] }], DEVICES);
    const tcp = new TcpScript(b, 0, device(49152), remote('203.0.113.80', 80), { clientIsn: 0x11111111, serverIsn: 0x22222222, rttMs: 25 });
    const t = tcp.handshake(T0 + ms(1));
    const body = '{"version":"2024.06.1","url":"/firmware/2024.06.1.bin"}';
    const done = tcp.exchange(t + ms(0.4),
      httpRequest('GET', '/firmware/latest.json', [['Host', 'www.example.com'], ['User-Agent', 'hotspot-updater/1.2'], ['Accept', '*/*']]),
      httpResponse(200, 'OK', [['Content-Type', 'application/json']], body));
    tcp.close(done + ms(10));
    const records = b.records();
    return {
      bytes: serializePcap(records, { linkType: LINKTYPE_ETHERNET }),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcap', link_types: ['EN10MB'] }, 1, 0),
        flows: [tcp.expect({ why: 'Host header under two VLAN tags', app: 'http', http_host: 'www.example.com', sni: null, name: 'www.example.com', name_source: 'http-host', syn_seen: true })],
        dns: [],
      },
    };
  },
};

/** Linux cooked capture v2 ("tcpdump -i any") with DNS and HTTPS. */
export const LINUX_SLL2_DNS_HTTPS: CaptureDefinition = {
  file: 'linux-sll2-dns-https.pcap',
  title: 'LINKTYPE_LINUX_SLL2 (276), as `tcpdump -i any` writes: DNS A and AAAA lookups, then HTTPS to the answer',
  holds: [
    'Classic pcap, link type 276. Each packet has the 20-byte SLL2 header: protocol 0x0800, interface index 2, ARPHRD_ETHER, ' +
    'packet type OUTGOING (4) for the device\'s packets and HOST (0) for replies, the sender\'s MAC.',
    '192.0.2.10 asks 192.0.2.1 for `api.nebra.com A` (→ 198.51.100.20) and `api.nebra.com AAAA` (→ 2001:db8:100::20) from two ' +
    'source ports, then opens TLS to 198.51.100.20:443 with SNI api.nebra.com (X25519 only, ALPN http/1.1), one request/response, FIN.',
  ],
  builder: 'LINUX_SLL2_DNS_HTTPS in test/gen/captures/formats.ts',
  tshark: [{ args: ['-Y', 'dns.flags.response == 1 || tls.handshake.type == 1', '-T', 'fields', '-e', 'sll.pkttype', '-e', 'dns.qry.name', '-e', 'dns.a', '-e', 'dns.aaaa', '-e', 'tls.handshake.extensions_server_name'], output: '0\tapi.nebra.com\t198.51.100.20\t\t\n0\tapi.nebra.com\t\t2001:db8:100::20\t\n4\t\t\t\tapi.nebra.com\n' }],
  build() {
    const b = new CaptureBuilder([{ kind: 'sll2', ifindex: 2 }], DEVICES);
    const qa: DnsMessageSpec = { id: 0x3a01, response: false, questions: [{ name: 'api.nebra.com', type: DNS_TYPE_A }] };
    const qaaaa: DnsMessageSpec = { id: 0x3a02, response: false, questions: [{ name: 'api.nebra.com', type: DNS_TYPE_AAAA }] };
    const a = udpDnsLookup(b, 0, device(38001), RESOLVER, T0 + ms(1), qa,
      { ...qa, response: true, answers: [{ name: 'api.nebra.com', type: DNS_TYPE_A, ttl: 60, data: '198.51.100.20' }] });
    const aaaa = udpDnsLookup(b, 0, device(38002), RESOLVER, T0 + ms(1.1), qaaaa,
      { ...qaaaa, response: true, answers: [{ name: 'api.nebra.com', type: DNS_TYPE_AAAA, ttl: 60, data: '2001:db8:100::20' }] });
    const tcp = new TcpScript(b, 0, device(53044), remote('198.51.100.20', 443), { clientIsn: 0x600d600d, serverIsn: 0x0badf00d, rttMs: 30, timestamps: true });
    const hello = tlsClientHello({ seed: this.file, serverName: 'api.nebra.com', alpn: ['http/1.1'], keyShareGroups: [TLS_GROUP_X25519] }).record;
    tlsSession(tcp, T0 + ms(20), hello, this.file, [{ atMs: 120, request: 300, response: 900 }]);
    const records = b.records();
    return {
      bytes: serializePcap(records, { linkType: LINKTYPE_LINUX_SLL2 }),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcap', link_types: ['LINUX_SLL2'] }, 3, 2),
        flows: [
          a.flow.expect({ why: 'A lookup', app: 'dns', dns_names: ['api.nebra.com'] }),
          aaaa.flow.expect({ why: 'AAAA lookup', app: 'dns', dns_names: ['api.nebra.com'] }),
          tcp.expect({
            why: 'SNI under an SLL2 header', app: 'tls', sni: 'api.nebra.com', alpn: ['http/1.1'], name: 'api.nebra.com', name_source: 'sni',
            names_include: [{ name: 'api.nebra.com', source: 'sni' }, { name: 'api.nebra.com', source: 'dns-answer' }], syn_seen: true,
          }),
        ],
        dns: [...a.dns, ...aaaa.dns],
      },
    };
  },
};

/** pcapng: Ethernet interface in µs and a raw-IP (tun) interface in ns, packets interleaved. */
export const PCAPNG_TWO_INTERFACES: CaptureDefinition = {
  file: 'pcapng-two-interfaces-ethernet-and-raw.pcapng',
  title: 'pcapng with two interfaces: IDB 0 Ethernet (if_tsresol 6), IDB 1 LINKTYPE_RAW (if_tsresol 9), packets on both',
  holds: [
    'IDB 0 `eth0`: LINKTYPE_ETHERNET, if_tsresol = 6 (µs). IDB 1 `tun0`: LINKTYPE_RAW (101), if_tsresol = 9 (ns); raw packets are ' +
    'IPv6 and IPv4 (the version nibble decides). EPBs of both interfaces are interleaved in time order.',
    'On eth0: `status.example.com A` (→ 198.51.100.61) and an HTTP GET to 198.51.100.61:80 with that Host. ' +
    'On tun0: TLS over IPv6 from [2001:db8::10]:55000 to [2001:db8:2::443]:443 with SNI tunnel.example.net, and one NTP exchange over IPv4 ' +
    'to 203.0.113.123:123. tun0 timestamps carry sub-microsecond digits (…123456789 ns) so a reader that ignores if_tsresol is off by 1000×.',
  ],
  builder: 'PCAPNG_TWO_INTERFACES in test/gen/captures/formats.ts',
  tshark: [{ args: ['-T', 'fields', '-e', 'frame.interface_id', '-e', 'frame.time_epoch', '-e', 'http.host', '-e', 'tls.handshake.extensions_server_name', '-e', 'ntp.flags.mode', '-Y', 'http.request || tls.handshake.type == 1 || ntp'], output: '0\t1717243200.056500000\tstatus.example.com\t\t\n1\t1717243200.165056789\t\ttunnel.example.net\t\n1\t1717243200.623956789\t\t\t3\n1\t1717243200.662206789\t\t\t4\n' }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }, { kind: 'raw' }], DEVICES);
    const q: DnsMessageSpec = { id: 0x4c01, response: false, questions: [{ name: 'status.example.com', type: DNS_TYPE_A }] };
    const lookup = udpDnsLookup(b, 0, device(39001), RESOLVER, T0 + ms(10), q,
      { ...q, response: true, answers: [{ name: 'status.example.com', type: DNS_TYPE_A, ttl: 120, data: '198.51.100.61' }] });
    const http = new TcpScript(b, 0, device(49200), remote('198.51.100.61', 80), { clientIsn: 0x31415926, serverIsn: 0x27182818, rttMs: 16 });
    let t = http.handshake(T0 + ms(40));
    t = http.exchange(t + ms(0.3), httpRequest('GET', '/v1/status', [['Host', 'status.example.com'], ['Accept', 'application/json']]),
      httpResponse(200, 'OK', [['Content-Type', 'application/json']], '{"ok":true}'));
    http.close(t + ms(20));
    // tun0: ns timestamps with sub-µs digits.
    const tunT0 = T0 + 123_456_789n;
    const tls = new TcpScript(b, 1, device(55000, DEVICE_V6), remote('2001:db8:2::443', 443), { clientIsn: 0x0f0f0f0f, serverIsn: 0xf0f0f0f0, rttMs: 41, mss: 1380 });
    const hello = tlsClientHello({ seed: this.file, serverName: 'tunnel.example.net', alpn: ['h2'], keyShareGroups: [TLS_GROUP_X25519MLKEM768, TLS_GROUP_X25519] }).record;
    tlsSession(tls, tunT0, hello, this.file, [{ atMs: 250, request: 200, response: 700 }]);
    const ntp = new UdpScript(b, 1, device(47123), remote('203.0.113.123', 123));
    const sent = tunT0 + ms(500.5);
    ntp.send('c2s', sent, ntpClientRequest(sent));
    ntp.send('s2c', sent + ms(38.25), ntpServerReply(sent, sent + ms(19), sent + ms(19.01)));
    const records = b.records();
    const dns = lookup.dns;
    return {
      bytes: serializePcapng(records, [{ linkType: LINKTYPE_ETHERNET, tsresol: 6, name: 'eth0' }, { linkType: LINKTYPE_RAW, tsresol: 9, name: 'tun0' }]),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcapng', link_types: ['EN10MB', 'RAW'] }, 4, 1),
        flows: [
          lookup.flow.expect({ why: 'eth0 lookup', app: 'dns', dns_names: ['status.example.com'] }),
          http.expect({ why: 'eth0 HTTP', app: 'http', http_host: 'status.example.com', name: 'status.example.com', name_source: 'http-host', syn_seen: true }),
          tls.expect({ why: 'tun0 raw IPv6 TLS, ns timestamps', app: 'tls', sni: 'tunnel.example.net', name: 'tunnel.example.net', name_source: 'sni', alpn: ['h2'], syn_seen: true }),
          ntp.expect({ why: 'tun0 raw IPv4 NTP, no DNS for it', app: 'ntp', name: null, unnamed_reason: 'ip-literal' }),
        ],
        dns,
      },
    };
  },
};

/**
 * Apple's PKTAP header (version 1's 108 bytes, every field little-endian): its length, record
 * type 1 (a packet follows), the packet's DLT, the interface name, flags, protocol family,
 * link-header and trailer lengths, the process id and name, service class, interface type and
 * unit, the effective process id and name (`ecomm` empty: no effective process, pid 0).
 */
function pktapHeader(dlt: number, ifname: string, family: number, llHeader: number, pid: number, comm: string, ecomm = ''): Uint8Array {
  const h = new Uint8Array(108);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, 108, true);
  dv.setUint32(4, 1, true);
  dv.setUint32(8, dlt, true);
  h.set(Buffer.from(ifname, 'latin1'), 12);
  dv.setUint32(40, family, true);
  dv.setUint32(44, llHeader, true);
  dv.setUint32(52, pid, true);
  h.set(Buffer.from(comm, 'latin1'), 56);
  dv.setUint16(80, dlt === 1 ? 6 : 1, true); // IFT_ETHER, or IFT_OTHER for a utun
  if (ecomm !== '') {
    dv.setUint32(84, pid + 1000, true);
    h.set(Buffer.from(ecomm, 'latin1'), 88);
  }
  return h;
}

/**
 * The traffic of both macOS captures: on interface 0 (en0) a lookup of radar.exactlylabs.com and
 * TLS to the answer, on interface 1 (utun3) TLS over IPv6 to vpn-only.example.net. `ports` and
 * `isn` keep the two captures' flows apart; `file` seeds the hellos.
 */
function macTraffic(b: CaptureBuilder, file: string, ports: { dns: number; en0: number }, dnsId: number, isn: number) {
  const q: DnsMessageSpec = { id: dnsId, response: false, questions: [{ name: 'radar.exactlylabs.com', type: DNS_TYPE_A }] };
  const lookup = udpDnsLookup(b, 0, device(ports.dns), RESOLVER, T0 + ms(1), q,
    { ...q, response: true, answers: [{ name: 'radar.exactlylabs.com', type: DNS_TYPE_A, ttl: 60, data: '203.0.113.44' }] });
  const en0 = new TcpScript(b, 0, device(ports.en0), remote('203.0.113.44', 443), { clientIsn: isn + 1, serverIsn: isn + 2, rttMs: 22 });
  tlsSession(en0, T0 + ms(30), tlsClientHello({ seed: file, serverName: 'radar.exactlylabs.com', alpn: ['h2'], keyShareGroups: [TLS_GROUP_X25519MLKEM768, TLS_GROUP_X25519] }).record,
    file, [{ atMs: 80, request: 250, response: 800 }]);
  const utun = new TcpScript(b, 1, device(55010, DEVICE_V6), remote('2001:db8:3::443', 443), { clientIsn: isn + 3, serverIsn: isn + 4, rttMs: 35, mss: 1360 });
  tlsSession(utun, T0 + ms(200), tlsClientHello({ seed: `${file}/utun`, serverName: 'vpn-only.example.net', alpn: ['http/1.1'], keyShareGroups: [TLS_GROUP_X25519] }).record,
    file, [{ atMs: 90, request: 300, response: 600 }]);
  /** The flow expectations, `why` per flow; every flow's process is RadarMonitor except the utun's, curl's. */
  const flows = (why: { dns: string; en0: string; utun: string }) => [
    lookup.flow.expect({ why: why.dns, app: 'dns', dns_names: ['radar.exactlylabs.com'], process: 'RadarMonitor' }),
    en0.expect({
      why: why.en0, app: 'tls', sni: 'radar.exactlylabs.com', alpn: ['h2'], name: 'radar.exactlylabs.com', name_source: 'sni',
      names_include: [{ name: 'radar.exactlylabs.com', source: 'sni' }, { name: 'radar.exactlylabs.com', source: 'dns-answer' }], syn_seen: true,
      process: 'RadarMonitor',
    }),
    utun.expect({ why: why.utun, app: 'tls', sni: 'vpn-only.example.net', alpn: ['http/1.1'], name: 'vpn-only.example.net', name_source: 'sni', syn_seen: true, process: 'curl' }),
  ];
  return { lookup, flows, dns: lookup.dns.map((d) => ({ ...d, process: 'RadarMonitor' })) };
}

/** LINKTYPE_PKTAP: what macOS's `tcpdump -i pktap` writes, Ethernet and a utun's raw IP in one file. */
export const APPLE_PKTAP: CaptureDefinition = {
  file: 'apple-pktap.pcap',
  title: 'LINKTYPE_PKTAP (258), as macOS writes it for `tcpdump -i pktap`: Ethernet frames of en0 and raw IPv6 of a utun behind Apple\'s PKTAP header',
  holds: [
    'Classic pcap, link type 258. Every record starts with a 108-byte PKTAP header (little-endian) naming the interface, the process ' +
    'and the link type of the packet after it: DLT_EN10MB (1) for en0, DLT_RAW as BSD numbers it (12) for utun3. On en0 the process is ' +
    '`nsurlsessiond` (pid 321) working for the app `RadarMonitor` (the effective process, pid 1321), which the flows and the DNS record report as `process`; ' +
    'on utun3 it is `curl` (pid 654) with no effective process.',
    'On en0: `radar.exactlylabs.com A` (→ 203.0.113.44) and TLS to 203.0.113.44:443 with that SNI. On utun3: TLS over IPv6 from ' +
    '[2001:db8::10]:55010 to [2001:db8:3::443]:443 with SNI vpn-only.example.net.',
  ],
  builder: 'APPLE_PKTAP in test/gen/captures/formats.ts',
  tshark: [{ args: ['-Y', '(dns && dns.flags.response == 0) || tls.handshake.type == 1', '-T', 'fields', '-e', 'pktap.dlt', '-e', 'pktap.ifname', '-e', 'pktap.cmdname', '-e', 'pktap.ecmdname', '-e', 'dns.qry.name', '-e', 'tls.handshake.extensions_server_name'], output: '1\ten0\tnsurlsessiond\tRadarMonitor\tradar.exactlylabs.com\t\n1\ten0\tnsurlsessiond\tRadarMonitor\t\tradar.exactlylabs.com\n12\tutun3\tcurl\t\t\tvpn-only.example.net\n' }],
  build() {
    const links: WrappedLink[] = [
      { kind: 'wrapped', wrap: (p, src, dst) => concat([pktapHeader(1, 'en0', 2, 14, 321, 'nsurlsessiond', 'RadarMonitor'), ethernet({ src: src.mac, dst: dst.mac, etherType: p[0] >> 4 === 6 ? 0x86dd : 0x0800 }, p)]) },
      { kind: 'wrapped', wrap: (p) => concat([pktapHeader(12, 'utun3', 30, 0, 654, 'curl'), p]) },
    ];
    const b = new CaptureBuilder(links, DEVICES);
    const mac = macTraffic(b, this.file, { dns: 39101, en0: 50110 }, 0x7a01, 0x7a7a0000);
    const records = b.records();
    return {
      bytes: serializePcap(records, { linkType: LINKTYPE_PKTAP }),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcap', link_types: ['PKTAP'] }, 3, 1),
        flows: mac.flows({
          dns: 'DNS over Ethernet behind PKTAP',
          en0: 'SNI over Ethernet behind PKTAP',
          utun: 'SNI over a utun\'s raw IPv6 (DLT 12) behind PKTAP; no effective process, so the process itself',
        }),
        dns: mac.dns,
      },
    };
  },
};

/**
 * The same traffic as APPLE_PKTAP in the pcapng macOS's tcpdump writes when asked for process
 * metadata: the packets without a PKTAP header, on two interfaces, each naming its process by
 * Apple's process information blocks. The lookup goes through mDNSResponder for RadarMonitor.
 */
export const APPLE_PCAPNG_PROCESSES: CaptureDefinition = {
  file: 'apple-pcapng-processes.pcapng',
  title: 'pcapng with Apple\'s process information blocks, as macOS\'s tcpdump writes them: each packet names its process and the app it works for',
  holds: [
    'pcapng, little-endian, two interfaces: en0 (Ethernet) and utun3 (raw IP), µs timestamps. After the interfaces, four Process ' +
    'Information Blocks (type 0x80000001, numbered 0-3 in order: `mDNSResponder` pid 88, `nsurlsessiond` pid 321, `RadarMonitor` pid 1321, ' +
    '`curl` pid 654). Each Enhanced Packet Block names its process by number in option 0x8001 and, where the kernel recorded one, the ' +
    'effective process (the app a daemon works for) in 0x8003, as Apple\'s libpcap writes them.',
    'On en0: `radar.exactlylabs.com A` (→ 203.0.113.44) sent by mDNSResponder for RadarMonitor, and TLS to 203.0.113.44:443 with that SNI ' +
    'sent by nsurlsessiond for RadarMonitor; the flows and the DNS record report `process: RadarMonitor`. On utun3: TLS over IPv6 from ' +
    '[2001:db8::10]:55010 to [2001:db8:3::443]:443 with SNI vpn-only.example.net, by curl with no effective process: `process: curl`.',
    'tshark 4.0 skips the process blocks and options it does not know and reads the same packets.',
  ],
  builder: 'APPLE_PCAPNG_PROCESSES in test/gen/captures/formats.ts',
  tshark: [{ args: ['-Y', '(dns && dns.flags.response == 0) || tls.handshake.type == 1', '-T', 'fields', '-e', 'frame.interface_name', '-e', 'dns.qry.name', '-e', 'tls.handshake.extensions_server_name'], output: 'en0\tradar.exactlylabs.com\t\nen0\t\tradar.exactlylabs.com\nutun3\t\tvpn-only.example.net\n' }],
  build() {
    const links: LinkSpec[] = [{ kind: 'ethernet' }, { kind: 'raw' }];
    const b = new CaptureBuilder(links, DEVICES);
    const mac = macTraffic(b, this.file, { dns: 39201, en0: 50210 }, 0x7b01, 0x7b7b0000);
    const records = b.records();
    // Process blocks: 0 mDNSResponder, 1 nsurlsessiond, 2 RadarMonitor, 3 curl. The DNS lookup is the first two en0 records (query, answer).
    const dnsRecords = new Set(records.filter((r) => r.interfaceId === 0).slice(0, 2));
    const apple = {
      processes: [{ pid: 88, name: 'mDNSResponder' }, { pid: 321, name: 'nsurlsessiond' }, { pid: 1321, name: 'RadarMonitor' }, { pid: 654, name: 'curl' }],
      of: (r: CaptureRecord) => (r.interfaceId === 1 ? { own: 3 } : { own: dnsRecords.has(r) ? 0 : 1, effective: 2 }),
    };
    return {
      bytes: serializePcapng(records, [{ linkType: LINKTYPE_ETHERNET, tsresol: 6, name: 'en0' }, { linkType: LINKTYPE_RAW, tsresol: 6, name: 'utun3' }], false, apple),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcapng', link_types: ['EN10MB', 'RAW'] }, 3, 1),
        flows: mac.flows({
          dns: 'DNS sent by mDNSResponder for RadarMonitor (the effective process)',
          en0: 'SNI over en0, sent by nsurlsessiond for RadarMonitor',
          utun: 'SNI over a utun\'s raw IPv6; no effective process, so the process itself',
        }),
        dns: mac.dns,
      },
    };
  },
};

/** Classic pcap with the nanosecond magic. */
export const NANOSECOND_TLS: CaptureDefinition = {
  file: 'nanosecond-tls.pcap',
  title: 'Classic pcap with the nanosecond magic 0xa1b23c4d: one TLS connection',
  holds: [
    'File header magic 0xa1b23c4d (little-endian on disk: 4d 3c b2 a1), so each record\'s second timestamp field is nanoseconds. ' +
    'Timestamps start at 2024-06-01T12:00:00.987654321Z and keep sub-microsecond digits: a reader that assumes microseconds ' +
    'puts packets ~16 minutes later and out of order with the flow table\'s idle timer.',
    'One TLS connection 192.0.2.10:50443 → 203.0.113.7:443, SNI `nanosecond.example.com`, post-quantum key share, two exchanges, FIN.',
  ],
  builder: 'NANOSECOND_TLS in test/gen/captures/formats.ts',
  tshark: [{ args: ['-c', '1', '-T', 'fields', '-e', 'frame.time_epoch'], output: '1717243200.987654321\n' }, { args: TSHARK_SNI, output: '5\tnanosecond.example.com\n' }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], DEVICES);
    const tcp = new TcpScript(b, 0, device(50443), remote('203.0.113.7', 443), { clientIsn: 0x00c0ffee, serverIsn: 0x00beef00, rttMs: 12.345678 });
    const hello = tlsClientHello({ seed: this.file, serverName: 'nanosecond.example.com', alpn: ['h2'] }).record;
    tlsSession(tcp, T0 + 987_654_321n, hello, this.file, [{ atMs: 100, request: 150, response: 1500 }, { atMs: 400, request: 150, response: 200 }]);
    const records = b.records();
    return {
      bytes: serializePcap(records, { linkType: LINKTYPE_ETHERNET, nanosecond: true }),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcap', link_types: ['EN10MB'] }, 1, 0),
        flows: [tcp.expect({ why: 'ns timestamps; first_ts must be 1717243200.987654', app: 'tls', sni: 'nanosecond.example.com', name: 'nanosecond.example.com', name_source: 'sni', syn_seen: true })],
        dns: [],
      },
    };
  },
};

/** A file whose last record is cut in the middle of its packet data. */
export const TRUNCATED_LAST_RECORD: CaptureDefinition = {
  file: 'truncated-last-record.pcap',
  title: 'Classic pcap cut in the middle of its last record',
  holds: [
    'A DNS lookup of `update.example.com` (→ 203.0.113.30) and a TLS connection to it (SNI update.example.com). The last record is a ' +
    '1078-byte frame holding a server application-data record; the file ends after its 16-byte record header and half of its packet bytes ' +
    '(as when tcpdump is killed mid-write or a copy is cut short).',
    'Expected: every whole record is read, the cut one is not counted, a truncation problem naming the file and the byte offset of the ' +
    'cut record is reported (`EA_CAPTURE_TRUNCATED`), and the run exits 2 with the partial results (the flow keeps its SNI).',
  ],
  builder: 'TRUNCATED_LAST_RECORD in test/gen/captures/formats.ts',
  tshark: [{ args: ['-T', 'fields', '-e', 'frame.number', '-e', 'frame.len', '-Y', 'frame.number >= 12'], output: '12\t54\n13\t159\n', stderr: 'appears to have been cut short in the middle of a packet' }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], DEVICES);
    const q: DnsMessageSpec = { id: 0x5d01, response: false, questions: [{ name: 'update.example.com', type: DNS_TYPE_A }] };
    const lookup = udpDnsLookup(b, 0, device(41000), RESOLVER, T0 + ms(1), q,
      { ...q, response: true, answers: [{ name: 'update.example.com', type: DNS_TYPE_A, ttl: 300, data: '203.0.113.30' }] });
    const tcp = new TcpScript(b, 0, device(50999), remote('203.0.113.30', 443), { clientIsn: 0x5eed5eed, serverIsn: 0x0ddba11, rttMs: 15 });
    const hello = tlsClientHello({ seed: this.file, serverName: 'update.example.com', alpn: ['http/1.1'], keyShareGroups: [TLS_GROUP_X25519] }).record;
    const t = tlsSession(tcp, T0 + ms(20), hello, this.file, [{ atMs: 80, request: 120, response: 400 }], false);
    tcp.send('c2s', t + ms(50), tlsApplicationData(`${this.file}/req-last`, 100));
    const lastAckNs = tcp.lastNs ?? 0n;
    tcp.send('s2c', t + ms(50) + tcp.rtt, tlsApplicationData(`${this.file}/resp-last`, 1019));
    const records = b.records();
    const last = records[records.length - 1];
    tcp.untally(false, last.data.length, lastAckNs);
    const whole = serializePcap(records, { linkType: LINKTYPE_ETHERNET });
    const cut = whole.length - Math.ceil(last.data.length / 2);
    const wholeRecords = records.slice(0, -1);
    const summary = summaryOf(wholeRecords, { format: 'pcap', link_types: ['EN10MB'] }, 2, 1, ['EA_CAPTURE_TRUNCATED']);
    summary.truncated_at = whole.length - 16 - last.data.length;
    return {
      bytes: whole.subarray(0, cut),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 2,
        summary,
        flows: [
          lookup.flow.expect({ why: 'lookup before the cut', app: 'dns', dns_names: ['update.example.com'] }),
          tcp.expect({ why: 'the cut record is dropped; the flow and its SNI are kept', app: 'tls', sni: 'update.example.com', name: 'update.example.com', name_source: 'sni', syn_seen: true }),
        ],
        dns: lookup.dns,
      },
    };
  },
};
