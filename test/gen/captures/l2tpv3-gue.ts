/**
 * L2TPv3 Ethernet pseudowires and GUE: the device's flows inside the static L2TPv3 sessions
 * Linux's `ip l2tp` makes (over IP and over UDP, with and without cookies, with its default
 * L2-specific sublayer and with `l2spec_type none`) and inside GUE (`ip fou add port 6080 gue`
 * with ipip, sit and gre tunnels, and GUE's headerless version 1). Each carries one ordinary
 * flow of the device's, so a failure points at the encapsulation, not at a parser.
 *
 * Test tooling only: every header is written by hand from its specification (RFC 3931 §4.1 and
 * §4.6, RFC 4719, draft-ietf-intarea-gue-09 §3), in the layout captures of real tunnels between
 * two network namespaces showed (QEMU's l2tpv3 netdev for L2TPv3; GUE as Linux's fou_core.c
 * frames it); addresses from RFC 5737 / 3849.
 */
import { LINKTYPE_ETHERNET } from '../../../src/capture/source';
import { serializePcap } from '../capture-file';
import { DNS_TYPE_A, DnsMessageSpec, ETHERTYPE_IPV4, ethernet, ipv4, udp } from '../packets';
import { CaptureBuilder, Endpoint, TcpScript, WrappedLink, ms, udpDnsLookup } from '../scenario';
import { CaptureDefinition, DEVICE_ARGS, DEVICE_V6, RESOLVER, ROUTER_MAC, T0, device, remote, summaryOf, tunnelledHttp, tunnelledTls } from './common';
import { DEVICES, OuterFlow, bytes, innerEthernet, isDeviceHost, u16, u32 } from './tunnel-parts';

const IPPROTO_L2TP = 115;
const IPPROTO_UDP = 17;



/** One tunnel's two endpoints (A on the device's side); each link has its own. */
const pair = (n: number, portA: number, portB: number): [Endpoint, Endpoint] => [
  { ip: `198.51.100.${140 + 2 * n}`, mac: `00:00:5e:00:53:${(0x40 + 2 * n).toString(16)}`, port: portA },
  { ip: `198.51.100.${141 + 2 * n}`, mac: `00:00:5e:00:53:${(0x41 + 2 * n).toString(16)}`, port: portB },
];
const L2TP_IP = pair(0, 0, 0);
const L2TP_IP_COOKIE = pair(1, 0, 0);
const L2TP_UDP_COOKIE = pair(2, 1701, 1701);
const L2TP_UDP = pair(3, 1701, 1701);
const GUE_IPIP = pair(4, 49153, 49154);
const GUE_SIT = pair(5, 49155, 49156);
const GUE_GRE = pair(6, 49157, 49158);
const GUE_DIRECT = pair(7, 49159, 49160);
/** Session IDs of each direction (A to B, B to A), as `ip l2tp add session ... session_id ... peer_session_id ...` sets them. */
const SESSION_TO_B = 0xeeeeeeee;
const SESSION_TO_A = 0xffffffff;

/** An outer IPv4 packet between a tunnel's endpoints, A to B when the device sent the inner one. */
function outerIp(tunnel: [Endpoint, Endpoint], fromDevice: boolean, protocol: number, payload: Uint8Array): Uint8Array {
  const [from, to] = fromDevice ? tunnel : [tunnel[1], tunnel[0]];
  return ethernet({ src: from.mac, dst: to.mac, etherType: ETHERTYPE_IPV4 }, ipv4({ src: from.ip, dst: to.ip, protocol, ttl: 64, dontFragment: true }, payload));
}

/** An outer UDP datagram: L2TP from 1701 to 1701; GUE from the sender's own port to 6080 (Linux's encap-dport). */
function outerUdp(tunnel: [Endpoint, Endpoint], fromDevice: boolean, payload: Uint8Array, gue: boolean): Uint8Array {
  const [from, to] = fromDevice ? tunnel : [tunnel[1], tunnel[0]];
  const dstPort = gue ? 6080 : to.port;
  return outerIp(tunnel, fromDevice, IPPROTO_UDP, udp(from.port, dstPort, payload, from.ip, to.ip));
}

/** L2TPv3 after any UDP header: the peer's session ID, the cookie, the default sublayer (all zero, as Linux sends it without `seq`) when `sublayer`. */
const l2tpv3 = (fromDevice: boolean, cookie: number[], sublayer: boolean, frame: Uint8Array): Uint8Array =>
  bytes(u32(fromDevice ? SESSION_TO_B : SESSION_TO_A), cookie, sublayer ? u32(0) : [], frame);

/** The GUE version 0 header Linux writes: Hlen 0, the payload's IP protocol, no flags. */
const gue0 = (protocol: number): number[] => [0x00, protocol, 0x00, 0x00];

