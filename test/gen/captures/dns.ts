/**
 * DNS captures: two length-prefixed messages in one TCP segment, a CNAME chain whose final
 * address is later contacted without SNI (attribution by dns-answer), and a UDP response
 * carried in two IPv6 fragments.
 *
 * Test tooling only: builders throw when the bytes lose the property the file name promises.
 */
import { LINKTYPE_ETHERNET } from '../../../src/capture/source';
import { serializePcap, serializePcapng } from '../capture-file';
import {
  DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_CNAME, DnsMessageSpec, IPPROTO_IPV6_FRAGMENT, IPPROTO_UDP, TCP_ACK, TCP_PSH,
  TLS_GROUP_X25519, concat, dnsMessage, dnsOverTcp, ethernet, ETHERTYPE_IPV6, ipv6, ipv6FragmentHeader, tlsClientHello, udp,
} from '../packets';
import { CaptureBuilder, TcpScript, UdpScript, expectDns, ms, udpDnsLookup } from '../scenario';
import { CaptureDefinition, DEVICE_ARGS, DEVICE_MAC, DEVICE_V4, DEVICE_V6, RESOLVER, ROUTER_MAC, T0, device, remote, summaryOf, tlsSession } from './common';

/** DNS over TCP: two queries in one segment, responses framed across two segments. */
export const DNS_TCP_TWO_MESSAGES_ONE_SEGMENT: CaptureDefinition = {
  file: 'dns-tcp-two-messages-one-segment.pcap',
  title: 'DNS over TCP: two length-prefixed queries in one segment, and their responses',
  holds: [
    'One TCP connection from 192.0.2.10:45053 to the resolver 192.0.2.1:53 (Ethernet, classic pcap, microseconds). ' +
    'After the handshake the client sends ONE segment holding two length-prefixed DNS messages (RFC 1035 §4.2.2, RFC 7766 §6.2.1.1 pipelining): ' +
    'id 0x1001 `mqtt.example.com A` and id 0x1002 `ota.example.net AAAA`.',
    'The server answers with two segments: the first holds the whole first response and the first 10 bytes of the second ' +
    '(its 2-byte length and 8 bytes of header); the second segment holds the rest. Then a FIN teardown.',
  ],
  builder: 'DNS_TCP_TWO_MESSAGES_ONE_SEGMENT in test/gen/captures/dns.ts',
  tshark: [{ args: ['-o', 'tcp.desegment_tcp_streams:TRUE', '-Y', 'dns', '-T', 'fields', '-e', 'frame.number', '-e', 'dns.id', '-e', 'dns.flags.response', '-e', 'dns.qry.name', '-e', 'dns.a', '-e', 'dns.aaaa'], output: '4\t0x1001,0x1002\t0,0\tmqtt.example.com,ota.example.net\t\t\n5\t0x1001\t1\tmqtt.example.com\t198.51.100.17\t\n6\t0x1002\t1\tota.example.net\t\t2001:db8:5::17\n' }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);
    const tcp = new TcpScript(b, 0, device(45053), RESOLVER, { clientIsn: 0x01020304, serverIsn: 0x0a0b0c0d, rttMs: 4 });
    const q1: DnsMessageSpec = { id: 0x1001, response: false, questions: [{ name: 'mqtt.example.com', type: DNS_TYPE_A }] };
    const q2: DnsMessageSpec = { id: 0x1002, response: false, questions: [{ name: 'ota.example.net', type: DNS_TYPE_AAAA }] };
    const r1: DnsMessageSpec = { ...q1, response: true, answers: [{ name: 'mqtt.example.com', type: DNS_TYPE_A, ttl: 300, data: '198.51.100.17' }] };
    const r2: DnsMessageSpec = { ...q2, response: true, answers: [{ name: 'ota.example.net', type: DNS_TYPE_AAAA, ttl: 120, data: '2001:db8:5::17' }] };
    let t = tcp.handshake(T0 + ms(2));
    const queryAt = t + ms(0.2);
    tcp.segment('c2s', queryAt, TCP_ACK | TCP_PSH, dnsOverTcp([dnsMessage(q1), dnsMessage(q2)]));
    const responses = dnsOverTcp([dnsMessage(r1), dnsMessage(r2)]);
    const cut = dnsMessage(r1).length + 2 + 10;
    t = tcp.sendPieces('s2c', queryAt + tcp.rtt, responses, [[0, cut], [cut, responses.length]], 0.05);
    tcp.ack('c2s', t + ms(0.2));
    tcp.close(t + ms(5));
    const records = b.records();
    const dns = [...expectDns(tcp, queryAt, q1, r1), ...expectDns(tcp, queryAt, q2, r2)];
    return {
      bytes: serializePcap(records, { linkType: LINKTYPE_ETHERNET }),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcap', link_types: ['EN10MB'] }, 1, 2),
        flows: [tcp.expect({ why: 'DNS over TCP carries both questions', app: 'dns', dns_names: ['mqtt.example.com', 'ota.example.net'], syn_seen: true })],
        dns,
      },
    };
  },
};

