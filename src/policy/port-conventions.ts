/**
 * The protocol a well-known port conventionally carries, and the check "a known protocol on an
 * unexpected port" (reason `protocol-mismatch`): TLS on 53, SSH on 443, HTTP on 8443, plain DNS
 * on a port that is not a DNS port, DNS to a unicast address on the mDNS port, SSH or a VPN on a
 * port with no convention. Used by the
 * policy per flow and per DNS record. Must only speak about ports listed here and apps the packet
 * engine really reports (content, not port): an unknown port or an unidentified flow is never a
 * mismatch.
 */

/** Apps the engine recognises by content (src/pipeline.ts); only these can contradict a port. */
export const CONTENT_APPS: ReadonlySet<string> = new Set([
  'tls', 'http', 'ssh', 'dns', 'mdns', 'llmnr', 'quic', 'ntp', 'bitcoin',
  // Found by content too (src/extract/app-probes.ts, src/extract/tls-upgrade.ts): SOCKS or MQTT
  // on 443 is a protocol moved to another port as much as SSH on 443 is.
  'mqtt', 'stun', 'ssdp', 'dhcp', 'dhcpv6', 'smtp', 'lmtp', 'imap', 'pop3', 'ftp', 'nntp', 'sieve', 'xmpp', 'ldap',
  'postgresql', 'mysql', 'socks', 'rdp', 'dtls',
  // VPN tunnels (src/extract/app-probes.ts): WireGuard or IKE on 443 is a tunnel dressed as web traffic.
  'wireguard', 'ike', 'openvpn',
  // CoAP and NetBIOS name service (src/extract/app-probes.ts), on their ports only.
  'coap', 'nbns',
]);

/**
 * Port → apps it conventionally carries, per transport (IANA service names registry). Kept to
 * ports whose protocol the engine can recognise and that devices use as documented; ports shared
 * by many protocols (8080, 5060, 9001, ...) are left out on purpose.
 */
const CONVENTIONS: ReadonlyMap<string, readonly string[]> = new Map([
  ['tcp/22', ['ssh']], // RFC 4253 §4
  ['tcp/53', ['dns']], ['udp/53', ['dns']], // RFC 1035 §4.2
  ['tcp/80', ['http']], // RFC 9110 §4.2.1
  ['udp/123', ['ntp']], // RFC 5905 §7.2
  // RFC 9110 §4.2.2; RFC 9114 §3.1 (HTTP/3). DTLS on UDP 443 is the data channel of TLS VPNs
  // (Cisco AnyConnect, OpenConnect, Fortinet), which open it beside their TLS session on TCP 443.
  ['tcp/443', ['tls']], ['udp/443', ['quic', 'dtls']],
  ['tcp/853', ['tls']], ['udp/853', ['quic', 'dtls']], // DoT RFC 7858 §3.1; DoQ RFC 9250 §4.1.1; DNS over DTLS RFC 8094 §3.1
  ['tcp/8443', ['tls']], ['udp/8443', ['quic']], // IANA "pcsync-https"; de facto HTTPS-alt
  ['udp/5353', ['dns']], // mDNS, RFC 6762 §3
  ['udp/5355', ['dns']], ['tcp/5355', ['dns']], // LLMNR, RFC 4795 §2
  ['tcp/8333', ['bitcoin']], ['tcp/18333', ['bitcoin']], // Bitcoin Core mainnet / testnet3
  ['tcp/25', ['smtp']], ['tcp/587', ['smtp']], // RFC 5321 §4.5.4.2 (relay); RFC 6409 §3.1 (submission, STARTTLS)
  ['tcp/110', ['pop3']], ['tcp/143', ['imap']], // RFC 1939 §3; RFC 9051 §1 (STARTTLS; 995/993 are TLS)
  ['tcp/21', ['ftp']], ['tcp/5222', ['xmpp']], // RFC 959 §5.2 / RFC 4217; RFC 6120 §14.7 (client-to-server)
  ['tcp/1883', ['mqtt']], // IANA "mqtt" (MQTT over TLS is 8883)
  ['udp/67', ['dhcp']], ['udp/68', ['dhcp']], ['udp/546', ['dhcpv6']], ['udp/547', ['dhcpv6']], // RFC 2131 §4.1; RFC 8415 §7.2
  ['udp/1900', ['ssdp']], ['udp/3478', ['stun']], // UPnP Device Architecture §1.3; RFC 8489 §9
  ['udp/137', ['nbns']], // RFC 1002 §4.2 (NetBIOS name service: Windows hosts, printers, NAS boxes)
  ['udp/5683', ['coap']], ['udp/5684', ['dtls']], // CoAP, and CoAP over DTLS, RFC 7252 §12.8 (LwM2M devices)
  ['udp/500', ['ike']], ['udp/4500', ['ike']], // RFC 7296 §2; RFC 3948 §2 (NAT traversal; ESP follows on the same port)
  ['udp/1194', ['openvpn']], ['tcp/1194', ['openvpn']], // IANA "openvpn"
  ['udp/51820', ['wireguard']], // WireGuard's default (wg(8)); not an IANA assignment, but what its documentation gives
  ['tcp/1080', ['socks']], ['tcp/3389', ['rdp']], // RFC 1928 §3; IANA "ms-wbt-server"
]);

