/**
 * The pipeline: frames → decode → flows → payload extractors → attribution → records.
 * This is the only module that knows every stage; replay and live both drive it one frame at
 * a time, so they share every line after the packet source.
 *
 * Per packet it does numeric work only (decode into a reused view, flow lookup in typed
 * arrays); extractors run only on flows still being identified. Records leave through a
 * `RecordSink` as flows end. It reports facts; policy is applied downstream by the sink.
 * Never throws on packet bytes: an unexpected exception in one packet is counted as
 * `decoder.internal_error` and the run continues.
 */
import { A, ANOMALY_NAMES, AnomalyCounters } from './anomalies';
import { Frame } from './capture/source';
import { DnsCache, DEFAULT_DNS_CACHE_ENTRIES, DEFAULT_DNS_GRACE_MICROS, effectiveTtl } from './attribution/dns-cache';
import { FrameDecoder } from './decode/decode-frame';
import { pktapProcessName } from './decode/link';
import { MAX_TUNNEL_DEPTH, udpTunnelApp } from './decode/tunnels';
import { MAX_AMSDU_SUBFRAMES } from './decode/wifi';
import { DecodeStatus, InnerKind, IPPROTO_TCP, IPPROTO_UDP, PacketView, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG } from './decode/packet-view';
import { startsWithAscii } from './decode/bytes';
import { parseDnsMessage, splitDnsTcpStream, dnsTypeName, dnsRcodeName, DnsMessage, DnsMessageStore, type DnsAnswer } from './extract/dns';
import { ClientHelloResult, parseClientHelloPrefix, leadingNonHelloRecords, parseClientHelloRecords, parseSslv2ClientHello, probeTlsRecord } from './extract/tls-client-hello';
import { findTlsUpgrade, Upgrade } from './extract/tls-upgrade';
import { serverCertificateNames } from './extract/tls-server-flight';
import { probeCoap, probeDhcp, probeDhcpv6, probeIke, probeNbns, probeMqttConnect, probeOpenVpnReset, probeStun, probeWireGuard } from './extract/app-probes';
import { ChunkedBodyWalker, parseHttpRequestHead, parseHttpRequestHeadCut, probeHttpRequest, requestLineLacksVersion } from './extract/http-request';
import { H2_PREFACE, readH2ClientStream, startsH2Preface } from './extract/http2-client';
import { FlowInfo, MAX_HTTP_REQUESTS_SCANNED, MAX_PENDING_DNS_PER_FLOW } from './flow/flow-info';
import {
  DEFAULT_MAX_FLOWS, DEFAULT_TIMEOUTS, F_APP_DONE, F_BY_FIRST, F_BY_PORT, F_BY_QUIC, F_BY_REQUEST, F_EVICTED, F_INIT_B, F_ISN_A, F_ISN_B, F_QUIC_LATER, F_SYN,
  FlowTable, FlowTimeouts, TimeoutClass,
} from './flow/flow-table';
import { STREAM_HEAD_BYTES, StreamHead } from './flow/stream-head';
import { AddrTextCache, Cidr, cidrContains, classifyAt, isAddressLiteral, Scope } from './net/addr';
import { DnsAnswerRecord, DnsRecord, FlowRecord, NameCandidate, NameSource, UnnamedReason } from './report/records';
import { QuicFlowAnalyzer } from './extract/quic-flow';
import { opensAsClientInitial, quicVersionInfo } from './extract/quic-initial';
import { classifyEncryptedDns } from './extract/encrypted-dns';
import { DtlsHelloAssembler, MAX_DTLS_HELLO_DATAGRAMS, probeDtlsClientHello } from './extract/dtls-client-hello';
import { DtlsServerFlight } from './extract/dtls-server-flight';
import { probeDnsQuery } from './extract/dns-probe';

/** Where finished records go (a formatter, the policy stage, or a test). */
export interface RecordSink {
  flow(rec: FlowRecord): void;
  dns(rec: DnsRecord): void;
}

/** Tunable limits and the device definition. */
export interface PipelineOptions {
  /** Device addresses (`--device`); empty → the documented heuristic. */
  devices: Cidr[];
  maxFlows?: number;
  timeouts?: FlowTimeouts;
  dnsCacheEntries?: number;
  dnsGraceMicros?: number;
}

/** Addresses remembered as device evidence (a gateway tap sees a few hundred devices at most). */
const MAX_EVIDENCE_ADDRESSES = 65536;
/** Connection IDs of named QUIC connections kept for finding their other paths (the oldest dropped past it), and per flow. */
const MAX_QUIC_CIDS = 8192;
const MAX_QUIC_CIDS_PER_FLOW = 4;
/** The QUIC connection a connection ID was seen on (Pipeline.quicCids): its flow, its server name, and whether the ID is its client's. */
interface QuicCidOwner { flow: number; name: string; client: boolean }

/** The device's MAC addresses kept (a device has a few interfaces; a capture upstream of a router sees the router's). */
const MAX_DEVICE_MACS = 16;
/** Which end of a flow between two addresses outside --device its first frame's MACs say is the device (FlowInfo.linkRole, set by Pipeline.noteLinkAddresses); unknown when the capture has no MACs or no frame from a device address came before it. */
const LINK_UNKNOWN = -1;
const LINK_NEITHER = 0;
const LINK_INITIATOR = 1;
const LINK_RESPONDER = 2;
/** A frame's end a Linux cooked header names only by its packet type: the capturing host (sent by it, or to it). */
const CAPTURE_HOST = -2;
/** Linux cooked packet types (linux/if_packet.h): to the capturing host, and sent by it. */
const PACKET_HOST = 0;
const PACKET_OUTGOING = 4;

/** Evidence-set key of the address at `words[off, off + 4)`: IPv4 as its number, IPv6 as text. */
function evidenceKeyAt(v: number, words: Uint32Array, off: number): number | string {
  return v === 4 ? words[off + 3] : `${words[off]}:${words[off + 1]}:${words[off + 2]}:${words[off + 3]}`;
}

/**
 * Ended flows' FlowInfo objects kept for reuse (see Pipeline.infoPool). A FlowInfo lives as long
 * as its flow, so V8 promotes nearly every one to the old generation, where it then dies:
 * measured on the flow-heavy benchmark (991 k flows), reuse cut the bytes promoted from 324 to
 * 208 MB and the full collections from 14 to 11. The cap bounds what the pool keeps after a
 * burst of flows (~160 B each).
 */
const MAX_POOLED_INFOS = 65536;

/** Most device addresses listed in the summary. */
const MAX_DEVICE_IPS_LISTED = 256;

const PORT_DNS = 53;
const PORT_MDNS = 5353;
const PORT_LLMNR = 5355;
const PORT_NTP = 123;
/** SSDP, UPnP's discovery (HTTP over UDP). */
const PORT_SSDP = 1900;
/** CoAP (RFC 7252 §12.8): recognised on its port only, as tshark decodes it. */
const PORT_COAP = 5683;
/** NetBIOS name service (RFC 1002 §4.2): on its port only, as tshark decodes it. */
const PORT_NBNS = 137;
/**
 * Client segments looked at for the start of an HTTP request on a connection first seen
 * mid-stream (see resyncSegment): enough for a response or an upload between two requests of
 * a keep-alive connection, few enough that a mid-stream TLS or SSH session costs nothing.
 */
const MAX_RESYNC_SEGMENTS = 32;
/**
 * Decoder calls per frame, a safety bound only: each packet of the frame (every A-MSDU
 * subframe) with its tunnel layers, which the decoder bounds itself (MAX_AMSDU_SUBFRAMES,
 * MAX_TUNNEL_DEPTH).
 */
const MAX_PACKETS_PER_FRAME = (MAX_AMSDU_SUBFRAMES + 1) * (MAX_TUNNEL_DEPTH + 2);
/** OpenVPN (IANA "openvpn", UDP and TCP): there its reset is taken on its opcode alone (see probeOpenVpnReset). */
const PORT_OPENVPN = 1194;
/** RFC 9000 §14.1: a client's Initial datagrams are at least 1200 bytes (QUIC on a DNS port is probed only then). */
const QUIC_MIN_INITIAL_DATAGRAM = 1200;
/**
 * Names whose HTTPS/SVCB answers carried an ECH configuration, remembered for the run so a later
 * ECH flow to them can say so (`ech_config`). Each entry is one short string; past the cap new
 * names are not remembered (the flag is evidence, never required).
 */
const MAX_ECH_CONFIG_NAMES = 4096;

const H2_PREFACE_BYTES = H2_PREFACE.length;

/** Decodes frames, tracks flows and emits facts as records. One instance per run. */
export class Pipeline {
  readonly anomalies = new AnomalyCounters();
  readonly decoder: FrameDecoder;
  readonly flows: FlowTable;
  readonly dnsCache: DnsCache;
  packets = 0;
  bytes = 0;
  /** Frame.process of the frame being processed (see packetProcess). */
  private frameProcess: string | null = null;
  firstTs = -1;
  lastTs = -1;
  /**
   * Time of the packet being processed (µs). Handed to the per-packet methods through this
   * field, not as an argument: a double passed to a call V8 does not inline is boxed into a
   * fresh 16-byte heap number, once per packet (measured: 33 → 31 scavenges on the benchmark).
   */
  private now = 0;
  private readonly addrText = new AddrTextCache();
  /**
   * The DNS message being handled, reused for every message: onDnsMessage keeps only its strings
   * and numbers (records copy them), and is done with it before the next message is parsed.
   */
  private readonly dnsStore = new DnsMessageStore();
  dnsQueries = 0;
  flowCount = 0;
  /**
   * CNAME target → client → the name the client asked, and until when (noteCnameTargets). Two
   * levels, so a lookup makes no key string (a joined key per query was ~1% of the benchmark
   * replay in garbage). Bounded by MAX_CNAME_TARGETS entries: past it, it starts over.
   */
  private readonly cnameOf = new Map<string, Map<string, { name: string; until: number }>>();
  // (Keyed by target first: most names asked are no CNAME's target, and are passed over
  // without making the client's key.)
  private cnameTargets = 0;
  /** Buckets (nameBucket) of the names in cnameOf: a name in an empty bucket is no target, found without hashing it. */
  private readonly cnameSeen = new Uint8Array(4096);
  /** The group groupQueryFlow found its flow to. */
  private foundGroup: Uint32Array = MDNS_GROUPS_V4[0];
  /** Answers learned from responses multicast to a link's group (LINK_CLIENT_KEY): 0 spares new flows a second cache probe. */
  private linkAnswers = 0;
  /** Device address text → flows it took part in (bounded). */
  readonly deviceIps = new Map<string, number>();
  private readonly view: PacketView;
  private readonly quic = new QuicFlowAnalyzer();
  /** Names DNS gave an ECH configuration for (bounded by MAX_ECH_CONFIG_NAMES). */
  private readonly echConfigNames = new Set<string>();
  /** Private addresses seen opening flows to public ones (device evidence when --device is absent). */
  private readonly egressEvidence = new Set<number | string>();
  /**
   * Connection IDs (hex) that the long headers of named QUIC connections carried, either end's:
   * the connection's other paths (a NAT rebinding, a migration that kept its ID) carry them in
   * short headers only, with no hello to read. Bounded by MAX_QUIC_CIDS, oldest first out.
   */
  private readonly quicCids = new Map<string, QuicCidOwner>();
  /** Lengths of the IDs in quicCids, one bit each (a short header does not say its ID's length). */
  private quicCidLengths = 0;
  /** With --device: the MACs (48-bit numbers) that frames from a --device address were sent from (bounded by MAX_DEVICE_MACS). */
  private readonly deviceMacs = new Set<number>();
  /** With --device, on a Linux cooked capture: the capturing host sent a frame from a --device address (it is the device). */
  private captureHostIsDevice = false;
  /** Addresses noted in egressEvidence recently, 1024 entries of words then version (0: empty). */
  private readonly evidenceMemo = new Uint32Array(1024 * 5);
  /** FlowInfo objects of ended flows, reset, for the next flows that carry payload (bounded by MAX_POOLED_INFOS). */
  private readonly infoPool: FlowInfo[] = [];

  constructor(private readonly opts: PipelineOptions, private readonly sink: RecordSink) {
    this.decoder = new FrameDecoder(this.anomalies);
    this.view = this.decoder.view;
    this.flows = new FlowTable((slot) => this.endFlow(slot), opts.maxFlows ?? DEFAULT_MAX_FLOWS, opts.timeouts ?? DEFAULT_TIMEOUTS);
    this.dnsCache = new DnsCache(opts.dnsCacheEntries ?? DEFAULT_DNS_CACHE_ENTRIES, opts.dnsGraceMicros ?? DEFAULT_DNS_GRACE_MICROS);
  }

  /** Processes one frame. Never throws: a bug in a decoder is counted and the packet skipped. */
  processFrame(f: Frame): void {
    this.frameProcess = f.process;
    this.packets++;
    this.bytes += f.wireLength;
    const ts = f.tsMicros;
    this.now = ts;
    this.flows.now = ts;
    this.decoder.now = ts;
    if (this.firstTs < 0 || ts < this.firstTs) this.firstTs = ts;
    if (ts > this.lastTs) this.lastTs = ts;
    try {
      let st = this.decoder.decode(f.buf, f.offset, f.capturedLength, f.wireLength, f.linkType);
      if (st !== DecodeStatus.Transport && this.opts.devices.length > 0 && this.view.srcMacOffset >= 0) this.learnDeviceMac(st);
      // Tunnels: the outer packet may itself be a flow (VXLAN); the inner one always is. A
      // flow's tunnel depth counts the TCP/UDP layers outside it (tshark's definition), so
      // 6in4 and GRE inner flows are depth 0 and VXLAN inner flows depth 1.
      // An 802.11 A-MSDU holds several packets side by side: each subframe after the first
      // starts again at the depth where the first one was found.
      let transportDepth = 0;
      let siblingDepth = -1;
      const dec = this.decoder;
      for (let layer = 0; layer < MAX_PACKETS_PER_FRAME; layer++) {
        if (siblingDepth < 0 && dec.siblingPending) siblingDepth = transportDepth;
        if (st === DecodeStatus.Transport) this.onTransport(f.wireLength, transportDepth++);
        if (this.view.innerKind !== InnerKind.None) st = dec.decodeInner();
        else if (dec.siblingPending) {
          transportDepth = siblingDepth;
          st = dec.decodeNextSibling();
        } else break;
      }
    } catch {
      this.anomalies.add(A['decoder.internal_error']);
    }
  }

  /** End of input: ends every flow and flushes every pending record. */
  finish(): void {
    this.decoder.finish();
    this.flows.endAll();
  }

  private onTransport(wireLength: number, depth: number): void {
    const v = this.view;
    const t = this.flows;
    t.track(v, wireLength, depth);
    if (t.slot < 0) return; // a late segment of a connection that ended (FlowTable.lateSegments)
    // A datagram rebuilt from fragments: its other frames count too (packets and wire bytes
    // are the device's traffic, and an egress audit ranks destinations by bytes).
    if (v.fragmentFrames > 1) t.addFragments(v.fragmentFrames - 1, v.fragmentWireBytes - wireLength);
    const slot = t.slot;
    if (t.created) {
      this.flowCount++;
      this.onNewFlow(slot);
    }
    // A TCP segment other than a plain ACK (SYN, FIN, RST, or none of them with no ACK): a
    // FIN's end noted, data no receiver takes left unread. Nearly every packet skips it.
    if (v.ipProto === IPPROTO_TCP && (v.tcpFlags & (TCP_ACK | TCP_RST | TCP_FIN | TCP_SYN)) !== TCP_ACK && !this.unusualSegment(slot)) return;
    if (v.payloadLength > 0) {
      const fl = t.flagsOf(slot);
      if ((fl & F_APP_DONE) === 0) this.onPayload(slot);
      else if (v.innerKind !== InnerKind.None) this.lateTunnel(slot);
      else if ((fl & F_QUIC_LATER) !== 0) this.laterQuic(slot, fl);
    }
  }

