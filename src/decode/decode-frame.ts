/**
 * FrameDecoder: link layer → IP → TCP/UDP for one frame, in place into a reused PacketView
 * (gopacket's DecodingLayerParser). The only module that knows every layer: it dispatches
 * between link.ts, ipv4.ts, ipv6.ts, ip-reassembly.ts, transport.ts, tunnels.ts and wifi.ts. A
 * frame may hold more than one packet: a tunnel's inner one (decodeInner) and the further
 * subframes of an 802.11 A-MSDU (decodeNextSibling), each decoded into the same view in turn.
 *
 * The hottest code in the tool (budget: well under 150 ns per Ethernet/IPv4/TCP packet). Per
 * packet it must never allocate, create closures or strings, use try/catch, or throw on packet
 * bytes: every problem is a counted anomaly plus a DecodeStatus. Only fragments allocate (see
 * ip-reassembly.ts).
 */
import { AnomalyCounters, A } from '../anomalies';
import { FRAGMENT_HELD, FragmentLimits, DEFAULT_FRAGMENT_LIMITS, IpReassembler } from './ip-reassembly';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6, IPPROTO_AH, walkIpv6ExtensionHeaders } from './ipv6';
import {
  ETHERTYPE_ARP, ETHERTYPE_IEEE80211, ETHERTYPE_IEEE80211_CAPWAP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MPLS, ETHERTYPE_PPP, ETHERTYPE_TEB, LayerCursor, NEXT_LAYER,
} from './layer-cursor';
import { ETHERTYPE_NSH } from './bridge-tags';
import { decodeEthernet, decodeLink, decodePpp, decodeShim, isShimEtherType, setEtherTypeFromVersion } from './link';
import {
  DecodeStatus, ETHERIP_HEADER_LENGTH, InnerKind, IPPROTO_ETHERIP, IPPROTO_ETHERNET, IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IGMP, IPPROTO_IPIP, IPPROTO_IPV6,
  IPPROTO_L2TP, IPPROTO_TCP, IPPROTO_UDP, PacketView,
} from './packet-view';
import { u16be } from './bytes';
import { decodeIcmpType, decodeTcp, decodeUdp } from './transport';
import { decodeGre, l2tpv3Frame, L2tpv3NoFrame, markUdpTunnelInner, MAX_TUNNEL_DEPTH, UdpTunnel, udpTunnelAt } from './tunnels';
import { capwapSwapsFrameControl, decodeAmsduSubframe, decodeIeee80211, MAX_AMSDU_SUBFRAMES } from './wifi';

export { DEFAULT_FRAGMENT_LIMITS };
export type { FragmentLimits };

const TUNNEL_TOO_DEEP = A['tunnel.too_deep'];
const WIFI_AMSDU_MALFORMED = A['wifi.amsdu_malformed'];
const TUNNEL_TRUNCATED = A['tunnel.truncated'];
const IP4_TRUNCATED = A['ip4.truncated'];
const IP6_TRUNCATED = A['ip6.truncated'];
const IP_IPV6_UNDER_IPV4_TYPE = A['ip.ipv6_under_ipv4_type'];
const IP4_AH_TRUNCATED = A['ip4.ah_truncated'];
/** RFC 4302 §2: next header, length, reserved, SPI, sequence number (12 bytes) before the ICV. */
const AH_MIN_LENGTH = 12;
/**
 * Shims peeled between a link header and IP (decodeNetwork). Real stacks use up to four (VLAN,
 * PBB, VLAN, MPLS); a frame nested deeper is counted as not IP.
 */
const MAX_SHIMS = 8;
/**
 * enterTunnel's `inner` for a frame of a link type (TZSP): this plus the LINKTYPE_*, above every
 * ethertype and the pseudo-ethertypes of layer-cursor.ts.
 */
const INNER_LINK_BASE = 0x20000;
/**
 * What enterTunnel is told a UDP tunnel's inner bytes are, by InnerKind (0: IP, by its version
 * nibble; InnerKind.Gre and InnerKind.Link are handled in decodeInner before this is read).
 */
const INNER_ETHERTYPES = [0, ETHERTYPE_TEB, 0, ETHERTYPE_NSH, ETHERTYPE_MPLS, 0, ETHERTYPE_IEEE80211_CAPWAP, ETHERTYPE_PPP];

/** Packets that are not flows but are counted in the summary. */
export interface NonFlowCounters { arp: number; icmp: number; icmpv6: number; igmp: number; otherIp: number; otherL2: number }

