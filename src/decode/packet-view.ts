/**
 * PacketView: the preallocated, reused result of decoding one packet (gopacket's
 * DecodingLayerParser target). Numbers only: addresses are four 32-bit words, no strings.
 *
 * Sits between decode/ (which fills it) and flow/ (which reads it). It is overwritten for every
 * packet and every tunnel layer; nothing may keep a reference to `buf` past the current packet.
 */

/** Outcome of decoding one frame or one inner (tunnelled) packet. */
export const enum DecodeStatus {
  /** A TCP or UDP packet: ports and payload bounds are set. */
  Transport = 0,
  /** A valid IP packet that is not TCP/UDP (ICMP, IGMP, ...): addresses set, no flow. */
  OtherIp = 1,
  /** A valid frame that carries no IP (ARP, LLDP, ...). */
  NotIp = 2,
  /** An IP fragment that was stored for reassembly; nothing to process yet. */
  FragmentHeld = 3,
  /** Headers cut short (snaplen or broken length field): an anomaly was counted. */
  Truncated = 4,
  /** Header values impossible (bad IHL, bad lengths): an anomaly was counted. */
  Malformed = 5,
  /** Link type or protocol we do not decode: an anomaly was counted. */
  Unsupported = 6,
}

/** Encapsulations whose inner packet is decoded as a packet of its own. */
export const enum InnerKind {
  None = 0,
  /** Inner bytes start with an Ethernet header (VXLAN, GRE transparent Ethernet bridging, an L2TPv3 Ethernet pseudowire). */
  Ethernet = 1,
  /** Inner bytes start with an IPv4 or IPv6 header (6in4, IP-in-IP, GRE with IP payload, GUE). */
  Ip = 2,
  /** Inner bytes start with a Network Service Header (VXLAN-GPE next protocol 4). */
  Nsh = 3,
  /** Inner bytes start with an MPLS label stack (VXLAN-GPE next protocol 5, MPLS-in-UDP). */
  Mpls = 4,
  /** Inner bytes start with a GRE header (GRE-in-UDP, RFC 8086). */
  Gre = 5,
  /** Inner bytes start with an IEEE 802.11 frame from a CAPWAP data channel (RFC 5416; Frame Control may be byte-swapped). */
  Ieee80211 = 6,
  /** Inner bytes start with a PPP frame (L2TPv2 data). */
  Ppp = 7,
  /** Inner bytes start with the header of link type `innerLinkType` (TZSP's encapsulations). */
  Link = 8,
}

/** Decoded headers of one packet. All fields are overwritten on each decode. */
export class PacketView {
  /** Bytes that every offset below refers to: the frame's buffer, or a reassembly buffer. */
  buf: Uint8Array = new Uint8Array(0);
  /** 4 or 6 when an IP header was decoded, else 0. */
  ipVersion = 0;
  /** Source address as four big-endian 32-bit words; IPv4 uses sa3 only (sa0..sa2 = 0). */
  sa0 = 0; sa1 = 0; sa2 = 0; sa3 = 0;
  /** Destination address, same layout as the source. */
  da0 = 0; da1 = 0; da2 = 0; da3 = 0;
  /** IP protocol number of the transport (after IPv6 extension headers). */
  ipProto = 0;
  /** Transport ports (0 for non-TCP/UDP). */
  srcPort = 0;
  dstPort = 0;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10), 0 for UDP. */
  tcpFlags = 0;
  /** Where the TCP options start (20 bytes into the TCP header); they end at payloadOffset. */
  tcpOptionsOffset = 0;
  /** TCP sequence and acknowledgement numbers (unsigned 32-bit). */
  tcpSeq = 0;
  tcpAck = 0;
  /** Transport payload: `buf[payloadOffset, payloadOffset + payloadLength)`, already clipped to the captured bytes and to the IP/UDP lengths (Ethernet padding excluded). */
  payloadOffset = 0;
  payloadLength = 0;
  /** True when the payload on the wire is longer than what was captured. */
  payloadTruncated = false;
  /** Number of tunnel layers outside this packet (0 = outermost). */
  tunnelDepth = 0;
  /** ICMP/ICMPv6 type when ipProto is 1 or 58 (also the IGMP type when ipProto is 2), else -1. */
  icmpType = -1;
  /** 802.1Q/802.1ad VLAN id of the innermost tag, or -1. */
  vlanId = -1;
  /** An encapsulated packet to decode after this one (see FrameDecoder.decodeInner). */
  innerKind: InnerKind = InnerKind.None;
  innerOffset = 0;
  innerEnd = 0;
  /** The LINKTYPE_* of the inner frame when innerKind is Link. */
  innerLinkType = 0;
  /** True when `buf` is a reassembly buffer (the packet was rebuilt from IP fragments); offsets then refer to the IP payload rebuilt from offset 0. */
  reassembled = false;
  /**
   * For a datagram rebuilt from fragments at this layer: the frames its fragments came in and
   * their wire bytes, so its flow counts every one (tshark counts the last frame only); 0 otherwise.
   */
  fragmentFrames = 0;
  fragmentWireBytes = 0;
  /**
   * The frame's own buffer (`buf` may become a reassembly buffer), and where in it an Apple
   * PKTAP header starts, which names the process the packet belongs to; -1 when the frame has
   * none. Set per frame; the name is read once per flow (pktapProcessName).
   */
  frameBuf: Uint8Array = new Uint8Array(0);
  pktapOffset = -1;
  /**
   * Where the 6-byte destination and source MAC addresses of the Ethernet header (or the sender's
   * address of a Linux cooked header, which has no destination) that carried this packet start
   * in `macBuf`; -1 when the layer has none (raw IP, a tunnel's inner IP packet, 802.11, ...).
   * Read only with --device: once per new flow, and for frames that make no flow (Pipeline.noteLinkAddresses, learnDeviceMac).
   */
  dstMacOffset = -1;
  srcMacOffset = -1;
  macBuf: Uint8Array = this.frameBuf;
  /**
   * The packet type of a Linux cooked header (0 to the capturing host, 1 broadcast, 2 multicast,
   * 3 to another host, 4 sent by the capturing host), which stands in for the destination MAC
   * it lacks; -1 for other link layers.
   */
  sllPacketType = -1;
  /** Where an ARP packet at least 28 bytes long starts in `buf` (status NotIp), else -1: its sender's addresses teach the device's MAC. */
  arpOffset = -1;
}

export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_GRE = 47;
export const IPPROTO_ICMPV6 = 58;
/** An Ethernet frame directly in IP (RFC 8986 §4.9: SRv6 End.DX2 and L2 services; IANA protocol 143). */
export const IPPROTO_ETHERNET = 143;
/** EtherIP (RFC 3378): a 2-byte header, then an Ethernet frame; MikroTik's EoIPv6 uses it. */
export const IPPROTO_ETHERIP = 97;
export const ETHERIP_HEADER_LENGTH = 2;
/** L2TPv3 directly over IP (RFC 3931 §4.1.1): a session ID (0: a control message), a cookie, an optional sublayer, then the pseudowire's frame. */
export const IPPROTO_L2TP = 115;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
