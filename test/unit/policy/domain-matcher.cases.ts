/**
 * The one table of domain-pattern cases that every matcher implementation must pass
 * (hono's common.case.test.ts habit). Each row: patterns, host, expected match (the pattern
 * text reported, or null), and why. Add a row here, never a one-off test in one matcher's file.
 */
export type DomainCase = readonly [patterns: readonly string[], host: string, expected: string | null, why: string];

export const DOMAIN_CASES: readonly DomainCase[] = [
  // Wildcard semantics (the project's documented choice).
  [['*.example.com'], 'a.example.com', '*.example.com', 'one label under the wildcard'],
  [['*.example.com'], 'example.com', null, 'the wildcard needs at least one label: the apex is never matched'],
  [['*.example.com'], 'a.b.example.com', '*.example.com', 'the wildcard spans several labels'],
  [['*.example.com', 'example.com'], 'example.com', 'example.com', 'the apex must be listed on its own'],
  [['example.com'], 'a.example.com', null, 'an exact name does not match its subdomains'],
  [['example.com'], 'example.com', 'example.com', 'exact match'],
  // Look-alikes from the issue and the vendor documents.
  [['*.nebra.com'], 'notnebra.com', null, 'a suffix match must start at a label boundary'],
  [['*.nebra.com'], 'api.notnebra.com', null, 'label boundary, one level down'],
  [['*.nebra.com'], 'nebra.com.evil.net', null, 'the documented name as a prefix of another domain'],
  [['*.nebra.com'], 'telemetry.nebra.com.tracker-cdn.net', null, 'the corpus-sim run-2 look-alike'],
  [['*.balena-cloud.com'], 'xbalena-cloud.com', null, 'one extra character glued to the label'],
  [['*.balena-cloud.com'], 'api.balena-cloud.com', '*.balena-cloud.com', 'the real update server'],
  [['*.mlab-oti.measurement-lab.org'], 'mlab-oti.measurement-lab.org.phish.net', null, 'documented suffix inside a phishing domain'],
  [['*.mlab-oti.measurement-lab.org'], 'ndt-mlab1-lga03.mlab-oti.measurement-lab.org', '*.mlab-oti.measurement-lab.org', 'an NDT7 server'],
  [['*.mlab-oti.measurement-lab.org'], 'measurement-lab.org', null, 'a parent of the wildcard suffix'],
  [['*.mlab-oti.measurement-lab.org'], 'xmlab-oti.measurement-lab.org', null, 'glued label at the wildcard suffix'],
  // Normalisation: case, trailing dot, whitespace.
  [['example.com'], 'EXAMPLE.com.', 'example.com', 'case and one trailing dot are ignored'],
  [['EXAMPLE.COM.'], 'example.com', 'example.com', 'patterns are normalised too'],
  [['*.Example.Com'], 'A.EXAMPLE.COM', '*.example.com', 'wildcard patterns ignore case'],
  [['example.com'], 'example.com..', null, 'two trailing dots are an empty label'],
  // Empty labels and junk never match.
  [['*.example.com'], 'a..example.com', null, 'an empty label makes the name invalid'],
  [['*.example.com'], '.example.com', null, 'a leading empty label is not a label'],
  [['example.com'], '', null, 'the empty name'],
  [['*.example.com'], 'a b.example.com', null, 'spaces are not allowed in names'],
  [['*.example.com'], `${'a'.repeat(64)}.example.com`, null, 'a label longer than 63 octets (RFC 1035 §2.3.4)'],
  // URL delimiters, escapes and IDNA mappings must not turn a name under another domain into a
  // documented one (URL host parsing cut `a/.b` at the slash, decoded `%41`, dropped tabs and
  // zero-width spaces, and read a fullwidth dot as a label separator).
  [['*.nebra.com'], 'api.nebra.com/.attacker.net', null, 'a slash is no URL path here: the name is under attacker.net'],
  [['*.nebra.com'], 'api.nebra.com?.attacker.net', null, 'a question mark'],
  [['*.nebra.com'], 'api.nebra.com#.attacker.net', null, 'a number sign'],
  [['*.nebra.com'], 'api.nebra.com\\092.attacker.net', null, 'an escaped byte (the report text of a backslash)'],
  [['*.nebra.com'], 'api.nebra.com\\010.attacker.net', null, 'an escaped line feed'],
  [['*.nebra.com'], 'api.nebra.com@attacker.net', null, 'userinfo syntax'],
  [['example.com'], 'ex%61mple.com', null, 'percent-encoding is not decoded'],
  [['example.com'], 'exa\tmple.com', null, 'a tab inside a label is kept, not dropped'],
  [['ab.example.com'], 'a\u200bb.example.com', null, 'a zero-width space inside a label is kept, not dropped'],
  [['*.nebra.com'], 'attacker\u3002nebra.com', null, 'a fullwidth dot is part of its label, not a separator'],
  [['foo.com'], '\uff46\uff4f\uff4f.com', null, 'fullwidth letters are not their ASCII look-alikes'],
  // IDN: compared in punycode (node:url domainToASCII).
  [['bücher.example'], 'xn--bcher-kva.example', 'xn--bcher-kva.example', 'Unicode pattern, punycode name'],
  [['xn--bcher-kva.example'], 'BÜCHER.example', 'xn--bcher-kva.example', 'punycode pattern, Unicode name in capitals'],
  [['*.bücher.example'], 'shop.xn--bcher-kva.example', '*.xn--bcher-kva.example', 'IDN wildcard suffix'],
  [['bücher.example'], 'bucher.example', null, 'the ASCII look-alike is another name'],
  // Several patterns: exact wins over wildcard, the most specific wildcard is reported.
  [['*.example.com', '*.a.example.com'], 'x.a.example.com', '*.a.example.com', 'most specific wildcard'],
  [['*.example.com', 'x.a.example.com'], 'x.a.example.com', 'x.a.example.com', 'exact beats wildcard'],
  [['*.docker.com', '*.docker.io'], 'registry-1.docker.io', '*.docker.io', 'second pattern of a list'],
  [['*.docker.com', '*.docker.io'], 'docker.io', null, 'apex of the second pattern'],
  [[], 'example.com', null, 'no patterns match nothing'],
  // Underscore service labels exist on the wire (mDNS, SRV).
  [['*.local'], '_http._tcp.local', '*.local', 'service labels'],
];
