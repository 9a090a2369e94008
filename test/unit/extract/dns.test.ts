/**
 * DNS message parser: vectors with hexdumps (built by hand to RFC 1035 layout; the realistic
 * ones mirror what dig/systemd-resolved send), one commented adversarial case per failure mode,
 * mDNS/LLMNR, DNS over TCP framing, and the type/rcode tables.
 */
import { A, AnomalyCounters, ANOMALY_NAMES } from '../../../src/anomalies';
import {
  DnsMessageStore, DnsNameReader, DNS_MAX_RECORDS_PER_SECTION, DNS_FLAG_TC, LLMNR_FLAG_C, LLMNR_FLAG_T, MDNS_CLASS_TOP_BIT,
  dnsRcodeName, dnsTypeName, formatIpv6, isLlmnrPort, isMdnsPort, parseDnsMessage, splitDnsTcpStream,
} from '../../../src/extract/dns';
import { bytes, header, hex, typeClass, wireName } from './dns-fixtures';
import type { DnsAnswer } from '../../../src/extract/dns';
import { parseIpv6 } from '../../../src/net/addr';

/**
 * Answers without their `addr` words, which are checked here against the address text, so the
 * record tables below stay readable.
 */
function withoutAddr(answers: DnsAnswer[] | undefined): Omit<DnsAnswer, 'addr'>[] | undefined {
  return answers?.map(({ addr, ...rest }) => {
    if (rest.type === 1) expect(addr).toEqual([0, 0, 0, rest.data.split('.').reduce((x, o) => x * 256 + Number(o), 0)]);
    else if (rest.type === 28) expect(addr).toEqual(parseIpv6(rest.data));
    else expect(addr).toBeUndefined();
    return rest;
  });
}

function parse(buf: Uint8Array, wantAnswers = true, names = new DnsNameReader()) {
  const anomalies = new AnomalyCounters();
  const msg = parseDnsMessage(buf, 0, buf.length, anomalies, wantAnswers, names);
  return { msg, anomalies: anomalies.toRecord() };
}

// dig +edns example.com A: one question, OPT (UDP size 1232) in the additional section.
// 0000  12 34 01 00 00 01 00 00 00 00 00 01 07 65 78 61  .4...........exa
// 0010  6d 70 6c 65 03 63 6f 6d 00 00 01 00 01 00 00 29  mple.com.......)
// 0020  04 d0 00 00 00 00 00 00                          ........
const QUERY_A_EDNS = hex`12340100000100000000000107657861 6d706c6503636f6d0000010001000029 04d0000000000000`;

// AAAA query with mixed case (0x20 randomisation, draft-vixie-dnsext-dns0x20): reported lowercase.
// 0000  12 35 01 00 00 01 00 00 00 00 00 01 07 45 78 61  .5...........Exa
// 0010  6d 70 6c 65 03 43 4f 4d 00 00 1c 00 01 00 00 29  mple.COM.......)
// 0020  04 d0 00 00 00 00 00 00                          ........
const QUERY_AAAA_EDNS = hex`12350100000100000000000107457861 6d706c6503434f4d00001c0001000029 04d0000000000000`;

// HTTPS (type 65) query with AD bit and EDNS0 UDP size 4096, as browsers send before a TLS connect.
// 0000  12 36 01 20 00 01 00 00 00 00 00 01 0e 63 6c 6f  .6. .........clo
// 0010  75 64 66 6c 61 72 65 2d 65 63 68 03 63 6f 6d 00  udflare-ech.com.
// 0020  00 41 00 01 00 00 29 10 00 00 00 00 00 00 00     .A....)........
const QUERY_HTTPS_EDNS = hex`1236012000010000000000010e636c6f 7564666c6172652d65636803636f6d00 004100010000291000000000000000`;

// Response: www.example.com AAAA? → CNAME edge.cdn.example.net (owner = pointer to 0x0c)
// → CNAME eu.cdn.example.net ("eu" + pointer to 0x32 inside the first CNAME's RDATA)
// → A 93.184.216.34 and AAAA 2606:2800:220:1:248:1893:25c8:1946 (owners = pointer to 0x4f);
// the AAAA TTL is 0xfffffff0 to check unsigned 32-bit TTLs.
// 0000  be ef 81 80 00 01 00 04 00 00 00 00 03 77 77 77  .............www
// 0010  07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 1c 00  .example.com....
// 0020  01 c0 0c 00 05 00 01 00 00 01 2c 00 16 04 65 64  ..........,...ed
// 0030  67 65 03 63 64 6e 07 65 78 61 6d 70 6c 65 03 6e  ge.cdn.example.n
// 0040  65 74 00 c0 2d 00 05 00 01 00 00 00 3c 00 05 02  et..-.......<...
// 0050  65 75 c0 32 c0 4f 00 01 00 01 00 00 00 14 00 04  eu.2.O..........
// 0060  5d b8 d8 22 c0 4f 00 1c 00 01 ff ff ff f0 00 10  ]..".O..........
// 0070  26 06 28 00 02 20 00 01 02 48 18 93 25 c8 19 46  &.(.. ...H..%..F
const RESPONSE_CNAME_CHAIN = hex`beef8180000100040000000003777777 076578616d706c6503636f6d00001c00
  01c00c000500010000012c0016046564 67650363646e076578616d706c65036e 657400c02d000500010000003c000502
  6575c032c04f00010001000000140004 5db8d822c04f001c0001fffffff00010 26062800022000010248189325c81946`;

