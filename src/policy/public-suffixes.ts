/**
 * A small, documented excerpt of the Public Suffix List, used only by `lintPack` to warn about
 * `*.` patterns that would allow every registrant under a suffix (`*.com`, `*.co.uk`,
 * `*.github.io`). Never used for matching: a missing entry only means a missed warning.
 *
 * Source: Mozilla Public Suffix List, https://publicsuffix.org/list/public_suffix_list.dat
 * (ICANN section: generic TLDs and the ccTLDs and second-level suffixes seen most often in
 * device traffic; PRIVATE section: shared hosting and cloud suffixes where every customer gets
 * a subdomain). Excerpted by hand; extend it by copying lines from that file, never by guessing.
 */

/** Lowercase ASCII suffixes, no leading dot. */
export const PUBLIC_SUFFIXES: ReadonlySet<string> = new Set([
  // ICANN generic TLDs
  'com', 'net', 'org', 'edu', 'gov', 'mil', 'int', 'info', 'biz', 'name', 'pro', 'mobi',
  'io', 'co', 'me', 'tv', 'cc', 'ai', 'app', 'dev', 'cloud', 'online', 'site', 'xyz', 'top',
  'tech', 'store', 'shop', 'live', 'link', 'click', 'page', 'arpa', 'local',
  // ICANN country codes
  'uk', 'de', 'fr', 'nl', 'be', 'ch', 'at', 'it', 'es', 'pt', 'se', 'no', 'dk', 'fi', 'pl',
  'cz', 'ru', 'ua', 'us', 'ca', 'mx', 'br', 'ar', 'cl', 'au', 'nz', 'jp', 'cn', 'kr', 'in',
  'sg', 'hk', 'tw', 'za', 'eu', 'ie', 'il', 'tr', 'gr', 'ro', 'hu',
  // ICANN second-level suffixes
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'me.uk', 'ltd.uk', 'plc.uk',
  'com.au', 'net.au', 'org.au', 'edu.au', 'gov.au',
  'co.nz', 'org.nz', 'co.jp', 'ne.jp', 'or.jp', 'ac.jp',
  'com.br', 'net.br', 'org.br', 'com.cn', 'net.cn', 'org.cn', 'com.mx', 'com.ar',
  'co.in', 'net.in', 'org.in', 'co.za', 'com.sg', 'com.hk', 'com.tw', 'co.kr', 'com.tr',
  // PRIVATE section: hosting and cloud suffixes (every customer is a subdomain)
  'github.io', 'githubusercontent.com', 'gitlab.io', 'herokuapp.com', 'appspot.com',
  'blogspot.com', 'netlify.app', 'vercel.app', 'pages.dev', 'workers.dev', 'web.app',
  'firebaseapp.com', 'azurewebsites.net', 'cloudapp.net', 'cloudfront.net',
  's3.amazonaws.com', 'elasticbeanstalk.com', 'fly.dev', 'onrender.com', 'ngrok.io',
  'ngrok-free.app', 'duckdns.org', 'dyndns.org', 'no-ip.org', 'balena-devices.com',
]);

/** True when `suffix` (normalised, no leading dot) is a public suffix in the excerpt above. */
export function isPublicSuffix(suffix: string): boolean {
  return PUBLIC_SUFFIXES.has(suffix);
}