  /**
   * For a TCP segment that is not a plain ACK: notes a FIN's end (noteClientFin), and says
   * whether its data, in a segment without ACK or with RST, is data a receiver takes: not a RST's (diagnostic text at most, RFC 9293 §3.5.3), not a segment's with neither
   * SYN nor ACK (dropped, §3.10.7.4), not a SYN's without a Fast Open option (receivers ignore
   * it and the client sends it again after the handshake, RFC 7413 §2). A name must come from
   * what the server was given: crafted segments like these once named a flow after bytes no
   * receiver took. Counted on the flow and in the run; segments with ACK and no RST (all but
   * the first of every connection) never come here.
   */
  private unusualSegment(slot: number): boolean {
    const v = this.view;
    const f = v.tcpFlags;
    if ((f & TCP_FIN) !== 0) this.noteClientFin(slot);
    if (v.payloadLength === 0 || (f & (TCP_ACK | TCP_RST)) === TCP_ACK) return true;
    let id = -1;
    if ((f & TCP_RST) !== 0) id = A['tcp.rst_with_data'];
    else if ((f & TCP_SYN) === 0) id = A['tcp.data_without_ack'];
    else if ((f & TCP_ACK) === 0 && !hasFastOpenOption(v.buf, v.tcpOptionsOffset, v.payloadOffset)) id = A['tcp.syn_data_without_fast_open'];
    if (id < 0) return true;
    this.noteFlowAnomaly(this.infoOf(slot), id);
    return false;
  }

  /**
   * The client's FIN on a flow not yet named: where its stream ends (the FIN takes the sequence
   * number after its data). Data past it is data no receiver takes (onTcpPayload).
   */
  private noteClientFin(slot: number): void {
    const t = this.flows;
    const fl = t.flagsOf(slot);
    if ((fl & F_APP_DONE) !== 0 || t.fromB !== ((fl & F_INIT_B) !== 0)) return;
    // Only a flow whose client has sent data keeps it: a FlowInfo for every connection that
    // closes without data (most of a scan's or a flood's) would cost more than the case is worth.
    const info = t.infos[slot] as FlowInfo | undefined;
    if (info === undefined) return;
    const v = this.view;
    if (info.clientFinEnd < 0) info.clientFinEnd = seqPlus(v.tcpSeq, v.payloadLength + ((v.tcpFlags & TCP_SYN) !== 0 ? 1 : 0));
  }

  /** Anomaly `id` on a flow, counted in the run once per flow. */
  private noteFlowAnomaly(info: FlowInfo, id: number): void {
    if (info.anomalies !== null && info.anomalies.includes(id)) return;
    this.anomalies.add(id);
    info.noteAnomaly(id);
  }

  /**
   * A datagram on a QUIC flow watched for a later connection (QuicFlowAnalyzer.feedLater): the
   * client's may open one. On a flow whose first connection was not read (the capture began
   * inside it), the side taken for the client may be the server: a datagram from the other side
   * that opens as a client Initial shows the client.
   */
  private laterQuic(slot: number, fl: number): void {
    const t = this.flows;
    const v = this.view;
    const info = this.infoOf(slot);
    const fromInit = t.fromB === ((fl & F_INIT_B) !== 0);
    // (Only while the 5-tuple has had one connection: a later one's IDs would be the first's name.)
    if (info.sni !== null && info.laterSnis === null && (v.buf[v.payloadOffset] & 0x80) !== 0) this.keepQuicCid(slot, info, fromInit);
    if (!fromInit) {
      if (info.hello !== null || info.sni !== null || (fl & (F_BY_PORT | F_BY_FIRST)) === 0) return;
      if (!isClientInitial(v)) return;
      this.swapToClient(slot, info, F_BY_QUIC);
    }
    if (!this.quic.feedLater(info, v.buf, v.payloadOffset, v.payloadLength, this.anomalies)) t.clearFlags(slot, F_QUIC_LATER);
  }

  /**
   * The side taken for the server showed itself the client (`by`: its HTTP request or
   * ClientHello, its QUIC client Initial): swaps the flow's initiator, and what a new flow learns
   * from its initiator is learned again for the right one (the names the client had from DNS
   * for the server's address, the client as device evidence, its link-layer addresses).
   */
  private swapToClient(slot: number, info: FlowInfo, by: number): void {
    this.flows.swapInitiator(slot, by);
    info.dnsAnswerNames = null;
    info.linkRole = LINK_UNKNOWN;
    this.onNewFlow(slot);
  }

  /**
   * A tunnel datagram on a flow already decided without an app (its first datagram was a GTP-U
   * echo, a VXLAN-GPE frame with an unknown next protocol, ...): the flow is the tunnel's carrier after all.
   */
  private lateTunnel(slot: number): void {
    const info = this.infoOf(slot);
    if (info.app === null) info.app = udpTunnelApp(this.view.srcPort, this.view.dstPort);
  }

  /** Per new flow: look up names the client learned from DNS for the remote address. */
  private onNewFlow(slot: number): void {
    const ts = this.now;
    const t = this.flows;
    const initB = (t.flagsOf(slot) & F_INIT_B) !== 0;
    const ver = t.ipVersion(slot);
    const cache = this.dnsCache;
    cache.now = ts;
    const device = this.isDeviceSide(slot, initB);
    let names = cache.lookupAt(ver, t.keys, t.addrOffset(slot, !initB), device ? DEVICE_CLIENT_KEY : t.keys, device ? 0 : t.addrOffset(slot, initB));
    // Answers multicast on a link (mDNS) name a flow between two hosts there.
    if (names.length === 0 && this.linkAnswers > 0 && sameLinkAt(ver, t.keys, t.addrOffset(slot, initB), t.addrOffset(slot, !initB))) {
      names = cache.lookupAt(ver, t.keys, t.addrOffset(slot, !initB), LINK_CLIENT_KEY, 0);
    }
    if (names.length > 0) {
      const info = this.infoOf(slot);
      info.dnsAnswerNames = names.map((n) => n.name);
    }
    if (this.opts.devices.length === 0) this.noteEgressEvidence(slot, initB);
    else if (this.view.srcMacOffset >= 0) this.noteLinkAddresses(slot, initB, device);
    const process = this.packetProcess();
    if (process !== null) this.infoOf(slot).process = process;
  }

  /**
   * With --device: a device's link-local address (fe80::, 169.254/16, 0.0.0.0 for DHCP) is rarely
   * among the --device prefixes, but its frames leave from the MAC its --device addresses use,
   * while a neighbour's mDNS, LLMNR and DHCPv6 (heard by a capture on the device itself) come
   * from another. Learns the MACs a device address's new flows are sent from; for a flow between
   * addresses outside --device with a link-local end (opened from one, or to one: a neighbour's
   * SSH from its global address to the device's 169.254/16 address), decides from its first
   * frame which end is the device (FlowInfo.linkRole), so the flow and its DNS records agree
   * whenever they are written. Runs once per new flow, with --device only.
   */
  private noteLinkAddresses(slot: number, initB: boolean, deviceInit: boolean): void {
    const t = this.flows;
    const fromInit = t.fromB === initB;
    if (fromInit ? deviceInit : this.isDeviceSide(slot, t.fromB)) {
      this.learnSenderMac();
      return;
    }
    if (deviceInit || this.isDeviceSide(slot, !initB)) return;
    const ver = t.ipVersion(slot);
    if (classifyAt(ver, t.keys, t.addrOffset(slot, initB)) !== Scope.LinkLocal && classifyAt(ver, t.keys, t.addrOffset(slot, !initB)) !== Scope.LinkLocal) return;
    if (this.deviceMacs.size === 0 && !this.captureHostIsDevice) return; // nothing known yet: taken as the device
    const v = this.view;
    const sender = v.sllPacketType === PACKET_OUTGOING ? CAPTURE_HOST : macAt(v.macBuf, v.srcMacOffset);
    const receiver = v.dstMacOffset >= 0 ? macAt(v.macBuf, v.dstMacOffset) : v.sllPacketType === PACKET_HOST ? CAPTURE_HOST : -1;
    const init = fromInit ? sender : receiver;
    const resp = fromInit ? receiver : sender;
    this.infoOf(slot).linkRole = this.isDeviceMac(init) ? LINK_INITIATOR : this.isDeviceMac(resp) ? LINK_RESPONDER : LINK_NEITHER;
  }

  /** The frame being processed was sent from a --device address: its sender's MAC is the device's (and, on a cooked capture, a frame the capturing host sent makes that host the device). */
  private learnSenderMac(): void {
    const v = this.view;
    if (v.sllPacketType === PACKET_OUTGOING) this.captureHostIsDevice = true;
    if (this.deviceMacs.size < MAX_DEVICE_MACS) this.deviceMacs.add(macAt(v.macBuf, v.srcMacOffset));
  }

  /** True when a frame end (a MAC, CAPTURE_HOST, or -1 for none) is the device. */
  private isDeviceMac(id: number): boolean {
    return id === CAPTURE_HOST ? this.captureHostIsDevice : id >= 0 && this.deviceMacs.has(id);
  }

  /**
   * With --device: a frame with no flow whose sender is a device address (its ARP, or its ICMP,
   * ICMPv6 neighbour discovery or IGMP from a --device address) teaches the device's MAC too,
   * usually before its first flow. ARP must be IPv4 over Ethernet (RFC 826).
   */
  private learnDeviceMac(st: DecodeStatus): void {
    const v = this.view;
    let device = false;
    if (st === DecodeStatus.OtherIp && v.ipVersion !== 0) {
      const ver = v.ipVersion;
      for (const c of this.opts.devices) if (cidrContains(c, ver, v.sa0, v.sa1, v.sa2, v.sa3)) { device = true; break; }
    } else if (st === DecodeStatus.NotIp && v.arpOffset >= 0) {
      const b = v.buf;
      const o = v.arpOffset;
      if (b[o] === 0 && b[o + 1] === 1 && b[o + 2] === 0x08 && b[o + 3] === 0 && b[o + 4] === 6 && b[o + 5] === 4) {
        const spa = ((b[o + 14] << 24) | (b[o + 15] << 16) | (b[o + 16] << 8) | b[o + 17]) >>> 0;
        for (const c of this.opts.devices) if (cidrContains(c, 4, 0, 0, 0, spa)) { device = true; break; }
      }
    }
    if (device) this.learnSenderMac();
  }

  /**
   * The process the capture names for the packet being processed: from its PKTAP header, else
   * from the capture file (Apple's pcapng process blocks); null for every other capture. Makes a
   * string for PKTAP: once per flow or DNS message, never per packet.
   */
  private packetProcess(): string | null {
    const v = this.view;
    return v.pktapOffset >= 0 ? pktapProcessName(v.frameBuf, v.pktapOffset) : this.frameProcess;
  }

  /**
   * Device-side evidence for the no---device heuristic: a private address that opens a flow to a
   * public one, or to a private one in another subnet, behaves like a device. Bounded; IPv4
   * keyed by number, IPv6 by text.
   */
  private noteEgressEvidence(slot: number, initB: boolean): void {
    if (this.egressEvidence.size >= MAX_EVIDENCE_ADDRESSES) return;
    const t = this.flows;
    const v = t.ipVersion(slot);
    const K = t.keys;
    const io = t.addrOffset(slot, initB);
    const ro = t.addrOffset(slot, !initB);
    const si = classifyAt(v, K, io);
    if (si !== Scope.Private) return;
    const sr = classifyAt(v, K, ro);
    if (sr !== Scope.Public && sr !== Scope.Private) return;
    // Private → private counts only across subnets (/24, /64): a LAN client reaching the device
    // on its own subnet is not evidence; the device reaching a server elsewhere is.
    if (sr === Scope.Private && sameLinkAt(v, K, io, ro)) return;
    // Devices open flow after flow: an address noted recently is skipped without a set lookup
    // (and, for IPv6, without building its key text), through a small direct-mapped memo.
    const m = this.evidenceMemo;
    const e = (Math.imul(K[io + 3] ^ K[io] ^ K[io + 1] ^ K[io + 2], 0x9e3779b1) >>> 22) * 5; // 1024 entries
    if (m[e + 4] === v && m[e] === K[io] && m[e + 1] === K[io + 1] && m[e + 2] === K[io + 2] && m[e + 3] === K[io + 3]) return;
    m[e] = K[io]; m[e + 1] = K[io + 1]; m[e + 2] = K[io + 2]; m[e + 3] = K[io + 3]; m[e + 4] = v;
    this.egressEvidence.add(evidenceKeyAt(v, K, io));
  }

  private infoOf(slot: number): FlowInfo {
    let info = this.flows.infos[slot] as FlowInfo | undefined;
    if (!info) {
      info = this.infoPool.pop() ?? new FlowInfo();
      this.flows.infos[slot] = info;
    }
    return info;
  }

  private onPayload(slot: number): void {
    const v = this.view;
    const t = this.flows;
    const info = this.infoOf(slot);
    let initB = (t.flagsOf(slot) & F_INIT_B) !== 0;
    let fromClient = t.fromB === initB;
    // The side taken for the server shows itself the client: an HTTP request or ClientHello on a
    // TCP connection first seen mid-stream, a QUIC client Initial on a UDP flow a port guessed.
    const swapBy = fromClient ? 0
      : v.ipProto === IPPROTO_TCP ? (this.requestFromResponder(slot, info) ? F_BY_REQUEST : 0)
        : this.quicFromResponder(slot, info) ? F_BY_QUIC : 0;
    if (swapBy !== 0) {
      this.swapToClient(slot, info, swapBy);
      initB = !initB;
      fromClient = true;
    }
    const serverPort = t.port(slot, !initB);
    const clientPort = t.port(slot, initB);
    if (v.ipProto === IPPROTO_TCP) this.onTcpPayload(slot, info, fromClient, serverPort);
    else if (v.innerKind !== InnerKind.None) {
      // A UDP tunnel's carrier (its inner packets are flows of their own): name the tunnel.
      this.decide(slot, info, udpTunnelApp(v.srcPort, v.dstPort));
    } else this.onUdpPayload(slot, info, fromClient, serverPort, clientPort);
  }

  /**
   * A connection first seen mid-stream takes the sender of its first packet as the initiator,
   * a guess when neither port is a service's. An HTTP request from the other side, before the
   * flow is identified, shows the guess wrong (tshark's conversations, which only list who sent
   * first, need no such fix; a record's device side and Host do).
   */
  private requestFromResponder(slot: number, info: FlowInfo): boolean {
    const v = this.view;
    if ((this.flows.flagsOf(slot) & (F_BY_FIRST | F_SYN)) !== F_BY_FIRST) return false;
    if (info.app !== null || (info.client !== null && info.resyncLeft === 0)) return false;
    return probeHttpRequest(v.buf, v.payloadOffset, v.payloadLength) || startsClientHelloRecord(v.buf, v.payloadOffset, v.payloadLength);
  }

  /**
   * A UDP flow whose initiator was guessed — from a port (a client whose ephemeral port happens
   * to be a service's, 44158 or 8080, talking to a server on 4433), or from the first datagram
   * of a capture that began at the server's Retry, Version Negotiation or Initial — gets a
   * client Initial from the side taken for the server: that side is the client. The Initial
   * must open under the client keys of its DCID: a server's Initial is as long and looks the
   * same but is under the server's keys (a capture that began at the server's reply kept its
   * right guess from port 443).
   */
  private quicFromResponder(slot: number, info: FlowInfo): boolean {
    const v = this.view;
    const t = this.flows;
    if ((t.flagsOf(slot) & (F_BY_PORT | F_BY_FIRST)) === 0 || (info.app !== null && info.app !== 'quic')) return false;
    if (this.quic.clientSentInitial(info)) return false; // the side taken for the client sent one
    return isClientInitial(v);
  }

  // ---------------------------------------------------------------- TCP

