/**
 * The report renderers (issue 5): CSV quoting and formula neutralisation, JUnit well-formed
 * with hostile names, SARIF against the SARIF 2.1.0 schema, HTML and Markdown escaping, and
 * the model's numbers — all from a replay of a capture with hostile names.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { createHash } from 'crypto';
import { csvCell, renderFindingsCsv, renderFlowsCsv } from '../../../src/report/csv';
import { escapeHtml, renderHtml } from '../../../src/report/html';
import { renderJunit, xmlEscape } from '../../../src/report/junit';
import { renderMarkdown } from '../../../src/report/markdown';
import { parseAuditReport, renderAuditJson, type AuditReport } from '../../../src/report/model';
import { renderSarif, SARIF_FINGERPRINT_KEY } from '../../../src/report/sarif';
import { tempDir } from '../../helpers/packets';
import { FORMULA_SNI, HOSTILE_SNI, hostileCapture, reportOf } from '../../helpers/report-fixture';
import { REPO_ROOT } from '../../helpers/shared';
import { parseXml } from '../../helpers/xml-check';

let report: AuditReport;
let sample: AuditReport;
let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('report-formats');
  report = reportOf([tmp.write('hostile.pcap', hostileCapture())]);
  sample = reportOf([path.join(REPO_ROOT, 'captures/sample-device.pcapng')], ['nebra-hotspot'], ['192.0.2.10', '2001:db8::10']);
});
afterAll(() => tmp.cleanup());

/** Minimal RFC 4180 parser (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], cell = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
    else cell += c;
  }
  return rows;
}

describe('CSV', () => {
  test.each([
    ['=1+1', "'=1+1"], ['+1', "'+1"], ['-1', "'-1"], ['@SUM(A1)', "'@SUM(A1)"], ['\tx', "'\tx"], ['\rx', `"'\rx"`],
    ['a,b', '"a,b"'], ['say "hi"', '"say ""hi"""'], ['line\nbreak', '"line\nbreak"'], ['plain.example', 'plain.example'],
  ])('cell %j → %j', (input, want) => expect(csvCell(input)).toBe(want));

  test('numbers are written as numbers (a byte count is not a formula)', () => expect(csvCell(-5)).toBe('-5'));

  test('a formula-shaped SNI is neutralised in findings.csv and flows.csv, and every row has the header width', () => {
    for (const text of [renderFindingsCsv(report), renderFlowsCsv(report)]) {
      const rows = parseCsv(text);
      expect(text.endsWith('\r\n')).toBe(true);
      for (const r of rows) expect(r).toHaveLength(rows[0].length);
      const cells = rows.flat();
      expect(cells.some((c) => c.startsWith("'=cmd"))).toBe(true);
      expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    }
    expect(FORMULA_SNI.startsWith('=')).toBe(true);
  });

  test('flows.csv ends with each flow\'s JA4, certificate names and process, in the flow\'s row', () => {
    const pktap = reportOf([path.join(REPO_ROOT, 'captures/apple-pktap.pcap')]);
    const rows = parseCsv(renderFlowsCsv(pktap));
    expect(rows[0].slice(-3)).toEqual(['ja4', 'server_cert_names', 'process']);
    const at = (name: string) => rows[0].indexOf(name);
    const bySni = new Map(rows.slice(1).map((r) => [r[at('sni')], r]));
    const vpn = bySni.get('vpn-only.example.net')!;
    expect([vpn[at('process')], vpn[at('ja4')]]).toEqual(['curl', pktap.flows.find((f) => f.sni === 'vpn-only.example.net')!.ja4]);
    expect(vpn[at('ja4')]).toMatch(/^t1[23]d/);
    expect(bySni.get('radar.exactlylabs.com')![at('process')]).toBe('RadarMonitor');
  });

  test('findings.csv has one row per finding', () => {
    expect(parseCsv(renderFindingsCsv(sample)).length - 1).toBe(sample.findings.length);
    expect(parseCsv(renderFlowsCsv(sample)).length - 1).toBe(sample.flows.length);
  });
});

describe('JUnit', () => {
  test('well-formed with hostile names; one suite per pack, one case per rule and per finding', () => {
    const xml = renderJunit(report);
    const root = parseXml(xml);
    expect(root.name).toBe('testsuites');
    expect(root.children).toHaveLength(1);
    const suite = root.children[0];
    expect(suite.attrs.name).toBe('nebra-hotspot');
    const cases = suite.children.filter((c) => c.name === 'testcase');
    expect(cases).toHaveLength(report.rules.length + report.findings.length);
    expect(cases.some((c) => c.attrs.name.includes(HOSTILE_SNI))).toBe(true);
    expect(Number(suite.attrs.failures)).toBe(cases.filter((c) => c.children.some((x) => x.name === 'failure')).length);
  });

  test('the rule whose port carried an undeclared name fails; unused rules pass', () => {
    const root = parseXml(renderJunit(sample));
    const cases = root.children[0].children.filter((c) => c.name === 'testcase');
    const rule = (id: string) => cases.find((c) => c.attrs.name.includes(`rule ${id} `))!;
    expect(rule('nebra-updates').children.map((c) => c.name)).toContain('failure');
    expect(rule('nebra-ntp').children).toHaveLength(0);
  });

  test('control characters become visible escapes, never raw', () => {
    const s = xmlEscape('a\u0001b\u0000c\ud800d"<&>', true);
    expect(s).toBe('a\\x01b\\x00c\\ud800d&quot;&lt;&amp;&gt;');
    const r = structuredClone(sample);
    r.findings[0].destination = 'evil\u0007\u001b[31m.example';
    expect(() => parseXml(renderJunit(r))).not.toThrow();
  });
});

/** Finds the SARIF 2.1.0 schema shipped by an npm package, when one is installed. */
function officialSarifSchema(): object | null {
  for (const id of ['@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json']) {
    try {
      return JSON.parse(fs.readFileSync(require.resolve(id), 'utf8')) as object;
    } catch {
      // not installed
    }
  }
  const env = process.env.SARIF_SCHEMA;
  return env && fs.existsSync(env) ? (JSON.parse(fs.readFileSync(env, 'utf8')) as object) : null;
}

