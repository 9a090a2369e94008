/**
 * The anomaly catalogue: every way input can be malformed, truncated or over a limit, as a
 * stable, named, counted event (Zeek's "weirds", Suricata's app-layer events).
 *
 * Hot-path code counts anomalies by numeric index into a Float64Array; names appear only in
 * reports. IDs are `layer.condition`, lowercase, and are part of the NDJSON/SARIF contract:
 * never rename or reorder one once shipped — only append.
 * This module must never throw and never allocate per event.
 */

/** Anomaly names in catalogue order; the index is the numeric id used on the hot path. */
export const ANOMALY_NAMES = [
  'decoder.internal_error', // a bug guard caught an exception; the packet index is logged
  // capture files
  'capture.truncated_record', // the file ends inside a record header or body
  'capture.caplen_too_large', // caplen > snaplen (kept, one warning per file) or > MAX_CAPLEN (reading stops)
  'capture.bad_block', // pcapng block with an impossible length; rest of the section lost
  'capture.interface_id_invalid', // pcapng packet names an interface never described
  'capture.caplen_exceeds_wirelen', // caplen > original length (kept, wire length raised)
  // link layer
  'link.unsupported_linktype',
  'link.truncated',
  'link.vlan_too_deep',
  'link.nflog_malformed',
  // network layer
  'ip.unknown_version',
  'ip4.truncated',
  'ip4.bad_ihl',
  'ip4.bad_total_length',
  'ip4.bad_options',
  'ip6.truncated',
  'ip6.bad_payload_length',
  'ip6.ext_header_truncated',
  'ip6.too_many_ext_headers',
  'ip.fragment_overlap',
  'ip.fragment_too_large',
  'ip.fragment_table_full',
  'ip.fragment_incomplete', // fragments that never completed before timeout / end of run
  'tunnel.too_deep',
  'tunnel.truncated',
  'gre.unsupported',
  // transport
  'tcp.truncated',
  'tcp.bad_data_offset',
  'udp.truncated',
  'udp.bad_length',
  'icmp.truncated',
  // flows and streams
  'flow.table_full', // a flow was evicted to make room (LRU)
  'stream.gap', // a hole in the client byte stream before the name was known
  'stream.head_overflow', // more than STREAM_HEAD_BYTES buffered without a result
  'stream.overlap_conflict', // retransmitted bytes differ from the bytes already kept
  // DNS
  'dns.truncated',
  'dns.pointer_loop',
  'dns.bad_pointer',
  'dns.label_too_long',
  'dns.name_too_long',
  'dns.bad_label_type',
  'dns.too_many_records',
  'dns.malformed_answer', // the answer decoder rejected the message
  'dns.tcp_bad_length',
  'dns.cache_full',
  // TLS
  'tls.record_bad_length',
  'tls.malformed_client_hello',
  'tls.sni_empty',
  'tls.sni_duplicate',
  'tls.sni_bad_length',
  'tls.client_hello_too_large',
  // HTTP
  'http.malformed_request',
  'http.header_too_large',
  'http.host_missing',
  // QUIC
  'quic.decrypt_failed',
  'quic.malformed',
  'quic.crypto_gap',
  // link-layer shims and tunnels added after the first release (appended: ids never move)
  'mpls.too_deep', // an MPLS label stack deeper than MAX_MPLS_LABELS
  'pppoe.malformed', // a PPPoE session header with a version/type or code that is not RFC 2516's
  'link.pflog_malformed', // a pflog header shorter than any BSD writes
  'link.wifi_malformed', // a radiotap or PPI header with a bad version or length
  'ip4.ah_truncated', // an IPv4 Authentication Header cut short or with a length past the packet
  'nsh.malformed', // a Network Service Header with a version or length RFC 8300 does not allow
  'ip4.zero_total_length', // Total Length 0 on a packet over one MTU, as segmentation offload leaves it: the frame's rest taken as the packet
  'dtls.fragments_malformed', // a DTLS ClientHello's fragments disagree on its length or arrive in more pieces than MAX_DTLS_FRAGMENT_RANGES
  'link.pktap_malformed', // an Apple PKTAP header shorter than its fixed part, or wrapping another PKTAP header
  'wifi.amsdu_malformed', // an 802.11 A-MSDU subframe longer than the frame, or more subframes than MAX_AMSDU_SUBFRAMES
  'http2.malformed', // an h2c client stream whose frames break RFC 9113 (no SETTINGS after the preface, HEADERS on an even stream, bad padding, a CONTINUATION missing)
  'http2.hpack_malformed', // an h2c header block RFC 7541 cannot decode (an index past the tables, a bad integer, string or Huffman padding)
  'http.conflicting_host', // a request with two Host fields naming different hosts (RFC 9112 §3.2; the request smuggling shape), or a Host field naming another host than the absolute-form or CONNECT target: both are names of the flow
  'dns.tcp_message_too_large', // a DNS-over-TCP message longer than the stream head (16 KiB, e.g. a zone-transfer chunk): skipped by its length prefix, the stream read on after it
  'http.head_cut', // a request head cut short by the capture's snapshot length: read from its whole lines (a Host line captured whole names the flow)
  'ip.ipv6_under_ipv4_type', // an IPv6 packet where the link layer's type says IPv4 (0x0800): decoded as IPv6, as tshark does (Linux cooked captures have shown it)
  'tls.records_before_hello', // TLS records with no handshake data (ChangeCipherSpec, alert, application data, an empty handshake record) before the ClientHello: read past, as servers do
  'quic.later_connections_unread', // a QUIC flow's client sent Initials under more new connection IDs than are tried: later connections' server names may be missing
  'tcp.rst_with_data', // a RST carrying data (RFC 9293 §3.5.3 allows diagnostic text): not stream bytes, no receiver takes them; not read
  'tcp.data_without_ack', // data in a segment with neither SYN nor ACK set: a receiver drops it (RFC 9293 §3.10.7.4); not read
  'tcp.syn_data_without_fast_open', // data in a SYN without a TCP Fast Open option (RFC 7413): receivers do not take it, the client sends it again after the handshake; not read
  'tcp.urgent_data', // urgent data (URG) before the flow was named: a receiver takes the urgent byte out of the stream, so a name read across it may differ from the one the server saw
  'tcp.data_after_fin', // client data past the end its FIN set (RFC 9293 §3.10.7.4: a receiver ignores it): not read
  'http.head_unfinished', // the connection ended inside the client's first request head (a RST, or the capture ended): read from its whole lines (a Host line sent whole names the flow)
  'l2tp.malformed', // an L2TPv3 data message (IP protocol 115, or UDP 1701 with version 3) too short on the wire for its session ID
  'l2tp.unsupported', // an L2TPv3 data message whose payload is no Ethernet frame at any cookie and sublayer length Linux allows (another pseudowire type): not read
] as const;

export type AnomalyName = (typeof ANOMALY_NAMES)[number];

const INDEX: ReadonlyMap<string, number> = new Map(ANOMALY_NAMES.map((n, i) => [n, i]));

/** Numeric id of an anomaly name. Throws only on a programming error (unknown name). */
export function anomalyId(name: AnomalyName): number {
  const id = INDEX.get(name);
  if (id === undefined) throw new Error(`unknown anomaly ${name}`);
  return id;
}

/** Numeric ids, resolved once at load time so hot code uses constants. */
export const A = Object.freeze(
  Object.fromEntries(ANOMALY_NAMES.map((n, i) => [n, i])) as { readonly [K in AnomalyName]: number },
);

/** Counters for every anomaly in the catalogue; one instance per run. */
export class AnomalyCounters {
  readonly counts = new Float64Array(ANOMALY_NAMES.length);

  /** Count one occurrence of anomaly `id`. */
  add(id: number): void {
    this.counts[id]++;
  }

  /** Name → count for every anomaly seen at least once, in catalogue order. */
  toRecord(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < ANOMALY_NAMES.length; i++) if (this.counts[i] > 0) out[ANOMALY_NAMES[i]] = this.counts[i];
    return out;
  }
}