  private onTcpPayload(slot: number, info: FlowInfo, fromClient: boolean, serverPort: number): void {
    const v = this.view;
    // TLS with its roles reversed (an FTPS data connection the server opens, a reverse tunnel):
    // the side that answered the SYN sends the ClientHello before the initiator has sent
    // anything. Its stream is read as the client's from then on, as tshark and Zeek read the
    // hello wherever it comes from; the flow's initiator, direction and counts stay the TCP ones.
    // A connection first seen mid-stream has no such roles: requestFromResponder has made the
    // hello's sender its initiator instead.
    if (info.tlsByResponder) fromClient = !fromClient;
    else if (!fromClient && info.app === null && info.client === null && (this.flows.flagsOf(slot) & F_SYN) !== 0 && serverPort !== PORT_DNS) {
      const r = this.responderSpeaksFirst(slot, info);
      if (r === ResponderStart.Handled) return;
      if (r === ResponderStart.Hello) fromClient = true;
    }
    // Urgent data while the flow is unnamed: the server's stack took the urgent byte out of the
    // stream (no SO_OOBINLINE), the head here keeps it, so a name read across it can differ.
    if ((v.tcpFlags & TCP_URG) !== 0 && fromClient) this.noteFlowAnomaly(info, A['tcp.urgent_data']);
    if (info.resyncLeft > 0) {
      if (fromClient && v.payloadLength > 0) this.resyncSegment(slot, info, v.buf, v.payloadOffset, v.payloadLength);
      return;
    }
    if (info.wantCert) {
      if (!fromClient) this.onServerFlight(slot, info);
      return;
    }
    if (info.app === 'http' || info.httpTunnel) {
      if (fromClient) this.scanHttpSegment(slot, info, v.buf, v.payloadOffset, v.payloadLength);
      return;
    }
    if (!fromClient && info.app === null && info.client === null) {
      // The server spoke first: only a banner can tell us what this is.
      if (startsWithAscii(v.buf, v.payloadOffset, v.payloadLength, 'SSH-')) this.decide(slot, info, 'ssh');
      else if (serverPort !== PORT_DNS) return;
    }
    // DNS over TCP: port 53, and 5353 as tshark registers it (DNS-SD's unicast queries over TCP).
    const isDns = serverPort === PORT_DNS || serverPort === PORT_MDNS || (info.app === 'dns');
    if (!fromClient && !isDns) return;
    // Data carried in a SYN (TCP Fast Open) starts at ISN + 1: the SYN occupies one sequence number (RFC 9293 §3.4, RFC 7413 §2).
    const seq = (v.tcpFlags & TCP_SYN) !== 0 ? (v.tcpSeq + 1) >>> 0 : v.tcpSeq;
    // Data the client sends past its FIN's end: no receiver takes it.
    if (fromClient && info.clientFinEnd >= 0 && ((seq - info.clientFinEnd) | 0) >= 0) {
      this.noteFlowAnomaly(info, A['tcp.data_after_fin']);
      return;
    }
    let head = fromClient ? info.client : info.server;
    if (!head) {
      const base = this.streamBase(slot);
      // Fast path: the stream's first segment, in order, usually holds the whole ClientHello or
      // request head. Identify it straight from the packet and build a head (an allocation and
      // a copy per connection; measured ~5% of the benchmark) only when more bytes are needed.
      // The result is the same as through a head: a head's first in-order segment is these bytes.
      if (fromClient && !isDns && seq === base && v.payloadLength < STREAM_HEAD_BYTES) {
        let o = v.payloadOffset;
        let l = v.payloadLength;
        let s0 = seq;
        const pp = (this.flows.flagsOf(slot) & F_SYN) !== 0 ? proxyHeaderLength(v.buf, o, l) : 0;
        if (pp > 0) {
          // A PROXY protocol header from a load balancer: the client's own bytes start after it.
          o += pp;
          l -= pp;
          s0 = seqPlus(seq, pp);
          if (l === 0) { info.client = new StreamHead(s0); return; }
        }
        if (pp >= 0) {
          if (this.identifyTcp(slot, info, v.buf, o, l, s0)) info.client = headHolding(s0, v.buf, o, l);
          return;
        }
        // pp < 0: the start of a PROXY header, cut: it is put together in a head below.
      }
      head = new StreamHead(base);
      if (fromClient) info.client = head;
      else info.server = head;
    }
    if (isDns) {
      this.feedDnsTcp(slot, info, head, fromClient, seq, v.buf, v.payloadOffset, v.payloadLength);
      return;
    }
    const grew = head.add(seq, v.buf, v.payloadOffset, v.payloadLength);
    if (head.conflicts > 0) this.noteFlowAnomaly(info, A['stream.overlap_conflict']);
    if (!grew) {
      // Shed by the stream-head memory budget (a flood of unfinished heads), or full: counted, given up.
      if (head.exhausted) this.giveUpHead(slot, info, A['stream.head_overflow']);
      return;
    }
    if (fromClient && info.app === null && this.atStreamStart(slot, head.base)) {
      const pp = proxyHeaderLength(head.buf, 0, head.contiguous);
      if (pp < 0) return; // a PROXY header not yet whole (at most 107 or 1,024 bytes)
      if (pp > 0 && head.advance(pp) && head.contiguous === 0) return;
    }
    const headEnd = seqPlus(head.base, head.contiguous);
    this.identifyTcp(slot, info, head.buf, 0, head.contiguous, head.base);
    // Found to be mid-stream with this segment already in the head (after a few bytes too few
    // to judge): the segment may itself start a request.
    if (info.resyncLeft > 0 && seq !== head.base) this.resyncSegment(slot, info, v.buf, v.payloadOffset, v.payloadLength);
    else this.httpPastHead(slot, info, headEnd, seq, v.buf, v.payloadOffset, v.payloadLength);
  }

  /**
   * A segment larger than the room left in a head (segmentation offload on the capturing host
   * delivers segments of 20–64 KB) was cut by it: once the head's bytes are read as HTTP with a
   * request still to come, the rest of the segment is read as any later segment is, so pipelined
   * requests past the head's end are found (tshark reads the whole segment).
   */
  private httpPastHead(slot: number, info: FlowInfo, headEnd: number, seq: number, buf: Uint8Array, off: number, len: number): void {
    if (info.app !== 'http' || info.client !== null || info.h2 !== null) return;
    if (((seqPlus(seq, len) - headEnd) | 0) <= 0) return;
    if (info.httpNextSeq < 0 && info.httpTail === null && info.httpChunked === null) return;
    this.scanHttpSegment(slot, info, buf, off, len);
  }

  /**
   * The side that answered the SYN sends bytes before the initiator has sent any: does its
   * stream start with a ClientHello? Decided from the segment alone when it is the stream's
   * first and holds a record header and the message type (6 bytes); otherwise the responder's
   * bytes wait in a head until 6 contiguous bytes are there (a first segment out of order, or
   * cut inside the record header). A hello's head becomes the flow's client head, and is read.
   */
  private responderSpeaksFirst(slot: number, info: FlowInfo): ResponderStart {
    const v = this.view;
    let head = info.server;
    if (head === null) {
      const base = this.streamBase(slot);
      if (v.tcpSeq === base && v.payloadLength >= 6) {
        if (!startsClientHelloRecord(v.buf, v.payloadOffset, v.payloadLength)) return ResponderStart.NotHello;
        info.tlsByResponder = true;
        return ResponderStart.Hello;
      }
      head = info.server = new StreamHead(base);
    }
    head.add(v.tcpSeq, v.buf, v.payloadOffset, v.payloadLength);
    if (head.contiguous < 6 && !head.exhausted) return ResponderStart.Handled;
    info.server = null;
    if (!startsClientHelloRecord(head.buf, 0, head.contiguous)) {
      // What the segment-by-segment look below would have seen in a banner cut short.
      if (startsWithAscii(head.buf, 0, head.contiguous, 'SSH-')) { this.decide(slot, info, 'ssh'); return ResponderStart.Handled; }
      return ResponderStart.NotHello;
    }
    info.tlsByResponder = true;
    info.client = head;
    this.identifyTcp(slot, info, head.buf, 0, head.contiguous, head.base);
    return ResponderStart.Handled;
  }

  /**
   * Looks at the first `n` client bytes of the stream, `buf[off, off + n)` (`seqAtOff` is the
   * sequence number of buf[off]), and decides what the flow is. Returns true when it needs more
   * bytes (nothing is decided then).
   */
  private identifyTcp(slot: number, info: FlowInfo, buf: Uint8Array, off: number, n: number, seqAtOff: number): boolean {
    const t = this.flows;
    if ((t.flagsOf(slot) & F_SYN) !== 0) {
      // Records a server reads past before the hello (an empty one, a ChangeCipherSpec, an alert):
      // the hello after them names the flow. Only from a stream's start: a connection seen
      // mid-stream is full of application-data records.
      const skip = leadingNonHelloRecords(buf, off, n);
      if (skip < 0) return this.waitForMore(slot, info, n);
      if (skip > 0) {
        this.anomalies.add(A['tls.records_before_hello']);
        info.noteAnomaly(A['tls.records_before_hello']);
        info.app = 'tls';
        info.tlsAt = skip;
        return this.helloAfterUpgrade(slot, info, buf, off, n, seqAtOff);
      }
    }
    if (probeTlsRecord(buf, off, n) || (n < 3 && buf[off] === 0x16)) {
      const r = parseClientHelloRecords(buf, off, n);
      if (r.kind !== 'not-tls') return this.onHelloResult(slot, info, r, n, 'tls', buf, off, n);
      // not-tls: fall through to the other probes.
    }
    if ((buf[off] & 0x80) !== 0) {
      // A ClientHello in SSL 2.0's format (old Java, OpenSSL 0.9.8): TLS without a server name.
      const r = parseSslv2ClientHello(buf, off, n);
      if (r.kind !== 'not-tls') return this.onHelloResult(slot, info, r, n, 'tls', buf, off, n);
    }
    if (n < 4) return true;
    // Before HTTP: SMTP's "EHLO host" and IMAP's "A1 LOGIN ..." also start like a request line.
    const serverPort = t.port(slot, (t.flagsOf(slot) & F_INIT_B) === 0);
    const up = findTlsUpgrade(buf, off, n, serverPort);
    if (up.kind !== Upgrade.None) {
      if (up.app !== null) info.app = up.app;
      if (up.kind === Upgrade.NeedMore) return this.waitForMore(slot, info, n);
      if (up.kind === Upgrade.Plain) { this.decide(slot, info, up.app); return false; }
      info.tlsAt = up.at;
      if (up.host !== undefined) info.socksHost = up.host;
      return this.helloAfterUpgrade(slot, info, buf, off, n, seqAtOff);
    }
    if (probeHttpRequest(buf, off, n)) {
      info.app = 'http';
      // Parse the first request from the reassembled head; later ones segment by segment.
      return this.parseHttpFrom(slot, info, buf, off, n, true, seqAtOff);
    }
    if (startsWithAscii(buf, off, n, 'SSH-')) { this.decide(slot, info, 'ssh'); return false; }
    if (isBitcoinMagic(buf, off, n)) { this.decide(slot, info, 'bitcoin'); return false; }
    const mqtt = probeMqttConnect(buf, off, n);
    if (mqtt === 'yes') { this.decide(slot, info, 'mqtt'); return false; }
    if (mqtt === 'more') return this.waitForMore(slot, info, n);
    if (probeOpenVpnReset(buf, off, n, true, serverPort === PORT_OPENVPN)) { this.decide(slot, info, 'openvpn'); return false; }
    if ((t.flagsOf(slot) & F_SYN) === 0 && info.app === null) {
      // The connection began before the capture and these bytes are from its middle: look for
      // a request at the start of the next client segments instead of giving up on the flow.
      info.client = null;
      info.resyncLeft = MAX_RESYNC_SEGMENTS;
      return false;
    }
    // Unknown content: nothing a name can come from.
    this.decide(slot, info, null);
    return false;
  }

  /** True when `base` is the first byte of the sender's stream after its SYN (the sender's ISN is known). */
  private atStreamStart(slot: number, base: number): boolean {
    const t = this.flows;
    return (t.flagsOf(slot) & (t.fromB ? F_ISN_B : F_ISN_A)) !== 0 && ((t.isnOf(slot, t.fromB) + 1) >>> 0) === base;
  }

  /**
   * Sequence number of the first byte of the packet's sender's stream: one past its SYN's
   * initial sequence number when the SYN was seen, else this segment's (its start was missed).
   */
  private streamBase(slot: number): number {
    const t = this.flows;
    const bFlag = t.fromB ? F_ISN_B : F_ISN_A;
    return (t.flagsOf(slot) & bFlag) !== 0 ? (t.isnOf(slot, t.fromB) + 1) >>> 0 : this.view.tcpSeq;
  }

  /**
   * A server segment of a TLS connection whose hello named nothing: the server's stream is put
   * together from its first byte (a head like the client's, bounded and budgeted; after a
   * plaintext preamble, from the byte the client's hello acknowledged) until its certificate's
   * names are read, TLS 1.3 is selected, or there is nothing more to learn.
   */
  private onServerFlight(slot: number, info: FlowInfo): void {
    const v = this.view;
    let head = info.server;
    if (head === null) head = info.server = new StreamHead(this.streamBase(slot));
    if (!head.add(v.tcpSeq, v.buf, v.payloadOffset, v.payloadLength)) {
      if (head.exhausted) this.decide(slot, info, info.app);
      return;
    }
    const r = serverCertificateNames(head.buf, 0, head.contiguous);
    if (r.kind === 'need-more' && head.contiguous < STREAM_HEAD_BYTES) return;
    if (r.kind === 'names') info.certNames = r.names;
    this.decide(slot, info, info.app);
  }

  /**
   * One client segment of a connection that began before the capture and whose first bytes
   * were mid-stream (a body, a response's continuation, a mail dialogue before its STARTTLS):
   * when it starts an HTTP request, the flow is HTTP from there on — tshark's HTTP dissector
   * picks a connection up the same way, at the first segment that starts with a request line —
   * and when it starts a ClientHello record, the hello is read from there, as tshark's TLS
   * dissector finds it. Captures cut from longer traces (most public test-suite captures) begin
   * so. A request line must name its HTTP version here (an SMTP `EHLO host` or an IMAP command
   * is no request). Gives up after MAX_RESYNC_SEGMENTS segments.
   */
  private resyncSegment(slot: number, info: FlowInfo, buf: Uint8Array, off: number, len: number): void {
    info.resyncLeft--;
    const seq = this.view.tcpSeq;
    if (probeHttpRequest(buf, off, len) && !requestLineLacksVersion(buf, off, len)) {
      info.resyncLeft = 0;
      info.app = 'http';
      this.parseHttpFrom(slot, info, buf, off, len, false, seq);
      return;
    }
    if (startsClientHelloRecord(buf, off, len)) {
      info.resyncLeft = 0;
      const head = new StreamHead(seq);
      info.client = head;
      if (head.add(seq, buf, off, len)) this.identifyTcp(slot, info, head.buf, 0, head.contiguous, head.base);
      return;
    }
    if (info.resyncLeft === 0) this.decide(slot, info, null);
  }

  /**
   * Acts on a ClientHello parse of a client stream whose first `n` bytes are held, the hello's
   * records being buf[at, at + len); `app` is what the flow is once the hello is known (`tls`,
   * or the protocol that upgraded to TLS). Returns true when more bytes are needed.
   */
  private onHelloResult(slot: number, info: FlowInfo, r: ClientHelloResult, n: number, app: string | null, buf: Uint8Array, at: number, len: number): boolean {
    if (r.kind === 'found') {
      info.takeHello(r.hello, 'tcp', this.anomalies);
      const upgraded = info.tlsAt >= 0;
      if (r.hello.sni === null && !r.hello.ech && !r.hello.esni && (app === 'tls' || upgraded) && offersTls12(r.hello.supportedVersions)) {
        // No name from the client: the certificate the server presents in the clear (TLS 1.2
        // and older) is read for its names, a fact for the record.
        const v = this.view;
        if (upgraded && (v.tcpFlags & TCP_ACK) === 0) {
          this.decide(slot, info, app);
          return false;
        }
        info.app = app;
        info.client = null;
        // After a plaintext preamble (STARTTLS, a CONNECT) the server's TLS starts where the
        // client's hello acknowledges: the server answered the upgrade request, then waits for
        // the hello, so every byte it sent before is acknowledged by it and every byte after is
        // TLS. Without a preamble the server's TLS is its stream from the start (see onServerFlight).
        info.server = upgraded ? new StreamHead(v.tcpAck) : null;
        info.wantCert = true;
        return false;
      }
      this.decide(slot, info, app);
      return false;
    }
    if (r.kind === 'need-more') {
      if (n < STREAM_HEAD_BYTES) return true;
      // A hello larger than the head: its first bytes hold the server_name (RFC 6066 §3), which
      // padding or a large PSK identity cannot push out; read them rather than give up.
      return this.onHelloResult(slot, info, parseClientHelloPrefix(buf, at, len), n, app, buf, at, len);
    }
    if (r.kind === 'malformed') {
      this.anomalies.add(r.anomaly);
      info.noteAnomaly(r.anomaly);
    }
    this.decide(slot, info, app);
    return false;
  }