/** A CNAME chain, then a TLS connection without SNI to the chain's final address. */
export const DNS_CNAME_CHAIN_ATTRIBUTION: CaptureDefinition = {
  file: 'dns-cname-chain-attribution.pcapng',
  title: 'CNAME chain cdn.example.com → a.example.net → b.example.org → 198.51.100.80, then a flow to that address without SNI',
  holds: [
    'pcapng, one Ethernet interface (if_tsresol 6). 192.0.2.10 asks the resolver 192.0.2.1 for `cdn.example.com A` (UDP, id 0x2b01). ' +
    'The response answers `cdn.example.com CNAME a.example.net` (TTL 300), `a.example.net CNAME b.example.org` (TTL 300), ' +
    '`b.example.org A 198.51.100.80` (TTL 60), using compression pointers into earlier CNAME RDATA.',
    '50 ms later the device opens TCP to 198.51.100.80:8883 (MQTT over TLS) with a ClientHello that has NO server_name ' +
    '(ALPN `mqtt`, X25519 only), exchanges two records each way and closes. The only way to name that flow is the DNS answer: ' +
    'following the chain back, it must be named `cdn.example.com` (the name the device asked for) with `name_source: "dns-answer"`.',
  ],
  builder: 'DNS_CNAME_CHAIN_ATTRIBUTION in test/gen/captures/dns.ts',
  tshark: [
    { args: ['-Y', 'dns.flags.response == 1', '-T', 'fields', '-e', 'dns.qry.name', '-e', 'dns.cname', '-e', 'dns.a'], output: 'cdn.example.com\ta.example.net,b.example.org\t198.51.100.80\n' },
    { args: ['-Y', 'tls.handshake.type == 1', '-T', 'fields', '-e', 'ip.dst', '-e', 'tcp.dstport', '-e', 'tls.handshake.extensions_server_name', '-e', 'tls.handshake.extensions_alpn_str'], output: '198.51.100.80\t8883\t\tmqtt\n' },
  ],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);
    const query: DnsMessageSpec = { id: 0x2b01, response: false, questions: [{ name: 'cdn.example.com', type: DNS_TYPE_A }] };
    const response: DnsMessageSpec = {
      ...query, response: true, answers: [
        { name: 'cdn.example.com', type: DNS_TYPE_CNAME, ttl: 300, data: 'a.example.net' },
        { name: 'a.example.net', type: DNS_TYPE_CNAME, ttl: 300, data: 'b.example.org' },
        { name: 'b.example.org', type: DNS_TYPE_A, ttl: 60, data: '198.51.100.80' },
      ],
    };
    const lookup = udpDnsLookup(b, 0, device(40112), RESOLVER, T0 + ms(5), query, response, 14);
    const tcp = new TcpScript(b, 0, device(52001), remote('198.51.100.80', 8883), { clientIsn: 0x7000aa01, serverIsn: 0x12345678, rttMs: 22 });
    const hello = tlsClientHello({ seed: this.file, serverName: null, alpn: ['mqtt'], keyShareGroups: [TLS_GROUP_X25519] }).record;
    tlsSession(tcp, lookup.done + ms(50), hello, this.file, [{ atMs: 200, request: 90, response: 40 }, { atMs: 1200, request: 60, response: 60 }]);
    const records = b.records();
    return {
      bytes: serializePcapng(records, [{ linkType: LINKTYPE_ETHERNET, tsresol: 6, name: 'eth0' }]),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcapng', link_types: ['EN10MB'] }, 2, 1),
        flows: [
          lookup.flow.expect({ why: 'the lookup itself', app: 'dns', dns_names: ['cdn.example.com'] }),
          tcp.expect({
            why: 'no SNI; 198.51.100.80 was the end of the CNAME chain asked as cdn.example.com', app: 'tls', sni: null, alpn: ['mqtt'],
            name: 'cdn.example.com', name_source: 'dns-answer', names_include: [{ name: 'cdn.example.com', source: 'dns-answer' }], syn_seen: true,
          }),
        ],
        dns: lookup.dns,
      },
    };
  },
};

