/**
 * Encapsulations between the wire and the device's packets: an MPLS label stack, a PPPoE
 * session, an ERSPAN mirror session and PPTP in GRE, the UDP tunnels Geneve, GTP-U, Teredo and
 * AYIYA, and the bridge-fabric tags PBB (with a VLAN tag inside) and NSH. Each
 * carries one ordinary flow of the device's (TLS, HTTP or DNS), so a failure points at the
 * encapsulation, not at a parser.
 *
 * Test tooling only: every header is written by hand from its specification (RFC 3032, RFC 2516,
 * draft-foschiano-erspan, RFC 2637, RFC 8926, 3GPP TS 29.281, RFC 4380, draft-massar-v6ops-ayiya, IEEE 802.1ah, RFC 8300);
 * addresses from RFC 5737 / 3849.
 */
import { LINKTYPE_ETHERNET } from '../../../src/capture/source';
import { serializePcap } from '../capture-file';
import { DNS_TYPE_A, DnsMessageSpec, ETHERTYPE_IPV4, ethernet, ipv4, ipv6, udp } from '../packets';
import { parseMac } from '../bytes';
import { CaptureBuilder, Endpoint, TcpScript, WrappedLink, ms, udpDnsLookup } from '../scenario';
import { CaptureDefinition, DEVICE_ARGS, DEVICE_V6, RESOLVER, ROUTER_MAC, T0, device, remote, summaryOf, tunnelledHttp, tunnelledTls } from './common';
import { DEVICES, OuterFlow, bytes, innerEthernet, isDeviceHost, u16, u32 } from './tunnel-parts';

const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
const ETHERTYPE_TEB = 0x6558;
const ETHERTYPE_PBB = 0x88e7;
const ETHERTYPE_NSH = 0x894f;
const ETHERTYPE_VLAN = 0x8100;
const IPPROTO_GRE = 47;




/** Geneve, GTP-U and Teredo endpoints (the outer flows). */
const GENEVE_A: Endpoint = { ip: '198.51.100.11', mac: '00:00:5e:00:53:11', port: 50123 };
const GENEVE_B: Endpoint = { ip: '198.51.100.12', mac: '00:00:5e:00:53:12', port: 50456 };
const GENEVE_A_IN: Endpoint = { ...GENEVE_A, port: 6081 };
const GENEVE_B_IN: Endpoint = { ...GENEVE_B, port: 6081 };
const GNB: Endpoint = { ip: '198.51.100.21', mac: '00:00:5e:00:53:21', port: 2152 };
const UPF: Endpoint = { ip: '198.51.100.22', mac: '00:00:5e:00:53:22', port: 2152 };
const TEREDO_CLIENT: Endpoint = { ip: '198.51.100.31', mac: '00:00:5e:00:53:31', port: 40000 };
const TEREDO_RELAY: Endpoint = { ip: '198.51.100.32', mac: '00:00:5e:00:53:32', port: 3544 };
const AYIYA_CLIENT: Endpoint = { ip: '198.51.100.41', mac: '00:00:5e:00:53:41', port: 5072 };
const AYIYA_POP: Endpoint = { ip: '198.51.100.42', mac: '00:00:5e:00:53:42', port: 5072 };
const ERSPAN_SWITCH = '198.51.100.1';
const ERSPAN_COLLECTOR = '198.51.100.2';
const PPTP_CLIENT = '198.51.100.51';
const PPTP_SERVER = '198.51.100.52';
/** A router redirecting web traffic to a cache with WCCP (GRE). */
const WCCP_ROUTER = '198.51.100.131';
const WCCP_CACHE = '198.51.100.132';
/** SRv6 endpoints (the layer-2 service's ingress and egress), an Aruba access point and controller, GRE-in-UDP and MPLS-in-UDP endpoints. */
const SRV6_A = '2001:db8:a::1';
const SRV6_B = '2001:db8:a::2';
const ARUBA_AP = '198.51.100.61';
const ARUBA_CONTROLLER = '198.51.100.62';
const GRE_UDP_A: Endpoint = { ip: '198.51.100.71', mac: '00:00:5e:00:53:71', port: 49171 };
const GRE_UDP_B: Endpoint = { ip: '198.51.100.72', mac: '00:00:5e:00:53:72', port: 49172 };
const GRE_UDP_A_IN: Endpoint = { ...GRE_UDP_A, port: 4754 };
const GRE_UDP_B_IN: Endpoint = { ...GRE_UDP_B, port: 4754 };
const MPLS_UDP_A: Endpoint = { ip: '198.51.100.81', mac: '00:00:5e:00:53:81', port: 49181 };
const MPLS_UDP_B: Endpoint = { ip: '198.51.100.82', mac: '00:00:5e:00:53:82', port: 49182 };
const MPLS_UDP_A_IN: Endpoint = { ...MPLS_UDP_A, port: 6635 };
const MPLS_UDP_B_IN: Endpoint = { ...MPLS_UDP_B, port: 6635 };
const AP_BSSID = '00:00:5e:00:53:90';
const CAPWAP_AP: Endpoint = { ip: '198.51.100.91', mac: '00:00:5e:00:53:91', port: 49191 };
const CAPWAP_WLC: Endpoint = { ip: '198.51.100.92', mac: '00:00:5e:00:53:92', port: 5247 };
const TZSP_ROUTER: Endpoint = { ip: '198.51.100.101', mac: '00:00:5e:00:53:a5', port: 49201 };
const TZSP_COLLECTOR: Endpoint = { ip: '198.51.100.102', mac: '00:00:5e:00:53:a6', port: 37008 };
const LISP_A: Endpoint = { ip: '198.51.100.111', mac: '00:00:5e:00:53:a7', port: 49211 };
const LISP_B: Endpoint = { ip: '198.51.100.112', mac: '00:00:5e:00:53:a8', port: 49212 };
const LISP_A_IN: Endpoint = { ...LISP_A, port: 4341 };
const LISP_B_IN: Endpoint = { ...LISP_B, port: 4341 };
const L2TP_LAC: Endpoint = { ip: '198.51.100.121', mac: '00:00:5e:00:53:a9', port: 1701 };
const L2TP_LNS: Endpoint = { ip: '198.51.100.122', mac: '00:00:5e:00:53:aa', port: 1701 };