  /** More client bytes are needed: true while the head can still grow, else the flow is given up. */
  private waitForMore(slot: number, info: FlowInfo, n: number): boolean {
    if (n < STREAM_HEAD_BYTES) return true;
    this.giveUpHead(slot, info, A['stream.head_overflow']);
    return false;
  }

  /**
   * The client asked to switch to TLS (STARTTLS, an HTTP or SOCKS CONNECT, ...) and its TLS
   * starts `info.tlsAt` bytes into the stream held at buf[off, off + n): names the flow from
   * the ClientHello there. Plaintext instead means the server refused, or the tunnel carries
   * something else: the flow keeps its app and no name — except plain HTTP through an HTTP or
   * SOCKS CONNECT, whose requests are read like any (tshark decodes them too). `seqAtOff` is the
   * sequence number of buf[off]. Returns true when more bytes are needed.
   */
  private helloAfterUpgrade(slot: number, info: FlowInfo, buf: Uint8Array, off: number, n: number, seqAtOff: number): boolean {
    const rest = n - info.tlsAt;
    if (rest <= 0) return this.waitForMore(slot, info, n);
    const at = off + info.tlsAt;
    if ((info.app === 'http' || info.app === 'socks') && probeHttpRequest(buf, at, rest)) {
      const seqAt = seqPlus(seqAtOff, info.tlsAt);
      info.tlsAt = -1;
      info.httpTunnel = true;
      info.client = null;
      info.server = null;
      this.parseHttpFrom(slot, info, buf, at, rest, false, seqAt);
      return false;
    }
    if (!probeTlsRecord(buf, at, rest)) {
      this.decide(slot, info, info.app);
      return false;
    }
    // After a STARTTLS of no known protocol the flow is TLS once its hello is seen.
    return this.onHelloResult(slot, info, parseClientHelloRecords(buf, at, rest), n, info.app ?? 'tls', buf, at, rest);
  }

  /**
   * Parses HTTP request heads in buf[off, off+len), skipping bodies of known length; `fromHead`
   * when the bytes are the start of the client stream; `seqAtOff` is the sequence number of
   * buf[off]. Returns true when the first request head is incomplete (more bytes needed).
   */
  private parseHttpFrom(slot: number, info: FlowInfo, buf: Uint8Array, off: number, len: number, fromHead: boolean, seqAtOff: number): boolean {
    let p = off;
    const end = off + len;
    while (p < end && info.httpRequests < MAX_HTTP_REQUESTS_SCANNED) {
      if (startsH2Preface(buf, p, end - p)) {
        // HTTP/2's preface (prior knowledge, or after a 101 answered `Upgrade: h2c`): the rest
        // of the client's stream is HTTP/2 frames, held from the preface on until a request's
        // header block is whole.
        info.h2 = headHolding(seqPlus(seqAtOff, p - off), buf, p, end - p);
        info.httpNextSeq = -1;
        info.httpTail = null;
        if (fromHead) { info.client = null; info.server = null; }
        this.readH2(slot, info);
        return false;
      }
      // A segment cut by the capture's snapshot length ends the bytes here: its head is read
      // from the lines captured whole (the rest of it never comes).
      const r = this.view.payloadTruncated ? parseHttpRequestHeadCut(buf, p, end - p) : parseHttpRequestHead(buf, p, end - p);
      if (r.kind === 'request') {
        info.httpRequests++;
        if (r.host !== null) info.httpHosts = FlowInfo.addName(info.httpHosts, r.host);
        if (r.conflictingHost !== null) info.httpHosts = FlowInfo.addName(info.httpHosts, r.conflictingHost);
        for (let k = 0; k < r.anomalies.length; k++) { this.anomalies.add(r.anomalies[k]); info.noteAnomaly(r.anomalies[k]); }
        p += r.headLength;
        if (r.method === 'CONNECT') {
          // CONNECT (RFC 9110 §9.3.6): after the head, the client's bytes are the tunnel's. A
          // CONNECT after another request (a retry after 407 Proxy Authentication Required)
          // starts a head of its own at the tunnel's first byte.
          if (fromHead) info.tlsAt = p - off;
          else {
            info.client = headHolding(seqPlus(seqAtOff, p - off), buf, p, end - p);
            info.tlsAt = 0;
          }
          break;
        }
        // The next request starts after the body (RFC 9112 §6.3). Where that is, is kept as a
        // sequence number, so a request after a body, in this segment or a later one, is found.
        // A chunked body is walked in these bytes, and on through the next segments when it
        // goes on past them (walkChunkedBody).
        let body = r.bodyLength;
        if (body < 0 && r.chunked) {
          const walker = new ChunkedBodyWalker();
          body = walker.feed(buf, p, end - p);
          if (body === -1) {
            info.httpChunked = walker;
            info.httpNextSeq = seqPlus(seqAtOff, len);
            break;
          }
        }
        if (body < 0) { info.httpNextSeq = -1; break; }
        if (body > end - p) { info.httpNextSeq = seqPlus(seqAtOff, p - off + body); break; }
        p += body;
        info.httpNextSeq = seqPlus(seqAtOff, p - off);
        if (!probeHttpRequest(buf, p, end - p)) break; // the tunnel or nothing follows
        continue;
      }
      if (r.kind === 'need-more') {
        if (fromHead && info.httpRequests === 0) return true;
        // A later request whose head goes on in the next segments (pipelining, or a head larger
        // than a segment): its bytes so far wait in a head of their own (see feedHttpTail).
        info.httpTail = headHolding(seqPlus(seqAtOff, p - off), buf, p, end - p);
        break;
      }
      if (r.kind === 'malformed') {
        this.anomalies.add(r.anomaly);
        info.noteAnomaly(r.anomaly);
      }
      break;
    }
    if (info.tlsAt >= 0) {
      if (fromHead) return this.helloAfterUpgrade(slot, info, buf, off, len, seqAtOff);
      const tunnel = info.client;
      if (tunnel !== null) this.helloAfterUpgrade(slot, info, tunnel.buf, 0, tunnel.contiguous, tunnel.base);
      return false;
    }
    if (fromHead) {
      // The first request is known: free the head; later requests are scanned per segment.
      // A malformed first head does not end the flow's HTTP life: later segments may
      // still start well-formed requests (scanned cheaply, bounded by MAX_HTTP_REQUESTS_SCANNED).
      info.client = null;
      info.server = null;
    }
    return false;
  }

  private scanHttpSegment(slot: number, info: FlowInfo, buf: Uint8Array, off: number, len: number): void {
    if (info.h2 !== null) {
      const head = info.h2;
      if (head.add(this.view.tcpSeq, buf, off, len)) this.readH2(slot, info);
      else if (head.exhausted) this.endH2(slot, info, A['stream.head_overflow']);
      return;
    }
    if (info.client !== null) {
      // Still assembling the first request head.
      const v = this.view;
      const head = info.client;
      const grew = head.add(v.tcpSeq, buf, off, len);
      if (head.conflicts > 0) this.noteFlowAnomaly(info, A['stream.overlap_conflict']);
      if (!grew) return;
      if (info.tlsAt >= 0) this.helloAfterUpgrade(slot, info, head.buf, 0, head.contiguous, head.base); // after a CONNECT
      else {
        const headEnd = seqPlus(head.base, head.contiguous);
        this.parseHttpFrom(slot, info, head.buf, 0, head.contiguous, true, head.base);
        this.httpPastHead(slot, info, headEnd, v.tcpSeq, buf, off, len);
      }
      return;
    }
    if (info.httpRequests >= MAX_HTTP_REQUESTS_SCANNED) {
      info.httpTail = null;
      this.flows.addFlags(slot, F_APP_DONE);
      return;
    }
    if (info.httpTail !== null) { this.feedHttpTail(slot, info, info.httpTail, buf, off, len); return; }
    if (info.httpChunked !== null && this.walkChunkedBody(slot, info, info.httpChunked, buf, off, len)) return;
    const seq = this.view.tcpSeq;
    const next = info.httpNextSeq;
    if (next >= 0) {
      const d = (next - seq) | 0; // sequence numbers wrap (RFC 9293 §3.4)
      if (d >= len) return; // all body, or a retransmission of what was read
      if (d > 0) { this.parseHttpFrom(slot, info, buf, off + d, len - d, false, next); return; }
      // d <= 0: the segment starts at the next request, or after it (a segment was lost).
    }
    if (probeHttpRequest(buf, off, len)) this.parseHttpFrom(slot, info, buf, off, len, false, seq);
  }

  /**
   * The next client segment while a chunked request body spans segments: its bytes go through
   * the body's walker, in order, and a request after the body's end is read from there. Returns
   * false when the walk is given up (a segment lost or out of order, a malformed body): later
   * requests are then found where a segment starts with one, as before the walk.
   */
  private walkChunkedBody(slot: number, info: FlowInfo, walker: ChunkedBodyWalker, buf: Uint8Array, off: number, len: number): boolean {
    const seq = this.view.tcpSeq;
    const d = (info.httpNextSeq - seq) | 0; // sequence numbers wrap (RFC 9293 §3.4)
    if (d >= len) return true; // a retransmission of what was walked
    if (d < 0) { info.httpChunked = null; info.httpNextSeq = -1; return false; }
    const n = walker.feed(buf, off + d, len - d);
    if (n === -1) { info.httpNextSeq = seqPlus(seq, len); return true; }
    info.httpChunked = null;
    if (n < 0) { info.httpNextSeq = -1; return false; }
    const at = d + n;
    info.httpNextSeq = seqPlus(seq, at);
    if (at < len) this.parseHttpFrom(slot, info, buf, off + at, len - at, false, seqPlus(seq, at));
    return true;
  }

  /**
   * Reads the client's HTTP/2 stream held in `info.h2` (see readH2ClientStream). Once a request's
   * header block is whole, its `:authority` names the flow as a Host does, and the flow is done:
   * the HPACK table lives only while the head does, so later requests are not followed.
   */
  private readH2(slot: number, info: FlowInfo): void {
    const head = info.h2!;
    const r = readH2ClientStream(head.buf, 0, head.contiguous);
    if (r.kind === 'need-more') {
      if (head.contiguous >= H2_PREFACE_BYTES) info.h2c = true;
      if (head.contiguous >= STREAM_HEAD_BYTES) this.endH2(slot, info, A['stream.head_overflow']);
      return;
    }
    if (r.kind === 'not-h2') {
      // "PRI" followed by something else: a malformed HTTP/1 request, as before HTTP/2 existed.
      this.endH2(slot, info, A['http.malformed_request']);
      return;
    }
    info.h2c = true;
    if (r.kind === 'malformed') { this.endH2(slot, info, r.anomaly); return; }
    info.httpRequests += r.requests;
    for (const host of r.authorities) info.httpHosts = FlowInfo.addName(info.httpHosts, host);
    this.endH2(slot, info, r.anomaly);
  }

  /** Ends the reading of an HTTP/2 client stream, counting `anomaly` (-1: none). */
  private endH2(slot: number, info: FlowInfo, anomaly: number): void {
    info.h2 = null;
    if (anomaly >= 0) {
      this.anomalies.add(anomaly);
      info.noteAnomaly(anomaly);
    }
    this.decide(slot, info, 'http');
  }

  /**
   * Adds a segment to the head of a later request that began in an earlier segment; once the
   * request head is whole, parses from it on (its body, more requests) like any segment.
   */
  private feedHttpTail(slot: number, info: FlowInfo, tail: StreamHead, buf: Uint8Array, off: number, len: number): void {
    if (!tail.add(this.view.tcpSeq, buf, off, len)) {
      if (tail.exhausted) info.httpTail = null; // given up: later segment starts still count
      return;
    }
    if (parseHttpRequestHead(tail.buf, 0, tail.contiguous).kind === 'need-more' && tail.contiguous < STREAM_HEAD_BYTES) return;
    info.httpTail = null;
    this.parseHttpFrom(slot, info, tail.buf, 0, tail.contiguous, false, tail.base);
  }

  private giveUpHead(slot: number, info: FlowInfo, anomaly: number): void {
    this.anomalies.add(anomaly);
    info.noteAnomaly(anomaly);
    if (info.app === null && info.client && info.client.contiguous > 0 && info.client.buf[0] === 0x16) info.app = 'tls';
    this.decide(slot, info, info.app);
  }

  /** Marks the flow identified: nothing more to learn from its payload; frees the heads. */
  private decide(slot: number, info: FlowInfo, app: string | null): void {
    info.app = app;
    info.client = null;
    info.server = null;
    this.flows.addFlags(slot, F_APP_DONE);
  }

  // ---------------------------------------------------------------- DNS

  /**
   * One direction's segment of a DNS-over-TCP connection. The stream head holds only what is
   * not yet read: whole messages are parsed and dropped from its front (StreamHead.advance), so
   * a connection reused for many queries (RFC 7766 §6.2.1) is followed to its end, as tshark
   * follows it. The segment is handed over in pieces that fit the head's bound, each read before
   * the next goes in, so a segment larger than the head (segmentation offload on the capturing
   * host) loses nothing. Bounded: every pass hands the head at least one byte of the segment.
   */
  private feedDnsTcp(slot: number, info: FlowInfo, head: StreamHead, fromClient: boolean, seq: number, buf: Uint8Array, off: number, len: number): void {
    let s = seq;
    let o = off;
    let n = len;
    while (n > 0) {
      const rel = ((s - head.base) >>> 0) | 0;
      const take = rel >= 0 && rel < STREAM_HEAD_BYTES ? Math.min(n, STREAM_HEAD_BYTES - rel) : n;
      const grew = head.add(s, buf, o, take);
      s = (s + take) >>> 0;
      o += take;
      n -= take;
      if (head.conflicts > 0) this.noteFlowAnomaly(info, A['stream.overlap_conflict']);
      if (!grew) {
        // Shed by the stream-head memory budget, or full with a hole before the data: given up.
        if (head.exhausted) { this.giveUpHead(slot, info, A['stream.head_overflow']); return; }
        continue;
      }
      if (info.app === null && fromClient && looksLikeOtherTcpProtocol(head.buf, head.contiguous)) {
        // TLS, HTTP or SSH on port 53: identify it by content (the policy reports protocol-mismatch).
        this.identifyTcp(slot, info, head.buf, 0, head.contiguous, head.base);
        return;
      }
      if (info.app === null) info.app = 'dns';
      if (!this.onDnsTcp(slot, info, head, fromClient ? 0 : 1)) return;
    }
  }

  /** Reads the whole messages in one direction's head and drops them from it; false once the stream is given up. */
  private onDnsTcp(slot: number, info: FlowInfo, head: StreamHead, dir: 0 | 1): boolean {
    const done = dir === 0 ? info.dnsTcpDoneClient : info.dnsTcpDoneServer;
    const r = splitDnsTcpStream(head.buf, done, head.contiguous - done);
    for (const [off, len] of r.messages) {
      const msg = parseDnsMessage(head.buf, off, len, this.anomalies, true, undefined, this.dnsStore);
      if (msg) this.onDnsMessage(slot, info, msg, 'tcp');
    }
    let next = done + r.consumed;
    if (r.bad) {
      // A length below a DNS header: the stream is not (or no longer) DNS; stop reading it.
      this.anomalies.add(A['dns.tcp_bad_length']);
      info.noteAnomaly(A['dns.tcp_bad_length']);
      info.client = null;
      info.server = null;
      this.flows.addFlags(slot, F_APP_DONE);
      return false;
    }
    if (r.needMore && head.contiguous + r.needed > STREAM_HEAD_BYTES && head.contiguous - next >= 2) {
      // A message that can never fit the head (a zone-transfer chunk of up to 64 KiB): skipped
      // by its length prefix, the stream read on from the message after it.
      const msgLen = (head.buf[next] << 8) | head.buf[next + 1];
      if (2 + msgLen > STREAM_HEAD_BYTES) {
        this.anomalies.add(A['dns.tcp_message_too_large']);
        info.noteAnomaly(A['dns.tcp_message_too_large']);
        head.restart(head.base + next + 2 + msgLen);
        next = 0;
      }
    }
    if (next > 0 && head.advance(next)) next = 0;
    if (dir === 0) info.dnsTcpDoneClient = next;
    else info.dnsTcpDoneServer = next;
    return true;
  }