/**
 * Decodes frames into `view`; owns IP reassembly state. Never throws on packet bytes.
 *
 * Lifetime: `view` (and `view.buf`, which may be a reassembly buffer) is valid until the next
 * decode() call. For UDP tunnels (VXLAN, Geneve, GTP-U, Teredo, AYIYA), decode() returns the
 * outer UDP datagram with view.innerKind set and the caller then calls decodeInner(), which
 * overwrites the view with the inner packet.
 */
export class FrameDecoder {
  readonly view = new PacketView();
  readonly nonFlow: NonFlowCounters = { arp: 0, icmp: 0, icmpv6: 0, igmp: 0, otherIp: 0, otherL2: 0 };
  // `private` rather than `#`: plain properties, no brand checks on the hot path.
  private readonly cur = new LayerCursor();
  private readonly reassembler: IpReassembler;
  /** Wire end of the inner packet marked by a UDP tunnel (view.innerEnd is its captured end). */
  private innerWireEnd = 0;
  /**
   * The rest of an 802.11 A-MSDU whose first subframe was decoded: the frame's buffer, the next
   * subframe (-1: none), the aggregate's start and ends, and the tunnel depth and VLAN its
   * packets share. Valid until the next decode() (see decodeNextSibling).
   */
  private sibBuf: Uint8Array | null = null;
  private sibOff = -1;
  private sibStart = 0;
  private sibEnd = 0;
  private sibWireEnd = 0;
  private sibDepth = 0;
  private sibVlan = -1;
  private sibCount = 0;

  constructor(readonly anomalies: AnomalyCounters, readonly limits: FragmentLimits = DEFAULT_FRAGMENT_LIMITS) {
    this.reassembler = new IpReassembler(anomalies, limits);
  }

  /**
   * Packet time (µs) for callers that set it instead of passing it: a double argument to a call
   * that is not inlined is boxed per packet (see Pipeline.now). The layers below read it here
   * for the same reason (passed down as an argument it cost 18 MB of garbage per 1.2 M packets).
   */
  now = 0;
  /**
   * The frames, and their wire bytes, that carried the packet being decoded: the frame itself, or
   * — once an outer datagram was rebuilt from fragments — all of that datagram's frames. A
   * tunnel's inner packet was carried by all of them: its flow counts them (not only the frame
   * that completed the outer datagram), and an inner fragment adds them to its own datagram.
   */
  private carrierFrames = 1;
  private carrierWireBytes = 0;

  /** Decodes `buf[off, off + caplen)` of link type `linkType`. `wireLength` is the original length; `tsMicros` drives fragment timeouts. */
  decode(buf: Uint8Array, off: number, caplen: number, wireLength: number, linkType: number, tsMicros?: number): DecodeStatus {
    if (tsMicros !== undefined) this.now = tsMicros;
    this.carrierFrames = 1;
    this.carrierWireBytes = wireLength;
    this.reassembler.recycle();
    const view = this.view;
    view.buf = buf;
    view.frameBuf = buf;
    view.pktapOffset = -1;
    view.tunnelDepth = 0;
    view.vlanId = -1;
    view.reassembled = false;
    resetLayers(view);
    const cur = this.cur;
    let end = off + caplen;
    if (end > buf.length) end = buf.length;
    cur.off = off;
    cur.end = end > off ? end : off;
    cur.wireEnd = off + (wireLength > caplen ? wireLength : caplen);
    cur.amsduNext = -1;
    this.sibOff = -1;
    this.sibBuf = null;
    const status = decodeLink(linkType, buf, cur, view, this.anomalies);
    if (cur.amsduNext >= 0) this.keepSiblings(buf);
    if (status !== NEXT_LAYER) return status;
    return this.decodeNetwork(buf);
  }

  /** True when the frame holds another packet beside the ones decoded (an 802.11 A-MSDU's next subframe). */
  get siblingPending(): boolean {
    return this.sibOff >= 0;
  }

