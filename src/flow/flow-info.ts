/**
 * FlowInfo: the rich, per-flow facts learned from payload (names, app, stream heads, pending
 * DNS queries). Allocated only for flows that carry payload; the typed-array FlowTable holds
 * everything else. Facts only — no policy decisions are made or stored here.
 */
import type { AnomalyCounters } from '../anomalies';
import type { DtlsHelloAssembler } from '../extract/dtls-client-hello';
import type { ChunkedBodyWalker } from '../extract/http-request';
import type { DtlsServerFlight } from '../extract/dtls-server-flight';
import type { ClientHelloInfo } from '../extract/tls-client-hello';
import { fingerprints, type HelloTransport } from '../extract/tls-fingerprint';
import type { DnsRecord, UnnamedReason } from '../report/records';
import { StreamHead } from './stream-head';

/** Distinct HTTP hosts and DNS names kept per flow (a proxy connection can carry many). */
export const MAX_NAMES_PER_FLOW = 32;
/** HTTP requests examined per flow after the first (pipelined / keep-alive). */
export const MAX_HTTP_REQUESTS_SCANNED = 256;
/** DNS queries awaiting their response, per flow. */
export const MAX_PENDING_DNS_PER_FLOW = 256;

/**
 * The facts a flow record keeps from a ClientHello. The full ClientHelloInfo (cipher lists,
 * extension lists, ...) is dropped once these are taken: kept for every open TLS flow it was
 * measured at ~2 KB a flow, most of the live heap on a million-flow replay.
 */
export interface HelloFacts {
  alpn: string[];
  versions: number[];
  keyShareGroups: number[];
  ech: boolean;
  esni: boolean;
  /** Null for a hello read from its first bytes only (`partial`): its lists are incomplete. */
  ja3: string | null;
  ja4: string | null;
  /** Read from its first bytes only: a server_name past them is unknown, not absent. */
  partial: boolean;
}

const NO_FINGERPRINTS = { ja3: null, ja4: null };

/** Takes the flow-record facts from a parsed ClientHello. */
export function helloFacts(hello: ClientHelloInfo, transport: HelloTransport): HelloFacts {
  const fp = hello.partial ? NO_FINGERPRINTS : fingerprints(hello, transport);
  return {
    alpn: hello.alpn,
    versions: hello.supportedVersions.length > 0 ? hello.supportedVersions : [hello.legacyVersion],
    keyShareGroups: hello.keyShareGroups,
    ech: hello.ech,
    esni: hello.esni,
    ja3: fp.ja3,
    ja4: fp.ja4,
    partial: hello.partial,
  };
}

