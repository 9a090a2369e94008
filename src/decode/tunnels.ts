/**
 * Tunnel headers whose inner packet is a flow of its own: GRE (RFC 2784 + RFC 2890 keys and
 * sequence numbers; IP, Ethernet, MPLS, PPP and ERSPAN mirror payloads, Aruba's 802.11 frames,
 * WCCP's web-cache redirects; PPTP's enhanced GRE with PPP, MikroTik's EoIP with Ethernet) and, over UDP, VXLAN (RFC 7348),
 * Geneve (RFC 8926), GTP-U (3GPP TS 29.281), Teredo (RFC 4380), AYIYA
 * (draft-massar-v6ops-ayiya, SixXS's IPv6 tunnel), VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe: IP,
 * Ethernet, NSH or MPLS, as service chains use it),
 * GRE-in-UDP (RFC 8086), MPLS-in-UDP (RFC 7510), CAPWAP's data channel (RFC 5415, 802.11
 * or 802.3 frames from access points), TZSP (MikroTik's sniffer stream), LISP's data plane
 * (RFC 9300), L2TPv2 data messages (RFC 2661), L2TPv3 data messages of Ethernet pseudowires
 * (RFC 3931, RFC 4719; over UDP and, through l2tpv3Frame, directly over IP, protocol 115) and
 * GUE (draft-ietf-intarea-gue, Linux's `ip fou ... gue`). IP-in-IP (protocols 4 and 41), Ethernet
 * in IP (143) and EtherIP (97, a 2-byte header) are handled by the dispatcher in decode-frame.ts.
 *
 * UDP tunnels are recognised on their IANA port only, as tshark does with default preferences
 * (a capture's tunnel on another port is a plain UDP flow): either port (a Teredo server
 * answers from 3544; a VXLAN sender may use 4789 as its source port too), the lower one first
 * when both are a tunnel's, as tshark tries them (checked with tshark 4.0), and never when the
 * other port is below 1024. Each header is checked as far as it can be (version, type, flags,
 * lengths, the payload's IP version) so that ordinary datagrams that happen to use the port
 * stay plain; MPLS-in-UDP has no header of its own, so, as in tshark, any datagram on 6635 is
 * read as a label stack (what follows the stack decides whether it is IP).
 *
 * Per packet: allocation-free, never throws on packet bytes. These functions only locate the
 * inner packet; they must never decode it (decode-frame.ts does, with the depth bound).
 */
import { A, AnomalyCounters } from '../anomalies';
import {
  LINKTYPE_ETHERNET, LINKTYPE_FDDI, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_AVS, LINKTYPE_IEEE802_11_PRISM, LINKTYPE_IEEE802_5,
  LINKTYPE_PPP, LINKTYPE_RAW,
} from '../capture/source';
import { u16be, u32be } from './bytes';
import {
  ETHERTYPE_ARP, ETHERTYPE_IEEE80211, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MPLS, ETHERTYPE_PPP, ETHERTYPE_QINQ, ETHERTYPE_TEB, ETHERTYPE_VLAN, LayerCursor,
  NEXT_LAYER,
} from './layer-cursor';
import { DecodeStatus, InnerKind, PacketView } from './packet-view';

const TUNNEL_TRUNCATED = A['tunnel.truncated'];
const GRE_UNSUPPORTED = A['gre.unsupported'];
const L2TP_MALFORMED = A['l2tp.malformed'];
const L2TP_UNSUPPORTED = A['l2tp.unsupported'];

/**
 * Most tunnel layers decoded inside one frame. Real stacks go 2 deep (VXLAN over an IPsec or
 * GRE underlay; 6in4 inside a VLAN trunk's GRE); 4 leaves headroom while stopping a packet
 * that nests IP-in-IP dozens of times from costing a decode per layer.
 */
export const MAX_TUNNEL_DEPTH = 4;

/** IANA-assigned VXLAN UDP destination port (RFC 7348 §5). */
export const VXLAN_PORT = 4789;
const VXLAN_HEADER_LENGTH = 8;
/** VXLAN-GPE's IANA port (draft-ietf-nvo3-vxlan-gpe §3.3). */
export const VXLAN_GPE_PORT = 4790;
/** VXLAN-GPE next-protocol values (§3.2): IPv4, IPv6, Ethernet, NSH, MPLS. */
const GPE_NEXT_KINDS = [InnerKind.None, InnerKind.Ip, InnerKind.Ip, InnerKind.Ethernet, InnerKind.Nsh, InnerKind.Mpls];

const GRE_BASE_HEADER_LENGTH = 4;
const GRE_FLAG_C = 0x8000; // RFC 2784 §2.1: Checksum and Reserved1 present (4 bytes)
const GRE_FLAG_K = 0x2000; // RFC 2890 §2: Key present (4 bytes)
const GRE_FLAG_S = 0x1000; // RFC 2890 §2: Sequence Number present (4 bytes)
/**
 * RFC 2784 §2.3: a receiver MUST discard a packet with any of Reserved0 bits 1-5 set unless it
 * implements RFC 1701 (routing, strict source route, recursion control); bits 2 and 3 are K and
 * S since RFC 2890, which leaves bits 1, 4 and 5. Bit 1 is RFC 1701's Routing Present, read
 * below as tshark reads it (GRE_FLAG_R); enhanced GRE forbids all three.
 */
const GRE_RESERVED0_MUST_BE_ZERO = 0x4c00;
/** RFC 1701 §2.1: Routing Present: the checksum and offset fields, then Source Route Entries ending with a NULL one. */
const GRE_FLAG_R = 0x4000;
/** RFC 1701 source route entries walked before the payload; more is no real route. */
const MAX_GRE_SRES = 16;
const GRE_VERSION_MASK = 0x0007;
/** RFC 2637 §4.1: the acknowledgment number is present (enhanced GRE only). */
const PPTP_GRE_FLAG_A = 0x0080;

/**
 * ERSPAN, a switch's mirror session carried in GRE (draft-foschiano-erspan): protocol 0x88be is
 * type II (an 8-byte header, version 1) or, without a GRE sequence number, type I (no header);
 * 0x22eb is type III (12 bytes, version 2, plus an 8-byte platform subheader when its O bit is
 * set). The payload is the mirrored Ethernet frame.
 */