// NXDOMAIN (rcode 3) for nope.example with the zone's SOA in the authority section.
// 0000  0b ad 81 83 00 01 00 00 00 01 00 00 04 6e 6f 70  .............nop
// 0010  65 07 65 78 61 6d 70 6c 65 00 00 01 00 01 c0 11  e.example.......
// 0020  00 06 00 01 00 00 03 84 00 34 02 6e 73 07 65 78  .........4.ns.ex
// 0030  61 6d 70 6c 65 00 0a 68 6f 73 74 6d 61 73 74 65  ample..hostmaste
// 0040  72 07 65 78 61 6d 70 6c 65 00 78 a3 f1 75 00 00  r.example.x..u..
// 0050  1c 20 00 00 0e 10 00 12 75 00 00 00 01 2c        . ......u....,
const RESPONSE_NXDOMAIN = hex`0bad81830001000000010000046e6f70 65076578616d706c650000010001c011
  00060001000003840034026e73076578 616d706c65000a686f73746d61737465 72076578616d706c650078a3f1750000
  1c2000000e10001275000000012c`;

// HTTPS answer (RFC 9460): priority 1, target ".", alpn=h3,h2, ipv4hint=104.18.10.118,
// ech=<14-byte ECHConfigList stub>, ipv6hint=2606:4700::6812:a76.
// 0000  17 d0 81 80 00 01 00 01 00 00 00 00 0e 63 6c 6f  .............clo
// 0010  75 64 66 6c 61 72 65 2d 65 63 68 03 63 6f 6d 00  udflare-ech.com.
// 0020  00 41 00 01 c0 0c 00 41 00 01 00 00 01 2c 00 3b  .A.....A.....,.;
// 0030  00 01 00 00 01 00 06 02 68 33 02 68 32 00 04 00  ........h3.h2...
// 0040  04 68 12 0a 76 00 05 00 0e 00 45 fe 0d 00 41 11  .h..v.....E...A.
// 0050  11 11 11 11 11 11 11 00 06 00 10 26 06 47 00 00  ...........&.G..
// 0060  00 00 00 00 00 00 00 68 12 0a 76                 .......h..v
const RESPONSE_HTTPS_ECH = hex`17d0818000010001000000000e636c6f 7564666c6172652d65636803636f6d00
  00410001c00c004100010000012c003b 00010000010006026833026832000400 0468120a760005000e0045fe0d004111
  11111111111111000600102606470000 0000000000000068120a76`;

// ANY response for example.org: MX 10 mail.example.org; TXT "v=spf1 -all" "a\"b\\c";
// SRV 5 20 5061 sip.example.org owned by _sips._tcp.example.org.
// 0000  42 42 81 80 00 01 00 03 00 00 00 00 07 65 78 61  BB...........exa
// 0010  6d 70 6c 65 03 6f 72 67 00 00 ff 00 01 c0 0c 00  mple.org........
// 0020  0f 00 01 00 00 0e 10 00 09 00 0a 04 6d 61 69 6c  ............mail
// 0030  c0 0c c0 0c 00 10 00 01 00 00 0e 10 00 12 0b 76  ...............v
// 0040  3d 73 70 66 31 20 2d 61 6c 6c 05 61 22 62 5c 63  =spf1 -all.a"b\c
// 0050  05 5f 73 69 70 73 04 5f 74 63 70 c0 0c 00 21 00  ._sips._tcp...!.
// 0060  01 00 01 51 80 00 0c 00 05 00 14 13 c5 03 73 69  ...Q..........si
// 0070  70 c0 0c                                         p..
const RESPONSE_MX_TXT_SRV = hex`42428180000100030000000007657861 6d706c65036f72670000ff0001c00c00
  0f000100000e100009000a046d61696c c00cc00c0010000100000e1000120b76 3d73706631202d616c6c056122625c63
  055f73697073045f746370c00c002100 0100015180000c0005001413c5037369 70c00c`;

// mDNS announcement (RFC 6762): id 0, AA, no questions; AAAA with the cache-flush bit
// (class 0x8001) and a PTR for the _ipp._tcp service with a mixed-case instance name.
// 0000  00 00 84 00 00 00 00 02 00 00 00 00 07 70 72 69  .............pri
// 0010  6e 74 65 72 05 6c 6f 63 61 6c 00 00 1c 80 01 00  nter.local......
// 0020  00 00 78 00 10 fe 80 00 00 00 00 00 00 00 00 00  ..x.............
// 0030  00 00 00 00 01 04 5f 69 70 70 04 5f 74 63 70 05  ......_ipp._tcp.
// 0040  6c 6f 63 61 6c 00 00 0c 00 01 00 00 11 94 00 19  local...........
// 0050  07 50 72 69 6e 74 65 72 04 5f 69 70 70 04 5f 74  .Printer._ipp._t
// 0060  63 70 05 6c 6f 63 61 6c 00                       cp.local.
const MDNS_RESPONSE = hex`00008400000000020000000007707269 6e746572056c6f63616c00001c800100
  0000780010fe80000000000000000000 0000000001045f697070045f74637005 6c6f63616c00000c0001000011940019
  075072696e746572045f697070045f74 6370056c6f63616c00`;

// LLMNR query (RFC 4795) for "wpad": flags 0 (QR=0, C=0, TC=0, T=0), sent to 224.0.0.252:5355.
// 0000  9a 1f 00 00 00 01 00 00 00 00 00 00 04 77 70 61  .............wpa
// 0010  64 00 00 01 00 01                                d.....
const LLMNR_QUERY = hex`9a1f0000000100000000000004777061 640000010001`;