  /**
   * Decodes the next subframe of the frame's A-MSDU into the view, at the tunnel depth and VLAN
   * of the first. Returns Unsupported (no anomaly) when there is none; past MAX_AMSDU_SUBFRAMES
   * the rest of the aggregate is dropped and counted as wifi.amsdu_malformed.
   */
  decodeNextSibling(): DecodeStatus {
    const buf = this.sibBuf;
    if (this.sibOff < 0 || buf === null) return DecodeStatus.Unsupported;
    if (this.sibCount >= MAX_AMSDU_SUBFRAMES) {
      this.sibOff = -1;
      this.anomalies.add(WIFI_AMSDU_MALFORMED);
      return DecodeStatus.Malformed;
    }
    this.sibCount++;
    const view = this.view;
    const cur = this.cur;
    view.buf = buf;
    view.reassembled = false;
    view.tunnelDepth = this.sibDepth;
    view.vlanId = this.sibVlan;
    resetLayers(view);
    cur.off = this.sibOff;
    cur.amsduStart = this.sibStart;
    cur.amsduEnd = this.sibEnd;
    cur.amsduWireEnd = this.sibWireEnd;
    const status = decodeAmsduSubframe(buf, cur, this.anomalies);
    this.sibOff = cur.amsduNext;
    cur.amsduNext = -1;
    if (status !== NEXT_LAYER) return status as DecodeStatus;
    return this.decodeNetwork(buf);
  }

  /** Remembers the rest of the A-MSDU the cursor is in (one aggregate per frame: a nested one keeps only its first subframe). */
  private keepSiblings(buf: Uint8Array): void {
    const cur = this.cur;
    if (this.sibBuf === null) {
      this.sibBuf = buf;
      this.sibOff = cur.amsduNext;
      this.sibStart = cur.amsduStart;
      this.sibEnd = cur.amsduEnd;
      this.sibWireEnd = cur.amsduWireEnd;
      this.sibDepth = this.view.tunnelDepth;
      this.sibVlan = this.view.vlanId;
      this.sibCount = 1;
    }
    cur.amsduNext = -1;
  }

  /** Decodes the packet encapsulated in the last decoded one (view.innerKind != None) into the same view, tunnelDepth + 1. Returns Unsupported (no anomaly) when there is none. */
  decodeInner(tsMicros?: number): DecodeStatus {
    if (tsMicros !== undefined) this.now = tsMicros;
    const view = this.view;
    const kind = view.innerKind;
    if (kind === InnerKind.None) return DecodeStatus.Unsupported;
    const cur = this.cur;
    cur.off = view.innerOffset;
    cur.end = view.innerEnd;
    cur.wireEnd = this.innerWireEnd;
    if (kind === InnerKind.Gre) {
      // GRE-in-UDP: the GRE header names the payload, then it is a GRE tunnel like any other.
      const status = decodeGre(view.buf, cur, this.anomalies);
      if (status === DecodeStatus.OtherIp) this.nonFlow.otherIp++;
      if (status !== NEXT_LAYER) return status as DecodeStatus;
      return this.enterTunnel(view.buf, cur.etherType);
    }
    if (kind === InnerKind.Link) return this.enterTunnel(view.buf, INNER_LINK_BASE + view.innerLinkType);
    return this.enterTunnel(view.buf, INNER_ETHERTYPES[kind]);
  }

  /** End of input: counts fragments that never completed. */
  finish(): void {
    this.reassembler.finish();
  }

  /** Dispatches on cur.etherType; counts non-IP frames. */
  private decodeNetwork(buf: Uint8Array): DecodeStatus {
    const cur = this.cur;
    let etherType = cur.etherType;
    let status: number;
    // Shims between the link header (or a tunnel's inner Ethernet) and IP: LLC/SNAP, MPLS,
    // PPPoE, VLAN tags and bridge-fabric tags (checked only when the frame is not plain IP, so
    // the common path pays one comparison). They nest (SNAP may name PPPoE or MPLS, a PBB frame
    // a VLAN tag, NSH Ethernet); each consumes header bytes, and MAX_SHIMS bounds the work.
    for (let shims = 0; shims < MAX_SHIMS && etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6 && isShimEtherType(etherType); shims++) {
      status = decodeShim(buf, cur, this.view, this.anomalies);
      if (status !== NEXT_LAYER) return status as DecodeStatus;
      etherType = cur.etherType;
    }
    if (etherType === ETHERTYPE_IPV4) {
      // tshark's IPv4 dissector hands a version-6 header to IPv6 ("a Linux cooked capture with
      // ethertype IPv4 containing an IPv6 packet", packet-ip.c); IPv6's takes version 6 only.
      if (cur.end > cur.off && buf[cur.off] >> 4 === 6) {
        this.anomalies.add(IP_IPV6_UNDER_IPV4_TYPE);
        status = decodeIpv6(buf, cur, this.view, this.anomalies);
      } else status = decodeIpv4(buf, cur, this.view, this.anomalies);
    } else if (etherType === ETHERTYPE_IPV6) status = decodeIpv6(buf, cur, this.view, this.anomalies);
    else {
      if (etherType === ETHERTYPE_ARP) {
        this.nonFlow.arp++;
        if (cur.end - cur.off >= ARP_IPV4_ETHER_LENGTH) this.view.arpOffset = cur.off;
      } else this.nonFlow.otherL2++;
      return DecodeStatus.NotIp;
    }
    if (status !== NEXT_LAYER) return status;
    if (cur.isFragment) return this.reassemble(buf);
    return this.decodeTransport(buf);
  }