const GRE_ERSPAN_II = 0x88be;
/** MikroTik EoIP's GRE protocol type (tshark's GRE_MIKROTIK_EOIP). */
const GRE_MIKROTIK_EOIP = 0x6400;
/**
 * WCCP (Cisco's Web Cache Communication Protocol): a router redirects traffic to a web cache in
 * GRE with this protocol type, the payload IPv4. WCCPv2 puts a 4-byte redirect header before the
 * packet and WCCPv1 none; as in tshark and FreeBSD's GRE input, a payload whose first nibble is
 * not 4 (not an IPv4 header) has the redirect header.
 */
const GRE_WCCP = 0x883e;
const WCCP_REDIRECT_HEADER_LENGTH = 4;
/**
 * Aruba's GRE protocol types between an access point and its controller: 0x8200 to 0x8370 in
 * steps of 0x10, each an 802.11 frame without FCS (the values tshark's 802.11 dissector takes).
 */
const GRE_ARUBA_FIRST = 0x8200;
const GRE_ARUBA_LAST = 0x8370;
function isArubaProtocol(protocol: number): boolean {
  return protocol >= GRE_ARUBA_FIRST && protocol <= GRE_ARUBA_LAST && (protocol & 0xf) === 0;
}
const GRE_ERSPAN_III = 0x22eb;
const ERSPAN_II_HEADER_LENGTH = 8;
const ERSPAN_III_HEADER_LENGTH = 12;
const ERSPAN_III_PLATFORM_SUBHEADER_LENGTH = 8;

/** IANA-assigned UDP ports of the other UDP tunnels (RFC 8926 §3.3, TS 29.281 §4.4.2.3, RFC 4380 §4). */
export const GENEVE_PORT = 6081;
export const GTPU_PORT = 2152;
export const TEREDO_PORT = 3544;
/**
 * A datagram whose other port is a well-known one (DNS on 53, NTP on 123, ...) belongs to that
 * service even when a client happened to pick a tunnel's port: tshark, which tries the lower
 * port first, decides the same way. Tunnel endpoints use ephemeral or equal ports.
 */
export const FIRST_UNPRIVILEGED_PORT = 1024;
/** AYIYA's port (SixXS's registration, what tshark and Zeek decode). */
export const AYIYA_PORT = 5072;
/** GRE-in-UDP (RFC 8086 §3.1) and MPLS-in-UDP (RFC 7510 §3): IANA ports, which tshark decodes by default. */
export const GRE_IN_UDP_PORT = 4754;
export const MPLS_IN_UDP_PORT = 6635;
const MPLS_LABEL_BYTES = 4;
/**
 * CAPWAP's data channel (RFC 5415 §4.3, RFC 5416): the port access points tunnel their
 * stations' frames to a WLAN controller on. The header: a preamble (version 0, type 0; type 1
 * is DTLS), then HLEN (in 4-byte words), RID, WBID, and the T (native frame: 802.11 when WBID
 * is 1, else an 802.3 frame), F (fragment), L, W, M and K (keep-alive) bits.
 */
export const CAPWAP_DATA_PORT = 5247;
const CAPWAP_MIN_HEADER_LENGTH = 8;
const CAPWAP_FLAG_T = 0x01; // in the header's third byte
const CAPWAP_FLAG_F = 0x80; // in the fourth
const CAPWAP_FLAG_K = 0x08;
const CAPWAP_WBID_IEEE80211 = 1;
/**
 * TZSP, the TaZmen Sniffer Protocol: what MikroTik routers' packet sniffer streams captured
 * frames to a collector with (tshark decodes port 37008 by default). A 4-byte header (version
 * 1, type, encapsulation), tagged fields up to the END tag, then the frame.
 */
export const TZSP_PORT = 37008;
const TZSP_HEADER_LENGTH = 4;
/** Types that carry a frame: a received packet (0) and one for transmission (1). */
const TZSP_TYPE_LAST_WITH_FRAME = 1;
const TZSP_TAG_PADDING = 0;
const TZSP_TAG_END = 1;
/**
 * Most tagged fields walked: TZSP defines about twenty, each sent at most once, and one-byte
 * padding tags may sit between them; past this the datagram stays plain (tshark walks on).
 */
export const MAX_TZSP_TAGS = 256;
/**
 * TZSP encapsulations decoded, as the link type of the frame that follows (tshark's table): 1
 * Ethernet, 2 Token Ring, 4 PPP, 5 FDDI, 7 raw IP, 18 IEEE 802.11, 119 802.11 behind a Prism
 * header, 127 behind an AVS header; others (3, SLIP) stay plain.
 */
const TZSP_LINK_TYPES: { readonly [encapsulation: number]: number } = {
  1: LINKTYPE_ETHERNET, 2: LINKTYPE_IEEE802_5, 4: LINKTYPE_PPP, 5: LINKTYPE_FDDI, 7: LINKTYPE_RAW, 18: LINKTYPE_IEEE802_11,
  119: LINKTYPE_IEEE802_11_PRISM, 127: LINKTYPE_IEEE802_11_AVS,
};
/** LISP's data plane (RFC 9300 §5.3): an 8-byte header (flags, nonce or map-version, instance ID), then IPv4 or IPv6. */
export const LISP_DATA_PORT = 4341;
const LISP_DATA_HEADER_LENGTH = 8;
/**
 * L2TP version 2 (RFC 2661 §3.1) data messages: flags T (control), L (length present), S
 * (sequence numbers present), O (offset present), P; version 2 in the low bits; then tunnel and
 * session IDs; then the PPP frame.
 */
export const L2TP_PORT = 1701;
const L2TP_FLAG_T = 0x8000;
const L2TP_FLAG_L = 0x4000;
const L2TP_FLAG_S = 0x0800;
const L2TP_FLAG_O = 0x0200;
const L2TP_VERSION_MASK = 0x000f;
const L2TP_VERSION_2 = 2;
/** Flags, tunnel ID and session ID: the fields every L2TPv2 message has. */
const L2TP_MIN_HEADER_LENGTH = 6;
/**
 * L2TPv3 (RFC 3931 §4.1.2.1) over UDP: flags with T (control) and version 3 in the low bits, 2
 * reserved bytes; then, as directly over IP (§4.1.1.1), the session ID, where 0 is a control message.
 */