/** A UDP DNS response over IPv6 that does not fit in 1280 bytes and is split in two fragments. */
export const IPV6_FRAGMENTED_DNS: CaptureDefinition = {
  file: 'ipv6-fragmented-dns.pcap',
  title: 'UDP DNS response over IPv6 split into two fragments (Fragment extension header)',
  holds: [
    'Ethernet, classic pcap. 2001:db8::10:40500 asks 2001:db8::53:53 for `pool.example.com AAAA` (id 0x6a6a). The response ' +
    'carries 48 AAAA records (2001:db8:f00::1 … 2001:db8:f00::30, TTL 30): a 1378-byte DNS message, 1386-byte UDP datagram.',
    'The response is sent as two IPv6 packets with a Fragment header (RFC 8200 §4.5, identification 0x0d15ea5e): the first carries ' +
    'bytes [0, 1232) of the UDP datagram (so the 1280-byte minimum MTU is met), M=1; the second carries [1232, 1386) at offset 1232, M=0. ' +
    'Only after reassembly is the UDP header\'s length/checksum consistent and the DNS message whole.',
  ],
  builder: 'IPV6_FRAGMENTED_DNS in test/gen/captures/dns.ts',
  tshark: [{ args: ['-Y', 'dns.flags.response == 1', '-T', 'fields', '-e', 'frame.number', '-e', 'ipv6.fragment.count', '-e', 'dns.count.answers', '-e', 'dns.qry.name'], output: '3\t2\t48\tpool.example.com\n' }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);
    const client = device(40500, DEVICE_V6);
    const server = remote('2001:db8::53', 53);
    const flow = new UdpScript(b, 0, client, server);
    const query: DnsMessageSpec = { id: 0x6a6a, response: false, questions: [{ name: 'pool.example.com', type: DNS_TYPE_AAAA }] };
    const answers = Array.from({ length: 48 }, (_, i) => ({ name: 'pool.example.com', type: DNS_TYPE_AAAA, ttl: 30, data: `2001:db8:f00::${(i + 1).toString(16)}` }));
    const response: DnsMessageSpec = { ...query, response: true, answers };
    const queryAt = T0 + ms(3);
    flow.send('c2s', queryAt, dnsMessage(query));
    const datagram = udp(server.port, client.port, dnsMessage(response), server.ip, client.ip);
    const split = 1232;
    if (datagram.length <= split) throw new Error('response fits in one fragment');
    [[0, split], [split, datagram.length]].forEach(([start, end], i) => {
      const more = end < datagram.length;
      const packet = ipv6({ src: server.ip, dst: client.ip, nextHeader: IPPROTO_IPV6_FRAGMENT, hopLimit: 54 },
        concat([ipv6FragmentHeader(IPPROTO_UDP, start, more, 0x0d15ea5e), datagram.subarray(start, end)]));
      flow.emitFramed(queryAt + ms(21 + i * 0.05), server.ip, ethernet({ src: ROUTER_MAC, dst: DEVICE_MAC, etherType: ETHERTYPE_IPV6 }, packet));
    });
    const records = b.records();
    const e = flow.expect({ why: 'answers only readable after reassembling the two fragments', app: 'dns', dns_names: ['pool.example.com'] });
    // How fragments count toward packets_in/bytes_in is the tool's documented choice, not asserted here.
    delete e.packets_in;
    delete e.bytes_in;
    return {
      bytes: serializePcap(records, { linkType: LINKTYPE_ETHERNET }),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcap', link_types: ['EN10MB'] }, 1, 1),
        flows: [e],
        dns: expectDns(flow, queryAt, query, response),
      },
    };
  },
};
