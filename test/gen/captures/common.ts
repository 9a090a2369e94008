/**
 * Shared pieces of the capture definitions: the documentation addresses every capture uses,
 * the fixed clock origin, the `CaptureDefinition` shape, and a TLS session script (handshake,
 * ClientHello, server flight, application data, FIN teardown).
 *
 * Test tooling only: never uses an address outside 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32 or a MAC outside 00:00:5e:00:53:xx (RFC 5737, 3849, 7042).
 */
import type { CaptureExpectation, DnsExpectation, FlowExpectation, SummaryExpectation } from '../expectation';
import { serializePcap, type CaptureRecord } from '../capture-file';
import { LINKTYPE_ETHERNET } from '../../../src/capture/source';
import { CaptureBuilder, Endpoint, Host, TcpScript, ms } from '../scenario';
import { concat, httpRequest, httpResponse, tlsApplicationData, tlsClientFinished, tlsClientHello, tlsServerFlight } from '../packets';

/** 2024-06-01T12:00:00Z in ns: the origin of every capture's clock. */
export const T0 = 1_717_243_200n * 1_000_000_000n;

/** The device under audit (RFC 7042 documentation MAC). */
export const DEVICE_MAC = '00:00:5e:00:53:10';
export const DEVICE_V4 = '192.0.2.10';
export const DEVICE_V6 = '2001:db8::10';
/** The LAN router, which is also the DNS resolver. */
export const ROUTER_MAC = '00:00:5e:00:53:01';
export const RESOLVER_V4 = '192.0.2.1';

/** The CLI arguments naming the device in every capture. */
export const DEVICE_ARGS = ['--device', DEVICE_V4, '--device', DEVICE_V6];

/** tshark arguments that list every ClientHello and HTTP request with its TCP stream, client port, server name and Host. */
export const TSHARK_HELLOS_AND_REQUESTS: readonly string[] = ['-Y', 'tls.handshake.type == 1 || http.request', '-T', 'fields', '-e', 'tcp.stream',
  '-e', 'tcp.srcport', '-e', 'tls.handshake.extensions_server_name', '-e', 'http.host'];

/** The device with a port. */
export function device(port: number, ip = DEVICE_V4): Endpoint {
  return { ip, mac: DEVICE_MAC, port };
}

/** A host beyond the router (its frames carry the router's MAC). */
export function remote(ip: string, port: number): Endpoint {
  return { ip, mac: ROUTER_MAC, port };
}

/** The resolver at 192.0.2.1:53. */
export const RESOLVER: Endpoint = { ip: RESOLVER_V4, mac: ROUTER_MAC, port: 53 };

/** A host on the LAN with its own MAC. */
export function lanHost(ip: string, mac: string, port: number): Endpoint & Host {
  return { ip, mac, port };
}

/** What the generator produces for one capture. */
export interface BuiltCapture {
  bytes: Uint8Array;
  /** Number of records the file holds (whole or cut). */
  records: number;
  expect: CaptureExpectation;
}

/**
 * The result of a capture definition written as a classic Ethernet pcap, replayed with the
 * device's two addresses, exit status 0, and the summary counted from `flows` and `dns`.
 */
export function ethernetPcap(file: string, records: readonly CaptureRecord[], flows: FlowExpectation[], dns: DnsExpectation[] = []): BuiltCapture {
  return {
    bytes: serializePcap(records, { linkType: LINKTYPE_ETHERNET }),
    records: records.length,
    expect: {
      file, args: DEVICE_ARGS, exit_code: 0,
      summary: summaryOf(records, { format: 'pcap', link_types: ['EN10MB'] }, flows.length, dns.length),
      flows,
      dns,
    },
  };
}

/** A tshark command to cross-check the capture and the output it printed when the capture was made. */
export interface TsharkCheck {
  /** Arguments after `tshark -r <capture>`. */
  args: string[];
  /** Standard output, exactly. */
  output: string;
  /** When set, tshark must exit non-zero and print this on standard error. */
  stderr?: string;
}

/** One capture in captures/: how to build it and what its sidecar says. */
export interface CaptureDefinition {
  file: string;
  title: string;
  /** Markdown paragraphs/bullets describing what the capture holds and why. */
  holds: string[];
  /** Name of the function in test/gen/captures/ that builds it (for the sidecar). */
  builder: string;
  tshark: TsharkCheck[];
  build(): BuiltCapture;
}