const L2TP_VERSION_3 = 3;
const L2TPV3_UDP_HEADER_LENGTH = 4;
const L2TPV3_SESSION_ID_LENGTH = 4;
/**
 * The bytes that may sit between an L2TPv3 session ID and the frame, longest first tried last: a
 * cookie of 0, 4 or 8 bytes (RFC 3931 §4.1: Linux's `cookie`/`peer_cookie` take 8 or 16 hex
 * digits) plus the 4-byte default L2-specific sublayer (§4.6) or none (Linux's `l2spec_type
 * none`). Cookie 4 without the sublayer and no cookie with it are the same gap, so four gaps
 * cover the six configurations.
 */
const L2TPV3_GAP_STEP = 4;
const L2TPV3_MAX_GAP = 12;
/** What l2tpv3Frame returns when it finds no frame (a frame's offset is never negative). */
export const enum L2tpv3NoFrame {
  /** A control message (session ID 0): IP that is no flow, no anomaly. */
  Control = -1,
  /** Cut by the capture before a frame could be told (tunnel.truncated counted). */
  Truncated = -2,
  /** Too short on the wire for a session ID (l2tp.malformed counted). */
  Malformed = -3,
  /** No plausible Ethernet frame at any gap (l2tp.unsupported counted). */
  Unsupported = -4,
}
/** Ethernet header without FCS; the shortest frame a sender pads to (IEEE 802.3's 64 bytes less the 4 of the FCS). */
const ETHERNET_HEADER_LENGTH = 14;
const ETHERNET_MIN_FRAME = 60;
const VLAN_TAG_LENGTH = 4;
const ARP_IPV4_LENGTH = 28;
/** ARP for IPv4 over Ethernet (RFC 826): hardware type 1, protocol 0x0800, address lengths 6 and 4. */
const ARP_ETHERNET_IPV4_PREFIX = 0x00010800;
const ARP_ETHERNET_IPV4_LENGTHS = 0x0604;
/** isEthernetFrameAt's answers. */
const FRAME_NO = 0;
const FRAME_YES = 1;
const FRAME_CUT = 2;
/**
 * GUE, Generic UDP Encapsulation (draft-ietf-intarea-gue-09 §3, IANA port 6080), as Linux sends it
 * for an ipip, sit or gre tunnel with `encap gue` (fou_core.c): version 0 (two top bits), C
 * (control) clear, Hlen (5 bits) words of extension fields after the 4-byte header, the IP
 * protocol of the payload, then flags. Version 1 (the top bits 01) has no header at all: the
 * datagram starts with the IPv4 or IPv6 header (§3.3; Linux receives it too).
 */
export const GUE_PORT = 6080;
const GUE_HEADER_LENGTH = 4;
const GUE_FLAG_C = 0x20;
const GUE_HLEN_MASK = 0x1f;
const IPPROTO_GRE_IN = 47;
const AYIYA_HEADER_LENGTH = 8; // identity/signature lengths, auth method and opcode, next header, epoch
const AYIYA_OPCODE_FORWARD = 1;
const IPPROTO_IPV4_IN = 4;
const IPPROTO_IPV6_IN = 41;
const GENEVE_HEADER_LENGTH = 8;
const GTPU_HEADER_LENGTH = 8;
/** GTP-U flags: version 1 in the top three bits, PT (GTP rather than GTP'), then E, S and PN. */
const GTPU_VERSION_1 = 0x20;
const GTPU_FLAG_PT = 0x10;
const GTPU_FLAGS_OPTIONAL = 0x07; // E | S | PN: any of them adds the 4-byte optional field
const GTPU_FLAG_E = 0x04;
/** G-PDU: the message that carries a user packet (TS 29.281 §7.1). */
const GTPU_G_PDU = 0xff;
/** Most GTP-U extension headers walked (TS 29.281 §5.2 defines a handful; each may appear once). */
export const MAX_GTPU_EXTENSION_HEADERS = 8;
/** Teredo's optional indicators before the IPv6 packet (RFC 4380 §5.1.1). */
const TEREDO_ORIGIN_LENGTH = 8;
const TEREDO_AUTH_FIXED_LENGTH = 13; // 0x0001, ID-len, AU-len, nonce (8), confirmation (1)
const IPV6_HEADER_LENGTH = 40;

/**
 * GRE header at `cur.off`: version 0 with an IPv4, IPv6, Ethernet (0x6558), MPLS, PPP, ERSPAN,
 * WCCP (IPv4, after any redirect header) or Aruba 802.11 payload (cur.etherType
 * ETHERTYPE_IEEE80211), or PPTP's enhanced GRE (version 1, RFC 2637 §4.1) carrying PPP.
 * Anything else counts gre.unsupported. Returns NEXT_LAYER with the cursor on the payload and cur.etherType set to
 * its protocol (ETHERTYPE_PPP for PPTP: the PPP header is read by the dispatcher).
 */