/**
 * The parts of the SARIF 2.1.0 schema (OASIS sarif-schema-2.1.0.json) that this renderer
 * uses, hand-written: used when the official schema is not installed.
 */
const SARIF_SUBSET = {
  type: 'object',
  required: ['version', 'runs'],
  properties: {
    $schema: { type: 'string' },
    version: { enum: ['2.1.0'] },
    runs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['tool'],
        properties: {
          tool: {
            type: 'object', required: ['driver'],
            properties: {
              driver: {
                type: 'object', required: ['name'],
                properties: {
                  name: { type: 'string' }, version: { type: 'string' }, semanticVersion: { type: 'string' },
                  rules: { type: 'array', uniqueItems: true, items: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, shortDescription: { $ref: '#/definitions/message' }, fullDescription: { $ref: '#/definitions/message' }, defaultConfiguration: { type: 'object', properties: { level: { enum: ['none', 'note', 'warning', 'error'] } } } } } },
                },
              },
            },
          },
          results: {
            type: 'array',
            items: {
              type: 'object', required: ['message'],
              properties: {
                ruleId: { type: 'string' }, ruleIndex: { type: 'integer', minimum: -1 }, level: { enum: ['none', 'note', 'warning', 'error'] },
                message: { $ref: '#/definitions/message' },
                locations: { type: 'array', items: { type: 'object', properties: { physicalLocation: { type: 'object', properties: { artifactLocation: { type: 'object', properties: { uri: { type: 'string', format: 'uri-reference' } } }, region: { type: 'object', properties: { startLine: { type: 'integer', minimum: 1 }, startColumn: { type: 'integer', minimum: 1 } } } } } } } },
                partialFingerprints: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
          },
          invocations: { type: 'array', items: { type: 'object', required: ['executionSuccessful'], properties: { executionSuccessful: { type: 'boolean' } } } },
          automationDetails: { type: 'object', properties: { id: { type: 'string' } } },
        },
      },
    },
  },
  definitions: { message: { type: 'object', anyOf: [{ required: ['text'] }, { required: ['id'] }], properties: { text: { type: 'string' } } } },
};