describe('parseDnsMessage: queries', () => {
  test('A query with EDNS0', () => {
    const { msg, anomalies } = parse(QUERY_A_EDNS);
    expect(msg).toMatchObject({ id: 0x1234, response: false, opcode: 0, rcode: 0, qdcount: 1, arcount: 1, complete: true, answers: [] });
    expect(msg?.questions).toEqual([{ name: 'example.com', type: 1, qclass: 1 }]);
    expect(anomalies).toEqual({});
  });

  test('AAAA query: mixed case is reported lowercase', () => {
    expect(parse(QUERY_AAAA_EDNS).msg?.questions).toEqual([{ name: 'example.com', type: 28, qclass: 1 }]);
  });

  test('HTTPS query', () => {
    const { msg } = parse(QUERY_HTTPS_EDNS);
    expect(msg?.questions).toEqual([{ name: 'cloudflare-ech.com', type: 65, qclass: 1 }]);
    expect(msg?.flags).toBe(0x0120);
  });

  test('offset and length select the message inside a larger buffer', () => {
    const framed = bytes([0xaa, 0xbb, 0xcc], [...QUERY_A_EDNS], [0xff, 0xff]);
    const msg = parseDnsMessage(framed, 3, QUERY_A_EDNS.length, new AnomalyCounters(), false);
    expect(msg?.questions[0].name).toBe('example.com');
  });
});

describe('parseDnsMessage: responses', () => {
  test('compressed CNAME chain + A + AAAA', () => {
    const { msg, anomalies } = parse(RESPONSE_CNAME_CHAIN);
    expect(anomalies).toEqual({});
    expect(msg?.response).toBe(true);
    expect(msg?.questions).toEqual([{ name: 'www.example.com', type: 28, qclass: 1 }]);
    expect(withoutAddr(msg?.answers)).toEqual([
      { name: 'www.example.com', type: 5, class: 1, ttl: 300, data: 'edge.cdn.example.net' },
      { name: 'edge.cdn.example.net', type: 5, class: 1, ttl: 60, data: 'eu.cdn.example.net' },
      { name: 'eu.cdn.example.net', type: 1, class: 1, ttl: 20, data: '93.184.216.34' },
      { name: 'eu.cdn.example.net', type: 28, class: 1, ttl: 0xfffffff0, data: '2606:2800:220:1:248:1893:25c8:1946' },
    ]);
  });

  test('answers are skipped unless asked for', () => {
    const { msg } = parse(RESPONSE_CNAME_CHAIN, false);
    expect(withoutAddr(msg?.answers)).toEqual([]);
    expect(msg?.ancount).toBe(4);
  });

  test('NXDOMAIN: rcode 3, no answers', () => {
    const { msg, anomalies } = parse(RESPONSE_NXDOMAIN);
    expect(msg).toMatchObject({ id: 0x0bad, response: true, rcode: 3, answers: [], nscount: 1 });
    expect(dnsRcodeName(msg!.rcode)).toBe('NXDOMAIN');
    expect(msg?.questions).toEqual([{ name: 'nope.example', type: 1, qclass: 1 }]);
    expect(anomalies).toEqual({});
  });

  test('HTTPS answer with an ech SvcParam', () => {
    const { msg, anomalies } = parse(RESPONSE_HTTPS_ECH);
    expect(anomalies).toEqual({});
    expect(withoutAddr(msg?.answers)).toEqual([{
      name: 'cloudflare-ech.com', type: 65, class: 1, ttl: 300, ech: true,
      data: '1 . alpn=h3,h2 ipv4hint=104.18.10.118 ech=AEX+DQBBERERERERERE= ipv6hint=2606:4700::6812:a76',
    }]);
  });

  test('HTTPS answer without ech', () => {
    // Same record with the ech param (4 + 14 bytes at 0x45) removed: RDLENGTH 0x3b - 18 = 0x29.
    const b = [...RESPONSE_HTTPS_ECH];
    b.splice(0x45, 18);
    b[0x2f] = 0x29;
    const { msg, anomalies } = parse(Uint8Array.from(b));
    expect(anomalies).toEqual({});
    expect(msg?.answers[0]).toMatchObject({ ech: false, data: '1 . alpn=h3,h2 ipv4hint=104.18.10.118 ipv6hint=2606:4700::6812:a76' });
  });

  test('MX, TXT and SRV via dns-packet, names through our own reader', () => {
    const { msg, anomalies } = parse(RESPONSE_MX_TXT_SRV);
    expect(anomalies).toEqual({});
    expect(withoutAddr(msg?.answers)).toEqual([
      { name: 'example.org', type: 15, class: 1, ttl: 3600, data: '10 mail.example.org' },
      { name: 'example.org', type: 16, class: 1, ttl: 3600, data: '"v=spf1 -all" "a\\"b\\\\c"' },
      { name: '_sips._tcp.example.org', type: 33, class: 1, ttl: 86400, data: '5 20 5061 sip.example.org' },
    ]);
  });

  test('dns-packet rejecting the message: dns.malformed_answer, generic RDATA kept, own types intact', () => {
    // Answer 1: A 192.0.2.1; answer 2: MX whose exchange has a forward pointer (0xc0 0x7f),
    // which dns-packet throws on ("bad pointer").
    const buf = bytes(header(7, 0x8180, 1, 2), wireName('a', 'test'), typeClass(1),
      [0xc0, 0x0c], typeClass(1), [0, 0, 0, 60, 0, 4, 192, 0, 2, 1],
      [0xc0, 0x0c], typeClass(15), [0, 0, 0, 60, 0, 4, 0, 10, 0xc0, 0x7f]);
    const { msg, anomalies } = parse(buf);
    expect(anomalies).toEqual({ 'dns.malformed_answer': 1 });
    expect(withoutAddr(msg?.answers)).toEqual([
      { name: 'a.test', type: 1, class: 1, ttl: 60, data: '192.0.2.1' },
      { name: 'a.test', type: 15, class: 1, ttl: 60, data: '\\# 4 000ac07f' },
    ]);
  });

  test('an A record with a 5-byte RDATA is malformed but does not stop the section', () => {
    const buf = bytes(header(8, 0x8180, 1, 2), wireName('b', 'test'), typeClass(1),
      [0xc0, 0x0c], typeClass(1), [0, 0, 0, 1, 0, 5, 1, 2, 3, 4, 5],
      [0xc0, 0x0c], typeClass(1), [0, 0, 0, 1, 0, 4, 10, 0, 0, 1]);
    const { msg, anomalies } = parse(buf);
    expect(anomalies).toEqual({ 'dns.malformed_answer': 1 });
    expect(msg?.answers.map((a) => a.data)).toEqual(['\\# 5 0102030405', '10.0.0.1']);
    expect(msg?.complete).toBe(true);
  });
});