/** An outer UDP datagram between two tunnel endpoints, as an Ethernet frame. */
function outerUdp(from: Endpoint, to: Endpoint, payload: Uint8Array): Uint8Array {
  return ethernet({ src: from.mac, dst: to.mac, etherType: ETHERTYPE_IPV4 },
    ipv4({ src: from.ip, dst: to.ip, protocol: 17, ttl: 62 }, udp(from.port, to.port, payload, from.ip, to.ip)));
}

/** Encapsulations and the captures of one flow each. */
export const TUNNELS_AND_SHIMS: CaptureDefinition = {
  file: 'tunnels-and-encapsulations.pcap',
  title: 'The device\'s flows inside MPLS, PPPoE, an ERSPAN mirror session, PPTP, Geneve, GTP-U, Teredo, AYIYA, PBB, NSH, SRv6, Aruba GRE, GRE-in-UDP, MPLS-in-UDP, CAPWAP, TZSP, LISP and L2TP',
  holds: [
    'Ethernet, classic pcap. Eighteen flows of the device (192.0.2.10, 2001:db8::10), each inside one encapsulation:',
    '1. an MPLS label stack of two labels (1000, then 42 with bottom-of-stack; RFC 3032) around IPv4: TLS to 203.0.113.41:443 with SNI `mpls.example.com`;',
    '2. a PPPoE session (ethertype 0x8864, session 0x1234; RFC 2516) with PPP protocol 0x0021 around IPv4: HTTP GET to 203.0.113.42:80 with `Host: pppoe.example.com`;',
    '3. an ERSPAN type II mirror session (GRE with a sequence number, protocol 0x88be, session 7) from switch 198.51.100.1 to collector ' +
    '198.51.100.2, carrying the mirrored Ethernet frames: TLS to 203.0.113.43:443 with SNI `erspan.example.com`;',
    '4. Geneve (UDP to port 6081, VNI 0x00abcd, one 8-byte option, protocol 0x6558; RFC 8926) between 198.51.100.11 and 198.51.100.12, ' +
    'one outer 5-tuple per direction, carrying Ethernet frames: HTTP GET to 203.0.113.44:80 with `Host: geneve.example.com`;',
    '5. GTP-U (UDP 2152 both ways, G-PDU with a PDU session container extension header; 3GPP TS 29.281) between a gNB 198.51.100.21 and a UPF ' +
    '198.51.100.22, carrying IPv4: a DNS lookup of `gtpu.example.com` (A → 203.0.113.45) to 192.0.2.1;',
    '6. Teredo (UDP between a client 198.51.100.31:40000 and a relay 198.51.100.32:3544; RFC 4380), the relay\'s packets with an origin ' +
    'indication, carrying IPv6: TLS from 2001:db8::10 to [2001:db8:5::46]:443 with SNI `teredo.example.com`;',
    '7. AYIYA (UDP 5072 both ways between a tunnel client 198.51.100.41 and a PoP 198.51.100.42, "forward" messages with a 16-byte identity and ' +
    'a 20-byte signature; draft-massar-v6ops-ayiya) carrying IPv6: TLS from 2001:db8::10 to [2001:db8:5::47]:443 with SNI `ayiya.example.com`;',
    '8. PPTP\'s enhanced GRE (version 1, protocol 0x880b, key with payload length and call ID, sequence and acknowledgment numbers; RFC 2637) ' +
    'between a client 198.51.100.51 and a server 198.51.100.52, carrying PPP frames (0xff03, protocol 0x0021) with IPv4: HTTP GET to ' +
    '203.0.113.48:80 with `Host: pptp.example.com`;',
    '9. IEEE 802.1ah provider backbone bridging (ethertype 0x88e7, I-SID 0x000100) whose customer frame carries an 802.1Q tag (VLAN 20) and IPv4: ' +
    'TLS to 203.0.113.49:443 with SNI `pbb.example.com`;',
    '10. a Network Service Header (ethertype 0x894f, MD type 2, service path 1, index 255, next protocol Ethernet; RFC 8300) around the ' +
    'device\'s Ethernet frames: HTTP GET to 203.0.113.50:80 with `Host: nsh.example.com`;',
    '11. an SRv6 layer-2 service: IPv6 from 2001:db8:a::1 to 2001:db8:a::2 with a Segment Routing Header (routing type 4, one segment) whose next ' +
    'header is 143, Ethernet (RFC 8986), carrying the device\'s frames: TLS to 203.0.113.51:443 with SNI `srv6.example.com`;',
    '12. an Aruba access point\'s GRE tunnel to its controller (198.51.100.61 ↔ 198.51.100.62, protocol 0x8200) carrying 802.11 QoS data frames, each ' +
    'an A-MSDU of one subframe (LLC/SNAP, IPv4): HTTP GET to 203.0.113.52:80 with `Host: aruba.example.com`;',
    '13. GRE-in-UDP (UDP to port 4754 both ways, GRE protocol 0x0800; RFC 8086) between 198.51.100.71 and 198.51.100.72: TLS to 203.0.113.53:443 ' +
    'with SNI `gre-udp.example.com`;',
    '14. MPLS-in-UDP (UDP to port 6635 both ways, one label; RFC 7510) between 198.51.100.81 and 198.51.100.82: HTTP GET to 203.0.113.54:80 ' +
    'with `Host: mpls-udp.example.com`;',
    '15. CAPWAP\'s data channel (UDP between an access point 198.51.100.91:49191 and its controller 198.51.100.92:5247; RFC 5415) carrying the ' +
    'device\'s 802.11 data frames with the Frame Control bytes swapped, as Cisco\'s access points send them: TLS to 203.0.113.55:443 with SNI `capwap.example.com`;',
    '16. TZSP (a MikroTik router 198.51.100.101:49201 streaming what its packet sniffer sees to a collector 198.51.100.102:37008, both directions ' +
    'of the device\'s flow; a padding tag, a channel tag and END, encapsulation 1, Ethernet): HTTP GET to 203.0.113.56:80 with `Host: tzsp.example.com`;',
    '17. LISP\'s data plane (UDP to port 4341 both ways between two tunnel routers 198.51.100.111 and 198.51.100.112; RFC 9300) carrying IPv6: TLS ' +
    'from 2001:db8::10 to [2001:db8:5::57]:443 with SNI `lisp.example.com`;',
    '18. L2TPv2 data messages (198.51.100.121:1701 ↔ 198.51.100.122:1701, the length field present, tunnel 7, session 9; RFC 2661) carrying PPP ' +
    '(0xff03, protocol 0x0021) with IPv4: HTTP GET to 203.0.113.58:80 with `Host: l2tp.example.com`;',
    '19. a WCCP redirect (a router 198.51.100.131 sending web traffic to a cache 198.51.100.132 in GRE, protocol 0x883e): towards the cache behind ' +
    'WCCPv2\'s 4-byte redirect header, back without one (WCCPv1; the first payload nibble 4 tells them apart, as tshark and FreeBSD do): HTTP GET to ' +
    '203.0.113.59:80 with `Host: wccp.example.com`.',
    'Expected: the device\'s nineteen flows are named as if no encapsulation were there; MPLS, PPPoE, PBB, NSH, GRE (PPTP, Aruba and WCCP too) and SRv6 add no transport ' +
    'layer (tunnel depth 0, as in tshark\'s conversations), Geneve, GTP-U, Teredo, AYIYA, GRE-in-UDP, MPLS-in-UDP, CAPWAP, TZSP, LISP and L2TP add one (tunnel depth 1) and their ' +
    'outer UDP 5-tuples are flows of their own (fourteen of them, `app` naming the tunnel), with the initiator taken as the device side since neither end ' +
    'is the device. tshark 4.0\'s `-z conv,tcp -z conv,udp` lists the same thirty-three conversations.',
  ],
  builder: 'TUNNELS_AND_SHIMS in test/gen/captures/tunnels.ts',
  tshark: [{
    // tshark decodes through every encapsulation with default preferences: the protocol stack and the name of each flow.
    args: ['-n', '-Y', 'tls.handshake.type == 1 || http.request || (dns && dns.flags.response == 0)', '-T', 'fields', '-e', 'frame.protocols',
      '-e', 'tls.handshake.extensions_server_name', '-e', 'http.host', '-e', 'dns.qry.name'],
    output: 'eth:ethertype:mpls:ip:tcp:tls\tmpls.example.com\t\t\n' +
      'eth:ethertype:pppoes:ppp:ip:tcp:http\t\tpppoe.example.com\t\n' +
      'eth:ethertype:ip:gre:erspan:eth:ethertype:ip:tcp:tls\terspan.example.com\t\t\n' +
      'eth:ethertype:ip:udp:geneve:eth:ethertype:ip:tcp:http\t\tgeneve.example.com\t\n' +
      'eth:ethertype:ip:udp:gtp:ip:udp:dns\t\t\tgtpu.example.com\n' +
      'eth:ethertype:ip:udp:teredo:ipv6:tcp:tls\tteredo.example.com\t\t\n' +
      'eth:ethertype:ip:udp:ayiya:ipv6:tcp:tls\tayiya.example.com\t\t\n' +
      'eth:ethertype:ip:gre:ppp:ip:tcp:http\t\tpptp.example.com\t\n' +
      'eth:ethertype:ieee8021ah:ethertype:vlan:ethertype:ip:tcp:tls\tpbb.example.com\t\t\n' +
      'eth:ethertype:nsh:eth:ethertype:ip:tcp:http\t\tnsh.example.com\t\n' +
      'eth:ethertype:ipv6:ipv6.routing:eth:ethertype:ip:tcp:tls\tsrv6.example.com\t\t\n' +
      'eth:ethertype:ip:gre:wlan:llc:ip:tcp:http\t\taruba.example.com\t\n' +
      'eth:ethertype:ip:udp:gre:ip:tcp:tls\tgre-udp.example.com\t\t\n' +
      'eth:ethertype:ip:udp:mpls:ip:tcp:http\t\tmpls-udp.example.com\t\n' +
      'eth:ethertype:ip:udp:capwap.data:wlan:llc:ip:tcp:tls\tcapwap.example.com\t\t\n' +
      'eth:ethertype:ip:udp:tzsp:eth:ethertype:ip:tcp:http\t\ttzsp.example.com\t\n' +
      'eth:ethertype:ip:udp:lisp-data:ipv6:tcp:tls\tlisp.example.com\t\t\n' +
      'eth:ethertype:ip:udp:l2tp:ppp:ip:tcp:http\t\tl2tp.example.com\t\n' +
      'eth:ethertype:ip:gre:ip:tcp:http\t\twccp.example.com\t\n',
  }],
  build() {
    let greSequence = 0;
    let pptpSequence = 0;
    let outer: OuterFlow[] = [];
    const links: WrappedLink[] = [
      // 0: MPLS, two labels.
      { kind: 'wrapped', wrap: (p, src, dst) => ethernet({ src: src.mac, dst: dst.mac, etherType: ETHERTYPE_MPLS }, bytes(u32((1000 << 12) | 64), u32((42 << 12) | 0x100 | 64), p)) },
      // 1: PPPoE session stage, PPP IPv4.
      { kind: 'wrapped', wrap: (p, src, dst) => ethernet({ src: src.mac, dst: dst.mac, etherType: ETHERTYPE_PPPOE_SESSION }, bytes([0x11, 0x00], u16(0x1234), u16(2 + p.length), u16(0x0021), p)) },
      // 2: ERSPAN II: GRE (S bit, protocol 0x88be, sequence), 8-byte header (version 1, VLAN 0, session 7, index 0), the mirrored frame.
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => ethernet({ src: '00:00:5e:00:53:01', dst: '00:00:5e:00:53:02', etherType: ETHERTYPE_IPV4 },
          ipv4({ src: ERSPAN_SWITCH, dst: ERSPAN_COLLECTOR, protocol: IPPROTO_GRE, ttl: 63 },
            bytes(u16(0x1000), u16(0x88be), u32(greSequence++), u16(0x1000), u16(7), u32(0), innerEthernet(p, src, dst)))),
      },
      // 3: Geneve with one option; each direction has its own outer 5-tuple.
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => {
          const header = bytes([0x02, 0x00], u16(ETHERTYPE_TEB), [0x00, 0xab, 0xcd, 0x00], u16(0x0103), [0x80, 0x01], u32(0x0badcafe));
          const [from, to] = isDeviceHost(src) ? [GENEVE_A, GENEVE_B_IN] : [GENEVE_B, GENEVE_A_IN];
          return outerUdp(from, to, bytes(header, innerEthernet(p, src, dst)));
        },
        carried: (ts, src, len) => outer[isDeviceHost(src) ? 0 : 1].carry(ts, true, len),
      },
      // 4: GTP-U G-PDU with the E flag and a PDU session container (type 0x85, one 4-byte unit).
      {
        kind: 'wrapped',
        wrap: (p, src) => {
          const ext = [0x01, isDeviceHost(src) ? 0x10 : 0x00, 0x09, 0x00];
          const gtp = bytes([0x34, 0xff], u16(4 + ext.length + p.length), u32(0x00c0ffee), u16(0), [0x00, 0x85], ext, p);
          return isDeviceHost(src) ? outerUdp(GNB, UPF, gtp) : outerUdp(UPF, GNB, gtp);
        },
        carried: (ts, src, len) => outer[2].carry(ts, isDeviceHost(src), len),
      },
      // 5: Teredo; the relay's packets carry an origin indication (port and address, obfuscated by XOR).
      {
        kind: 'wrapped',
        wrap: (p, src) => isDeviceHost(src)
          ? outerUdp(TEREDO_CLIENT, TEREDO_RELAY, p)
          : outerUdp(TEREDO_RELAY, TEREDO_CLIENT, bytes([0x00, 0x00], u16(443 ^ 0xffff), [0xcb ^ 0xff, 0x00 ^ 0xff, 0x71 ^ 0xff, 0x2e ^ 0xff], p)),
        carried: (ts, src, len) => outer[3].carry(ts, isDeviceHost(src), len),
      },
      // 6: AYIYA forward: a 16-byte identity (2^4), a 20-byte SHA-1 signature (5 words), next header 41.
      {
        kind: 'wrapped',
        wrap: (p, src) => {
          const header = bytes([0x41, 0x52, 0x21, 41], u32(1717243200), new Uint8Array(16).fill(0x20), new Uint8Array(20).fill(0x5a));
          return isDeviceHost(src) ? outerUdp(AYIYA_CLIENT, AYIYA_POP, bytes(header, p)) : outerUdp(AYIYA_POP, AYIYA_CLIENT, bytes(header, p));
        },
        carried: (ts, src, len) => outer[4].carry(ts, isDeviceHost(src), len),
      },
      // 7: PPTP enhanced GRE v1: K (payload length, call ID), S (sequence), A (acknowledgment), then PPP 0xff03 0x0021.
      {
        kind: 'wrapped',
        wrap: (p, src) => {
          const toServer = isDeviceHost(src);
          const ppp = bytes([0xff, 0x03], u16(0x0021), p);
          const gre = bytes(u16(0x3081), u16(0x880b), u16(ppp.length), u16(toServer ? 0x4001 : 0x8001), u32(pptpSequence++), u32(0), ppp);
          return ethernet({ src: '00:00:5e:00:53:51', dst: '00:00:5e:00:53:52', etherType: ETHERTYPE_IPV4 },
            ipv4({ src: toServer ? PPTP_CLIENT : PPTP_SERVER, dst: toServer ? PPTP_SERVER : PPTP_CLIENT, protocol: IPPROTO_GRE, ttl: 61 }, gre));
        },
      },
      // 8: PBB: backbone MACs, I-TAG (I-SID 0x000100), the customer's MACs, an 802.1Q tag (VLAN 20), IPv4.
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => {
          const customer = innerEthernet(p, src, dst);
          return ethernet({ src: '00:00:5e:00:53:61', dst: '00:00:5e:00:53:62', etherType: ETHERTYPE_PBB },
            bytes(u32(0x00000100), customer.subarray(0, 12), u16(ETHERTYPE_VLAN), u16(20), customer.subarray(12)));
        },
      },
      // 9: NSH: base header (version 0, TTL 63, length 2 words, MD type 2, next protocol 3 = Ethernet), service path 1 / index 255.
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => ethernet({ src: '00:00:5e:00:53:71', dst: '00:00:5e:00:53:72', etherType: ETHERTYPE_NSH },
          bytes([0x0f, 0xc2, 0x02, 0x03], u32(0x000001ff), innerEthernet(p, src, dst))),
      },
      // 10: SRv6: IPv6 with a Segment Routing Header (next header 143, routing type 4, one segment), then the device's Ethernet frame.
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => {
          const toB = isDeviceHost(src);
          const srh = bytes([143, 2, 4, 0, 0, 0], u16(0), ipv6({ src: SRV6_A, dst: SRV6_B, nextHeader: 59 }, new Uint8Array(0)).subarray(24, 40));
          return ethernet({ src: '00:00:5e:00:53:a1', dst: '00:00:5e:00:53:a2', etherType: 0x86dd },
            ipv6({ src: toB ? SRV6_A : SRV6_B, dst: toB ? SRV6_B : SRV6_A, nextHeader: 43, hopLimit: 63 }, bytes(srh, innerEthernet(p, src, dst))));
        },
      },
      // 11: Aruba GRE (0x8200): an 802.11 QoS data frame (to the AP from the device, from the AP towards it) whose QoS control says A-MSDU, one subframe.
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => {
          const fromDevice = isDeviceHost(src);
          const msdu = bytes([0xaa, 0xaa, 0x03, 0, 0, 0], u16(ETHERTYPE_IPV4), p);
          const subframe = bytes(parseMac(dst.mac), parseMac(src.mac), u16(msdu.length), msdu);
          // Frame control: QoS data (0x88), ToDS (0x01) or FromDS (0x02); addresses per direction (IEEE 802.11-2020 Table 9-30).
          const header = fromDevice
            ? bytes([0x88, 0x01], u16(0), parseMac(AP_BSSID), parseMac(src.mac), parseMac(dst.mac), u16(0), [0x80, 0x00])
            : bytes([0x88, 0x02], u16(0), parseMac(dst.mac), parseMac(AP_BSSID), parseMac(src.mac), u16(0), [0x80, 0x00]);
          return ethernet({ src: '00:00:5e:00:53:b1', dst: '00:00:5e:00:53:b2', etherType: ETHERTYPE_IPV4 },
            ipv4({ src: fromDevice ? ARUBA_AP : ARUBA_CONTROLLER, dst: fromDevice ? ARUBA_CONTROLLER : ARUBA_AP, protocol: IPPROTO_GRE, ttl: 64 },
              bytes(u16(0), u16(0x8200), header, subframe)));
        },
      },
      // 12: GRE-in-UDP: each direction from its own source port to 4754; GRE without options, protocol IPv4.
      {
        kind: 'wrapped',
        wrap: (p, src) => isDeviceHost(src) ? outerUdp(GRE_UDP_A, GRE_UDP_B_IN, bytes(u16(0), u16(ETHERTYPE_IPV4), p)) : outerUdp(GRE_UDP_B, GRE_UDP_A_IN, bytes(u16(0), u16(ETHERTYPE_IPV4), p)),
        carried: (ts, src, len) => outer[isDeviceHost(src) ? 5 : 6].carry(ts, true, len),
      },
      // 13: MPLS-in-UDP: each direction from its own source port to 6635; one label (bottom of stack), then IPv4.
      {
        kind: 'wrapped',
        wrap: (p, src) => isDeviceHost(src) ? outerUdp(MPLS_UDP_A, MPLS_UDP_B_IN, bytes(u32((2001 << 12) | 0x100 | 64), p)) : outerUdp(MPLS_UDP_B, MPLS_UDP_A_IN, bytes(u32((2002 << 12) | 0x100 | 64), p)),
        carried: (ts, src, len) => outer[isDeviceHost(src) ? 7 : 8].carry(ts, true, len),
      },
      // 14: CAPWAP data: an 8-byte header (HLEN 2, RID 1, WBID 1, T set), then an 802.11 data frame with its Frame Control bytes swapped (Cisco).
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => {
          const fromDevice = isDeviceHost(src);
          const fc = fromDevice ? [0x01, 0x08] : [0x02, 0x08]; // ToDS / FromDS data, byte-swapped
          const addresses = fromDevice ? bytes(parseMac(AP_BSSID), parseMac(src.mac), parseMac(dst.mac)) : bytes(parseMac(dst.mac), parseMac(AP_BSSID), parseMac(src.mac));
          const frame = bytes(fc, u16(0), addresses, u16(0), [0xaa, 0xaa, 0x03, 0, 0, 0], u16(ETHERTYPE_IPV4), p);
          const header = bytes([0x00, 0x10, 0x43, 0x00], u32(0));
          return fromDevice ? outerUdp(CAPWAP_AP, CAPWAP_WLC, bytes(header, frame)) : outerUdp(CAPWAP_WLC, CAPWAP_AP, bytes(header, frame));
        },
        carried: (ts, src, len) => outer[9].carry(ts, isDeviceHost(src), len),
      },
      // 15: TZSP: the router streams both directions of the device's frames to the collector (version 1, type 0, encapsulation 1;
      // a padding tag, channel 6, END).
      {
        kind: 'wrapped',
        wrap: (p, src, dst) => outerUdp(TZSP_ROUTER, TZSP_COLLECTOR, bytes([1, 0], u16(1), [0x00, 0x12, 0x01, 0x06, 0x01], innerEthernet(p, src, dst))),
        carried: (ts, _src, len) => outer[10].carry(ts, true, len),
      },
      // 16: LISP data: each direction from its own source port to 4341; flags N and I, nonce, instance ID 0x000100; then the IPv6 packet.
      {
        kind: 'wrapped',
        wrap: (p, src) => {
          const header = bytes([0x88, 0x12, 0x34, 0x56], u32(0x00010000));
          return isDeviceHost(src) ? outerUdp(LISP_A, LISP_B_IN, bytes(header, p)) : outerUdp(LISP_B, LISP_A_IN, bytes(header, p));
        },
        carried: (ts, src, len) => outer[isDeviceHost(src) ? 11 : 12].carry(ts, true, len),
      },
      // 17: L2TPv2 data: flags 0x4002 (length present, version 2), length, tunnel 7, session 9, then PPP 0xff03 0x0021.
      {
        kind: 'wrapped',
        wrap: (p, src) => {
          const ppp = bytes([0xff, 0x03], u16(0x0021), p);
          const l2tp = bytes(u16(0x4002), u16(8 + ppp.length), u16(7), u16(9), ppp);
          return isDeviceHost(src) ? outerUdp(L2TP_LAC, L2TP_LNS, l2tp) : outerUdp(L2TP_LNS, L2TP_LAC, l2tp);
        },
        carried: (ts, src, len) => outer[13].carry(ts, isDeviceHost(src), len),
      },
      // 18: WCCP: a router's GRE (protocol 0x883e) to a web cache; towards the cache with WCCPv2's 4-byte redirect header, back without (WCCPv1).
      {
        kind: 'wrapped',
        wrap: (p, src) => {
          const toCache = isDeviceHost(src);
          return ethernet({ src: '00:00:5e:00:53:c1', dst: '00:00:5e:00:53:c2', etherType: ETHERTYPE_IPV4 },
            ipv4({ src: toCache ? WCCP_ROUTER : WCCP_CACHE, dst: toCache ? WCCP_CACHE : WCCP_ROUTER, protocol: IPPROTO_GRE, ttl: 64 },
              toCache ? bytes(u16(0), u16(0x883e), [0x00, 0x00, 0x00, 0x00], p) : bytes(u16(0), u16(0x883e), p)));
        },
      },
    ];
    const b = new CaptureBuilder(links, DEVICES);
    outer = [
      new OuterFlow(b, 3, GENEVE_A, GENEVE_B_IN),
      new OuterFlow(b, 3, GENEVE_B, GENEVE_A_IN),
      new OuterFlow(b, 4, GNB, UPF),
      new OuterFlow(b, 5, TEREDO_CLIENT, TEREDO_RELAY),
      new OuterFlow(b, 6, AYIYA_CLIENT, AYIYA_POP),
      new OuterFlow(b, 12, GRE_UDP_A, GRE_UDP_B_IN),
      new OuterFlow(b, 12, GRE_UDP_B, GRE_UDP_A_IN),
      new OuterFlow(b, 13, MPLS_UDP_A, MPLS_UDP_B_IN),
      new OuterFlow(b, 13, MPLS_UDP_B, MPLS_UDP_A_IN),
      new OuterFlow(b, 14, CAPWAP_AP, CAPWAP_WLC),
      new OuterFlow(b, 15, TZSP_ROUTER, TZSP_COLLECTOR),
      new OuterFlow(b, 16, LISP_A, LISP_B_IN),
      new OuterFlow(b, 16, LISP_B, LISP_A_IN),
      new OuterFlow(b, 17, L2TP_LAC, L2TP_LNS),
    ];

    const tlsTo = (iface: number, port: number, server: Endpoint, name: string, at: bigint, client = device(port)): TcpScript =>
      tunnelledTls(b, this.file, iface, port, server, name, at, client);
    const httpTo = (iface: number, port: number, server: Endpoint, host: string, at: bigint): TcpScript => tunnelledHttp(b, iface, port, server, host, at);

    const mpls = tlsTo(0, 50001, remote('203.0.113.41', 443), 'mpls.example.com', T0 + ms(1));
    const pppoe = httpTo(1, 50002, remote('203.0.113.42', 80), 'pppoe.example.com', T0 + ms(200));
    const erspan = tlsTo(2, 50003, remote('203.0.113.43', 443), 'erspan.example.com', T0 + ms(400));
    const geneve = httpTo(3, 50004, remote('203.0.113.44', 80), 'geneve.example.com', T0 + ms(600));
    const q: DnsMessageSpec = { id: 0x6a01, response: false, questions: [{ name: 'gtpu.example.com', type: DNS_TYPE_A }] };
    const lookup = udpDnsLookup(b, 4, device(53001), { ...RESOLVER, mac: ROUTER_MAC }, T0 + ms(800), q,
      { ...q, response: true, answers: [{ name: 'gtpu.example.com', type: DNS_TYPE_A, ttl: 300, data: '203.0.113.45' }] });
    const teredo = tlsTo(5, 50006, remote('2001:db8:5::46', 443), 'teredo.example.com', T0 + ms(1000), device(50006, DEVICE_V6));
    const ayiya = tlsTo(6, 50007, remote('2001:db8:5::47', 443), 'ayiya.example.com', T0 + ms(1200), device(50007, DEVICE_V6));
    const pptp = httpTo(7, 50008, remote('203.0.113.48', 80), 'pptp.example.com', T0 + ms(1400));
    const pbb = tlsTo(8, 50009, remote('203.0.113.49', 443), 'pbb.example.com', T0 + ms(1600));
    const nsh = httpTo(9, 50010, remote('203.0.113.50', 80), 'nsh.example.com', T0 + ms(1800));
    const srv6 = tlsTo(10, 50011, remote('203.0.113.51', 443), 'srv6.example.com', T0 + ms(2000));
    const aruba = httpTo(11, 50012, remote('203.0.113.52', 80), 'aruba.example.com', T0 + ms(2200));
    const greUdp = tlsTo(12, 50013, remote('203.0.113.53', 443), 'gre-udp.example.com', T0 + ms(2400));
    const mplsUdp = httpTo(13, 50014, remote('203.0.113.54', 80), 'mpls-udp.example.com', T0 + ms(2600));
    const capwap = tlsTo(14, 50015, remote('203.0.113.55', 443), 'capwap.example.com', T0 + ms(2800));
    const tzsp = httpTo(15, 50016, remote('203.0.113.56', 80), 'tzsp.example.com', T0 + ms(3000));
    const lisp = tlsTo(16, 50017, remote('2001:db8:5::57', 443), 'lisp.example.com', T0 + ms(3200), device(50017, DEVICE_V6));
    const l2tp = httpTo(17, 50018, remote('203.0.113.58', 80), 'l2tp.example.com', T0 + ms(3400));
    const wccp = httpTo(18, 50019, remote('203.0.113.59', 80), 'wccp.example.com', T0 + ms(3600));

    const records = b.records();
    const tls = (name: string, why: string) => ({ why, app: 'tls', sni: name, name, name_source: 'sni' as const, syn_seen: true, tunnel_depth: 0 });
    const http = (host: string, why: string, depth: number) => ({ why, app: 'http', http_host: host, name: host, name_source: 'http-host' as const, syn_seen: true, tunnel_depth: depth });
    return {
      bytes: serializePcap(records, { linkType: LINKTYPE_ETHERNET }),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcap', link_types: ['EN10MB'] }, 33, 1),
        flows: [
          mpls.expect(tls('mpls.example.com', 'SNI under two MPLS labels')),
          pppoe.expect(http('pppoe.example.com', 'Host inside a PPPoE session', 0)),
          erspan.expect(tls('erspan.example.com', 'SNI in a frame mirrored by ERSPAN II in GRE')),
          geneve.expect(http('geneve.example.com', 'Host inside Geneve', 1)),
          lookup.flow.expect({ why: 'DNS inside GTP-U', app: 'dns', dns_names: ['gtpu.example.com'], tunnel_depth: 1 }),
          teredo.expect({ ...tls('teredo.example.com', 'SNI inside Teredo (IPv6 in UDP)'), tunnel_depth: 1 }),
          outer[0].expect({ why: 'Geneve outer 5-tuple, device to server direction', app: 'geneve', tunnel_depth: 0 }),
          outer[1].expect({ why: 'Geneve outer 5-tuple, the other direction', app: 'geneve', tunnel_depth: 0 }),
          outer[2].expect({ why: 'GTP-U outer 5-tuple (2152 both ways)', app: 'gtp-u', tunnel_depth: 0 }),
          ayiya.expect({ ...tls('ayiya.example.com', 'SNI inside AYIYA (IPv6 in UDP)'), tunnel_depth: 1 }),
          pptp.expect(http('pptp.example.com', 'Host inside PPP inside PPTP\'s enhanced GRE', 0)),
          outer[3].expect({ why: 'Teredo outer 5-tuple', app: 'teredo', tunnel_depth: 0 }),
          outer[4].expect({ why: 'AYIYA outer 5-tuple (5072 both ways)', app: 'ayiya', tunnel_depth: 0 }),
          pbb.expect(tls('pbb.example.com', 'SNI in a VLAN-tagged customer frame inside PBB (802.1ah)')),
          nsh.expect(http('nsh.example.com', 'Host in an Ethernet frame inside NSH', 0)),
          srv6.expect(tls('srv6.example.com', 'SNI in an Ethernet frame after an SRv6 Segment Routing Header (IP protocol 143)')),
          aruba.expect(http('aruba.example.com', 'Host in an A-MSDU subframe of an 802.11 frame inside Aruba GRE', 0)),
          greUdp.expect({ ...tls('gre-udp.example.com', 'SNI inside GRE-in-UDP'), tunnel_depth: 1 }),
          mplsUdp.expect(http('mpls-udp.example.com', 'Host inside MPLS-in-UDP', 1)),
          outer[5].expect({ why: 'GRE-in-UDP outer 5-tuple, device to server direction', app: 'gre-in-udp', tunnel_depth: 0 }),
          outer[6].expect({ why: 'GRE-in-UDP outer 5-tuple, the other direction', app: 'gre-in-udp', tunnel_depth: 0 }),
          outer[7].expect({ why: 'MPLS-in-UDP outer 5-tuple, device to server direction', app: 'mpls-in-udp', tunnel_depth: 0 }),
          outer[8].expect({ why: 'MPLS-in-UDP outer 5-tuple, the other direction', app: 'mpls-in-udp', tunnel_depth: 0 }),
          capwap.expect({ ...tls('capwap.example.com', 'SNI in an 802.11 frame (Frame Control swapped) inside CAPWAP'), tunnel_depth: 1 }),
          outer[9].expect({ why: 'CAPWAP outer 5-tuple, access point to controller', app: 'capwap', tunnel_depth: 0 }),
          tzsp.expect(http('tzsp.example.com', 'Host in a frame a MikroTik sniffer streamed over TZSP', 1)),
          lisp.expect({ ...tls('lisp.example.com', 'SNI inside LISP\'s data plane (IPv6 in UDP)'), tunnel_depth: 1 }),
          l2tp.expect(http('l2tp.example.com', 'Host inside PPP inside L2TPv2', 1)),
          outer[10].expect({ why: 'TZSP stream, router to collector', app: 'tzsp', tunnel_depth: 0 }),
          outer[11].expect({ why: 'LISP outer 5-tuple, device to server direction', app: 'lisp', tunnel_depth: 0 }),
          outer[12].expect({ why: 'LISP outer 5-tuple, the other direction', app: 'lisp', tunnel_depth: 0 }),
          outer[13].expect({ why: 'L2TP outer 5-tuple (1701 both ways)', app: 'l2tp', tunnel_depth: 0 }),
          wccp.expect(http('wccp.example.com', 'Host inside a WCCP redirect (GRE 0x883e, with and without the WCCPv2 redirect header)', 0)),
        ],
        dns: lookup.dns,
      },
    };
  },
};