  /** Feeds a fragment to the reassembler; decodes the transport of a completed datagram from its buffer. */
  private reassemble(buf: Uint8Array): DecodeStatus {
    const cur = this.cur;
    const view = this.view;
    const isV4 = view.ipVersion === 4;
    if (cur.end < cur.wireEnd) {
      // The snaplen cut this fragment: the datagram can never be rebuilt faithfully.
      this.anomalies.add(isV4 ? IP4_TRUNCATED : IP6_TRUNCATED);
      if (!isV4 || cur.fragOffset !== 0) return DecodeStatus.Truncated;
      // A cut first IPv4 fragment still shows its transport header (old captures with a 68- or
      // 96-byte snaplen and fragmented UDP): tshark reads it and lists the conversation, and so
      // do we, as a datagram cut by the snaplen (payloadTruncated) as long as UDP's own length
      // says, the later fragments left to time out unassembled.
      if (cur.proto === IPPROTO_UDP && cur.end - cur.off >= 8) {
        const udpLength = u16be(buf, cur.off + 4);
        if (udpLength > cur.wireEnd - cur.off) cur.wireEnd = cur.off + udpLength;
      }
      return this.decodeTransport(buf);
    }
    const length = this.reassembler.add(
      view, view.ipVersion, cur.proto, cur.fragId, cur.fragOffset, cur.moreFragments, buf, cur.off, cur.end - cur.off, this.now, this.carrierWireBytes, this.carrierFrames,
    );
    if (length === FRAGMENT_HELD) return DecodeStatus.FragmentHeld;
    if (length < 0) return DecodeStatus.Malformed;
    const data = this.reassembler.output;
    view.buf = data;
    view.reassembled = true;
    view.fragmentFrames = this.reassembler.outputFrames;
    view.fragmentWireBytes = this.reassembler.outputWireBytes;
    this.carrierFrames = view.fragmentFrames;
    this.carrierWireBytes = view.fragmentWireBytes;
    cur.off = 0;
    cur.end = length;
    cur.wireEnd = length;
    if (!isV4) {
      // RFC 8200 §4.5: the fragmentable part may start with more extension headers.
      const status = walkIpv6ExtensionHeaders(data, cur, view, this.anomalies, cur.proto);
      if (status !== NEXT_LAYER) return status;
    }
    return this.decodeTransport(data);
  }

