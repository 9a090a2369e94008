/**
 * Server-side TLS test material: two real certificates made by OpenSSL 3.0 and builders for a
 * server's first flight (ServerHello, Certificate, ServerHelloDone) cut into records.
 */
import { concat } from './tls-builder';

/** `openssl req -x509 -newkey ec ... -config` with subjectAltName=critical,DNS:Gateway.Example.COM.,DNS:*.gw.example.com,IP:203.0.113.7,DNS:gateway.example.com. */
export const SAN_CERT = Uint8Array.from(Buffer.from('MIIB4zCCAYqgAwIBAgIUfwpCqSK28OCcdxAFcxKpsAcmhvEwCgYIKoZIzj0EAwIwODEYMBYGA1UECgwPRXhhbXBsZSBEZXZpY2VzMRwwGgYDVQQDDBNHYXRld2F5LkV4YW1wbGUuQ09NMB4XDTI2MTEyNDAzMjUxMloXDTM2MTEyMTAzMjUxMlowODEYMBYGA1UECgwPRXhhbXBsZSBEZXZpY2VzMRwwGgYDVQQDDBNHYXRld2F5LkV4YW1wbGUuQ09NMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8a/TjBjS4B1zo5eLjoZV+rY7iFVpcEjWyeNEZNQURowh1QDhaFiAyL4WDTLaQ4mqEYc1k2PZYSDODzX8OzgkcaNyMHAwTwYDVR0RAQH/BEUwQ4IUR2F0ZXdheS5FeGFtcGxlLkNPTS6CECouZ3cuZXhhbXBsZS5jb22HBMsAcQeCE2dhdGV3YXkuZXhhbXBsZS5jb20wHQYDVR0OBBYEFCTyJILaGTRSCv1Z49ML5YmsQ6ReMAoGCCqGSM49BAMCA0cAMEQCIAgu+NHeKzxpP1sPtEpDxBSbGfUAlZYzeqII4l3Ke7QYAiA6/e77UQvJOE95gPb1cuTwiak7u8RDAbFgySFyzO8Hig==', 'base64'));
/** `-subj "/C=DE/O=Old Firmware/CN=first.example.net/CN=legacy.example.net"`: OpenSSL's default extensions, no SAN. */
export const CN_CERT = Uint8Array.from(Buffer.from('MIICEDCCAbWgAwIBAgIUZf76iHoI7bZiJYF8eJVJWg4RyYQwCgYIKoZIzj0EAwIwXTELMAkGA1UEBhMCREUxFTATBgNVBAoMDE9sZCBGaXJtd2FyZTEaMBgGA1UEAwwRZmlyc3QuZXhhbXBsZS5uZXQxGzAZBgNVBAMMEmxlZ2FjeS5leGFtcGxlLm5ldDAeFw0yNjExMjQwMzI1MTJaFw0zNjExMjEwMzI1MTJaMF0xCzAJBgNVBAYTAkRFMRUwEwYDVQQKDAxPbGQgRmlybXdhcmUxGjAYBgNVBAMMEWZpcnN0LmV4YW1wbGUubmV0MRswGQYDVQQDDBJsZWdhY3kuZXhhbXBsZS5uZXQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARuIXdWSLOZpgHg+HLZYcOXu1zewzzLhTyCieInHBfnLiX9R8F3L3AFpDJuoZI0Uz7libXLwvt2inm+y8GX9Ez4o1MwUTAdBgNVHQ4EFgQUzFBS4C4YU6CWyX6lDI/7Q4phWsUwHwYDVR0jBBgwFoAUzFBS4C4YU6CWyX6lDI/7Q4phWsUwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAndE5lydioEKKZ+GgwGp7lsBG647aOZtD7RYXK+IATWsCIQCEkdrzTVBhhHvB0x9sDbDW1LQwrRqHJtQYpUf3Oe96Fg==', 'base64'));

export const u24 = (n: number): Uint8Array => Uint8Array.of(n >> 16, (n >> 8) & 0xff, n & 0xff);
export const u16 = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);
export const handshake = (type: number, body: Uint8Array): Uint8Array => concat(Uint8Array.of(type), u24(body.length), body);
/** A ServerHello (RFC 5246 §7.4.1.3); `tls13` adds supported_versions selecting 0x0304. */
export function serverHello(tls13: boolean): Uint8Array {
  const ext = tls13 ? concat(u16(0x002b), u16(2), u16(0x0304)) : concat(u16(0xff01), u16(1), Uint8Array.of(0));
  return handshake(2, concat(u16(0x0303), new Uint8Array(32).fill(9), Uint8Array.of(0), u16(0xc02b), Uint8Array.of(0), u16(ext.length), ext));
}
export const certificate = (...certs: Uint8Array[]): Uint8Array => {
  const list = concat(...certs.map((c) => concat(u24(c.length), c)));
  return handshake(11, concat(u24(list.length), list));
};
/** Handshake bytes as TLS records of at most `size` bytes each (RFC 5246 §6.2.1 fragmentation). */
export function records(hs: Uint8Array, size = 16384, type = 22): Uint8Array {
  const out: Uint8Array[] = [];
  for (let i = 0; i < hs.length; i += size) {
    const part = hs.subarray(i, Math.min(hs.length, i + size));
    out.push(concat(Uint8Array.of(type, 3, 3), u16(part.length), part));
  }
  return concat(...out);
}
export const flight12 = (): Uint8Array => concat(serverHello(false), certificate(SAN_CERT, CN_CERT), handshake(14, new Uint8Array(0)));