describe('names: odd bytes are escaped, never dropped (RFC 4343 §2.1)', () => {
  function qname(...labels: Array<string | number[]>): string | undefined {
    return parse(bytes(header(1, 0x0100, 1), wireName(...labels), typeClass(1))).msg?.questions[0]?.name;
  }
  test('\\000 inside a label', () => expect(qname([0x61, 0x00, 0x62], 'com')).toBe('a\\000b.com'));
  test('space: text, as in DNS-SD instance names (RFC 6763 §4.1.1)', () => expect(qname('my host', 'local')).toBe('my host.local'));
  test('dot inside a label is not a separator', () => expect(qname('a.b', 'example')).toBe('a\\046b.example'));
  test('backslash', () => expect(qname('a\\b', 'example')).toBe('a\\092b.example'));
  test('well-formed UTF-8 (mDNS names, RFC 6762 §16) is text, lowercased like ASCII', () => {
    expect(qname([...Buffer.from('café', 'utf8')], 'fr')).toBe('café.fr');
    expect(qname([...Buffer.from('John\u2019s MacBook Pro', 'utf8')], '_companion-link', '_tcp', 'local')).toBe('john\u2019s macbook pro._companion-link._tcp.local');
    expect(qname([...Buffer.from('Ä日本\u{1F600}', 'utf8')], 'local')).toBe('ä日本\u{1F600}.local');
  });
  test('bytes that are not well-formed UTF-8 stay escaped, each byte', () => {
    expect(qname([0x63, 0xe9, 0x66], 'fr')).toBe('c\\233f.fr'); // Latin-1 é
    expect(qname([0xc0, 0xa1], 'x')).toBe('\\192\\161.x'); // overlong '!'
    expect(qname([0xed, 0xa0, 0x80], 'x')).toBe('\\237\\160\\128.x'); // a UTF-16 surrogate
    expect(qname([0xf4, 0x90, 0x80, 0x80], 'x')).toBe('\\244\\144\\128\\128.x'); // past U+10FFFF
    expect(qname([0xe2, 0x80], 'x')).toBe('\\226\\128.x'); // cut short
  });
  test('hidden characters stay escaped: bidi controls, zero-width, C1 controls, spaces other than U+0020', () => {
    expect(qname([...Buffer.from('a\u202Eb', 'utf8')], 'x')).toBe('a\\226\\128\\174b.x');
    expect(qname([...Buffer.from('a\u200Bb', 'utf8')], 'x')).toBe('a\\226\\128\\139b.x');
    expect(qname([...Buffer.from('a\u0085b', 'utf8')], 'x')).toBe('a\\194\\133b.x');
    expect(qname([...Buffer.from('a\u00A0b', 'utf8')], 'x')).toBe('a\\194\\160b.x');
  });
  test('uppercase letters lowercased, other printable ASCII kept', () => expect(qname('A-Z_0~9*', 'COM')).toBe('a-z_0~9*.com'));
  test('root name is "."', () => expect(qname()).toBe('.'));
  test('63-byte label and 255-byte name are accepted (the limits themselves)', () => {
    expect(qname('x'.repeat(63), 'com')).toBe(`${'x'.repeat(63)}.com`);
    // 3 × (1+63) + (1+61) + 1 = 255 octets.
    const name = qname('a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61));
    expect(name?.length).toBe(253);
  });
});

describe('answer owners that point at the question name', () => {
  // A response with one question and two A answers whose owners are bare pointers (0xC00C) to it.
  const response = (qname: string): Uint8Array => bytes(
    header(0x4242, 0x8180, 1, 2),
    wireName(...qname.split('.')), typeClass(1),
    [0xc0, 0x0c], typeClass(1), [0, 0, 0, 60, 0, 4, 192, 0, 2, 1],
    [0xc0, 0x0c], typeClass(1), [0, 0, 0, 60, 0, 4, 192, 0, 2, 2],
  );

  test('take the question name, and the next message in the same buffer gets its own', () => {
    const names = new DnsNameReader();
    // Both messages are parsed from one reused buffer at the same offset, as a capture's read
    // window is: a name remembered from the first must not answer for the second.
    const buf = new Uint8Array(128);
    const first = response('one.example');
    const second = response('two.example'); // same length and layout, other name
    buf.set(first, 0);
    const m1 = parseDnsMessage(buf, 0, first.length, new AnomalyCounters(), true, names);
    expect(m1?.answers.map((a) => a.name)).toEqual(['one.example', 'one.example']);
    buf.set(second, 0);
    const m2 = parseDnsMessage(buf, 0, second.length, new AnomalyCounters(), true, names);
    expect(m2?.questions[0].name).toBe('two.example');
    expect(m2?.answers.map((a) => a.name)).toEqual(['two.example', 'two.example']);
  });

  test('a name remembered from one message never answers for the next', () => {
    const names = new DnsNameReader();
    // The second message's question name is over 255 octets: unreadable, but stepped over, so
    // its answer is read and its owner points at that bad name. Read afresh, the owner fails too
    // and the answer is left out; a name remembered from the first message (same buffer, offset
    // and length) must not stand in for it.
    const long = Array.from({ length: 5 }, () => 'x'.repeat(60));
    const second = bytes(
      header(0x4343, 0x8180, 1, 1),
      wireName(...long), typeClass(1),
      [0xc0, 0x0c], typeClass(1), [0, 0, 0, 60, 0, 4, 192, 0, 2, 3],
    );
    const first = new Uint8Array(second.length);
    first.set(response('one.example'), 0); // trailing zero bytes: ignored after the sections
    const buf = new Uint8Array(second.length);
    buf.set(first, 0);
    const m1 = parseDnsMessage(buf, 0, buf.length, new AnomalyCounters(), true, names);
    expect(m1?.answers.map((a) => a.name)).toEqual(['one.example', 'one.example']);
    buf.set(second, 0);
    const anomalies = new AnomalyCounters();
    const m2 = parseDnsMessage(buf, 0, buf.length, anomalies, true, names);
    expect(m2?.questions).toEqual([]);
    expect(m2?.answers).toEqual([]);
    expect(anomalies.toRecord()['dns.name_too_long']).toBe(2);
  });

  test('a message cut inside an answer owner\'s pointer keeps the answers before it', () => {
    const names = new DnsNameReader();
    const full = response('one.example');
    // Cut after the first byte of the second answer's pointer: the owner cannot be read.
    const cut = full.length - 15;
    const anomalies = new AnomalyCounters();
    const m = parseDnsMessage(full, 0, cut, anomalies, true, names);
    expect(m?.answers.map((a) => a.name)).toEqual(['one.example']);
    expect(m?.complete).toBe(false);
    expect(anomalies.toRecord()['dns.truncated']).toBe(1);
  });
});

describe('parsing into a reused store', () => {
  test('each message reads as a fresh parse would, and leaves nothing of the one before', () => {
    const store = new DnsMessageStore();
    const names = new DnsNameReader();
    const fresh = (b: Uint8Array) => JSON.stringify(parseDnsMessage(b, 0, b.length, new AnomalyCounters(), true, names));
    const stored = (b: Uint8Array) => JSON.stringify(parseDnsMessage(b, 0, b.length, new AnomalyCounters(), true, names, store));
    // Three answers with addresses, then a query with no answers, then a CNAME chain, then the first again.
    const a3 = bytes(
      header(1, 0x8180, 1, 3), wireName('a', 'example'), typeClass(1),
      [0xc0, 0x0c], typeClass(1), [0, 0, 0, 60, 0, 4, 192, 0, 2, 1],
      [0xc0, 0x0c], typeClass(28), [0, 0, 0, 60, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
      [0xc0, 0x0c], typeClass(1), [0, 0, 0, 60, 0, 4, 198, 51, 100, 7],
    );
    const query = bytes(header(2, 0x0100, 1), wireName('b', 'example'), typeClass(28));
    const cname = bytes(
      header(3, 0x8180, 1, 1), wireName('c', 'example'), typeClass(1),
      [0xc0, 0x0c], typeClass(5), [0, 0, 1, 0, 0, 4], wireName('d').slice(0, -1), [0xc0, 0x0e],
    );
    for (const m of [a3, query, cname, a3, query]) expect(stored(m)).toBe(fresh(m));
    const last = parseDnsMessage(cname, 0, cname.length, new AnomalyCounters(), true, names, store)!;
    expect(last.answers).toHaveLength(1);
    expect(last.answers[0].addr).toBeUndefined(); // the A answer that used this object before left no address
    expect(last.answers[0].data).toBe('d.example');
  });
});

describe('name interning', () => {
  test('the same name (any case) returns the same cached string', () => {
    const names = new DnsNameReader();
    const m1 = parse(QUERY_A_EDNS, false, names).msg;
    const m2 = parse(QUERY_AAAA_EDNS, false, names).msg;
    expect(m2?.questions[0].name).toBe(m1?.questions[0].name);
    expect(names.hits).toBe(1);
    expect(names.misses).toBe(1);
  });

  test('a hash-slot collision never returns the wrong name', () => {
    const names = new DnsNameReader();
    const seen = new Map<string, string>();
    for (let i = 0; i < 20000; i++) {
      const label = `h${i.toString(36)}`;
      const got = parse(bytes(header(i, 0x0100, 1), wireName(label, 'test'), typeClass(1)), false, names).msg?.questions[0].name;
      expect(got).toBe(`${label}.test`);
      seen.set(label, got!);
    }
    expect(seen.size).toBe(20000);
  });
});

// One case per failure mode. Each says what the bytes are and which anomaly must be counted;
// all must return quickly with whatever could be read before the problem.
describe('adversarial input', () => {
  test('truncated header: fewer than 12 bytes → null + dns.truncated', () => {
    const { msg, anomalies } = parse(Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01]));
    expect(msg).toBeNull();
    expect(anomalies).toEqual({ 'dns.truncated': 1 });
  });

  test('pointer loop: a backward pointer into its own name ("x" + pointer to the "x")', () => {
    // Question 1 "a.test" at 0x0c-0x17; question 2 at 0x18 is label "x" then, at 0x1a, a pointer to 0x18.
    // The pointer goes backward (legal by RFC 1035 §4.1.4's letter) but would read x.x.x... forever.
    const buf = bytes(header(2, 0x0100, 2), wireName('a', 'test'), typeClass(1), [0x01, 0x78, 0xc0, 0x18], typeClass(1));
    const { msg, anomalies } = parse(buf);
    expect(anomalies).toEqual({ 'dns.pointer_loop': 1 });
    expect(msg?.questions).toEqual([{ name: 'a.test', type: 1, qclass: 1 }]);
    expect(msg?.complete).toBe(false);
  });

  test('pointer loop between two pointers: one of them must point forward → dns.bad_pointer', () => {
    // At 0x0c a pointer to 0x12; at 0x12 (after QTYPE/QCLASS) a pointer back to 0x0c. The first jump is forward.
    const buf = bytes(header(2, 0x0100, 1), [0xc0, 0x12], typeClass(1), [0xc0, 0x0c]);
    expect(parse(buf).anomalies).toEqual({ 'dns.bad_pointer': 1 });
    // Entered from the backward side: 0x12 → 0x0c (backward, fine) → 0x12 (forward of 0x0c) → rejected.
    const names = new DnsNameReader();
    expect(names.read(buf, 0, buf.length, 0x12)).toBe(false);
    expect(ANOMALY_NAMES[names.anomaly]).toBe('dns.bad_pointer');
  });

  test('pointer to itself: 0xc0 0x0c at offset 12', () => {
    const { msg, anomalies } = parse(bytes(header(3, 0x0100, 1), [0xc0, 0x0c], typeClass(1)));
    expect(anomalies).toEqual({ 'dns.pointer_loop': 1 });
    expect(msg?.questions).toEqual([]);
  });

  test('forward pointer: points past itself (RFC 1035 §4.1.4 says "prior occurrence")', () => {
    // At 0x0c a pointer to 0x12, where a valid name "fw" sits: still rejected.
    const { anomalies } = parse(bytes(header(4, 0x0100, 1), [0xc0, 0x12], typeClass(1), wireName('fw')));
    expect(anomalies).toEqual({ 'dns.bad_pointer': 1 });
  });

  test('pointer beyond the end of the message', () => {
    expect(parse(bytes(header(4, 0x0100, 1), [0xc3, 0xff], typeClass(1))).anomalies).toEqual({ 'dns.bad_pointer': 1 });
  });

  test('label running past the end of the message', () => {
    // Length byte says 20 but only "abc" follows.
    expect(parse(bytes(header(5, 0x0100, 1), [20, 0x61, 0x62, 0x63])).anomalies).toEqual({ 'dns.truncated': 1 });
  });

  test('name without its terminating zero at the end of the message', () => {
    expect(parse(bytes(header(5, 0x0100, 1), [3, 0x61, 0x62, 0x63])).anomalies).toEqual({ 'dns.truncated': 1 });
  });

  test('64-byte label: length byte 0x40 (one over RFC 1035 §2.3.4) → dns.label_too_long', () => {
    const buf = bytes(header(6, 0x0100, 1), [0x40, ...Buffer.from('y'.repeat(64))], [0], typeClass(1));
    expect(parse(buf).anomalies).toEqual({ 'dns.label_too_long': 1 });
  });

  test('256-byte name: four 63-byte labels = 257 octets > 255 → dns.name_too_long', () => {
    const buf = bytes(header(7, 0x0100, 1), wireName('a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(63)), typeClass(1));
    expect(parse(buf).anomalies).toEqual({ 'dns.name_too_long': 1 });
  });

  test('256-byte name built with pointers: each part legal, the total too long', () => {
    // Q1 = 63+63+63-byte labels (193 octets, fine); Q2 = a 63-byte label + pointer to Q1 = 257 octets.
    const q1 = wireName('a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63));
    const buf = bytes(header(7, 0x0100, 2), q1, typeClass(1), [63, ...Buffer.from('d'.repeat(63)), 0xc0, 0x0c], typeClass(1));
    const { msg, anomalies } = parse(buf);
    expect(anomalies).toEqual({ 'dns.name_too_long': 1 });
    expect(msg?.questions).toHaveLength(1);
  });

  test('a hostile over-long question name does not hide the answers behind it', () => {
    // Q1 is fine; Q2 = a 63-byte label + pointer to Q1 (257 octets); then an A answer for Q1.
    // The bad name's in-place bytes end at its pointer, so it is stepped over and the answer read.
    const q1 = wireName('a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63));
    const buf = bytes(header(7, 0x8180, 2, 1), q1, typeClass(1), [63, ...Buffer.from('d'.repeat(63)), 0xc0, 0x0c], typeClass(1),
      [0xc0, 0x0c], typeClass(1), [0, 0, 0, 5, 0, 4, 198, 51, 100, 7]);
    const { msg, anomalies } = parse(buf);
    expect(anomalies).toEqual({ 'dns.name_too_long': 1 });
    expect(msg?.questions).toHaveLength(1);
    expect(msg?.answers.map((a) => a.data)).toEqual(['198.51.100.7']);
    expect(msg?.complete).toBe(false);
  });

  test('an answer with a looping owner name is stepped over, the next one kept', () => {
    const buf = bytes(header(7, 0x8180, 1, 2), wireName('ok', 'test'), typeClass(1),
      [0xc0, 0x1b], typeClass(1), [0, 0, 0, 5, 0, 4, 10, 0, 0, 9], // owner points forward to itself-ish: bad pointer
      [0xc0, 0x0c], typeClass(1), [0, 0, 0, 5, 0, 4, 10, 0, 0, 10]);
    const { msg, anomalies } = parse(buf);
    expect(anomalies).toEqual({ 'dns.bad_pointer': 1 });
    expect(withoutAddr(msg?.answers)).toEqual([{ name: 'ok.test', type: 1, class: 1, ttl: 5, data: '10.0.0.10' }]);
  });

  test('label type 0x40 family: 0x41 (binary label, RFC 2673) → dns.bad_label_type', () => {
    expect(parse(bytes(header(8, 0x0100, 1), [0x41, 0x08, 0xff, 0x00], typeClass(1))).anomalies).toEqual({ 'dns.bad_label_type': 1 });
  });

  test('label type 0x80 (reserved) → dns.bad_label_type', () => {
    expect(parse(bytes(header(8, 0x0100, 1), [0x80, 0x01], typeClass(1))).anomalies).toEqual({ 'dns.bad_label_type': 1 });
  });

  test('qdcount lies: 65535 questions claimed, 20 bytes present → fast, one question, dns.truncated', () => {
    const buf = bytes(header(9, 0x0100, 65535), wireName('x'), typeClass(1), [0]);
    expect(buf.length).toBe(20);
    const t0 = process.hrtime.bigint();
    const { msg, anomalies } = parse(buf);
    expect(Number(process.hrtime.bigint() - t0)).toBeLessThan(1e9); // generous: shared CI cores; a loop would never return
    // The trailing zero byte is a root name whose QTYPE/QCLASS are missing.
    expect(msg?.questions).toEqual([{ name: 'x', type: 1, qclass: 1 }]);
    expect(anomalies).toEqual({ 'dns.truncated': 1 });
  });

  test('ancount lies: 65535 answers claimed on a response → dns.truncated, dns-packet never called with it', () => {
    const buf = bytes(header(9, 0x8180, 1, 65535), wireName('x'), typeClass(1), [0xc0, 0x0c], typeClass(15), [0, 0, 0, 1, 0, 4, 0, 1, 0xc0, 0x0c]);
    const { msg, anomalies } = parse(buf);
    expect(anomalies).toEqual({ 'dns.truncated': 1, 'dns.malformed_answer': 1 });
    expect(msg?.answers).toHaveLength(1);
  });

  test('more questions than DNS_MAX_RECORDS_PER_SECTION → dns.too_many_records', () => {
    const q = [0xc0, 0x0c, ...typeClass(1)];
    const parts = [header(10, 0x0100, 300), wireName('many'), typeClass(1)];
    for (let i = 1; i < 300; i++) parts.push(q);
    const { msg, anomalies } = parse(bytes(...parts));
    expect(msg?.questions).toHaveLength(DNS_MAX_RECORDS_PER_SECTION);
    expect(anomalies).toEqual({ 'dns.too_many_records': 1 });
  });

  test('a deep chain of backward pointers is capped by DNS_MAX_POINTER_JUMPS', () => {
    // 200 pointers each pointing at the previous one, ending at a root label: legal one by one.
    const parts = [header(11, 0x0100, 1), [0]];
    for (let i = 0; i < 200; i++) { const target = 12 + (i === 0 ? 0 : 1 + 2 * (i - 1)); parts.push([0xc0 | (target >> 8), target & 0xff]); }
    const buf = bytes(...parts);
    // Ask for a name starting at the last pointer.
    const names = new DnsNameReader();
    expect(names.read(buf, 0, buf.length, buf.length - 2)).toBe(false);
    expect(ANOMALY_NAMES[names.anomaly]).toBe('dns.pointer_loop');
    expect(names.read(buf, 0, buf.length, 12 + 1 + 2 * 100)).toBe(true); // 101 jumps: fine
    expect(names.name).toBe('.');
  });

  test('length past the buffer is clipped, negative length is a truncated header', () => {
    const counters = new AnomalyCounters();
    expect(parseDnsMessage(QUERY_A_EDNS, 0, 10_000, counters, true)?.questions[0].name).toBe('example.com');
    expect(parseDnsMessage(QUERY_A_EDNS, 0, -5, counters, true)).toBeNull();
    expect(counters.counts[A['dns.truncated']]).toBe(1);
  });
});

describe('mDNS and LLMNR', () => {
  test('mDNS response: cache-flush bit kept in class, mixed-case instance lowercased', () => {
    const { msg, anomalies } = parse(MDNS_RESPONSE);
    expect(anomalies).toEqual({});
    expect(msg).toMatchObject({ id: 0, response: true, questions: [] });
    expect(withoutAddr(msg?.answers)).toEqual([
      { name: 'printer.local', type: 28, class: 0x8001, ttl: 120, data: 'fe80::1' },
      { name: '_ipp._tcp.local', type: 12, class: 1, ttl: 4500, data: 'printer._ipp._tcp.local' },
    ]);
    expect(msg!.answers[0].class & MDNS_CLASS_TOP_BIT).not.toBe(0);
    expect(isMdnsPort(5353)).toBe(true);
    expect(isMdnsPort(53)).toBe(false);
  });

  test('LLMNR query: same sections; C/TC/T bits read from flags', () => {
    const { msg, anomalies } = parse(LLMNR_QUERY);
    expect(anomalies).toEqual({});
    expect(msg?.questions).toEqual([{ name: 'wpad', type: 1, qclass: 1 }]);
    expect(msg!.flags & (LLMNR_FLAG_C | DNS_FLAG_TC | LLMNR_FLAG_T)).toBe(0);
    expect(isLlmnrPort(5355)).toBe(true);
    expect(isLlmnrPort(5353)).toBe(false);
  });
});

describe('splitDnsTcpStream (RFC 1035 §4.2.2, RFC 7766)', () => {
  const framed = (m: Uint8Array) => [m.length >> 8, m.length & 0xff, ...m];

  test('two messages in one segment', () => {
    const seg = bytes(framed(QUERY_A_EDNS), framed(QUERY_AAAA_EDNS));
    const r = splitDnsTcpStream(seg, 0, seg.length);
    expect(r).toEqual({ messages: [[2, 40], [44, 40]], consumed: 84, needMore: false, needed: 0, bad: false });
    const names = r.messages.map(([o, l]) => parseDnsMessage(seg, o, l, new AnomalyCounters(), false)?.questions[0].type);
    expect(names).toEqual([1, 28]);
  });

  test('one message split across segments: needMore, then complete after buffering', () => {
    const whole = bytes(framed(RESPONSE_CNAME_CHAIN));
    const first = splitDnsTcpStream(whole, 0, 50);
    expect(first).toEqual({ messages: [], consumed: 0, needMore: true, needed: whole.length - 50, bad: false });
    const second = splitDnsTcpStream(whole, 0, whole.length);
    expect(second.messages).toEqual([[2, RESPONSE_CNAME_CHAIN.length]]);
    expect(parseDnsMessage(whole, 2, RESPONSE_CNAME_CHAIN.length, new AnomalyCounters(), true)?.answers).toHaveLength(4);
  });

  test('a complete message followed by the first byte of the next length prefix', () => {
    const seg = bytes(framed(LLMNR_QUERY), [0x00]);
    expect(splitDnsTcpStream(seg, 0, seg.length)).toEqual({ messages: [[2, 22]], consumed: 24, needMore: true, needed: 1, bad: false });
  });

  test('a length prefix below the 12-byte header is bad (not DNS, or desynchronised)', () => {
    const seg = bytes(framed(LLMNR_QUERY), [0x00, 0x05, 1, 2, 3, 4, 5]);
    expect(splitDnsTcpStream(seg, 0, seg.length)).toMatchObject({ messages: [[2, 22]], consumed: 24, bad: true, needMore: false });
  });
});

describe('formatIpv6 (RFC 5952)', () => {
  const v6 = (h: string) => formatIpv6(Buffer.from(h, 'hex'), 0);
  test.each([
    ['20010db8000000000000000000000001', '2001:db8::1', 'longest zero run compressed'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1', 'a later, longer run wins'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1', 'first run wins on a tie'],
    ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1', 'no run of two'],
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1', 'a single zero group is not compressed'],
    ['00000000000000000000000000000000', '::', 'all zero'],
    ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1', 'v4-mapped keeps the dotted tail'],
    ['000000000000000000000000c0000201', '::c000:201', 'v4-compatible (deprecated) is plain hex'],
    ['FE80000000000000ABCD00000000000A'.toLowerCase(), 'fe80::abcd:0:0:a', 'lowercase'],
  ])('%s → %s (%s)', (h, want) => expect(v6(h)).toBe(want));
});

describe('dnsTypeName / dnsRcodeName', () => {
  test.each([
    [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [15, 'MX'], [16, 'TXT'], [28, 'AAAA'], [33, 'SRV'],
    [35, 'NAPTR'], [41, 'OPT'], [43, 'DS'], [46, 'RRSIG'], [47, 'NSEC'], [48, 'DNSKEY'], [64, 'SVCB'], [65, 'HTTPS'],
    [255, 'ANY'], [257, 'CAA'], [264, 'IPN'], [299, 'TYPE299'], [300, 'TYPE300'], [32768, 'TA'], [32769, 'DLV'], [0, 'TYPE0'], [65280, 'TYPE65280'],
  ])('type %d → %s', (t, name) => expect(dnsTypeName(t)).toBe(name));

  test.each([
    [0, 'NOERROR'], [1, 'FORMERR'], [2, 'SERVFAIL'], [3, 'NXDOMAIN'], [4, 'NOTIMP'], [5, 'REFUSED'], [6, 'YXDOMAIN'],
    [9, 'NOTAUTH'], [12, 'RCODE12'], [16, 'BADVERS'], [23, 'BADCOOKIE'], [4095, 'RCODE4095'],
  ])('rcode %d → %s', (r, name) => expect(dnsRcodeName(r)).toBe(name));
});