/** One request/response inside an established TLS session (sizes of the encrypted records' payloads). */
export interface TlsExchange {
  atMs: number;
  request: number;
  response: number;
}

/** `total` bytes of application data as TLS records of at most 2^14 + 256 bytes of ciphertext (RFC 8446 §5.2). */
function appData(seed: string, total: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let done = 0, i = 0; done < total; i++) {
    const n = Math.min(16384 + 17, total - done);
    parts.push(tlsApplicationData(`${seed}/${i}`, n));
    done += n;
  }
  return concat(parts);
}

/**
 * Everything after the ClientHello: server flight, client Finished, the exchanges (times are
 * relative to the session start `t0`), and a client-initiated FIN teardown unless `close` is false.
 * Returns the time of the last packet.
 */
export function finishTlsSession(tcp: TcpScript, t0: bigint, afterHello: bigint, seed: string, exchanges: readonly TlsExchange[], close = true): bigint {
  let t = tcp.send('s2c', afterHello + tcp.rtt, tlsServerFlight(seed, 2600));
  t = tcp.send('c2s', t + ms(1.5), tlsClientFinished(seed));
  exchanges.forEach((x, i) => {
    const start = t0 + ms(x.atMs);
    if (start <= t) throw new Error(`${seed}: exchange ${i} at ${x.atMs} ms overlaps the previous one`);
    t = tcp.exchange(start, appData(`${seed}/req${i}`, x.request), appData(`${seed}/resp${i}`, x.response));
  });
  return close ? tcp.close(t + ms(30)) : t;
}

/** A whole TLS session: handshake, the ClientHello in MSS-sized segments, then `finishTlsSession`. */
export function tlsSession(tcp: TcpScript, t0: bigint, hello: Uint8Array, seed: string, exchanges: readonly TlsExchange[], close = true): bigint {
  const afterHandshake = tcp.handshake(t0);
  const afterHello = tcp.send('c2s', afterHandshake + ms(0.3), hello);
  return finishTlsSession(tcp, t0, afterHello, seed, exchanges, close);
}

/**
 * One HTTPS session over interface `iface` of a tunnel capture: the device's `port` (or `client`)
 * to `server`, a ClientHello naming `name` (seeded by the capture's `file`), one exchange.
 */
export function tunnelledTls(b: CaptureBuilder, file: string, iface: number, port: number, server: Endpoint, name: string, at: bigint, client = device(port)): TcpScript {
  const tcp = new TcpScript(b, iface, client, server, { clientIsn: 0x1000 * port, serverIsn: 0x2000 * port, rttMs: 20 });
  const hello = tlsClientHello({ seed: `${file}/${name}`, serverName: name, alpn: ['h2'] }).record;
  tlsSession(tcp, at, hello, `${file}/${name}`, [{ atMs: 60, request: 120, response: 600 }]);
  return tcp;
}

/** One plain HTTP request naming `host` over interface `iface` of a tunnel capture, from the device's `port` to `server`. */
export function tunnelledHttp(b: CaptureBuilder, iface: number, port: number, server: Endpoint, host: string, at: bigint): TcpScript {
  const tcp = new TcpScript(b, iface, device(port), server, { clientIsn: 0x1000 * port, serverIsn: 0x2000 * port, rttMs: 20 });
  const t = tcp.handshake(at);
  const done = tcp.exchange(t + ms(0.4), httpRequest('GET', '/config', [['Host', host], ['Accept', '*/*']]),
    httpResponse(200, 'OK', [['Content-Type', 'application/json']], '{"interval":300}'));
  tcp.close(done + ms(5));
  return tcp;
}

/** The summary expectation for a capture whose records were all read whole. */
export function summaryOf(records: readonly CaptureRecord[], input: { format: 'pcap' | 'pcapng'; link_types: string[] }, flows: number, dnsQueries: number, errorCodes: string[] = []): SummaryExpectation {
  return {
    packets: records.length,
    bytes: records.reduce((n, r) => n + (r.origLen ?? r.data.length), 0),
    flows,
    dns_queries: dnsQueries,
    device_ips: [], // filled in by buildCapture from the flows' device addresses
    inputs: [{ ...input, packets: records.length }],
    error_codes: errorCodes,
  };
}