/** Rich state of one flow. */
export class FlowInfo {
  /** What the content shows (tls, http, dns, ...); null while unknown. */
  app: string | null = null;
  /** What the flow record needs from its ClientHello (the parsed hello itself is not kept). */
  hello: HelloFacts | null = null;
  sni: string | null = null;
  /** Distinct HTTP Host values in request order. */
  httpHosts: string[] | null = null;
  httpRequests = 0;
  /** Distinct DNS question names in query order (DNS flows). */
  dnsNames: string[] | null = null;
  /** Queries awaiting their response. */
  pendingDns: DnsRecord[] | null = null;
  /**
   * Ids of the flow's last two answered queries, as (before + 1) * 131072 + (last + 1) (0: none;
   * one number, not two fields or a list: FlowInfo is allocated per flow), so a repeated response
   * is no new lookup; a stub asks A and AAAA with two ids on one socket. Kept once a query was
   * retransmitted (`dnsRetransmitted`).
   */
  answeredIds = 0;
  /** A query id was asked twice on this flow: a server may answer both copies. */
  dnsRetransmitted = false;
  answeredHash = 0;
  answeredHashBefore = 0;
  /**
   * Client (initiator → responder) and server stream heads, while needed. With `tlsByResponder`
   * the roles are the TLS ones: `client` holds the responder's stream.
   */
  client: StreamHead | null = null;
  server: StreamHead | null = null;
  /** Bytes of the DNS-over-TCP stream already split into messages: client, then server direction (two numbers, not an array: one allocation less per flow). */
  dnsTcpDoneClient = 0;
  dnsTcpDoneServer = 0;
  /** Names learned from earlier DNS answers for this flow's remote address (at flow start). */
  dnsAnswerNames: string[] | null = null;
  /** Anomaly ids seen on this flow (small, distinct). */
  anomalies: number[] | null = null;
  /** Why the flow is unnamed, when a stage knows better than the default. */
  unnamedReason: UnnamedReason | null = null;
  /** QUIC per-flow state (set by the QUIC extractor). */
  quic: unknown = null;
  /** QUIC state for later connections on the flow's 5-tuple, once its first hello was read (src/extract/quic-flow.ts). */
  quicLater: unknown = null;
  /** Server names of ClientHellos of later QUIC connections on the same 5-tuple, distinct, bounded. */
  laterSnis: string[] | null = null;
  /** A flow that is another path of a named QUIC connection (its first datagram's connection ID was one it used): that connection's flow and server name. */
  quicPath: { readonly flow: number; readonly name: string } | null = null;
  /** DTLS ClientHello reassembly (src/extract/dtls-client-hello.ts), while the hello is incomplete. */
  dtls: DtlsHelloAssembler | null = null;
  /** The server's DTLS flight, read for its certificate's names after a hello without SNI (src/extract/dtls-server-flight.ts). */
  dtlsServer: DtlsServerFlight | null = null;
  /** QUIC version of the client's Initials (0 when not QUIC). */
  quicVersion = 0;
  /** Encrypted DNS kind when recognised (issue 7). */
  encryptedDns: 'dot' | 'doq' | 'doh' | null = null;
  /** Client-stream offset where TLS starts after a plaintext preamble (STARTTLS, CONNECT); -1 when none was seen. */
  tlsAt = -1;
  /** Sequence number where the client's next HTTP request starts, after a body of known length; -1 when unknown. */
  httpNextSeq = -1;
  /** The head of a later HTTP request that spans segments, while it is incomplete. */
  httpTail: StreamHead | null = null;
  /** A chunked request body that spans segments, walked as they come; `httpNextSeq` is then the sequence number of its next byte. */
  httpChunked: ChunkedBodyWalker | null = null;
  /** Plain HTTP requests follow a SOCKS or HTTP CONNECT: later segments are scanned for requests. */
  httpTunnel = false;
  /** The host name a SOCKS CONNECT asked the proxy for. */
  socksHost: string | null = null;
  /** Client segments still to look at for the start of an HTTP request, on a connection that began before the capture (0: not looking). */
  resyncLeft = 0;
  /** The sequence number one past the client's FIN (the end of its stream), or -1 before a FIN; kept only while the flow is unnamed. */
  clientFinEnd = -1;
  /** A TLS hello without a server name was sent: the server's first flight is read for its certificate's names. */
  wantCert = false;
  /** Names of the certificate the server presented in the clear (TLS and DTLS 1.0–1.2). */
  certNames: string[] | null = null;
  /** The process the capture named for the flow's first packet (Apple's PKTAP, or its pcapng process blocks); null when none. */
  process: string | null = null;
  /** The client's HTTP/2 stream from its preface on (h2c), while no request's header block is whole. */
  h2: StreamHead | null = null;
  /** The client spoke HTTP/2 in cleartext: its preface was seen (prior knowledge, or after `Upgrade: h2c`). */
  h2c = false;
  /** The side that answered the SYN sent the ClientHello (TLS with its roles reversed). */
  tlsByResponder = false;
  /** A unicast mDNS/LLMNR reply to a multicast query: the query flow's id (0: none) and its group. */
  replyTo = 0;
  replyGroup: string | null = null;
  /** With --device, for a flow between addresses outside --device with a link-local end: which end its first frame's MACs said is the device (Pipeline.noteLinkAddresses; -1: unknown). */
  linkRole = -1;

  /** Back to the state of a new FlowInfo, for reuse by the next flow (see Pipeline.infoPool). */
  reset(): void {
    this.app = null;
    this.hello = null;
    this.sni = null;
    this.httpHosts = null;
    this.httpRequests = 0;
    this.dnsNames = null;
    this.pendingDns = null;
    this.answeredIds = 0;
    this.dnsRetransmitted = false;
    this.answeredHash = 0;
    this.answeredHashBefore = 0;
    this.client = null;
    this.server = null;
    this.dnsTcpDoneClient = 0;
    this.dnsTcpDoneServer = 0;
    this.dnsAnswerNames = null;
    this.anomalies = null;
    this.unnamedReason = null;
    this.quic = null;
    this.quicLater = null;
    this.laterSnis = null;
    this.quicPath = null;
    this.dtls = null;
    this.dtlsServer = null;
    this.quicVersion = 0;
    this.encryptedDns = null;
    this.tlsAt = -1;
    this.httpNextSeq = -1;
    this.httpTail = null;
    this.httpChunked = null;
    this.httpTunnel = false;
    this.socksHost = null;
    this.resyncLeft = 0;
    this.clientFinEnd = -1;
    this.wantCert = false;
    this.certNames = null;
    this.process = null;
    this.h2 = null;
    this.h2c = false;
    this.tlsByResponder = false;
    this.replyTo = 0;
    this.replyGroup = null;
    this.linkRole = -1;
  }

  /**
   * Keeps what the record needs from a ClientHello found over `transport` (TCP, QUIC CRYPTO
   * frames or DTLS) and its server name, and counts the hello's anomalies on the flow and in
   * the run's `counters`.
   */
  takeHello(hello: ClientHelloInfo, transport: HelloTransport, counters: AnomalyCounters): void {
    this.hello = helloFacts(hello, transport);
    this.sni = hello.sni;
    for (const a of hello.anomalies) { counters.add(a); this.noteAnomaly(a); }
  }

  /** Records anomaly `id` on this flow once. */
  noteAnomaly(id: number): void {
    if (!this.anomalies) this.anomalies = [id];
    else if (!this.anomalies.includes(id) && this.anomalies.length < 16) this.anomalies.push(id);
  }

  /** Adds a distinct name to a bounded list, returning the list. */
  static addName(list: string[] | null, name: string): string[] {
    if (!list) return [name];
    if (list.length < MAX_NAMES_PER_FLOW && !list.includes(name)) list.push(name);
    return list;
  }
}