  private onUdpPayload(slot: number, info: FlowInfo, fromClient: boolean, serverPort: number, clientPort: number): void {
    const v = this.view;
    if (info.dtlsServer !== null) {
      if (!fromClient) this.feedDtlsServer(slot, info);
      return;
    }
    if (info.dtls !== null || (fromClient && info.app === null && probeDtlsClientHello(v.buf, v.payloadOffset, v.payloadLength))) {
      // A DTLS handshake: only the client's hello is read; the server's flight waits with it.
      if (!fromClient || this.feedDtls(slot, info)) return;
    }
    const dnsPort = info.app === 'dns' || ((serverPort === PORT_DNS || serverPort === PORT_MDNS || serverPort === PORT_LLMNR ||
      clientPort === PORT_DNS || clientPort === PORT_MDNS || clientPort === PORT_LLMNR) && info.app !== 'quic');
    if (dnsPort && info.app === null && fromClient && looksLikeQuicInitial(v.buf, v.payloadOffset, v.payloadLength) && this.feedQuic(slot, info) !== 'not-quic') {
      return; // QUIC on a DNS port (the policy reports protocol-mismatch)
    }
    if (dnsPort) {
      const msg = parseDnsMessage(v.buf, v.payloadOffset, v.payloadLength, this.anomalies, true, undefined, this.dnsStore);
      if (msg) {
        if (info.app === null) info.app = appForDnsPorts(serverPort, clientPort);
        this.onDnsMessage(slot, info, msg, 'udp');
      } else if (info.app === null && fromClient) {
        info.noteAnomaly(A['dns.truncated']);
      }
      return;
    }
    if ((serverPort === PORT_SSDP || clientPort === PORT_SSDP) && info.app === null && this.onSsdpDatagram(slot, info)) return;
    if (info.app === null) {
      const app = udpAppByContent(v.buf, v.payloadOffset, v.payloadLength, serverPort, clientPort);
      if (app !== null) { this.decide(slot, info, app); return; }
    }
    if (serverPort === PORT_NTP || clientPort === PORT_NTP) {
      const b0 = v.buf[v.payloadOffset];
      const ver = (b0 >>> 3) & 7;
      if (v.payloadLength >= 48 && ver >= 1 && ver <= 4) {
        this.decide(slot, info, 'ntp');
        return;
      }
    }
    if (fromClient) {
      if (info.app === null && info.quic === null && probeDnsQuery(v.buf, v.payloadOffset, v.payloadLength)) {
        // Plain DNS on a port that is not a DNS port: report its queries like any DNS (and keep
        // parsing the flow's datagrams); the policy reports protocol-mismatch. The probe is strict
        // enough that no QUIC Initial passes it, so it goes first.
        const msg = parseDnsMessage(v.buf, v.payloadOffset, v.payloadLength, this.anomalies, true, undefined, this.dnsStore);
        if (msg) {
          info.app = 'dns';
          this.onDnsMessage(slot, info, msg, 'udp');
          return;
        }
      }
      if (this.feedQuic(slot, info) === 'not-quic') {
        // A QUIC short header first (the capture began inside a connection): a connection that
        // opens on the socket later still names the flow.
        const midQuic = info.app === null && looksLikeQuicShortHeader(v.buf, v.payloadOffset, v.payloadLength, serverPort, clientPort);
        this.decide(slot, info, info.app);
        if (midQuic) this.watchQuicFromNowOn(slot, info);
      }
      return;
    }
    // The server's answer to an Initial that did not decrypt may be Version Negotiation (RFC 9000
    // §6.2): the client's next Initial, in a version both speak, is still to come.
    if (info.app === null && !(info.quic !== null && isVersionNegotiation(v.buf, v.payloadOffset, v.payloadLength))) {
      // A capture that began at the server's Initial (its client's first flight unseen): the
      // name is lost to the capture's start, and a connection opening later may still give one.
      const midQuic = this.flows.packetsOf(slot, !this.flows.fromB) === 0 &&
        (looksLikeQuicInitial(v.buf, v.payloadOffset, v.payloadLength) || looksLikeQuicShortHeader(v.buf, v.payloadOffset, v.payloadLength, serverPort, clientPort));
      this.decide(slot, info, null);
      if (midQuic) this.watchQuicFromNowOn(slot, info);
    }
  }

  /**
   * A QUIC connection the capture began inside of (its first datagram a short header, or the
   * server's Initial): another path of a connection read earlier when its connection ID says so
   * (quicPathOwner), else its name was before the capture; a later connection on the socket may
   * give one (laterQuic).
   */
  private watchQuicFromNowOn(slot: number, info: FlowInfo): void {
    const v = this.view;
    const owner = (v.buf[v.payloadOffset] & 0x80) === 0 ? this.quicPathOwner(v.buf, v.payloadOffset, v.payloadLength) : null;
    if (owner !== null) {
      info.app = 'quic';
      info.quicPath = owner;
      // The ID is the one the receiver chose: a client's ID arrives at the client.
      const t = this.flows;
      const fromInit = t.fromB === ((t.flagsOf(slot) & F_INIT_B) !== 0);
      if (owner.client === fromInit) this.swapToClient(slot, info, F_BY_QUIC);
    } else info.unnamedReason = 'started-before-capture';
    this.quic.watchLater(info);
    this.flows.addFlags(slot, F_QUIC_LATER);
  }

  /**
   * Keeps the Source Connection ID of a long-header packet on a named QUIC flow (RFC 8999 §5.1:
   * the invariant header every version shares): the ID its sender asks to be sent to, which
   * that end's packets on another path carry as their Destination Connection ID.
   */
  private keepQuicCid(slot: number, info: FlowInfo, fromInit: boolean): void {
    const v = this.view;
    const b = v.buf;
    const o = v.payloadOffset;
    const n = v.payloadLength;
    if (n < 7) return;
    const dl = b[o + 5];
    if (dl > 20 || 7 + dl > n) return;
    const sl = b[o + 6 + dl];
    if (sl === 0 || sl > 20 || 7 + dl + sl > n) return;
    if (!this.quic.keepCid(info, MAX_QUIC_CIDS_PER_FLOW)) return;
    const key = hexOf(b, o + 7 + dl, sl);
    if (this.quicCids.has(key)) return;
    if (this.quicCids.size >= MAX_QUIC_CIDS) this.quicCids.delete(this.quicCids.keys().next().value!);
    this.quicCids.set(key, { flow: this.flows.idOf(slot), name: nameOfSni(info.sni!), client: fromInit });
    this.quicCidLengths |= 1 << sl;
  }

  /** The named QUIC connection whose connection ID starts the short header at `buf[off]`, or null. */
  private quicPathOwner(buf: Uint8Array, off: number, len: number): QuicCidOwner | null {
    const lengths = this.quicCidLengths;
    if (lengths === 0) return null;
    for (let l = 1; l <= 20 && l < len; l++) {
      if ((lengths & (1 << l)) === 0) continue;
      const owner = this.quicCids.get(hexOf(buf, off + 1, l));
      if (owner !== undefined) return owner;
    }
    return null;
  }

  /**
   * SSDP (UPnP Device Architecture 2.0 §1: HTTP over UDP on port 1900, as tshark decodes it):
   * an M-SEARCH or NOTIFY request, or a search response, makes the flow `ssdp`. Its Host is
   * always the multicast group (239.255.255.250 or ff0x::c), so it names nothing and is not
   * kept. Returns false when the datagram is no HTTP message (the other UDP probes then look).
   */
  private onSsdpDatagram(slot: number, info: FlowInfo): boolean {
    const v = this.view;
    const response = startsWithAscii(v.buf, v.payloadOffset, v.payloadLength, 'HTTP/1.');
    if (!response && !probeHttpRequest(v.buf, v.payloadOffset, v.payloadLength)) return false;
    if (response && v.srcPort === PORT_SSDP) this.ssdpReply(slot, info);
    this.decide(slot, info, 'ssdp');
    return true;
  }

  /**
   * A search response from port 1900 to a unicast receiver on the link: the reply to an M-SEARCH
   * the receiver multicast from the same port (UPnP Device Architecture 2.0 §1.3.3), which is
   * found on the flow to the group and marked as this flow's (reply_to, like an mDNS reply).
   */
  private ssdpReply(slot: number, info: FlowInfo): void {
    const ver = this.flows.ipVersion(slot);
    const q = this.groupQueryFlow(slot, !this.flows.fromB, ver === 4 ? SSDP_GROUPS_V4 : SSDP_GROUPS_V6, PORT_SSDP);
    if (q >= 0) this.markReply(info, q, ver);
  }

  /**
   * The flow on which the receiver of this packet (endpoint `rxB` of flow `slot`) sent a query
   * to one of `groups` on `port`, from the port it is answered on; -1 when there is none, or the
   * receiver is itself a group, or the sender is not on its link (RFC 6762 §11 has receivers
   * check a reply's source). Sets `foundGroup` to the group's words.
   */
  private groupQueryFlow(slot: number, rxB: boolean, groups: readonly Uint32Array[], port: number): number {
    const t = this.flows;
    const ver = t.ipVersion(slot);
    const K = t.keys;
    const ro = t.addrOffset(slot, rxB);
    if (classifyAt(ver, K, ro) === Scope.Multicast || !sameLinkAt(ver, K, ro, t.addrOffset(slot, !rxB))) return -1;
    for (const group of groups) {
      const q = t.find(ver, IPPROTO_UDP, t.depthOf(slot), K, ro, t.port(slot, rxB), group, 0, port);
      if (q >= 0) {
        this.foundGroup = group;
        return q;
      }
    }
    return -1;
  }

  /** Marks `info`'s flow as the reply to the query on flow `q`, sent to `foundGroup` (reply_to, reply_group). */
  private markReply(info: FlowInfo, q: number, ver: number): void {
    info.replyTo = this.flows.idOf(q);
    info.replyGroup = this.addrText.formatAt(ver, this.foundGroup, 0);
  }

  /**
   * Feeds a client datagram to the flow's DTLS hello assembler. True when the datagram was
   * DTLS (the flow is decided once its hello is whole, broken, or given up after
   * MAX_DTLS_HELLO_DATAGRAMS); false when it was not, and the other probes should look.
   */
  private feedDtls(slot: number, info: FlowInfo): boolean {
    const v = this.view;
    const asm = info.dtls ?? new DtlsHelloAssembler();
    const r = asm.feed(v.buf, v.payloadOffset, v.payloadLength);
    if (r.kind === 'not-tls') return false;
    info.dtls = asm;
    info.app = 'dtls'; // also when the capture ends before the hello is whole
    if (r.kind === 'need-more' && asm.datagrams < MAX_DTLS_HELLO_DATAGRAMS) return true;
    info.dtls = null;
    if (r.kind === 'found') {
      info.takeHello(r.hello, 'dtls', this.anomalies);
      if (r.hello.sni === null && !r.hello.ech && offersDtls12(r.hello.legacyVersion, r.hello.supportedVersions)) {
        // No name from the client: the certificate a DTLS 1.2 server presents in the clear is
        // read from its datagrams, a fact for the record (as for TLS, see onServerFlight).
        info.dtlsServer = new DtlsServerFlight();
        return true;
      }
    } else if (r.kind === 'malformed') {
      this.anomalies.add(r.anomaly);
      info.noteAnomaly(r.anomaly);
    }
    this.decide(slot, info, 'dtls');
    return true;
  }

  /** A server datagram of a DTLS flow whose hello named nothing: read until its certificate's names, or nothing more to learn. */
  private feedDtlsServer(slot: number, info: FlowInfo): void {
    const v = this.view;
    const r = info.dtlsServer!.feed(v.buf, v.payloadOffset, v.payloadLength);
    if (r.kind === 'need-more') return;
    if (r.kind === 'names') info.certNames = r.names;
    info.dtlsServer = null;
    this.decide(slot, info, 'dtls');
  }

  /** Feeds a client datagram to the QUIC analyzer; the flow is decided when QUIC is done (or it is not QUIC and `decide` was left to the caller). */
  private feedQuic(slot: number, info: FlowInfo): 'not-quic' | 'more' | 'done' {
    const v = this.view;
    const q = this.quic.feed(info, v.buf, v.payloadOffset, v.payloadLength, this.anomalies);
    if (q === 'done') {
      this.decide(slot, info, info.app);
      if (info.quicLater !== null) this.flows.addFlags(slot, F_QUIC_LATER);
    }
    return q;
  }

  /**
   * One DNS message: queries become pending `dns` records (one per question); a response
   * completes the pending ones with the same id, teaches the DNS cache, or is reported alone.
   */
  private onDnsMessage(slot: number, info: FlowInfo, msg: DnsMessage, proto: 'udp' | 'tcp'): void {
    const ts = this.now;
    const t = this.flows;
    // Endpoints of this message: the sender is the packet's source.
    const senderB = t.fromB;
    const ver = t.ipVersion(slot);
    const K = t.keys;
    const app = info.app ?? 'dns';
    // The process the capture names for this message's packet, not the flow's first: one
    // resolver socket carries the lookups of many apps.
    const process = this.packetProcess();
    // With --device: is the device the client (its own lookup), the server, or neither?
    const side = this.dnsSide(slot, msg.response ? !senderB : senderB);
    if (!msg.response) {
      for (const q of msg.questions) {
        this.dnsQueries++;
        info.dnsNames = FlowInfo.addName(info.dnsNames, q.name);
        const rec: DnsRecord = {
          type: 'dns', ts: ts / 1e6, proto, app,
          client_ip: this.addrText.formatAt(ver, K, t.addrOffset(slot, senderB)), client_port: t.port(slot, senderB),
          server_ip: this.addrText.formatAt(ver, K, t.addrOffset(slot, !senderB)), server_port: t.port(slot, !senderB),
          id: msg.id, qname: q.name, qtype: dnsTypeName(q.type), rcode: null, answers: [],
          flow_id: t.idOf(slot),
        };
        if (process !== null) rec.process = process;
        if (side !== DNS_DEVICE_CLIENT) this.markDnsSide(rec, side);
        else if (this.cnameTargets > 0) {
          const original = this.cnameOriginal(slot, senderB, q.name);
          if (original !== null) rec.cname_of = original;
        }
        if (!info.pendingDns) info.pendingDns = [];
        // The same id asked again (a retransmission): a server may answer each copy.
        else if (!info.dnsRetransmitted && (info.pendingDns.some((p) => p.id === msg.id) || info.answeredIds % 131072 === msg.id + 1)) info.dnsRetransmitted = true;
        if (info.pendingDns.length >= MAX_PENDING_DNS_PER_FLOW) this.sink.dns(info.pendingDns.shift()!);
        info.pendingDns.push(rec);
      }
      return;
    }
    // A response: the receiver is the client that asked.
    const clientB = !senderB;
    const answers: DnsAnswerRecord[] = msg.answers.map((a) => ({ name: a.name, type: dnsTypeName(a.type), data: a.data, ttl: a.ttl }));
    const ech = msg.answers.some((a) => a.ech === true);
    if (ech) {
      for (const q of msg.questions) if (this.echConfigNames.size < MAX_ECH_CONFIG_NAMES) this.echConfigNames.add(q.name);
    }
    const rcode = dnsRcodeName(msg.rcode);
    let outcome = this.answerQueries(info, msg, rcode, answers, ech, slot);
    if (outcome === ANSWER_OTHER) outcome = ANSWER_NONE;
    if (outcome === ANSWER_NONE && (app === 'mdns' || app === 'llmnr')) outcome = this.answerGroupQuery(slot, info, msg, clientB, rcode, answers, ech);
    // A second response to a query already answered (the server answered the client's
    // retransmission too; tshark marks it a retransmitted response): no lookup of its own, and
    // nothing to learn that the first did not teach.
    if (outcome === ANSWER_REPEAT) return;
    this.learnAnswers(slot, info, msg, clientB);
    const matched = outcome === ANSWER_JOINED;
    // A response that answers no captured query is reported per question it repeats. One without
    // questions (an mDNS announcement, RFC 6762 §8.3, which must carry none; §6 responses) asked
    // nothing: it is no lookup and gives no record (its answers still taught the DNS cache).
    if (!matched) {
      for (const q of msg.questions) {
        if (q.name) info.dnsNames = FlowInfo.addName(info.dnsNames, q.name);
        const rec: DnsRecord = {
          type: 'dns', ts: ts / 1e6, proto, app,
          client_ip: this.addrText.formatAt(ver, K, t.addrOffset(slot, clientB)), client_port: t.port(slot, clientB),
          server_ip: this.addrText.formatAt(ver, K, t.addrOffset(slot, senderB)), server_port: t.port(slot, senderB),
          id: msg.id, qname: q.name, qtype: q.type ? dnsTypeName(q.type) : '', rcode, answers, response_only: true,
          flow_id: t.idOf(slot),
        };
        if (process !== null) rec.process = process;
        if (side !== DNS_DEVICE_CLIENT) this.markDnsSide(rec, side);
        if (ech) rec.ech_config = true;
        this.sink.dns(rec);
      }
    }
    // An answered UDP DNS socket is done soon: let it expire quickly.
    if (proto === 'udp' && !info.pendingDns && app === 'dns') t.setTimeoutClass(slot, TimeoutClass.Short);
  }