/** L2TPv3 and GUE, one flow of the device's inside each. */
export const L2TPV3_AND_GUE: CaptureDefinition = {
  file: 'l2tpv3-and-gue.pcap',
  title: 'The device\'s flows inside L2TPv3 Ethernet pseudowires (over IP and UDP, with and without cookie and sublayer) and GUE',
  holds: [
    'Ethernet, classic pcap. Eight flows of the device (192.0.2.10, 2001:db8::10), each inside a tunnel of its own between two endpoints ' +
    '(198.51.100.140 and .141 for the first, .142 and .143 for the second, up to .154 and .155 for the eighth); the L2TPv3 sessions use session ID 0xeeeeeeee towards the second endpoint and 0xffffffff back:',
    '1. L2TPv3 over IP (protocol 115) as a Linux session with default settings sends it: no cookie, the default L2-specific sublayer (4 zero bytes), ' +
    'then the device\'s Ethernet frame: TLS to 203.0.113.61:443 with SNI `l2tpv3-ip.example.com`;',
    '2. L2TPv3 over IP with an 8-byte cookie (0x8877665544332211 one way, 0x1122334455667788 back) and `l2spec_type none`: HTTP GET to ' +
    '203.0.113.62:80 with `Host: l2tpv3-cookie.example.com`;',
    '3. L2TPv3 over UDP (1701 both ways; the 4-byte header: T clear, version 3) with a 4-byte cookie (0x44332211 / 0x11223344) and the default ' +
    'sublayer: a DNS lookup of `l2tpv3-udp.example.com` (A → 203.0.113.63) to 192.0.2.1;',
    '4. L2TPv3 over UDP without cookie or sublayer, carrying IPv6: TLS from 2001:db8::10 to [2001:db8:5::64]:443 with SNI `l2tpv3-udp6.example.com`;',
    '5. GUE version 0 (UDP from each endpoint\'s own port to 6080; Hlen 0, protocol 4) as an ipip tunnel with `encap gue` sends it: HTTP GET to ' +
    '203.0.113.65:80 with `Host: gue-ipip.example.com`;',
    '6. GUE version 0, protocol 41 (a sit tunnel), carrying IPv6: TLS from 2001:db8::10 to [2001:db8:5::66]:443 with SNI `gue-sit.example.com`;',
    '7. GUE version 0, protocol 47 (a gre tunnel: a 4-byte GRE header, protocol 0x0800): TLS to 203.0.113.67:443 with SNI `gue-gre.example.com`;',
    '8. GUE version 1 (no GUE header: the IPv4 header right after UDP): HTTP GET to 203.0.113.68:80 with `Host: gue-direct.example.com`.',
    'Expected: the device\'s eight flows are named as if no tunnel were there; L2TPv3 over IP adds no transport layer (tunnel depth 0, as GRE), ' +
    'L2TPv3 over UDP and GUE add one (tunnel depth 1), and their outer UDP 5-tuples are flows of their own (ten: one per L2TPv3 tunnel, 1701 both ways, ' +
    'and one per direction of each GUE tunnel, `app` `l2tp` and `gue`). The cookie length and sublayer are not in the messages: egress-audit finds ' +
    'the frame by the rule in src/decode/tunnels.ts (l2tpv3Frame). tshark 4.0 needs them as preferences and Ethernet as the pseudowire type ' +
    '(`-d l2tp.pw_type==0,eth`); so told, one tunnel at a time, it lists the same names (below). tshark 4.0 has no GUE dissector: it shows the GUE ' +
    'datagrams as UDP data.',
  ],
  builder: 'L2TPV3_AND_GUE in test/gen/captures/l2tpv3-gue.ts',
  // One L2TPv3 tunnel at a time (by its first endpoint), with its configuration as tshark's preferences.
  tshark: [
    { tunnel: L2TP_IP, cookie: 'None', sublayer: 'Default L2-Specific', output: 'eth:ethertype:ip:l2tp:ethertype:ip:tcp:tls\tl2tpv3-ip.example.com\t\t\n' },
    { tunnel: L2TP_IP_COOKIE, cookie: '8 Byte Cookie', sublayer: 'None', output: 'eth:ethertype:ip:l2tp:ethertype:ip:tcp:http\t\tl2tpv3-cookie.example.com\t\n' },
    { tunnel: L2TP_UDP_COOKIE, cookie: '4 Byte Cookie', sublayer: 'Default L2-Specific', output: 'eth:ethertype:ip:udp:l2tp:ethertype:ip:udp:dns\t\t\tl2tpv3-udp.example.com\n' },
    { tunnel: L2TP_UDP, cookie: 'None', sublayer: 'None', output: 'eth:ethertype:ip:udp:l2tp:ethertype:ipv6:tcp:tls\tl2tpv3-udp6.example.com\t\t\n' },
  ].map(({ tunnel, cookie, sublayer, output }) => ({
    args: ['-n', '-o', `l2tp.cookie_size:${cookie}`, '-o', `l2tp.l2_specific:${sublayer}`, '-d', 'l2tp.pw_type==0,eth', '-Y',
      `ip.src == ${tunnel[0].ip} && (tls.handshake.type == 1 || http.request || (dns && dns.flags.response == 0))`,
      '-T', 'fields', '-e', 'frame.protocols', '-e', 'tls.handshake.extensions_server_name', '-e', 'http.host', '-e', 'dns.qry.name'],
    output,
  })),
  build() {
    let outer: OuterFlow[] = [];
    const links: WrappedLink[] = [
      // 0: L2TPv3 over IP, no cookie, the default sublayer.
      { kind: 'wrapped', wrap: (p, src, dst) => outerIp(L2TP_IP, isDeviceHost(src), IPPROTO_L2TP, l2tpv3(isDeviceHost(src), [], true, innerEthernet(p, src, dst))) },
      // 1: L2TPv3 over IP, an 8-byte cookie (each end sends its peer's), no sublayer.
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => {
          const toB = isDeviceHost(src);
          const cookie = toB ? [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11] : [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
          return outerIp(L2TP_IP_COOKIE, toB, IPPROTO_L2TP, l2tpv3(toB, cookie, false, innerEthernet(p, src, dst)));
        },
      },
      // 2: L2TPv3 over UDP: the 4-byte header (version 3), a 4-byte cookie, the default sublayer.
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => {
          const toB = isDeviceHost(src);
          const cookie = toB ? [0x44, 0x33, 0x22, 0x11] : [0x11, 0x22, 0x33, 0x44];
          return outerUdp(L2TP_UDP_COOKIE, toB, bytes(u16(0x0003), u16(0), l2tpv3(toB, cookie, true, innerEthernet(p, src, dst))), false);
        },
        carried: (ts, src, len) => outer[0].carry(ts, isDeviceHost(src), len),
      },
      // 3: L2TPv3 over UDP, no cookie, no sublayer.
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => outerUdp(L2TP_UDP, isDeviceHost(src), bytes(u16(0x0003), u16(0), l2tpv3(isDeviceHost(src), [], false, innerEthernet(p, src, dst))), false),
        carried: (ts, src, len) => outer[1].carry(ts, isDeviceHost(src), len),
      },
      // 4-6: GUE version 0 with protocol 4, 41 and 47 (GRE without options, protocol IPv4); 7: GUE version 1, the IP packet alone.
      {
        kind: 'wrapped',
        wrap: (p, src) => outerUdp(GUE_IPIP, isDeviceHost(src), bytes(gue0(4), p), true),
        carried: (ts, src, len) => outer[isDeviceHost(src) ? 2 : 3].carry(ts, true, len),
      },
      {
        kind: 'wrapped',
        wrap: (p, src) => outerUdp(GUE_SIT, isDeviceHost(src), bytes(gue0(41), p), true),
        carried: (ts, src, len) => outer[isDeviceHost(src) ? 4 : 5].carry(ts, true, len),
      },
      {
        kind: 'wrapped',
        wrap: (p, src) => outerUdp(GUE_GRE, isDeviceHost(src), bytes(gue0(47), u16(0), u16(ETHERTYPE_IPV4), p), true),
        carried: (ts, src, len) => outer[isDeviceHost(src) ? 6 : 7].carry(ts, true, len),
      },
      {
        kind: 'wrapped',
        wrap: (p, src) => outerUdp(GUE_DIRECT, isDeviceHost(src), p, true),
        carried: (ts, src, len) => outer[isDeviceHost(src) ? 8 : 9].carry(ts, true, len),
      },
    ];
    const b = new CaptureBuilder(links, DEVICES);
    const gueFlows = (link: number, [a, bEnd]: [Endpoint, Endpoint]): OuterFlow[] =>
      [new OuterFlow(b, link, a, { ...bEnd, port: 6080 }), new OuterFlow(b, link, bEnd, { ...a, port: 6080 })];
    outer = [
      new OuterFlow(b, 2, ...L2TP_UDP_COOKIE),
      new OuterFlow(b, 3, ...L2TP_UDP),
      ...gueFlows(4, GUE_IPIP), ...gueFlows(5, GUE_SIT), ...gueFlows(6, GUE_GRE), ...gueFlows(7, GUE_DIRECT),
    ];

    const tlsTo = (iface: number, port: number, server: Endpoint, name: string, at: bigint, client = device(port)): TcpScript =>
      tunnelledTls(b, this.file, iface, port, server, name, at, client);
    const httpTo = (iface: number, port: number, server: Endpoint, host: string, at: bigint): TcpScript => tunnelledHttp(b, iface, port, server, host, at);

    const l2tpIp = tlsTo(0, 50031, remote('203.0.113.61', 443), 'l2tpv3-ip.example.com', T0 + ms(1));
    const l2tpCookie = httpTo(1, 50032, remote('203.0.113.62', 80), 'l2tpv3-cookie.example.com', T0 + ms(200));
    const q: DnsMessageSpec = { id: 0x6a03, response: false, questions: [{ name: 'l2tpv3-udp.example.com', type: DNS_TYPE_A }] };
    const lookup = udpDnsLookup(b, 2, device(53003), { ...RESOLVER, mac: ROUTER_MAC }, T0 + ms(400), q,
      { ...q, response: true, answers: [{ name: 'l2tpv3-udp.example.com', type: DNS_TYPE_A, ttl: 300, data: '203.0.113.63' }] });
    const l2tpUdp6 = tlsTo(3, 50034, remote('2001:db8:5::64', 443), 'l2tpv3-udp6.example.com', T0 + ms(600), device(50034, DEVICE_V6));
    const gueIpip = httpTo(4, 50035, remote('203.0.113.65', 80), 'gue-ipip.example.com', T0 + ms(800));
    const gueSit = tlsTo(5, 50036, remote('2001:db8:5::66', 443), 'gue-sit.example.com', T0 + ms(1000), device(50036, DEVICE_V6));
    const gueGre = tlsTo(6, 50037, remote('203.0.113.67', 443), 'gue-gre.example.com', T0 + ms(1200));
    const gueDirect = httpTo(7, 50038, remote('203.0.113.68', 80), 'gue-direct.example.com', T0 + ms(1400));

    const records = b.records();
    const tls = (name: string, why: string, depth: number) => ({ why, app: 'tls', sni: name, name, name_source: 'sni' as const, syn_seen: true, tunnel_depth: depth });
    const http = (host: string, why: string, depth: number) => ({ why, app: 'http', http_host: host, name: host, name_source: 'http-host' as const, syn_seen: true, tunnel_depth: depth });
    const carrier = (flow: OuterFlow, app: string, why: string) => flow.expect({ why, app, tunnel_depth: 0 });
    return {
      bytes: serializePcap(records, { linkType: LINKTYPE_ETHERNET }),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcap', link_types: ['EN10MB'] }, 18, 1),
        flows: [
          l2tpIp.expect(tls('l2tpv3-ip.example.com', 'SNI in an Ethernet frame of an L2TPv3-over-IP session (no cookie, default sublayer)', 0)),
          l2tpCookie.expect(http('l2tpv3-cookie.example.com', 'Host in an L2TPv3-over-IP session with an 8-byte cookie and no sublayer', 0)),
          lookup.flow.expect({ why: 'DNS in an L2TPv3-over-UDP session with a 4-byte cookie and the default sublayer', app: 'dns', dns_names: ['l2tpv3-udp.example.com'], tunnel_depth: 1 }),
          carrier(outer[0], 'l2tp', 'L2TPv3 over UDP, outer 5-tuple (1701 both ways)'),
          l2tpUdp6.expect(tls('l2tpv3-udp6.example.com', 'SNI over IPv6 in an L2TPv3-over-UDP session without cookie or sublayer', 1)),
          carrier(outer[1], 'l2tp', 'the other L2TPv3-over-UDP tunnel\'s outer 5-tuple'),
          gueIpip.expect(http('gue-ipip.example.com', 'Host in GUE version 0, protocol 4', 1)),
          carrier(outer[2], 'gue', 'GUE (ipip) outer 5-tuple, device side to 6080'),
          carrier(outer[3], 'gue', 'GUE (ipip) outer 5-tuple, the other direction'),
          gueSit.expect(tls('gue-sit.example.com', 'SNI over IPv6 in GUE version 0, protocol 41', 1)),
          carrier(outer[4], 'gue', 'GUE (sit) outer 5-tuple, device side to 6080'),
          carrier(outer[5], 'gue', 'GUE (sit) outer 5-tuple, the other direction'),
          gueGre.expect(tls('gue-gre.example.com', 'SNI in GRE in GUE version 0, protocol 47', 1)),
          carrier(outer[6], 'gue', 'GUE (gre) outer 5-tuple, device side to 6080'),
          carrier(outer[7], 'gue', 'GUE (gre) outer 5-tuple, the other direction'),
          gueDirect.expect(http('gue-direct.example.com', 'Host in GUE version 1 (the IPv4 header right after UDP)', 1)),
          carrier(outer[8], 'gue', 'GUE (version 1) outer 5-tuple, device side to 6080'),
          carrier(outer[9], 'gue', 'GUE (version 1) outer 5-tuple, the other direction'),
        ],
        dns: lookup.dns,
      },
    };
  },
};
