/**
 * The `app` names, in one place: what the packet engine can put in a record's `app`
 * (src/pipeline.ts and the extractors) and what a rule may name besides — the encrypted-DNS
 * kinds, matched against a TLS/QUIC flow's `encrypted_dns`. `rules lint` warns about any other
 * app, `learn` proposes only engine apps, and the policy reads the encrypted-DNS kinds.
 *
 * Data only: must never import the engine or the rule loader (lint and learn both load it).
 */

/** Apps recognised by content (src/pipeline.ts, src/extract/app-probes.ts, src/extract/dtls-client-hello.ts). */
const CONTENT = ['tls', 'http', 'dns', 'ntp', 'quic', 'ssh', 'mdns', 'llmnr', 'dhcp', 'bitcoin', 'smtp', 'imap', 'mqtt', 'stun', 'ssdp', 'dtls', 'wireguard', 'ike', 'openvpn', 'coap', 'nbns'];
/** Plaintext protocols that can switch to TLS (src/extract/tls-upgrade.ts), SOCKS, and DHCPv6. */
const UPGRADING = ['lmtp', 'pop3', 'ftp', 'nntp', 'sieve', 'xmpp', 'ldap', 'postgresql', 'mysql', 'socks', 'rdp', 'dhcpv6'];
/** Encrypted DNS (issue 7): not a flow's app, but a rule's, matched against `encrypted_dns`. */
const ENCRYPTED_DNS = ['dot', 'doq', 'doh'];
/** The carriers of UDP tunnels (their inner packets are flows of their own). */
const TUNNELS = ['vxlan', 'geneve', 'gtp-u', 'teredo', 'ayiya', 'vxlan-gpe', 'gre-in-udp', 'mpls-in-udp', 'capwap', 'tzsp', 'lisp', 'l2tp', 'gue'];

/**
 * Apps the engine only ever reports over one transport (a rule for the other can never match):
 * the TLS family, HTTP and the stream protocols over TCP; QUIC, NTP, DHCP, DTLS and the other
 * datagram protocols over UDP (DoH over QUIC is a `quic` flow, so `doh` is neither).
 */
export const TCP_ONLY_APPS: ReadonlySet<string> = new Set(['tls', 'http', 'ssh', 'bitcoin', 'smtp', 'imap', 'mqtt', 'lmtp', 'pop3', 'ftp', 'nntp', 'sieve', 'xmpp', 'postgresql', 'mysql', 'socks', 'dot']);
export const UDP_ONLY_APPS: ReadonlySet<string> = new Set(['quic', 'ntp', 'dhcp', 'dhcpv6', 'ssdp', 'dtls', 'wireguard', 'nbns', 'doq', ...TUNNELS]);

/** Apps the engine reports in a flow's `app`. */
export const ENGINE_APPS: ReadonlySet<string> = new Set([...CONTENT, ...UPGRADING, ...TUNNELS]);
/** Encrypted-DNS kinds a rule's `app` may name. */
export const ENCRYPTED_DNS_APPS: ReadonlySet<string> = new Set(ENCRYPTED_DNS);
/** Every app a rule may name; another value is probably a typo. */
export const KNOWN_APPS: ReadonlySet<string> = new Set([...CONTENT, ...UPGRADING, ...ENCRYPTED_DNS, ...TUNNELS]);