  /**
   * Which side of a DNS exchange the device is, the client being endpoint `clientB` of the flow:
   * DNS_DEVICE_CLIENT without --device (every lookup is taken as the device's, as before) or when
   * a --device address asked; DNS_DEVICE_SERVER when only the server is one; DNS_FOREIGN when
   * neither is — unless an end is link-local, which may be the device's own (its fe80:: address
   * sends its mDNS, and is rarely among the --device prefixes): then the MACs decide where the
   * capture has them (FlowInfo.linkRole, as for the flow), else a link-local client is taken as
   * the device.
   */
  private dnsSide(slot: number, clientB: boolean): number {
    if (this.opts.devices.length === 0 || this.isDeviceSide(slot, clientB)) return DNS_DEVICE_CLIENT;
    if (this.isDeviceSide(slot, !clientB)) return DNS_DEVICE_SERVER;
    const t = this.flows;
    const role = (this.flows.infos[slot] as FlowInfo | undefined)?.linkRole ?? LINK_UNKNOWN;
    if (role === LINK_UNKNOWN) {
      // A link-local client: the device's own while no MAC says otherwise.
      return classifyAt(t.ipVersion(slot), t.keys, t.addrOffset(slot, clientB)) === Scope.LinkLocal ? DNS_DEVICE_CLIENT : DNS_FOREIGN;
    }
    if (role === LINK_NEITHER) return DNS_FOREIGN;
    const clientIsInit = clientB === ((t.flagsOf(slot) & F_INIT_B) !== 0);
    return (role === LINK_INITIATOR) === clientIsInit ? DNS_DEVICE_CLIENT : DNS_DEVICE_SERVER;
  }

  /** Marks a DNS record the device did not ask: served by the device (inbound), or another host's (foreign). */
  private markDnsSide(rec: DnsRecord, side: number): void {
    if (side === DNS_DEVICE_SERVER) rec.direction = 'inbound';
    else rec.foreign = true;
  }

  /**
   * Joins a response to the flow's pending queries it answers (same id, and a question they
   * asked): each gets the rcode and answers and is written. When none was pending but the flow
   * answered such a query already: ANSWER_REPEAT when this response says the same again,
   * ANSWER_OTHER when it says something else; ANSWER_NONE otherwise.
   */
  private answerQueries(info: FlowInfo, msg: DnsMessage, rcode: string | null, answers: DnsAnswerRecord[], ech: boolean, slot: number): number {
    let matched = false;
    const pending = info.pendingDns;
    if (pending) {
      // The response's sender (this packet's source, on flow `slot`): no host answers its own
      // query, so a querier's announcement from the same socket (mDNS) does not answer it.
      const t = this.flows;
      const senderPort = t.port(slot, t.fromB);
      let senderIp: string | null = null;
      // The answered queries leave; the others close up in place.
      let kept = 0;
      for (let i = 0; i < pending.length; i++) {
        const rec = pending[i];
        let answersIt = rec.id === msg.id && (msg.questions.length === 0 || asks(msg, rec.qname, rec.qtype));
        if (answersIt && rec.client_port === senderPort) {
          senderIp ??= this.addrText.formatAt(t.ipVersion(slot), t.keys, t.addrOffset(slot, t.fromB));
          if (rec.client_ip === senderIp) answersIt = false;
        }
        if (answersIt) {
          rec.rcode = rcode;
          rec.answers = answers;
          if (ech) rec.ech_config = true;
          this.sink.dns(rec);
          matched = true;
        } else pending[kept++] = rec;
      }
      pending.length = kept;
      info.pendingDns = kept > 0 ? pending : null;
    }
    const id = msg.id;
    const last = (info.answeredIds % 131072) - 1;
    const before = Math.floor(info.answeredIds / 131072) - 1;
    if (matched) {
      // Kept only where a repeat can come: a socket that retransmitted a query (a response
      // digest for every answered socket cost ~1.5% of the flow-heavy replay).
      if (info.dnsRetransmitted) {
        if (last !== id) {
          info.answeredIds = (last + 1) * 131072 + id + 1;
          info.answeredHashBefore = info.answeredHash;
        }
        info.answeredHash = responseHash(rcode, answers);
      }
      return ANSWER_JOINED;
    }
    if (msg.questions.length === 0 || (last !== id && before !== id) || !repeatsQuestionsOf(msg, info.dnsNames)) return ANSWER_NONE;
    // Only a response that says the same again is a repeat: one with other answers (a second
    // server, a spoofed reply racing the real one) is evidence and gets its record.
    const h = responseHash(rcode, answers);
    const same = (last === id && info.answeredHash === h) || (before === id && info.answeredHashBefore === h);
    return same ? ANSWER_REPEAT : ANSWER_OTHER;
  }

  /**
   * A unicast mDNS or LLMNR response that answers no query of its own flow: the reply to a query
   * the receiver multicast from the same port (RFC 6762 §6.7 legacy unicast, RFC 4795 §2.4), which
   * waits on the flow to the group. Joined to that query, and this flow marked as its reply.
   */
  private answerGroupQuery(slot: number, info: FlowInfo, msg: DnsMessage, clientB: boolean, rcode: string | null, answers: DnsAnswerRecord[], ech: boolean): number {
    const t = this.flows;
    const ver = t.ipVersion(slot);
    const senderPort = t.port(slot, !clientB);
    const llmnr = senderPort === PORT_LLMNR;
    if (!llmnr && senderPort !== PORT_MDNS) return ANSWER_NONE;
    const q = this.groupQueryFlow(slot, clientB, ver === 4 ? (llmnr ? LLMNR_GROUPS_V4 : MDNS_GROUPS_V4) : (llmnr ? LLMNR_GROUPS_V6 : MDNS_GROUPS_V6), senderPort);
    if (q < 0) return ANSWER_NONE;
    const qinfo = t.infos[q] as FlowInfo | undefined;
    if (!qinfo) return ANSWER_NONE;
    const outcome = this.answerQueries(qinfo, msg, rcode, answers, ech, slot);
    // A further responder to a query already answered still replies to it (its questions are the query's).
    if (outcome === ANSWER_NONE && !(msg.questions.length > 0 && repeatsQuestionsOf(msg, qinfo.dnsNames))) return ANSWER_NONE;
    this.markReply(info, q, ver);
    // Several hosts answer one multicast query: a later responder's answers are a record of their own.
    return outcome === ANSWER_JOINED ? ANSWER_JOINED : ANSWER_NONE;
  }

  /**
   * Teaches the DNS cache the A/AAAA answers of a response, each under the name the client asked.
   * - DNS: an answer's owner must be a question's name or on the CNAME chain from one (at most
   *   MAX_CNAME_HOPS links). Other records in the answer section (a server's extras a resolver
   *   passed through: dnsmasq does, unbound scrubs them) are not learned: they would name the
   *   device's connections by names it never looked up (an `api.vendor.example` record added to
   *   the answer for `injected.example` would make a connection to its address declared, or
   *   hide an SNI that DNS contradicts). A response without questions anchors nothing: its
   *   answers are learned under their own names.
   * - mDNS and LLMNR (link-scoped by protocol, RFC 6762 and 4795): only link-local names are
   *   learned (`*.local`; single-label names for LLMNR), so no host on the link can lend a
   *   documented name to an address. An answer multicast to the group is heard by every host on
   *   the link: it is filed for all of them (LINK_CLIENT_KEY), not for the group address.
   * An answer names flows for its TTL (RFC 2181 §8: 2^31 and above count as 0), cut to the
   * shortest TTL along its CNAME chain (the alias holds no longer than its shortest link).
   */
  private learnAnswers(slot: number, info: FlowInfo, msg: DnsMessage, clientB: boolean): void {
    if (msg.answers.length === 0) return;
    let cnames: Map<string, DnsAnswer> | null = null;
    for (const a of msg.answers) if (a.type === 5 && !(cnames !== null && cnames.has(a.name))) (cnames ??= new Map()).set(a.name, a);
    const app = info.app;
    const linkScoped = app === 'mdns' || app === 'llmnr';
    const t = this.flows;
    const ver = t.ipVersion(slot);
    const K = t.keys;
    const toGroup = classifyAt(ver, K, t.addrOffset(slot, clientB)) === Scope.Multicast;
    const device = !toGroup && this.isDeviceSide(slot, clientB);
    const client = toGroup ? LINK_CLIENT_KEY : device ? DEVICE_CLIENT_KEY : K;
    const co = toGroup || device ? 0 : t.addrOffset(slot, clientB);
    const cache = this.dnsCache;
    cache.now = this.now;
    // Names reached from the questions through the CNAMEs, found once per message.
    const reach = cnames !== null && msg.questions.length > 0 ? chainReach(msg, cnames) : null;
    if (reach !== null && !linkScoped) this.noteCnameTargets(slot, clientB, cnames!, reach);
    let lastAsked: string | null = null;
    let lastOriginal: string | null = null;
    for (const a of msg.answers) {
      if (a.type !== 1 && a.type !== 28) continue;
      const w = a.addr;
      if (!w) continue;
      let name = a.name;
      let ttl = effectiveTtl(a.ttl);
      const r = reach !== null ? reach.get(a.name) : asksName(msg, a.name) ? DIRECT : undefined;
      if (linkScoped) {
        if (!isLinkLocalName(a.name, app)) continue;
        // A link's names are for addresses on it: a unicast mDNS/LLMNR answer (any host can send
        // one to the device) names no flow to elsewhere (the multicast case is checked on use).
        if (!toGroup && !sameLinkWords(a.type === 1 ? 4 : 6, w, K, t.addrOffset(slot, clientB))) continue;
        // The question counts only when it is link-local too: no `vendor.example` CNAME to a `.local` name.
        if (r !== undefined && isLinkLocalName(r.asked ?? a.name, app)) name = r.asked ?? a.name;
      } else if (msg.questions.length > 0) {
        if (r === undefined) continue;
        name = r.asked ?? a.name;
        if (r.ttl < ttl) ttl = r.ttl;
        // The question was itself a CNAME's target another answer gave this client: the name
        // the app asked is that answer's question (a resolver on the device asks for targets).
        if (this.cnameTargets > 0) {
          // Answers of one question share its name: look it up once.
          if (name !== lastAsked) {
            lastAsked = name;
            lastOriginal = this.cnameOriginal(slot, clientB, name);
          }
          if (lastOriginal !== null) name = lastOriginal;
        }
      }
      if (toGroup) this.linkAnswers++;
      cache.addAt(a.type === 1 ? 4 : 6, w, 0, client, co, name, a.name, ttl);
    }
  }

  /**
   * The client of flow `slot` (endpoint `clientB`) as a key for cnameOf: all --device addresses
   * are one client, as in the DNS cache.
   */
  private cnameClient(slot: number, clientB: boolean): string {
    if (this.isDeviceSide(slot, clientB)) return '';
    const t = this.flows;
    return this.addrText.formatAt(t.ipVersion(slot), t.keys, t.addrOffset(slot, clientB));
  }

  /**
   * Remembers the targets of the CNAMEs an answer gave this client, with the name asked, for
   * the CNAME's TTL plus the grace (bounded: the oldest go first). A resolver on the device
   * (unbound, dnsmasq's cache) asks for a target in a lookup of its own; that lookup is part of
   * looking up the name asked (DnsRecord.cname_of), and its answer names flows by it.
   */
  private noteCnameTargets(slot: number, clientB: boolean, cnames: Map<string, DnsAnswer>, reach: Map<string, ChainStep>): void {
    const client = this.cnameClient(slot, clientB);
    for (const [owner, c] of cnames) {
      const step = reach.get(owner);
      if (step === undefined) continue;
      const asked = step.asked ?? owner;
      const original = (this.cnameTargets > 0 ? this.cnameOriginal(slot, clientB, asked) : null) ?? asked;
      if (this.cnameTargets >= MAX_CNAME_TARGETS) {
        this.cnameOf.clear();
        this.cnameSeen.fill(0);
        this.cnameTargets = 0;
      }
      this.cnameSeen[nameBucket(c.data)] = 1;
      let m = this.cnameOf.get(c.data);
      if (m === undefined) this.cnameOf.set(c.data, m = new Map());
      if (!m.has(client)) this.cnameTargets++;
      m.set(client, { name: original, until: this.now + effectiveTtl(c.ttl) * 1e6 + this.dnsCache.graceMicros });
    }
  }

  /** The name a client asked whose answer made `target` a CNAME's target, while that answer holds; null otherwise. */
  private cnameOriginal(slot: number, clientB: boolean, target: string): string | null {
    if (this.cnameSeen[nameBucket(target)] === 0) return null; // no target like it: no hashing of the name
    const byClient = this.cnameOf.get(target);
    if (byClient === undefined) return null;
    const e = byClient.get(this.cnameClient(slot, clientB));
    return e !== undefined && e.until >= this.now ? e.name : null;
  }

  // ---------------------------------------------------------------- records

  /** Builds the flow's record and hands it (and its unanswered queries) to the sink. */
  private endFlow(slot: number): void {
    const t = this.flows;
    const info = t.infos[slot] as FlowInfo | undefined;
    if (info?.pendingDns) {
      for (const rec of info.pendingDns) this.sink.dns(rec);
      info.pendingDns = null;
    }
    if (info?.quic) this.quic.finishFlow(info);
    if (info && info.app === 'http' && info.httpRequests === 0 && info.httpHosts === null && info.client !== null && info.client.contiguous > 0) this.readUnfinishedHead(info, info.client);
    this.sink.flow(this.buildFlowRecord(slot, info));
    // The record took copies or its own references of what it needs (the arrays it shares are
    // dropped here, not emptied), so the FlowInfo can serve the next flow.
    if (info && this.infoPool.length < MAX_POOLED_INFOS) {
      info.reset();
      this.infoPool.push(info);
    }
  }

  /**
   * A connection that ended inside the client's first request head (a RST after `Host:`, a
   * capture that stopped): the head is read from its whole lines, as one cut by the snapshot
   * length is, so a Host line sent whole names the flow; a line cut short gives nothing.
   */
  private readUnfinishedHead(info: FlowInfo, head: StreamHead): void {
    const r = parseHttpRequestHeadCut(head.buf, 0, head.contiguous);
    if (r.kind !== 'request' || r.host === null) return;
    info.httpHosts = FlowInfo.addName(info.httpHosts, r.host);
    this.noteFlowAnomaly(info, A['http.head_unfinished']);
  }