  /** Dispatches on the IP protocol at cur.off. */
  private decodeTransport(buf: Uint8Array): DecodeStatus {
    const cur = this.cur;
    const view = this.view;
    switch (cur.proto) {
      case IPPROTO_TCP:
        return decodeTcp(buf, cur, view, this.anomalies);
      case IPPROTO_UDP: {
        const status = decodeUdp(buf, cur, view, this.anomalies);
        if (status !== DecodeStatus.Transport) return status;
        const tunnel = udpTunnelAt(view.srcPort, view.dstPort);
        if (tunnel !== UdpTunnel.None) this.markUdpTunnel(buf, tunnel);
        return status;
      }
      case IPPROTO_ICMP: case IPPROTO_ICMPV6: case IPPROTO_IGMP: {
        const status = decodeIcmpType(buf, cur, view, this.anomalies);
        if (status === DecodeStatus.OtherIp) {
          if (cur.proto === IPPROTO_ICMP) this.nonFlow.icmp++;
          else if (cur.proto === IPPROTO_ICMPV6) this.nonFlow.icmpv6++;
          else this.nonFlow.igmp++;
        }
        return status;
      }
      case IPPROTO_AH:
        return this.skipAuthenticationHeader(buf);
      case IPPROTO_IPIP:
        // IP-in-IP (RFC 2003): the inner header follows directly, IPv4 or IPv6 by its version
        // (tshark's "ip" dissector on this protocol number dispatches on it too).
        return this.enterTunnel(buf, 0);
      case IPPROTO_IPV6:
        // 6in4 (RFC 4213 §3.5): an IPv6 header and nothing else (an IPv4 one here is malformed,
        // as tshark's IPv6 dissector finds it).
        return this.enterTunnel(buf, ETHERTYPE_IPV6);
      case IPPROTO_ETHERNET:
        // An Ethernet frame right after the IP headers: SRv6 layer-2 services (RFC 8986), usually
        // behind a Segment Routing Header; tshark and tcpdump decode the frame, so do we.
        return this.enterTunnel(buf, ETHERTYPE_TEB);
      case IPPROTO_ETHERIP:
        // EtherIP (RFC 3378): a 2-byte header (version 3; MikroTik's EoIPv6 puts its tunnel id in
        // the reserved bits, so, as tshark, any value is taken), then an Ethernet frame.
        if (cur.end - cur.off < ETHERIP_HEADER_LENGTH) {
          this.anomalies.add(TUNNEL_TRUNCATED);
          return DecodeStatus.Truncated;
        }
        cur.off += ETHERIP_HEADER_LENGTH;
        return this.enterTunnel(buf, ETHERTYPE_TEB);
      case IPPROTO_GRE: {
        const status = decodeGre(buf, cur, this.anomalies);
        if (status === DecodeStatus.OtherIp) this.nonFlow.otherIp++;
        if (status !== NEXT_LAYER) return status;
        return this.enterTunnel(buf, cur.etherType);
      }
      case IPPROTO_L2TP: {
        // L2TPv3 over IP (RFC 3931 §4.1.1.1): tunnels.ts finds an Ethernet pseudowire's frame;
        // a control message is IP that is no flow.
        const frame = l2tpv3Frame(buf, cur.off, cur.end, cur.wireEnd, this.anomalies);
        if (frame >= 0) {
          cur.off = frame;
          return this.enterTunnel(buf, ETHERTYPE_TEB);
        }
        if (frame === L2tpv3NoFrame.Control) this.nonFlow.otherIp++;
        return frame === L2tpv3NoFrame.Control ? DecodeStatus.OtherIp : frame === L2tpv3NoFrame.Truncated ? DecodeStatus.Truncated :
          frame === L2tpv3NoFrame.Malformed ? DecodeStatus.Malformed : DecodeStatus.Unsupported;
      }
      default:
        this.nonFlow.otherIp++;
        return DecodeStatus.OtherIp;
    }
  }

  /**
   * IPv4 Authentication Header (RFC 4302 §2: Payload Len in 4-byte units minus 2), then the
   * protocol it protects: an AH-protected TCP or UDP packet is a flow like any other. (IPv6
   * walks AH with its other extension headers.) One AH per packet; a second is IP that is no flow.
   */
  private skipAuthenticationHeader(buf: Uint8Array): DecodeStatus {
    const cur = this.cur;
    const off = cur.off;
    const length = cur.end - off >= 2 ? (buf[off + 1] + 2) << 2 : 0;
    if (length < AH_MIN_LENGTH || cur.end - off < length) {
      this.anomalies.add(IP4_AH_TRUNCATED);
      return DecodeStatus.Truncated;
    }
    cur.proto = buf[off];
    this.view.ipProto = cur.proto; // the flow is keyed and dispatched on the protected protocol
    cur.off = off + length;
    if (cur.proto === IPPROTO_AH) {
      this.nonFlow.otherIp++;
      return DecodeStatus.OtherIp;
    }
    return this.decodeTransport(buf);
  }