export function decodeGre(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < GRE_BASE_HEADER_LENGTH) {
    anomalies.add(TUNNEL_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const flags = u16be(buf, off);
  if ((flags & GRE_VERSION_MASK) === 1) return decodeEnhancedGre(buf, cur, anomalies, flags);
  if ((flags & GRE_VERSION_MASK) !== 0 || (flags & GRE_RESERVED0_MUST_BE_ZERO & ~GRE_FLAG_R) !== 0) {
    anomalies.add(GRE_UNSUPPORTED);
    return DecodeStatus.Unsupported;
  }
  const protocol = u16be(buf, off + 2);
  const erspan = protocol === GRE_ERSPAN_II || protocol === GRE_ERSPAN_III;
  const aruba = isArubaProtocol(protocol);
  const wccp = protocol === GRE_WCCP;
  // PPP (0x880b) in version 0 GRE too, not only in PPTP's version 1: tshark decodes it, and
  // Arkime's test suite has such a trace (GRE, PPP, then IPv4 and DNS).
  if (protocol !== ETHERTYPE_IPV4 && protocol !== ETHERTYPE_IPV6 && protocol !== ETHERTYPE_TEB && protocol !== ETHERTYPE_MPLS && protocol !== ETHERTYPE_PPP &&
    !erspan && !aruba && !wccp) {
    anomalies.add(GRE_UNSUPPORTED);
    return DecodeStatus.Unsupported;
  }
  let length = GRE_BASE_HEADER_LENGTH;
  // RFC 1701 §2.2: the checksum and offset fields are there when either C or R is set.
  if ((flags & (GRE_FLAG_C | GRE_FLAG_R)) !== 0) length += 4;
  if ((flags & GRE_FLAG_K) !== 0) length += 4;
  if ((flags & GRE_FLAG_S) !== 0) length += 4;
  if (cur.end - off < length) {
    anomalies.add(TUNNEL_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  if ((flags & GRE_FLAG_R) !== 0) {
    // Source Route Entries (RFC 1701 §2.2.6): address family, SRE offset, SRE length, then
    // that many bytes; a NULL entry (family 0, length 0) ends the list. tshark walks them to
    // the payload; so do we, at most MAX_GRE_SRES, each within the captured bytes.
    for (let n = 0; ; n++) {
      if (n === MAX_GRE_SRES) {
        anomalies.add(GRE_UNSUPPORTED);
        return DecodeStatus.Unsupported;
      }
      if (cur.end - off < length + 4) {
        anomalies.add(TUNNEL_TRUNCATED);
        return DecodeStatus.Truncated;
      }
      const family = u16be(buf, off + length);
      const sreLength = buf[off + length + 3];
      length += 4 + sreLength;
      if (family === 0 && sreLength === 0) break;
    }
    if (cur.end - off < length) {
      anomalies.add(TUNNEL_TRUNCATED);
      return DecodeStatus.Truncated;
    }
  }
  if (wccp && cur.end - off > length && buf[off + length] >> 4 !== 4) {
    length += WCCP_REDIRECT_HEADER_LENGTH;
    if (cur.end - off < length) {
      anomalies.add(TUNNEL_TRUNCATED);
      return DecodeStatus.Truncated;
    }
  }
  cur.off = off + length;
  cur.etherType = aruba ? ETHERTYPE_IEEE80211 : wccp ? ETHERTYPE_IPV4 : protocol;
  if (erspan) return skipErspanHeader(buf, cur, anomalies, protocol === GRE_ERSPAN_III ? 3 : (flags & GRE_FLAG_S) !== 0 ? 2 : 1);
  return NEXT_LAYER;
}

/**
 * Version-1 ("enhanced") GRE, its Key field always present: PPTP's (RFC 2637 §4.1: protocol
 * 0x880b, payload length and call ID in the Key, then the sequence number when S is set and the
 * acknowledgment number when A (0x0080) is; PPP inside) and MikroTik's EoIP (tshark's "MIKROTIK
 * EoIP": protocol 0x6400, payload length and tunnel id in the Key, neither S nor A; Ethernet
 * inside). No checksum or routing. A packet with no payload (a PPTP acknowledgment, an EoIP
 * keep-alive) carries nothing: OtherIp, like any IP packet that is not a flow.
 */
function decodeEnhancedGre(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters, flags: number): number {
  const off = cur.off;
  const protocol = u16be(buf, off + 2);
  const eoip = protocol === GRE_MIKROTIK_EOIP;
  const forbidden = GRE_FLAG_C | GRE_RESERVED0_MUST_BE_ZERO | (eoip ? GRE_FLAG_S | PPTP_GRE_FLAG_A : 0);
  if ((!eoip && protocol !== ETHERTYPE_PPP) || (flags & GRE_FLAG_K) === 0 || (flags & forbidden) !== 0) {
    anomalies.add(GRE_UNSUPPORTED);
    return DecodeStatus.Unsupported;
  }
  let length = GRE_BASE_HEADER_LENGTH + 4;
  if ((flags & GRE_FLAG_S) !== 0) length += 4;
  if ((flags & PPTP_GRE_FLAG_A) !== 0) length += 4;
  if (cur.end - off < length) {
    anomalies.add(TUNNEL_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  if (cur.wireEnd - off === length) return DecodeStatus.OtherIp;
  cur.off = off + length;
  cur.etherType = eoip ? ETHERTYPE_TEB : ETHERTYPE_PPP;
  return NEXT_LAYER;
}

/** Skips the ERSPAN header of `type` (1, 2 or 3) at cur.off; the cursor is then on the mirrored Ethernet frame. */
function skipErspanHeader(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters, type: number): number {
  const off = cur.off;
  let length = 0;
  if (type === 2) length = ERSPAN_II_HEADER_LENGTH;
  else if (type === 3) length = ERSPAN_III_HEADER_LENGTH;
  if (cur.end - off < length) {
    anomalies.add(TUNNEL_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  if (type !== 1 && buf[off] >> 4 !== type - 1) {
    // The header's version field disagrees with the GRE protocol type.
    anomalies.add(GRE_UNSUPPORTED);
    return DecodeStatus.Unsupported;
  }
  if (type === 3 && (buf[off + 11] & 0x01) !== 0) length += ERSPAN_III_PLATFORM_SUBHEADER_LENGTH;
  if (cur.end - off < length) {
    anomalies.add(TUNNEL_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  cur.off = off + length;
  cur.etherType = ETHERTYPE_TEB;
  return NEXT_LAYER;
}

/** The UDP tunnels, as udpTunnelAt names them (None: not a tunnel's ports). */
export const enum UdpTunnel {
  None = 0, Vxlan = 1, Geneve = 2, GtpU = 3, Teredo = 4, Ayiya = 5, VxlanGpe = 6, GreInUdp = 7, MplsInUdp = 8, Capwap = 9, Tzsp = 10, LispData = 11, L2tp = 12,
  Gue = 13,
}

/** `app` names of the UDP tunnels, by UdpTunnel. */
const UDP_TUNNEL_APPS = ['', 'vxlan', 'geneve', 'gtp-u', 'teredo', 'ayiya', 'vxlan-gpe', 'gre-in-udp', 'mpls-in-udp', 'capwap', 'tzsp', 'lisp', 'l2tp', 'gue'];

/**
 * The one port rule for UDP tunnels (see the module comment): which tunnel a datagram between
 * these ports may carry, or None. The decoder asks it per UDP datagram (a few comparisons) and
 * the header then decides; the pipeline asks it again for the carrier flow's `app`, so the two
 * can never disagree.
 */
export function udpTunnelAt(srcPort: number, dstPort: number): UdpTunnel {
  // Every tunnel's port is above 1023 and the other port must be too: DNS, NTP and QUIC on 443,
  // most of a capture's datagrams, are settled by this one test.
  if (srcPort < FIRST_UNPRIVILEGED_PORT || dstPort < FIRST_UNPRIVILEGED_PORT) return UdpTunnel.None;
  // The lower port first, then the higher, whichever side sent it: tshark's order
  // (packet-udp.c, decode_udp_ports), so both directions of a flow take the same reading.
  const low = srcPort < dstPort ? srcPort : dstPort;
  const t = udpTunnelOnPort(low);
  return t !== UdpTunnel.None ? t : udpTunnelOnPort(low === srcPort ? dstPort : srcPort);
}

/** The tunnel whose IANA port `port` is, or None. */
function udpTunnelOnPort(port: number): UdpTunnel {
  switch (port) {
    case VXLAN_PORT: return UdpTunnel.Vxlan;
    case GENEVE_PORT: return UdpTunnel.Geneve;
    case VXLAN_GPE_PORT: return UdpTunnel.VxlanGpe;
    case GTPU_PORT: return UdpTunnel.GtpU;
    case TEREDO_PORT: return UdpTunnel.Teredo;
    case AYIYA_PORT: return UdpTunnel.Ayiya;
    case GRE_IN_UDP_PORT: return UdpTunnel.GreInUdp;
    case MPLS_IN_UDP_PORT: return UdpTunnel.MplsInUdp;
    case CAPWAP_DATA_PORT: return UdpTunnel.Capwap;
    case TZSP_PORT: return UdpTunnel.Tzsp;
    case LISP_DATA_PORT: return UdpTunnel.LispData;
    case L2TP_PORT: return UdpTunnel.L2tp;
    case GUE_PORT: return UdpTunnel.Gue;
    default: return UdpTunnel.None;
  }
}

/**
 * A GRE header that GRE-in-UDP may carry (RFC 8086 §3: the GRE header of RFC 2784/2890) with a
 * payload decodeGre takes; anything else on the port stays plain UDP, without
 * an anomaly. Only the first 4 bytes are read: decodeGre checks the rest when the inner packet
 * is decoded.
 */
function isGreForUdp(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < GRE_BASE_HEADER_LENGTH) return false;
  const flags = u16be(buf, off);
  const protocol = u16be(buf, off + 2);
  // PPTP's enhanced GRE has no business in UDP, but tshark decodes it there, and so do we.
  if ((flags & GRE_VERSION_MASK) === 1) return protocol === ETHERTYPE_PPP;
  if ((flags & GRE_VERSION_MASK) !== 0 || (flags & GRE_RESERVED0_MUST_BE_ZERO) !== 0) return false;
  return protocol === ETHERTYPE_IPV4 || protocol === ETHERTYPE_IPV6 || protocol === ETHERTYPE_TEB || protocol === ETHERTYPE_MPLS ||
    protocol === ETHERTYPE_PPP || protocol === GRE_ERSPAN_II || protocol === GRE_ERSPAN_III || isArubaProtocol(protocol) || protocol === GRE_WCCP;
}

/**
 * The offset of the frame a CAPWAP data message carries, or -1: not version 0 plaintext, a
 * keep-alive (no frame), a fragment (not reassembled here), a native frame of a wireless binding
 * other than 802.11, or a header longer than the datagram. No anomaly: the datagram stays plain.
 */
function capwapPayload(buf: Uint8Array, off: number, end: number): number {
  if (end - off < CAPWAP_MIN_HEADER_LENGTH || buf[off] !== 0) return -1;
  const length = (buf[off + 1] >> 3) * 4;
  if (length < CAPWAP_MIN_HEADER_LENGTH || length > end - off || (buf[off + 3] & (CAPWAP_FLAG_F | CAPWAP_FLAG_K)) !== 0) return -1;
  if ((buf[off + 2] & CAPWAP_FLAG_T) !== 0 && capwapWbid(buf, off) !== CAPWAP_WBID_IEEE80211) return -1;
  return off + length;
}

/**
 * The offset of the frame a TZSP message carries, or -1 (no anomaly: the datagram stays plain):
 * a type without a frame, an encapsulation this decoder does not read, no END
 * tag within the datagram or within MAX_TZSP_TAGS fields.
 */
function tzspPayload(buf: Uint8Array, off: number, end: number): number {
  // The version is not checked: tshark does not either, and 1 is the only one in use.
  if (end - off < TZSP_HEADER_LENGTH + 1 || buf[off + 1] > TZSP_TYPE_LAST_WITH_FRAME) return -1;
  if (TZSP_LINK_TYPES[u16be(buf, off + 2)] === undefined) return -1;
  let p = off + TZSP_HEADER_LENGTH;
  for (let tags = 0; tags < MAX_TZSP_TAGS && p < end; tags++) {
    const tag = buf[p];
    if (tag === TZSP_TAG_END) return p + 1 < end ? p + 1 : -1;
    if (tag === TZSP_TAG_PADDING) p += 1;
    else if (p + 1 < end) p += 2 + buf[p + 1];
    else return -1;
  }
  return -1;
}

/**
 * The offset of the PPP frame an L2TPv2 data message carries, or -1 (no anomaly): a control
 * message, another version, or optional fields past the datagram. L2TPv3 is l2tpv3Frame's.
 */
function l2tpPayload(buf: Uint8Array, off: number, end: number): number {
  if (end - off < L2TP_MIN_HEADER_LENGTH) return -1;
  const flags = u16be(buf, off);
  if ((flags & L2TP_FLAG_T) !== 0 || (flags & L2TP_VERSION_MASK) !== L2TP_VERSION_2) return -1;
  let p = off + 2;
  if ((flags & L2TP_FLAG_L) !== 0) p += 2;
  p += 4; // tunnel and session IDs
  if ((flags & L2TP_FLAG_S) !== 0) p += 4; // Ns, Nr
  if ((flags & L2TP_FLAG_O) !== 0) {
    if (end - p < 2) return -1;
    p += 2 + u16be(buf, p); // offset size, then that much padding
  }
  return p < end ? p : -1;
}

/**
 * Whether an L2TPv3 datagram on port 1701 (cur.off: its 4-byte header) is a data message of
 * version 3: T clear, version 3. Reserved bits are not checked (RFC 3931 §4.1.2.1: ignored on receipt).
 */
function isL2tpv3Data(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 2) return false;
  const flags = u16be(buf, off);
  return (flags & L2TP_FLAG_T) === 0 && (flags & L2TP_VERSION_MASK) === L2TP_VERSION_3;
}

/**
 * The Ethernet frame an L2TPv3 data message carries (RFC 3931 §4.1, RFC 4719 §4: the frame
 * without preamble or FCS), `off` at the session ID (right after the IP header, or after the
 * 4-byte header over UDP), the message ending at `end` as captured and `wireEnd` on the wire.
 * Returns the frame's offset, or an L2tpv3NoFrame with its anomaly counted.
 *
 * The cookie's length and whether the default L2-specific sublayer is there are configured at
 * both ends and never carried in the message, so the frame is found by rule: each gap the
 * configurations allow (0, 4, 8, 12 bytes; L2TPV3_MAX_GAP) is tried in turn and the first at
 * which a plausible Ethernet frame starts (isEthernetFrameAt: an IPv4, IPv6 or ARP packet, one
 * VLAN tag allowed, whose own length ends exactly where the message ends) is taken. A wrong gap
 * would have to put a type field, a version nibble and a length field that agrees with the
 * datagram at the right places by chance. The sublayer's bits are not read (§4.6: its S bit and
 * sequence number are optional, and QEMU's `counter` fills them in differently from Linux).
 * Session ID 0 is a control message (§4.1.1.1), never data. No frame at any gap (a pseudowire
 * of another type: PPP, HDLC, Frame Relay, IP) counts l2tp.unsupported; when a gap could not be
 * tried because the capture cut the message, tunnel.truncated instead.
 */
export function l2tpv3Frame(buf: Uint8Array, off: number, end: number, wireEnd: number, anomalies: AnomalyCounters): number {
  if (wireEnd - off < L2TPV3_SESSION_ID_LENGTH) {
    anomalies.add(L2TP_MALFORMED);
    return L2tpv3NoFrame.Malformed;
  }
  if (end - off < L2TPV3_SESSION_ID_LENGTH) {
    anomalies.add(TUNNEL_TRUNCATED);
    return L2tpv3NoFrame.Truncated;
  }
  if (u32be(buf, off) === 0) return L2tpv3NoFrame.Control;
  let cut = false;
  for (let gap = 0; gap <= L2TPV3_MAX_GAP; gap += L2TPV3_GAP_STEP) {
    const frame = off + L2TPV3_SESSION_ID_LENGTH + gap;
    const fit = isEthernetFrameAt(buf, frame, end, wireEnd);
    if (fit === FRAME_YES) return frame;
    if (fit === FRAME_CUT) cut = true;
  }
  anomalies.add(cut ? TUNNEL_TRUNCATED : L2TP_UNSUPPORTED);
  return cut ? L2tpv3NoFrame.Truncated : L2tpv3NoFrame.Unsupported;
}

/**
 * Whether a plausible Ethernet frame (no FCS) starts at `p` and ends at `wireEnd`: type IPv4,
 * IPv6 or ARP, behind at most one 802.1Q or 802.1ad tag; the IP header's version nibble agrees
 * with the type (and an IPv4 header length is at least 5 words); the packet's own length (IPv4
 * Total Length, IPv6 Payload Length plus 40, ARP's 28 bytes) ends exactly at `wireEnd`, or before
 * it in a frame padded to the 60-byte minimum (64 when tagged). FRAME_CUT: the capture ends before that was known.
 */
function isEthernetFrameAt(buf: Uint8Array, p: number, end: number, wireEnd: number): number {
  let q = p + ETHERNET_HEADER_LENGTH;
  if (q + 6 > end) return q + 6 > wireEnd ? FRAME_NO : FRAME_CUT;
  let type = u16be(buf, q - 2);
  const tagged = type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ;
  if (tagged) {
    type = u16be(buf, q + 2);
    q += VLAN_TAG_LENGTH;
    if (q + 6 > end) return q + 6 > wireEnd ? FRAME_NO : FRAME_CUT;
  }
  let packetEnd: number;
  if (type === ETHERTYPE_IPV4) {
    packetEnd = ipPacketEnd(buf, q, end, 4);
    if (packetEnd < q + (buf[q] & 0x0f) * 4) return FRAME_NO; // also -1: not IPv4
  } else if (type === ETHERTYPE_IPV6) {
    packetEnd = ipPacketEnd(buf, q, end, 6);
    if (packetEnd < 0) return FRAME_NO;
  } else if (type === ETHERTYPE_ARP) {
    if (u32be(buf, q) !== ARP_ETHERNET_IPV4_PREFIX || u16be(buf, q + 4) !== ARP_ETHERNET_IPV4_LENGTHS) return FRAME_NO;
    packetEnd = q + ARP_IPV4_LENGTH;
  } else return FRAME_NO;
  if (packetEnd === wireEnd) return FRAME_YES;
  // A tagged frame may be padded to 4 bytes more (IEEE 802.1Q's tagged minimum: a switch that
  // tags a minimum frame keeps its padding); read as untagged 4 bytes on, it would fit too, with
  // the MACs and the VLAN wrong.
  const frame = wireEnd - p;
  return packetEnd < wireEnd && (frame === ETHERNET_MIN_FRAME || (tagged && frame === ETHERNET_MIN_FRAME + VLAN_TAG_LENGTH)) ? FRAME_YES : FRAME_NO;
}

/**
 * The offset of the packet a GUE datagram carries (see GUE_PORT), or -1 with no anomaly (the
 * datagram stays plain): a control message, a version other than 0 and 1, a payload protocol
 * other than IPv4 (4), IPv6 (41) and GRE (47), or an IP packet whose version disagrees with the
 * protocol or whose own length does not end exactly at the datagram's end on the wire. Extension
 * fields past the captured bytes count tunnel.truncated. A GRE payload is checked as
 * GRE-in-UDP's is (isGreForUdp), the rest of its header by decodeGre.
 */
function guePayload(buf: Uint8Array, off: number, end: number, wireEnd: number, anomalies: AnomalyCounters): number {
  if (end - off < 1) return -1;
  const version = buf[off] >> 6;
  if (version === 1) return ipPacketFills(buf, off, end, wireEnd, buf[off] >> 4) ? off : -1;
  if (version !== 0 || (buf[off] & GUE_FLAG_C) !== 0 || end - off < GUE_HEADER_LENGTH) return -1;
  const protocol = buf[off + 1];
  if (protocol !== IPPROTO_IPV4_IN && protocol !== IPPROTO_IPV6_IN && protocol !== IPPROTO_GRE_IN) return -1;
  const p = off + GUE_HEADER_LENGTH + (buf[off] & GUE_HLEN_MASK) * 4;
  if (p >= end) {
    if (p < wireEnd) anomalies.add(TUNNEL_TRUNCATED);
    return -1;
  }
  if (protocol === IPPROTO_GRE_IN) return isGreForUdp(buf, p, end) ? p : -1;
  return ipPacketFills(buf, p, end, wireEnd, protocol === IPPROTO_IPV6_IN ? 6 : 4) ? p : -1;
}

/** Whether an IP packet of `version` (4 or 6) starts at `p` and its own length ends exactly at `wireEnd`. */
function ipPacketFills(buf: Uint8Array, p: number, end: number, wireEnd: number, version: number): boolean {
  return ipPacketEnd(buf, p, end, version) === wireEnd;
}

/**
 * Where the IP packet of `version` (4 or 6) starting at `p` ends by its own length field (IPv4
 * Total Length; IPv6 Payload Length plus the fixed header), or -1: fewer than 6 bytes captured,
 * another version (or not 4 or 6), or an IPv4 header length under 5 words.
 */
function ipPacketEnd(buf: Uint8Array, p: number, end: number, version: number): number {
  if (end - p < 6 || buf[p] >> 4 !== version) return -1;
  if (version === 4) return (buf[p] & 0x0f) >= 5 ? p + u16be(buf, p + 2) : -1;
  return version === 6 ? p + IPV6_HEADER_LENGTH + u16be(buf, p + 4) : -1;
}

/** A CAPWAP header's Wireless Binding ID: the 5 bits after HLEN (5) and RID (5) in the 24 bits after the preamble. */
function capwapWbid(buf: Uint8Array, off: number): number {
  const bits = (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
  return (bits >> 9) & 0x1f;
}

/** The `app` of a UDP flow whose datagram the decoder marked as a tunnel (view.innerKind set). */
export function udpTunnelApp(srcPort: number, dstPort: number): string {
  return UDP_TUNNEL_APPS[udpTunnelAt(srcPort, dstPort)];
}

/**
 * The header of `tunnel` (not None) in the payload of the UDP datagram at cur.off (the payload
 * ends at cur.end). When the header is whole and valid, marks the inner packet on the view and
 * returns true; the outer datagram stays a flow either way. A datagram that is not the tunnel
 * (VXLAN-GPE with an unknown next protocol, a GTP-U echo, an AYIYA echo, anything else on the port) is left
 * plain, without an anomaly. A Teredo bubble is the tunnel: its IPv6 packet, with no next
 * header, is counted as IP that is no flow.
 */
export function markUdpTunnelInner(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters, tunnel: UdpTunnel): boolean {
  const off = cur.off;
  let inner = -1;
  let kind = InnerKind.Ip;
  switch (tunnel) {
    case UdpTunnel.Vxlan:
      inner = vxlanPayload(buf, off, cur.end, anomalies);
      kind = InnerKind.Ethernet;
      break;
    case UdpTunnel.Geneve:
      inner = genevePayload(buf, off, cur.end, anomalies);
      if (inner >= 0 && u16be(buf, off + 2) === ETHERTYPE_TEB) kind = InnerKind.Ethernet;
      break;
    case UdpTunnel.VxlanGpe:
      inner = vxlanPayload(buf, off, cur.end, anomalies);
      kind = inner < 0 ? InnerKind.None : vxlanGpeKind(buf[off + 3]);
      if (kind === InnerKind.None) inner = -1;
      break;
    case UdpTunnel.GtpU: inner = gtpuPayload(buf, off, cur.end, cur.wireEnd, anomalies); break;
    case UdpTunnel.Teredo: inner = teredoPayload(buf, off, cur.end, cur.wireEnd); break;
    case UdpTunnel.Ayiya: inner = ayiyaPayload(buf, off, cur.end, anomalies); break;
    case UdpTunnel.GreInUdp:
      inner = isGreForUdp(buf, off, cur.end) ? off : -1;
      kind = InnerKind.Gre;
      break;
    case UdpTunnel.MplsInUdp:
      inner = cur.end - off >= MPLS_LABEL_BYTES ? off : -1;
      kind = InnerKind.Mpls;
      break;
    case UdpTunnel.Capwap:
      inner = capwapPayload(buf, off, cur.end);
      if (inner >= 0) kind = (buf[off + 2] & CAPWAP_FLAG_T) !== 0 ? InnerKind.Ieee80211 : InnerKind.Ethernet;
      break;
    case UdpTunnel.Tzsp:
      inner = tzspPayload(buf, off, cur.end);
      if (inner >= 0) {
        kind = InnerKind.Link;
        view.innerLinkType = TZSP_LINK_TYPES[u16be(buf, off + 2)];
      }
      break;
    case UdpTunnel.LispData: {
      // Only an IP packet after the header: anything else on the port stays plain.
      const version = cur.end - off > LISP_DATA_HEADER_LENGTH ? buf[off + LISP_DATA_HEADER_LENGTH] >> 4 : 0;
      inner = version === 4 || version === 6 ? off + LISP_DATA_HEADER_LENGTH : -1;
      break;
    }
    case UdpTunnel.L2tp:
      if (isL2tpv3Data(buf, off, cur.end)) {
        // L2TPv3 (RFC 3931 §4.1.2.1): the 4-byte header, then as over IP; no frame leaves it plain.
        inner = l2tpv3Frame(buf, off + L2TPV3_UDP_HEADER_LENGTH, cur.end, cur.wireEnd, anomalies);
        kind = InnerKind.Ethernet;
      } else {
        inner = l2tpPayload(buf, off, cur.end);
        kind = InnerKind.Ppp;
      }
      break;
    case UdpTunnel.Gue:
      inner = guePayload(buf, off, cur.end, cur.wireEnd, anomalies);
      if (inner >= 0 && buf[off] >> 6 === 0 && buf[off + 1] === IPPROTO_GRE_IN) kind = InnerKind.Gre;
      break;
    default: break;
  }
  if (inner < 0) return false;
  view.innerKind = kind;
  view.innerOffset = inner;
  view.innerEnd = cur.end;
  return true;
}

/**
 * VXLAN (RFC 7348 §5): 8 bytes whose I flag says the VNI is valid, then an Ethernet frame.
 * Returns the frame's offset, or -1 (a header cut short counts tunnel.truncated).
 */
/**
 * The payload offset of a whole VXLAN (or VXLAN-GPE) header, else -1. The flags are not
 * checked: RFC 7348 §5 says the I flag must be set and Linux drops a frame without it, but the
 * frame was still sent, and tshark (packet-vxlan.c) decodes what follows whatever the flags say,
 * so its inner conversation is listed there and must be a flow here too.
 */
function vxlanPayload(buf: Uint8Array, off: number, end: number, anomalies: AnomalyCounters): number {
  if (end - off < VXLAN_HEADER_LENGTH) {
    anomalies.add(TUNNEL_TRUNCATED);
    return -1;
  }
  return off + VXLAN_HEADER_LENGTH;
}

/**
 * What a whole VXLAN-GPE header says follows it: its Next Protocol byte alone, as tshark reads
 * it, whatever the I, P and version bits say (the draft's "no P flag means Ethernet" is not
 * followed: tshark then shows data, and a sender that clears P sends no next protocol at all);
 * a next protocol this decoder does not know gives None (the datagram stays plain UDP).
 */
function vxlanGpeKind(next: number): InnerKind {
  return next < GPE_NEXT_KINDS.length ? GPE_NEXT_KINDS[next] : InnerKind.None;
}

/**
 * Geneve (RFC 8926 §3.4): version 0, options of OptLen * 4 bytes, then the payload whose
 * protocol type is IPv4, IPv6 or Ethernet (0x6558). Returns the payload offset or -1.
 */
function genevePayload(buf: Uint8Array, off: number, end: number, anomalies: AnomalyCounters): number {
  if (end - off < GENEVE_HEADER_LENGTH) {
    anomalies.add(TUNNEL_TRUNCATED);
    return -1;
  }
  if (buf[off] >> 6 !== 0) return -1; // a version this decoder does not know
  const protocol = u16be(buf, off + 2);
  if (protocol !== ETHERTYPE_TEB && protocol !== ETHERTYPE_IPV4 && protocol !== ETHERTYPE_IPV6) return -1;
  const length = GENEVE_HEADER_LENGTH + (buf[off] & 0x3f) * 4;
  if (end - off < length) {
    anomalies.add(TUNNEL_TRUNCATED);
    return -1;
  }
  return off + length;
}

/**
 * GTP-U (3GPP TS 29.281 §5): version 1, PT 1, a G-PDU whose length field accounts for the rest
 * of the datagram exactly, the optional 4-byte field when E, S or PN is set, then any extension
 * headers (each a length in 4-byte units, its content and the next type), bounded. `end` is the
 * captured end of the datagram, `wireEnd` its end on the wire. Returns the user packet's offset or -1.
 */
function gtpuPayload(buf: Uint8Array, off: number, end: number, wireEnd: number, anomalies: AnomalyCounters): number {
  if (end - off < GTPU_HEADER_LENGTH) return -1;
  const flags = buf[off];
  if ((flags & 0xe0) !== GTPU_VERSION_1 || (flags & GTPU_FLAG_PT) === 0 || buf[off + 1] !== GTPU_G_PDU) return -1;
  if (off + GTPU_HEADER_LENGTH + u16be(buf, off + 2) !== wireEnd) return -1;
  let p = off + GTPU_HEADER_LENGTH;
  if ((flags & GTPU_FLAGS_OPTIONAL) !== 0) {
    p += 4;
    if (p > end) {
      anomalies.add(TUNNEL_TRUNCATED);
      return -1;
    }
    let next = (flags & GTPU_FLAG_E) !== 0 ? buf[p - 1] : 0;
    for (let n = 0; next !== 0; n++) {
      if (n >= MAX_GTPU_EXTENSION_HEADERS) return -1;
      if (p >= end) {
        anomalies.add(TUNNEL_TRUNCATED);
        return -1;
      }
      const units = buf[p];
      if (units === 0) return -1; // a zero-length extension header would never end
      p += units * 4;
      if (p > end) {
        anomalies.add(TUNNEL_TRUNCATED);
        return -1;
      }
      next = buf[p - 1];
    }
  }
  if (p >= end) {
    if (p < wireEnd) anomalies.add(TUNNEL_TRUNCATED);
    return -1;
  }
  const version = buf[p] >> 4;
  return version === 4 || version === 6 ? p : -1;
}

/**
 * Teredo (RFC 4380 §5.1.1): an IPv6 packet, after an optional authentication indicator
 * (0x0001) and an optional origin indication (0x0000). The IPv6 header's payload length must
 * account for the rest of the datagram on the wire exactly, so that other traffic on port 3544
 * is not taken for it. Returns the IPv6 packet's offset or -1.
 */
function teredoPayload(buf: Uint8Array, off: number, end: number, wireEnd: number): number {
  let p = off;
  if (end - p >= 4 && buf[p] === 0 && buf[p + 1] === 1) p += TEREDO_AUTH_FIXED_LENGTH + buf[p + 2] + buf[p + 3];
  if (end - p >= TEREDO_ORIGIN_LENGTH && buf[p] === 0 && buf[p + 1] === 0) p += TEREDO_ORIGIN_LENGTH;
  if (end - p < IPV6_HEADER_LENGTH || buf[p] >> 4 !== 6) return -1;
  return p + IPV6_HEADER_LENGTH + u16be(buf, p + 4) === wireEnd ? p : -1;
}

/**
 * AYIYA (draft-massar-v6ops-ayiya-02 §5): 8 bytes (identity length 2^n and signature length in
 * 4-byte words in the high nibbles of the first two bytes, the opcode in the low nibble of the
 * third, the next header, the epoch), the identity, the signature, then the packet. Only a
 * "forward" (opcode 1) of IPv4 or IPv6 whose version agrees with the next header carries one,
 * as Zeek requires. Returns the packet's offset or -1.
 */
function ayiyaPayload(buf: Uint8Array, off: number, end: number, anomalies: AnomalyCounters): number {
  if (end - off < AYIYA_HEADER_LENGTH) return -1;
  const next = buf[off + 3];
  if ((buf[off + 2] & 0x0f) !== AYIYA_OPCODE_FORWARD || (next !== IPPROTO_IPV4_IN && next !== IPPROTO_IPV6_IN)) return -1;
  const p = off + AYIYA_HEADER_LENGTH + (1 << (buf[off] >> 4)) + (buf[off + 1] >> 4) * 4;
  if (p >= end) {
    anomalies.add(TUNNEL_TRUNCATED);
    return -1;
  }
  return buf[p] >> 4 === (next === IPPROTO_IPV6_IN ? 6 : 4) ? p : -1;
}