  private buildFlowRecord(slot: number, info: FlowInfo | undefined): FlowRecord {
    const t = this.flows;
    // A flow still waiting for the rest of a TLS record when it ended: the content is TLS.
    if (info && info.app === null && info.client && info.client.contiguous > 0 && info.client.buf[0] === 0x16) info.app = 'tls';
    const f = t.flagsOf(slot);
    const initB = (f & F_INIT_B) !== 0;
    const ver = t.ipVersion(slot);
    // The initiator's and the responder's addresses (offsets of their words in the key array)
    // and scopes, classified once.
    const K = t.keys;
    const io = t.addrOffset(slot, initB);
    const ro = t.addrOffset(slot, !initB);
    const si = classifyAt(ver, K, io);
    const sr = classifyAt(ver, K, ro);
    // Device side: the --device match, else the private side, else the initiator.
    let deviceIsInit = true;
    // With --device, for a flow between two addresses outside it with a link-local end: which
    // end the frames' MACs say is the device (the device's fe80:: or 169.254/16 address is
    // rarely given).
    let linkRole = LINK_UNKNOWN;
    if (this.opts.devices.length > 0) {
      const initDevice = this.isDeviceSide(slot, initB);
      const respDevice = this.isDeviceSide(slot, !initB);
      if (!initDevice && respDevice) deviceIsInit = false;
      else if (!initDevice && !respDevice && (si === Scope.LinkLocal || sr === Scope.LinkLocal)) {
        linkRole = info?.linkRole ?? LINK_UNKNOWN;
        if (linkRole === LINK_RESPONDER) deviceIsInit = false;
      }
    } else if (si === Scope.Public && (sr === Scope.Private || sr === Scope.LinkLocal || sr === Scope.Loopback)) {
      deviceIsInit = false;
    } else if (si === sr && si === Scope.Private) {
      // Both private (a LAN client talking to the device): the side seen opening flows to the
      // internet is the device.
      const respIsDevice = this.egressEvidence.has(evidenceKeyAt(ver, K, ro));
      const initIsDevice = this.egressEvidence.has(evidenceKeyAt(ver, K, io));
      if (respIsDevice && !initIsDevice) deviceIsInit = false;
    }
    const deviceB = deviceIsInit ? initB : !initB;
    const remoteB = !deviceB;
    const remoteScope = deviceIsInit ? sr : si;
    const deviceScope = deviceIsInit ? si : sr;
    let direction: FlowRecord['direction'];
    if (remoteScope === Scope.Multicast || remoteScope === Scope.Broadcast || (remoteScope === Scope.LinkLocal && deviceScope === Scope.LinkLocal)) direction = 'local';
    else direction = deviceIsInit ? 'egress' : 'inbound';
    // A neighbour's connection or query to the device's link-local address is inbound traffic to
    // the device (an SSH login, or a unicast LLMNR or mDNS query to its responder, is one however
    // it is addressed), not the link's own business: the device answered, the neighbour asked.
    if (direction === 'local' && !deviceIsInit && remoteScope === Scope.LinkLocal) direction = 'inbound';
    // A unicast mDNS/LLMNR/SSDP reply to a multicast query belongs to that link-local exchange;
    // DHCP is the link's own business (a server's OFFER and ACK unicast to the client's new
    // address were the device's "egress" to port 67).
    if (info !== undefined && (info.replyTo !== 0 || info.app === 'dhcp' || info.app === 'dhcpv6')) direction = 'local';
    const deviceIp = this.addrText.formatAt(ver, K, deviceIsInit ? io : ro);
    const remoteIp = this.addrText.formatAt(ver, K, deviceIsInit ? ro : io);
    // With --device, a flow neither end of which is a device address is another host's, unless
    // the MACs say one end is the device (its link-local address, rarely given in --device), or
    // its initiator is link-local and no MAC says otherwise.
    const foreign = this.opts.devices.length > 0 && !this.isDeviceSide(slot, initB) && !this.isDeviceSide(slot, !initB) &&
      (linkRole === LINK_UNKNOWN ? si !== Scope.LinkLocal : linkRole === LINK_NEITHER);
    if (!foreign) this.noteDeviceIp(deviceIp);

    const names: NameCandidate[] = [];
    const app = info?.app ?? null;
    const sni = info?.sni ?? null;
    // A hello sent by the side that answered the SYN names the initiator: a name of the remote
    // only when the device sent it (records.ts, tls_client).
    const reversed = info?.tlsByResponder === true;
    if (sni && !(reversed && deviceIsInit)) names.push({ name: nameOfSni(sni), source: app === 'quic' ? 'quic-sni' : 'sni' });
    // Another path of a QUIC connection read on another flow: that connection's server name.
    const path = info?.quicPath ?? null;
    if (path !== null && !names.some((c) => c.name === path.name)) names.push({ name: path.name, source: 'quic-sni' });
    // Later QUIC connections on the same 5-tuple: each server name their hellos gave.
    if (info?.laterSnis) {
      for (const n of info.laterSnis) {
        const l = nameOfSni(n);
        if (!names.some((c) => c.name === l)) names.push({ name: l, source: 'quic-sni' });
      }
    }
    if (info?.httpHosts) for (const h of info.httpHosts) names.push({ name: h, source: 'http-host' });
    if (info?.socksHost) names.push({ name: info.socksHost, source: 'socks-host' });
    if (info?.dnsAnswerNames) for (const n of info.dnsAnswerNames) names.push({ name: n, source: 'dns-answer' });
    if (info?.dnsNames) for (const n of info.dnsNames) names.push({ name: n, source: 'dns-query' });
    // An address in SNI or Host (`Host: 203.0.113.7`) stays a candidate, as the request said it,
    // but is no name: the flow is named by what comes next, or unnamed (ip-literal).
    let top: NameCandidate | null = null;
    for (const c of names) if (!isAddressLiteral(c.name)) { top = c; break; }
    const anomalies = info?.anomalies ? info.anomalies.map((id) => ANOMALY_NAMES[id] as string) : [];
    if ((f & F_EVICTED) !== 0) anomalies.push('flow.table_full');
    const client = info?.client;
    const gap = client ? client.hasHole : false;
    if (gap) anomalies.push('stream.gap');
    // Its head (or a later HTTP request's, or its DTLS hello's) was shed by the stream-head memory budget and no later segment said so: count it now.
    if (client?.shed || info?.httpTail?.shed || info?.dtls?.shed) { anomalies.push('stream.head_overflow'); this.anomalies.add(A['stream.head_overflow']); }
    const hello = info?.hello ?? null;
    const rec: FlowRecord = {
      type: 'flow',
      id: t.idOf(slot),
      proto: t.ipProto(slot) === IPPROTO_TCP ? 'tcp' : 'udp',
      direction,
      device_ip: deviceIp,
      device_port: t.port(slot, deviceB),
      remote_ip: remoteIp,
      remote_port: t.port(slot, remoteB),
      first_ts: round6(t.firstOf(slot) / 1e6),
      last_ts: round6(t.lastOf(slot) / 1e6),
      packets_out: t.packetsOf(slot, deviceB),
      packets_in: t.packetsOf(slot, !deviceB),
      bytes_out: t.bytesOf(slot, deviceB),
      bytes_in: t.bytesOf(slot, !deviceB),
      app,
      sni,
      alpn: hello && hello.alpn.length > 0 ? hello.alpn : null,
      http_host: info?.httpHosts ? info.httpHosts[0] : null,
      dns_names: info?.dnsNames ?? null,
      name: top ? top.name : null,
      name_source: top ? (top.source as NameSource) : null,
      names,
      anomalies,
      unnamed_reason: top ? null : this.unnamedReason(slot, info, gap, direction),
      tunnel_depth: t.depthOf(slot),
      syn_seen: (f & F_SYN) !== 0,
      initiator_by: (f & F_BY_PORT) !== 0 ? 'port-heuristic' : (f & F_BY_FIRST) !== 0 ? 'first-packet' : (f & F_BY_REQUEST) !== 0 ? 'http-request' : (f & F_BY_QUIC) !== 0 ? 'quic-initial' : 'syn',
    };
    if (hello) {
      rec.tls_versions = hello.versions;
      rec.key_share_groups = hello.keyShareGroups;
      rec.ech = hello.ech;
      if (hello.ech && this.echConfigNames.size > 0 && names.some((n) => this.echConfigNames.has(n.name))) rec.ech_config = true;
      if (hello.esni) rec.esni = true;
      rec.ja3 = hello.ja3;
      rec.ja4 = hello.ja4;
    }
    if (app === 'tls' || app === 'quic') {
      const kind = classifyEncryptedDns({
        proto: rec.proto, app, remoteIp, remotePort: rec.remote_port, sni, alpn: rec.alpn,
        answerNames: info?.dnsAnswerNames ?? null,
      });
      if (kind !== null) rec.encrypted_dns = kind;
    }
    if (info && info.quicVersion !== 0) rec.quic_version = `0x${info.quicVersion.toString(16).padStart(8, '0')}`;
    if (info && info.certNames !== null) rec.server_cert_names = info.certNames;
    if (info && info.process !== null) rec.process = info.process;
    if (info && info.h2c) rec.h2c = true;
    if (reversed) rec.tls_client = 'responder';
    if (info && info.replyTo !== 0) {
      rec.reply_to = info.replyTo;
      rec.reply_group = info.replyGroup!;
    }
    if (foreign) rec.foreign = true;
    if (info && info.quicPath !== null) rec.quic_path_of = info.quicPath.flow;
    return rec;
  }

  private unnamedReason(slot: number, info: FlowInfo | undefined, gap: boolean, direction: string): UnnamedReason {
    if (info?.unnamedReason) return info.unnamedReason;
    if (direction === 'inbound') return 'inbound';
    // The remote sent the ClientHello: its server name is the remote's word for this device.
    if (info?.tlsByResponder && info.sni) return 'tls-roles-reversed';
    if (gap) return 'stream-gap';
    const app = info?.app ?? null;
    // A hello also names the reason on a flow that upgraded to TLS (STARTTLS, CONNECT).
    const hello = info?.hello ?? null;
    if (hello && (hello.ech || hello.esni)) return 'ech';
    // A server name that is an address (`192.0.2.20`, against RFC 6066 §3) names no host.
    if (hello && info!.sni !== null && isAddressLiteral(nameOfSni(info!.sni))) return 'ip-literal';
    if (hello) return hello.partial ? 'tls-hello-incomplete' : 'tls-no-sni';
    if (app === 'tls' || app === 'quic' || app === 'dtls') return 'tls-hello-incomplete';
    if (this.flows.ipProto(slot) === IPPROTO_TCP && (this.flows.flagsOf(slot) & F_SYN) === 0) return 'started-before-capture';
    return 'ip-literal';
  }

  /**
   * Whether a flow's endpoint `b` lies inside a `--device` prefix. Such addresses are one device:
   * they decide the device side of a record, and they share one DNS-cache client key
   * (DEVICE_CLIENT_KEY), because a dual-stack device asks over IPv4 and connects over IPv6 (or
   * the reverse).
   */
  private isDeviceSide(slot: number, b: boolean): boolean {
    if (this.opts.devices.length === 0) return false;
    const t = this.flows;
    const K = t.keys;
    const o = t.addrOffset(slot, b);
    const v = t.ipVersion(slot);
    for (const c of this.opts.devices) if (cidrContains(c, v, K[o], K[o + 1], K[o + 2], K[o + 3])) return true;
    return false;
  }

  private noteDeviceIp(ip: string): void {
    const n = this.deviceIps.get(ip);
    if (n !== undefined) this.deviceIps.set(ip, n + 1);
    else if (this.deviceIps.size < MAX_DEVICE_IPS_LISTED) this.deviceIps.set(ip, 1);
  }

  // ─── live capture (src/live.ts) ──────────────────────────────────────────────────────
  // Kept in one block so edits elsewhere in this file do not collide with it.

  /**
   * Builds the FlowRecord of the open flow in `slot` as it stands now, without ending the flow
   * or changing any state (live capture judges open flows with it). Allocates; call it per
   * flow, never per packet. `slot` must be open (FlowTable.forEachOpen).
   */
  snapshotFlow(slot: number): FlowRecord {
    const info = this.flows.infos[slot] as FlowInfo | undefined;
    const app = info ? info.app : null;
    const rec = this.buildFlowRecord(slot, info);
    // Undo buildFlowRecord's end-of-flow effects: it settles the app of a flow cut mid-ClientHello
    // and counts the flow for its device address (the final record will do both).
    if (info) info.app = app;
    const n = this.deviceIps.get(rec.device_ip);
    if (n === 1) this.deviceIps.delete(rec.device_ip);
    else if (n !== undefined) this.deviceIps.set(rec.device_ip, n - 1);
    return rec;
  }

  /**
   * Expires flows idle at `ts` (µs on the packet clock) when no packet brings time forward: a
   * quiet link still gets its flows ended and written. Never moves time backwards.
   */
  advanceTime(ts: number): void {
    if (ts > this.lastTs) this.flows.sweep(ts);
  }
}

/**
 * The name a server_name gives: lowercased, without the root's dot a client may send
 * (`host.example.` names `host.example`, RFC 1034 §3.1, as a Host field's does; `sni` keeps it
 * as sent, as tshark shows it).
 */
function nameOfSni(sni: string): string {
  const l = sni.toLowerCase();
  const n = l.length;
  return n > 1 && l.charCodeAt(n - 1) === 0x2e && l.charCodeAt(n - 2) !== 0x2e ? l.slice(0, -1) : l;
}

/**
 * A 32-bit digest of a response's rcode and answers, equal for a response that says the same
 * again: per answer its type, the length of its data and a few of its characters (the last
 * three, the middle one, the first), not every character (hashing them all cost ~1% of the
 * flow-heavy replay). Two responses that differ only elsewhere in an answer's data count as a
 * repeat; the repeat's answers are then not learned either (onDnsMessage), so such a response
 * can lend no name it does not show.
 */
function responseHash(rcode: string | null, answers: readonly DnsAnswerRecord[]): number {
  let h = Math.imul(0x811c9dc5 ^ answers.length, 0x01000193) ^ (rcode === null ? 0 : rcode.length * 131 + rcode.charCodeAt(0));
  for (const a of answers) {
    const d = a.data;
    const n = d.length;
    h = Math.imul(h ^ (n * 257 + a.type.length), 0x01000193);
    if (n > 0) {
      h = Math.imul(h ^ d.charCodeAt(n - 1), 0x01000193);
      h = Math.imul(h ^ d.charCodeAt(n >> 1), 0x01000193);
      h = Math.imul(h ^ d.charCodeAt(0), 0x01000193);
      if (n > 2) h = Math.imul(h ^ (d.charCodeAt(n - 2) << 8 | d.charCodeAt(n - 3)), 0x01000193);
    }
  }
  return (h >>> 0) | 1; // never 0, the value of "no response yet"
}

/** True when every question of `msg` names one of the flow's queried names. */
function repeatsQuestionsOf(msg: DnsMessage, names: readonly string[] | null): boolean {
  if (names === null) return false;
  for (const q of msg.questions) if (!names.includes(q.name)) return false;
  return true;
}

/**
 * True when one of the message's questions is for `name` and type `type`: a stub that sends its
 * A and AAAA queries with one id on one socket gets each answer joined to its own query.
 */
function asks(msg: DnsMessage, name: string, type: string): boolean {
  for (const q of msg.questions) if (q.name === name && (q.type ? dnsTypeName(q.type) : '') === type) return true;
  return false;
}

/** A name's bucket for Pipeline.cnameSeen, from its length and three of its characters (a string's own hash is computed anew for each parsed name). */
function nameBucket(n: string): number {
  const l = n.length;
  return l === 0 ? 0 : (Math.imul(l, 31) + n.charCodeAt(0) * 7 + n.charCodeAt(l >> 1) * 3 + n.charCodeAt(l - 1)) & 4095;
}

/** CNAME targets remembered for the lookups a resolver on the device makes of them. */
const MAX_CNAME_TARGETS = 4096;

/** CNAME links followed from a question to an answer's owner (resolvers stop well before: BIND and unbound at 11–17). */
const MAX_CNAME_HOPS = 32;

/** chainReach's map, reused message after message (its entries are read before the next message). */
const REACH = new Map<string, ChainStep>();