  /**
   * Decodes the inner packet at cur.off as a packet of its own (tunnelDepth + 1): an Ethernet
   * frame when `inner` is ETHERTYPE_TEB, an MPLS stack for ETHERTYPE_MPLS, a Network Service
   * Header for ETHERTYPE_NSH, a PPP frame for
   * ETHERTYPE_PPP (PPTP), else an IP packet whose version nibble decides (the GRE protocol type
   * of an IP payload says the same thing).
   */
  private enterTunnel(buf: Uint8Array, inner: number): DecodeStatus {
    const view = this.view;
    const cur = this.cur;
    if (view.tunnelDepth >= MAX_TUNNEL_DEPTH) {
      this.anomalies.add(TUNNEL_TOO_DEEP);
      return DecodeStatus.Unsupported;
    }
    view.tunnelDepth++;
    resetLayers(view);
    if (this.carrierFrames > 1) {
      view.fragmentFrames = this.carrierFrames;
      view.fragmentWireBytes = this.carrierWireBytes;
    }
    if (inner === ETHERTYPE_TEB) {
      view.vlanId = -1;
      const status = decodeEthernet(buf, cur, view, this.anomalies);
      if (status !== NEXT_LAYER) return status;
    } else if (inner === ETHERTYPE_MPLS || inner === ETHERTYPE_NSH) {
      cur.etherType = inner; // a shim: decodeNetwork peels it
    } else if (inner === ETHERTYPE_IEEE80211 || inner === ETHERTYPE_IEEE80211_CAPWAP) {
      // Aruba GRE or a CAPWAP data channel: an 802.11 frame without FCS, whose data frames carry
      // LLC/SNAP (and A-MSDUs).
      const swapFc = inner === ETHERTYPE_IEEE80211_CAPWAP && capwapSwapsFrameControl(buf, cur.off, cur.end);
      const status = decodeIeee80211(buf, cur, this.anomalies, false, swapFc);
      if (cur.amsduNext >= 0) this.keepSiblings(buf);
      if (status !== NEXT_LAYER) return status as DecodeStatus;
    } else if (inner >= INNER_LINK_BASE) {
      // A captured frame streamed by a sniffer (TZSP): its own link header comes first.
      const status = decodeLink(inner - INNER_LINK_BASE, buf, cur, view, this.anomalies);
      if (cur.amsduNext >= 0) this.keepSiblings(buf);
      if (status !== NEXT_LAYER) return status as DecodeStatus;
    } else if (inner === ETHERTYPE_PPP) {
      const status = decodePpp(buf, cur, this.anomalies);
      if (status !== NEXT_LAYER) return status as DecodeStatus;
    } else {
      if (cur.end - cur.off < 1) {
        this.anomalies.add(TUNNEL_TRUNCATED);
        return DecodeStatus.Truncated;
      }
      // An inner packet typed IPv6 (6in4, GRE 0x86dd) must be IPv6: decodeIpv6 checks the
      // version. Typed IPv4 (decodeNetwork also takes IPv6 there) or untyped (IP-in-IP, UDP
      // tunnels): by the version nibble.
      if (inner === ETHERTYPE_IPV6) cur.etherType = ETHERTYPE_IPV6;
      else {
        const status = setEtherTypeFromVersion(buf, cur, this.anomalies);
        if (status !== NEXT_LAYER) return status;
      }
    }
    return this.decodeNetwork(buf);
  }

  /** A UDP tunnel's datagram: the outer UDP datagram stays the result; the inner packet waits for decodeInner(). */
  private markUdpTunnel(buf: Uint8Array, tunnel: UdpTunnel): void {
    if (this.view.tunnelDepth >= MAX_TUNNEL_DEPTH) {
      this.anomalies.add(TUNNEL_TOO_DEEP);
      return;
    }
    if (markUdpTunnelInner(buf, this.cur, this.view, this.anomalies, tunnel)) this.innerWireEnd = this.cur.wireEnd;
  }
}

/** An ARP packet for IPv4 over Ethernet (RFC 826): 8 bytes of header, then 6 + 4 bytes for each of sender and target. */
const ARP_IPV4_ETHER_LENGTH = 28;

/** Clears the per-layer fields that every decoded (inner or outer) packet sets afresh. */
function resetLayers(view: PacketView): void {
  view.ipVersion = 0;
  view.sa0 = 0; view.sa1 = 0; view.sa2 = 0; view.sa3 = 0;
  view.da0 = 0; view.da1 = 0; view.da2 = 0; view.da3 = 0;
  view.ipProto = 0;
  view.srcPort = 0;
  view.dstPort = 0;
  view.tcpFlags = 0;
  view.tcpSeq = 0;
  view.tcpAck = 0;
  view.payloadOffset = 0;
  view.payloadLength = 0;
  view.payloadTruncated = false;
  view.fragmentFrames = 0;
  view.icmpType = -1;
  view.innerKind = InnerKind.None;
  view.innerOffset = 0;
  view.innerEnd = 0;
  view.srcMacOffset = -1;
  view.dstMacOffset = -1;
  view.arpOffset = -1;
  view.sllPacketType = -1;
}
