/**
 * The catalogue of every capture in captures/, in the order the sidecars and tests list them.
 * Adding a capture means adding its definition here; the generator, the reproducibility test and
 * the e2e test all read this list.
 *
 * Test tooling only: never builds anything at import time (definitions build on demand).
 */
import type { BuiltCapture, CaptureDefinition } from './common';
import { DNS_CNAME_CHAIN_ATTRIBUTION, DNS_TCP_TWO_MESSAGES_ONE_SEGMENT, IPV6_FRAGMENTED_DNS } from './dns';
import { APPLE_PCAPNG_PROCESSES, APPLE_PKTAP, ETHERNET_QINQ_HTTP, LINUX_SLL2_DNS_HTTPS, NANOSECOND_TLS, PCAPNG_TWO_INTERFACES, TRUNCATED_LAST_RECORD } from './formats';
import { HTTP_ABSOLUTE_URI_AND_CONNECT } from './http';
import { H2C_REQUESTS } from './h2c';
import { SAMPLE_DEVICE } from './sample-device';
import { STARTTLS_AND_PROXY_TUNNELS } from './starttls';
import { DTLS_CLIENT_HELLOS } from './dtls';
import { CROSSCHECK_SHAPES } from './crosscheck';
import { ROLES_AND_REQUEST_SHAPES } from './roles';
import { REUSE_AND_TEXT_NAMES } from './reuse';
import { PREFIXES_AND_CONTINUATIONS } from './prefixes';
import { VPN_TUNNELS } from './vpn';
import { TLS_CUT_IN_RECORD_HEADER, TLS_OUT_OF_ORDER_RETRANSMIT, TLS_SPLIT_SNI_IN_SECOND_SEGMENT, TLS_STREAM_GAP } from './tls-reassembly';
import { TUNNELS_AND_SHIMS } from './tunnels';
import { L2TPV3_AND_GUE } from './l2tpv3-gue';

export type { CaptureDefinition, BuiltCapture } from './common';

/** Every capture the generator writes. */
export const CAPTURE_DEFINITIONS: readonly CaptureDefinition[] = [
  SAMPLE_DEVICE,
  TLS_SPLIT_SNI_IN_SECOND_SEGMENT,
  TLS_OUT_OF_ORDER_RETRANSMIT,
  TLS_CUT_IN_RECORD_HEADER,
  TLS_STREAM_GAP,
  DNS_TCP_TWO_MESSAGES_ONE_SEGMENT,
  DNS_CNAME_CHAIN_ATTRIBUTION,
  IPV6_FRAGMENTED_DNS,
  ETHERNET_QINQ_HTTP,
  LINUX_SLL2_DNS_HTTPS,
  PCAPNG_TWO_INTERFACES,
  NANOSECOND_TLS,
  TRUNCATED_LAST_RECORD,
  HTTP_ABSOLUTE_URI_AND_CONNECT,
  TUNNELS_AND_SHIMS,
  STARTTLS_AND_PROXY_TUNNELS,
  DTLS_CLIENT_HELLOS,
  VPN_TUNNELS,
  APPLE_PKTAP,
  H2C_REQUESTS,
  APPLE_PCAPNG_PROCESSES,
  CROSSCHECK_SHAPES,
  ROLES_AND_REQUEST_SHAPES,
  REUSE_AND_TEXT_NAMES,
  PREFIXES_AND_CONTINUATIONS,
  L2TPV3_AND_GUE,
];

/**
 * Builds one capture and completes its expectation: `summary.device_ips` becomes the device
 * addresses that appear in its flows (not in flows of other hosts, with --device), and the summary's flow and DNS counts are checked
 * against the lists (throws on a mismatch: the definition is inconsistent).
 */
export function buildCapture(def: CaptureDefinition): BuiltCapture {
  const built = def.build();
  const e = built.expect;
  // With --device, a flow neither end of which is a device address (a tunnel's outer packets
  // between two routers) is another host's: its addresses are not the device's (link-local
  // initiators aside, which may be the device's own).
  const devices = e.args.flatMap((a, i) => (e.args[i - 1] === '--device' ? [a] : []));
  const foreign = (f: { device_ip: string; remote_ip: string }): boolean =>
    devices.length > 0 && !devices.includes(f.device_ip) && !devices.includes(f.remote_ip) && !f.device_ip.startsWith('fe80:');
  e.summary.device_ips = [...new Set(e.flows.filter((f) => !foreign(f)).map((f) => f.device_ip))].sort();
  if (e.summary.flows !== e.flows.length) throw new Error(`${def.file}: summary says ${e.summary.flows} flows, list has ${e.flows.length}`);
  if (e.summary.dns_queries !== e.dns.length) throw new Error(`${def.file}: summary says ${e.summary.dns_queries} DNS queries, list has ${e.dns.length}`);
  return built;
}