/** Remote-access, proxy and VPN protocols: on a port with no convention they are a mismatch (checkPortConvention). */
const TUNNEL_APPS: ReadonlySet<string> = new Set(['ssh', 'socks', 'rdp', 'openvpn', 'wireguard', 'ike']);

/** Ports where DNS (plain, not encrypted) belongs: 53, mDNS 5353, LLMNR 5355. */
const DNS_PORTS: ReadonlySet<number> = new Set([53, 5353, 5355]);

/** How a port's protocol is named where the app name alone would mislead. */
const PORT_TEXT: Readonly<Record<string, string>> = { 'udp/5353': 'mDNS', 'udp/5355': 'LLMNR', 'tcp/5355': 'LLMNR' };

/** Display names for explanations. */
const APP_TEXT: Readonly<Record<string, string>> = {
  tls: 'TLS', http: 'plain HTTP', ssh: 'SSH', dns: 'DNS', mdns: 'mDNS', llmnr: 'LLMNR', quic: 'QUIC', ntp: 'NTP', bitcoin: 'Bitcoin P2P',
  mqtt: 'MQTT', stun: 'STUN', ssdp: 'SSDP', dhcp: 'DHCP', dhcpv6: 'DHCPv6', smtp: 'SMTP', lmtp: 'LMTP', imap: 'IMAP', pop3: 'POP3',
  ftp: 'FTP', nntp: 'NNTP', sieve: 'ManageSieve', xmpp: 'XMPP', ldap: 'LDAP', postgresql: 'PostgreSQL', mysql: 'MySQL', socks: 'SOCKS',
  rdp: 'RDP', dtls: 'DTLS', wireguard: 'WireGuard', ike: 'IKE (IPsec)', openvpn: 'OpenVPN', coap: 'CoAP', nbns: 'NetBIOS name service',
};

/** How an app is named in an explanation ("TLS", "plain HTTP", ...). */
export function appText(app: string): string {
  return APP_TEXT[app] ?? app;
}

/** A protocol found where the port says another one belongs. */
export interface PortMismatch {
  /** What the content is (an app, or "dns" for unicast DNS on the mDNS port). */
  readonly found: string;
  /** One sentence naming the protocol found and what the port is for. */
  readonly text: string;
}

/**
 * Checks one flow or DNS record: `port` is the service port (remote for egress, device for
 * inbound); `unicastRemote` is true when the other end is not multicast, broadcast or link-local.
 * Returns null when the port has no convention, the app is not a content app, or they agree.
 */
export function checkPortConvention(proto: 'tcp' | 'udp', port: number, app: string | null, unicastRemote: boolean): PortMismatch | null {
  if (app === null || !CONTENT_APPS.has(app)) return null;
  // mDNS is link-local multicast (RFC 6762 §3, §5): DNS on 5353 sent to a unicast address is a
  // DNS service moved to another port, not mDNS.
  if (app === 'mdns' && unicastRemote && port === 5353) {
    return { found: 'dns', text: `The content is DNS sent to a unicast address on port 5353, which is for mDNS (link-local multicast, RFC 6762).` };
  }
  // The engine names DNS on 5353 and 5355 by port (mdns, llmnr): as content they are all DNS.
  const content = app === 'mdns' || app === 'llmnr' ? 'dns' : app;
  const key = `${proto}/${port}`;
  const expected = CONVENTIONS.get(key);
  if (expected !== undefined) {
    if (expected.includes(content)) return null;
    return { found: app, text: `The content is ${appText(app)}, but ${proto.toUpperCase()} port ${port} is for ${PORT_TEXT[key] ?? expected.map(appText).join(' or ')}.` };
  }
  if (content === 'dns' && !DNS_PORTS.has(port)) {
    return { found: 'dns', text: `The content is plain DNS on ${proto.toUpperCase()} port ${port}, not on a DNS port (53).` };
  }
  // Remote access, proxies and VPNs on a port with no convention: a rule that documents a port
  // without naming a protocol ("Ookla on 8080 and 5060", "Tor on 9001") does not document a
  // shell or a tunnel through it; one that does says so with `app:`.
  if (TUNNEL_APPS.has(content)) {
    return { found: app, text: `The content is ${appText(app)}, a remote-access or tunnel protocol, on ${proto.toUpperCase()} port ${port}, which is not its port (a rule that documents it there says \`app: ${app}\`).` };
  }
  return null;
}