/** How an answer's owner is reached from a question: the question's name (null: the owner is asked itself) and the shortest CNAME TTL on the way. */
interface ChainStep { asked: string | null; ttl: number }
const DIRECT: ChainStep = Object.freeze({ asked: null, ttl: Infinity });

/**
 * Every name reached from the response's questions through its CNAMEs (`cnames`, by owner),
 * with the question it is reached from and the shortest CNAME TTL on the way: built once per
 * message, each name entered once (a walk stops at a name already reached, so loops and shared
 * tails cost nothing more), at most MAX_CNAME_HOPS links from a question.
 */
function chainReach(msg: DnsMessage, cnames: Map<string, DnsAnswer>): Map<string, ChainStep> {
  const reach = REACH;
  reach.clear();
  for (const q of msg.questions) {
    let n = q.name;
    let ttl = Infinity;
    for (let hop = 0; hop <= MAX_CNAME_HOPS && !reach.has(n); hop++) {
      reach.set(n, { asked: q.name, ttl });
      const c = cnames.get(n);
      if (c === undefined) break;
      const ct = effectiveTtl(c.ttl);
      if (ct < ttl) ttl = ct;
      n = c.data;
    }
  }
  return reach;
}

/** Whether one of the message's questions asks `name` itself. */
function asksName(msg: DnsMessage, name: string): boolean {
  for (const q of msg.questions) if (q.name === name) return true;
  return false;
}

/** A name mDNS (`*.local`, RFC 6762 §3) or LLMNR (a single label, RFC 4795 §2) may answer for. */
function isLinkLocalName(name: string, app: string): boolean {
  return app === 'mdns' ? name.endsWith('.local') : !name.includes('.');
}

/**
 * Whether two addresses look like hosts of one link: the same /24 (IPv4) or /64 (IPv6), or both
 * IPv6 link-local. A guess (no layer-2 view): what keeps a link's mDNS names off flows from
 * elsewhere, such as a remote host's connection to the device that announced itself.
 */
function sameLinkAt(v: number, K: Uint32Array, a: number, b: number): boolean {
  if (v === 4) return ((K[a + 3] ^ K[b + 3]) >>> 8) === 0;
  if ((K[a] >>> 22) === 0x3fa && (K[b] >>> 22) === 0x3fa) return true; // fe80::/10 on both sides
  return K[a] === K[b] && K[a + 1] === K[b + 1];
}

/** The device's side of a DNS exchange (Pipeline.dnsSide). */
const DNS_DEVICE_CLIENT = 0;
const DNS_DEVICE_SERVER = 1;
const DNS_FOREIGN = 2;

/** How a response met the queries it answers (Pipeline.answerQueries). */
const ANSWER_NONE = 0;
const ANSWER_JOINED = 1;
const ANSWER_REPEAT = 2;
/** A response to a query the flow answered already, saying something else (a second responder, a racing reply). */
const ANSWER_OTHER = 3;
/** SSDP's groups (UPnP Device Architecture 2.0 §1.1.2: 239.255.255.250; ff02::c link-local, ff05::c site-local). */
const SSDP_GROUPS_V4 = [Uint32Array.of(0, 0, 0, 0xeffffffa)];
const SSDP_GROUPS_V6 = [Uint32Array.of(0xff020000, 0, 0, 0x0c), Uint32Array.of(0xff050000, 0, 0, 0x0c)];
/** The mDNS (RFC 6762 §3) and LLMNR (RFC 4795 §2) groups, as flow-key address words. */
const MDNS_GROUPS_V4 = [Uint32Array.of(0, 0, 0, 0xe00000fb)];
const MDNS_GROUPS_V6 = [Uint32Array.of(0xff020000, 0, 0, 0xfb)];
const LLMNR_GROUPS_V4 = [Uint32Array.of(0, 0, 0, 0xe00000fc)];
const LLMNR_GROUPS_V6 = [Uint32Array.of(0xff020000, 0, 0, 0x00010003)];

/** sameLinkAt for an address given as words (`a`: a DNS answer's) and one in the flow keys at `K[b]`. */
function sameLinkWords(v: number, a: readonly number[], K: Uint32Array, b: number): boolean {
  if (v === 4) return (((a[3] ^ K[b + 3]) >>> 8) === 0);
  if ((a[0] >>> 22) === 0x3fa) return true; // an fe80::/10 answer is on whatever link it was heard on
  return (a[0] >>> 0) === K[b] && (a[1] >>> 0) === K[b + 1];
}

/** DNS-cache client key of answers multicast to a link's group: heard by every host on the link (an address no host has). */
const LINK_CLIENT_KEY = Uint32Array.of(0xffffffff, 0xffffffff, 0xffffffff, 0xfffffffd);

/** DNS-cache client key shared by every `--device` address (no real address is all ones in every word and also asks DNS). */
const DEVICE_CLIENT_KEY = Uint32Array.of(0xffffffff, 0xffffffff, 0xffffffff, 0xfffffffe);

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** A QUIC Version Negotiation packet (RFC 9000 §17.2.1): a long header with version 0. */
function isVersionNegotiation(buf: Uint8Array, off: number, len: number): boolean {
  return len >= 7 && (buf[off] & 0x80) !== 0 && buf[off + 1] === 0 && buf[off + 2] === 0 && buf[off + 3] === 0 && buf[off + 4] === 0;
}

/** UDP ports QUIC is served from (HTTP/3 on 443; 4433 and 8443 as servers' and test setups' alternatives). */
const QUIC_PORTS: readonly number[] = [443, 4433, 8443];
/** A short header, a packet number and the 16-byte AEAD tag, with room for the header-protection sample (RFC 9001 §5.4.2). */
const QUIC_MIN_SHORT_PACKET = 1 + 4 + 16;

/**
 * A datagram that may be a 1-RTT packet of a QUIC connection already open (RFC 9000 §17.3: the
 * header form bit clear; the fixed bit too may be clear where both ends grease it, RFC 9287, as
 * ngtcp2 does), on a port QUIC is served from. Text protocols start so too (every ASCII
 * character does), hence the ports: the flow is only watched for a later Initial, which must
 * still decrypt, and its missing name said to be lost to the capture's start.
 */
function looksLikeQuicShortHeader(buf: Uint8Array, off: number, len: number, serverPort: number, clientPort: number): boolean {
  return (buf[off] & 0x80) === 0 && len >= QUIC_MIN_SHORT_PACKET && (QUIC_PORTS.includes(serverPort) || QUIC_PORTS.includes(clientPort));
}

/** The datagram in `v` is a client's QUIC Initial: the shape first, then the decryption under its DCID's client keys (the one costly check). */
function isClientInitial(v: PacketView): boolean {
  return looksLikeQuicInitial(v.buf, v.payloadOffset, v.payloadLength) && opensAsClientInitial(v.buf, v.payloadOffset, v.payloadLength);
}

/**
 * A client datagram that can only be a QUIC Initial: at least 1200 bytes (RFC 9000 §14.1), long
 * header with the fixed bit (§17.2), and a version we decrypt. DNS queries that large with such
 * a header and ID are not seen in practice, so this is checked before DNS on DNS ports.
 */
function looksLikeQuicInitial(buf: Uint8Array, off: number, len: number): boolean {
  if (len < QUIC_MIN_INITIAL_DATAGRAM || (buf[off] & 0xc0) !== 0xc0) return false;
  const version = ((buf[off + 1] << 24) | (buf[off + 2] << 16) | (buf[off + 3] << 8) | buf[off + 4]) >>> 0;
  return quicVersionInfo(version) !== null;
}

/**
 * The client head of a TCP flow to port 53 starts like another protocol: a TLS handshake record
 * holding a ClientHello (RFC 8446 §5.1, §4), an HTTP request line, or an SSH banner (RFC 4253
 * §4.2). A DNS-over-TCP length prefix (RFC 7766 §8) matching all of that is vanishingly unlikely.
 */
function looksLikeOtherTcpProtocol(buf: Uint8Array, n: number): boolean {
  if (startsClientHelloRecord(buf, 0, n)) return true;
  return n >= 4 && (startsWithAscii(buf, 0, n, 'SSH-') || probeHttpRequest(buf, 0, n));
}

/** What the first bytes from the side that answered the SYN are (Pipeline.responderSpeaksFirst). */
const enum ResponderStart {
  /** Not a ClientHello: the flow goes on as before. */
  NotHello,
  /** This segment starts a ClientHello: read it as the client's. */
  Hello,
  /**
   * Nothing more to do with this segment: it waits in a head (fewer than 6 contiguous bytes so
   * far), or it completed a head that starts a ClientHello (read) or an SSH banner.
   */
  Handled,
}

/** `buf[off, off + n)` starts a TLS handshake record whose first message is a ClientHello (RFC 8446 §5.1, §4). */
function startsClientHelloRecord(buf: Uint8Array, off: number, n: number): boolean {
  return n >= 6 && probeTlsRecord(buf, off, n) && buf[off + 5] === 1;
}

/** Bitcoin P2P message start (mainnet f9beb4d9, testnet3 0b110907, regtest fabfb5da). */
function isBitcoinMagic(buf: Uint8Array, off: number, len: number): boolean {
  if (len < 4) return false;
  const m = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
  return m === 0xf9beb4d9 || m === 0x0b110907 || m === 0xfabfb5da;
}

/**
 * A PROXY protocol header at buf[off], which a load balancer puts before the client's bytes
 * (HAProxy's proxy-protocol.txt): its length; 0 when the bytes are not one; -1 when they may
 * still become one.
 * - v1 (§2.1): "PROXY " and printable text up to CRLF, at most 107 bytes.
 * - v2 (§2.2): a 12-byte signature, a version/command byte 0x2?, the family byte, and a 16-bit
 *   length of what follows (addresses and TLVs). One longer than a stream head can hold is not
 *   taken for one (its length is a claim, and nothing is allocated from it).
 * tshark 4.0 reads the TLS or HTTP after a v1 header and stops after a v2 one; both name the
 * flow here, since the bytes after either are the client's own.
 */
function proxyHeaderLength(buf: Uint8Array, off: number, n: number): number {
  if (n === 0) return -1;
  return buf[off] === 0x50 ? proxyV1Length(buf, off, n) : buf[off] === 0x0d ? proxyV2Length(buf, off, n) : 0;
}

function proxyV1Length(buf: Uint8Array, off: number, n: number): number {
  const sig = 'PROXY ';
  for (let i = 0; i < sig.length; i++) {
    if (i >= n) return -1;
    if (buf[off + i] !== sig.charCodeAt(i)) return 0;
  }
  const max = Math.min(n, PROXY_V1_MAX);
  for (let i = sig.length; i < max; i++) {
    const b = buf[off + i];
    if (b === 0x0d) {
      if (i + 1 >= n) return -1;
      return buf[off + i + 1] === 0x0a ? i + 2 : 0;
    }
    if (b < 0x20 || b > 0x7e) return 0;
  }
  return n < PROXY_V1_MAX ? -1 : 0;
}
const PROXY_V1_MAX = 107;

function proxyV2Length(buf: Uint8Array, off: number, n: number): number {
  for (let i = 0; i < PROXY_V2_SIG.length; i++) {
    if (i >= n) return -1;
    if (buf[off + i] !== PROXY_V2_SIG[i]) return 0;
  }
  if (n < 16) return n > 12 && (buf[off + 12] & 0xf0) !== 0x20 ? 0 : -1;
  if ((buf[off + 12] & 0xf0) !== 0x20) return 0;
  const total = 16 + ((buf[off + 14] << 8) | buf[off + 15]);
  if (total > PROXY_V2_MAX) return 0;
  return total <= n ? total : -1;
}
/** "\r\n\r\n\0\r\nQUIT\n" (proxy-protocol.txt §2.2). */
const PROXY_V2_SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
/** Addresses (at most 216 bytes for AF_UNIX) and TLVs; a header claiming more than this is not taken for one. */
const PROXY_V2_MAX = 1024;

/** Sequence number `n` bytes after `seq` (RFC 9293 §3.4: modulo 2^32). */
function seqPlus(seq: number, n: number): number {
  return (seq + n) % 0x1_0000_0000;
}

/** A new stream head starting at sequence number `base`, holding buf[p, p + n) as its first bytes. */
function headHolding(base: number, buf: Uint8Array, p: number, n: number): StreamHead {
  const head = new StreamHead(base);
  head.add(base, buf, p, n);
  return head;
}

/**
 * The app of a UDP datagram that only content can tell and that names nothing: DHCP, DHCPv6,
 * CoAP and NetBIOS name service on their ports (tshark's defaults); STUN, IKE and WireGuard on
 * any port (WebRTC, VoIP and VPNs pick ports freely); OpenVPN by its opcode on 1194 and as a
 * payload-free reset elsewhere.
 */
function udpAppByContent(buf: Uint8Array, off: number, len: number, serverPort: number, clientPort: number): string | null {
  if ((serverPort === 67 || serverPort === 68 || clientPort === 67 || clientPort === 68) && probeDhcp(buf, off, len)) return 'dhcp';
  if ((serverPort === 547 || clientPort === 547 || serverPort === 546 || clientPort === 546) && probeDhcpv6(buf, off, len)) return 'dhcpv6';
  if ((serverPort === PORT_COAP || clientPort === PORT_COAP) && probeCoap(buf, off, len)) return 'coap';
  if ((serverPort === PORT_NBNS || clientPort === PORT_NBNS) && probeNbns(buf, off, len)) return 'nbns';
  if (probeStun(buf, off, len)) return 'stun';
  if (probeIke(buf, off, len)) return 'ike';
  if (probeWireGuard(buf, off, len)) return 'wireguard';
  if (probeOpenVpnReset(buf, off, len, false, serverPort === PORT_OPENVPN || clientPort === PORT_OPENVPN)) return 'openvpn';
  return null;
}

/** True when a ClientHello lets the server choose TLS 1.2 or older (whose certificate is sent in the clear). */
function offersTls12(supportedVersions: readonly number[]): boolean {
  if (supportedVersions.length === 0) return true; // no supported_versions: TLS 1.2 or older only
  for (const v of supportedVersions) if (v >= 0x0300 && v <= 0x0303) return true;
  return false;
}

/** A DTLS hello that lets the server choose 1.2 or 1.0 (0xfefd, 0xfeff), whose certificates travel in the clear. */
function offersDtls12(legacyVersion: number, supportedVersions: readonly number[]): boolean {
  if (supportedVersions.length === 0) return legacyVersion === 0xfefd || legacyVersion === 0xfeff;
  for (const v of supportedVersions) if (v === 0xfefd || v === 0xfeff) return true;
  return false;
}

function appForDnsPorts(serverPort: number, clientPort: number): string {
  if (serverPort === PORT_MDNS || clientPort === PORT_MDNS) return 'mdns';
  if (serverPort === PORT_LLMNR || clientPort === PORT_LLMNR) return 'llmnr';
  return 'dns';
}

/** The 6-byte MAC address at `buf[off]` as a 48-bit number. */
function macAt(buf: Uint8Array, off: number): number {
  return (buf[off] * 0x10000 + (buf[off + 1] << 8 | buf[off + 2])) * 0x1000000 + (buf[off + 3] << 16 | buf[off + 4] << 8 | buf[off + 5]);
}

/**
 * True when the TCP options in `buf[off, end)` hold a Fast Open option: kind 34 (RFC 7413 §4.1.1),
 * or the experimental kind 254 with ExID 0xF989 that Linux sent before the kind was assigned
 * (RFC 6994). Walks at most the 40 bytes options can take; a damaged list ends the walk.
 */
function hasFastOpenOption(buf: Uint8Array, off: number, end: number): boolean {
  let p = off;
  while (p < end) {
    const kind = buf[p];
    if (kind === 0) return false;
    if (kind === 1) { p++; continue; }
    if (p + 1 >= end) return false;
    const len = buf[p + 1];
    if (len < 2 || p + len > end) return false;
    if (kind === 34 || (kind === 254 && len >= 4 && buf[p + 2] === 0xf9 && buf[p + 3] === 0x89)) return true;
    p += len;
  }
  return false;
}

/** `buf[off, off + n)` in lowercase hex. */
function hexOf(buf: Uint8Array, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += (buf[off + i] < 16 ? '0' : '') + buf[off + i].toString(16);
  return s;
}