describe('SARIF', () => {
  const official = officialSarifSchema();
  // ajv 6 is in node_modules through eslint; it reads draft-04 (the official schema) and draft-07.
  const Ajv = require('ajv') as new (o: object) => { addMetaSchema(s: object): void; compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };
  function validator(): ((d: unknown) => boolean) & { errors?: unknown } {
    if (official) {
      const ajv = new Ajv({ schemaId: 'id', allErrors: true, unknownFormats: 'ignore' });
      ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json'));
      return ajv.compile(official);
    }
    return new Ajv({ allErrors: true }).compile(SARIF_SUBSET);
  }

  test(`valid against ${official ? 'the official SARIF 2.1.0 schema' : 'the hand-written SARIF 2.1.0 subset (official schema not installed: add @microsoft/jest-sarif)'}`, () => {
    const validate = validator();
    for (const r of [report, sample]) {
      const log = JSON.parse(renderSarif(r)) as unknown;
      const ok = validate(log);
      if (!ok) throw new Error(JSON.stringify(validate.errors, null, 2));
    }
  });

  test('one result per finding, ruleId = reason, located at the rule line (pack header for ports), stable fingerprints', () => {
    const log = JSON.parse(renderSarif(sample)) as { runs: { results: { ruleId: string; partialFingerprints: Record<string, string>; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    const results = log.runs[0].results;
    expect(results).toHaveLength(sample.findings.length);
    results.forEach((res, i) => {
      const f = sample.findings[i];
      expect(res.ruleId).toBe(f.reason);
      expect(res.partialFingerprints[SARIF_FINGERPRINT_KEY]).toBe(f.fingerprint);
      expect(res.locations[0].physicalLocation.artifactLocation.uri).toBe('rules/nebra-hotspot.yaml');
      expect(res.locations[0].physicalLocation.region.startLine).toBe(f.reason === 'port-not-documented' ? 1 : f.judged_against!.line);
    });
    const again = reportOf([path.join(REPO_ROOT, 'captures/sample-device.pcapng')], ['nebra-hotspot'], ['192.0.2.10', '2001:db8::10']);
    expect(again.findings.map((f) => f.fingerprint)).toEqual(sample.findings.map((f) => f.fingerprint));
  });

  test('truncated to the result limit with a note', () => {
    const log = JSON.parse(renderSarif(sample, { maxResults: 2 })) as { runs: { results: unknown[]; invocations: { toolExecutionNotifications: { message: { text: string } }[] }[]; properties: { truncated: boolean } }[] };
    expect(log.runs[0].results).toHaveLength(2);
    expect(log.runs[0].properties.truncated).toBe(true);
    expect(log.runs[0].invocations[0].toolExecutionNotifications[0].message.text).toMatch(/2 of 5 findings/);
    const tiny = JSON.parse(renderSarif(sample, { maxGzipBytes: 1500 })) as { runs: { results: unknown[] }[] };
    expect(tiny.runs[0].results.length).toBeLessThan(sample.findings.length);
  });
});

describe('HTML and Markdown', () => {
  test('hostile names are escaped: no tag from the capture survives', () => {
    const html = renderHtml(report);
    expect(html).not.toContain(HOSTILE_SNI);
    expect(html).toContain(escapeHtml(HOSTILE_SNI));
    expect(html).not.toMatch(/<img|<script|<link|<iframe|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
    expect(html).toContain("Content-Security-Policy");
    const md = renderMarkdown(report);
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;img/src="x"/onerror=alert\\(1\\)&gt;');
  });

  test('self-contained, with print CSS and three inline SVG charts', () => {
    const html = renderHtml(sample);
    expect(html).toContain('@page');
    expect(html).toContain('@media print');
    expect((html.match(/<svg /g) ?? []).length).toBe(3);
    expect(html).not.toMatch(/\b(src|href)=/);
  });
});

describe('model', () => {
  test('verdict totals, attribution and the reverse view', () => {
    expect(sample.verdicts.undeclared).toBe(sample.verdicts.flows.undeclared + sample.verdicts.dns.undeclared);
    expect(sample.attribution.unnamed).toEqual([{ reason: 'ip-literal', flows: 1, bytes: 3164 }]);
    expect(sample.findings.map((f) => `${f.destination} ${f.proto}/${f.port} ${f.reason}`)).toEqual([
      'nebra.com.evil-cdn.net tcp/443 name-not-documented',
      'telemetry.example-tracker.com tcp/443 name-not-documented',
      '203.0.113.158 tcp/44158 port-not-documented',
      'telemetry.example-tracker.com udp/53 name-not-documented',
      'nebra.com.evil-cdn.net udp/53 name-not-documented',
    ]);
    const onlyDiag = reportOf([path.join(REPO_ROOT, 'captures/ethernet-qinq-http.pcap')]);
    expect(onlyDiag.unobserved_rules.map((u) => u.rule)).toContain('nebra-ntp');
    expect(sample.controls.map((c) => c.status)).toEqual(['findings', 'findings']);
    expect(sample.inputs[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sample.packs[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a compressed input is named as such; its size and SHA-256 are the compressed file\'s, as filed', () => {
    const gz = tmp.write('sample.pcapng.gz', zlib.gzipSync(fs.readFileSync(path.join(REPO_ROOT, 'captures/sample-device.pcapng'))));
    const r = reportOf([gz], ['nebra-hotspot'], ['192.0.2.10', '2001:db8::10']);
    expect(r.inputs[0]).toMatchObject({ format: 'pcapng', compression: 'gzip', size: fs.statSync(gz).size, sha256: createHash('sha256').update(fs.readFileSync(gz)).digest('hex') });
    expect(r.findings).toEqual(sample.findings);
    expect(renderMarkdown(r)).toContain('pcapng \\(gzip\\) EN10MB'); // Markdown escapes the parentheses
    expect(renderHtml(r)).toContain('<td>pcapng (gzip) EN10MB</td>');
    expect(parseAuditReport(renderAuditJson(r)).inputs[0].compression).toBe('gzip');
    expect(sample.inputs[0].compression).toBeUndefined();
  });

  test('audit.json round-trips through parseAuditReport to the same renderings', () => {
    const back = parseAuditReport(renderAuditJson(sample));
    expect(renderHtml(back)).toBe(renderHtml(sample));
    expect(renderSarif(back)).toBe(renderSarif(sample));
    expect(() => parseAuditReport('{"schema":"other"}')).toThrow(/not an egress-audit report/);
  });
});

describe('two packs on one port (a pack-authoring lab)', () => {
  test('a finding is judged against the rule its explanation names, in every format, and that rule is not "never observed"', () => {
    const head = (title: string) => `version: 1\ndevice: { name: D }\ndocument: { title: ${title}, vendor: V, source: doc.txt, retrieved: 2026-11-01 }\negress:\n`;
    // vendor-a documents 443 for plain HTTP (a TLS flow fails it first, on the protocol);
    // vendor-b documents 443 for TLS to its own hosts (the flow gets further: its name).
    const a = tmp.write('vendor-a.yaml', `${head('A')}  - { id: a-http, description: HTTP on 443, source: "a:1", proto: tcp, ports: [443], app: http, hosts: any }\n`);
    const b = tmp.write('vendor-b.yaml', `${head('B')}  - { id: b-https, description: HTTPS to B, source: "b:1", proto: tcp, ports: [443], app: tls, hosts: ["*.b.example"] }\n`);
    const r = reportOf([tmp.write('two-packs.pcap', hostileCapture())], [a, b]);
    const f = r.findings.find((x) => x.example.explanation.includes('api.nebra.com') || x.destination === 'api.nebra.com')!;
    expect(f.example.explanation).toMatch(/rule b-https/);
    expect(f.judged_against).toMatchObject({ pack: 'vendor-b', rule: 'b-https' });
    // Each format cites the rule's place in its file and the vendor-document line it quotes.
    expect(f.judged_against?.source).toBe('b:1');
    expect(renderFindingsCsv(r)).toMatch(/vendor-b\.yaml:\d+ \(b-https\) — document: b:1/);
    expect(renderMarkdown(r)).toContain('document: b:1');
    expect(renderHtml(r)).toContain('(b-https) — document: b:1');
    const sarif = JSON.parse(renderSarif(r)) as { runs: { results: { locations: { message?: { text: string } }[] }[] }[] };
    expect(sarif.runs[0].results.some((x) => x.locations[0]?.message?.text === 'The vendor document: b:1')).toBe(true);
    const junit = renderJunit(r);
    expect(junit).toContain('document: b:1');
    expect(junit).toMatch(/rule b-https[^\n]*"[^>]*>\s*<failure/);
    expect(r.unobserved_rules.map((l) => l.rule)).not.toContain('b-https');
  });
});
