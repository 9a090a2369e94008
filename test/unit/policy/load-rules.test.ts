/**
 * Rule-file loading: a valid file compiles with positions; every kind of bad input gives one
 * EA_RULES_INVALID error naming file:line:column, in bounded time (one case per failure mode).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RulesInvalidError } from '../../../src/errors';
import { loadPackFile, loadPackText, MAX_RULE_FILE_BYTES } from '../../../src/policy/load-rules';

const HEAD = `version: 1
device:
  name: Test device
document:
  title: Test document
  vendor: Test vendor
  source: https://example.com/doc
  retrieved: 2025-01-31
`;

const RULE = `  - id: r1
    description: HTTPS to the vendor
    source: "line 3: HTTPS to api.example.com"
    proto: tcp
    ports: [443]
    hosts: ["*.example.com"]
`;

function loadError(text: string): RulesInvalidError {
  try {
    loadPackText(text, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(RulesInvalidError);
    const err = e as RulesInvalidError;
    expect(err.code).toBe('EA_RULES_INVALID');
    expect(err.message).toMatch(/^test\.yaml:\d+:\d+: /);
    expect(err.message).not.toContain('\n');
    expect(err.hint).toBeTruthy();
    return err;
  }
  throw new Error('expected the file to be rejected');
}

describe('loadPackText: a valid file', () => {
  const pack = loadPackText(`# What this pack allows.\n${HEAD}switches:\n  tor:\n    values: [on, off]\n    default: off\negress:\n${RULE}  - id: r2\n    description: Tor\n    source: { implied: "the relay port" }\n    proto: both\n    ports: [9001, "9030-9031"]\n    hosts: [10.0.0.0/8, "2001:db8::/32"]\n    when: { tor: on }\n`, 'dir/my-pack.yaml');

  it('keeps metadata, header comment and pack name', () => {
    expect(pack.name).toBe('my-pack');
    expect(pack.header).toBe('What this pack allows.');
    expect(pack.document.retrieved).toBe('2025-01-31');
    expect(pack.switches.get('tor')).toMatchObject({ values: ['on', 'off'], default: 'off' });
  });

  it('remembers file, line and column of every rule', () => {
    expect(pack.rules.map((r) => [r.id, r.loc.file, r.loc.line, r.loc.column])).toEqual([
      ['r1', 'dir/my-pack.yaml', 15, 5],
      ['r2', 'dir/my-pack.yaml', 21, 5],
    ]);
  });

  it('compiles ports, hosts, implied sources and conditions', () => {
    const [r1, r2] = pack.rules;
    expect(r1.domains?.matches('api.example.com')).toBe(true);
    expect(r1.implied).toBe(false);
    expect(r2.implied).toBe(true);
    expect(r2.source).toBe('the relay port');
    expect(r2.ports.toString()).toBe('9001, 9030-9031');
    expect(r2.addresses.has('10.1.2.3')).toBe(true);
    expect(r2.addresses.has('2001:db8:1::5')).toBe(true);
    expect(r2.protos).toEqual(new Set(['tcp', 'udp']));
    expect(r2.when).toEqual({ tor: 'on' });
  });
});

describe('loadPackText: bad input', () => {
  it.each([
    ['empty file', '', /empty/, 1],
    ['only comments', '# nothing here\n', /empty/, 1],
    ['invalid YAML', `${HEAD}egress: [\n`, /invalid YAML/, 10],
    ['duplicate key', `${HEAD}version: 1\n`, /invalid YAML/, 9],
    ['not a mapping', '- a\n- b\n', /mapping/, 1],
    ['missing version', 'device: {name: x}\n', /missing `version: 1`/, 1],
    ['unsupported version', HEAD.replace('version: 1', 'version: 2'), /unsupported rule-file version 2/, 1],
    ['unknown top-level key', `${HEAD}egres: []\n`, /unknown key 'egres'/, 9],
    ['unknown rule key', `${HEAD}egress:\n${RULE}    port: 80\n`, /unknown key 'port' in egress\[0\]/, 16],
    ['a misspelled required key is named, with the key it was meant to be', `${HEAD}egress:\n${RULE.replace('    ports: [443]\n', '    port: [443]\n')}`, /unknown key 'port' in egress\[0\] \(did you mean 'ports'\?\)/, 14],
    ['a YAML merge key', `${HEAD}egress:\n${RULE}    <<: { a: 1 }\n`, /YAML merge keys \(<<\) are not supported in egress\[0\]/, 16],
    ['wrong type', `${HEAD}egress:\n${RULE.replace('[443]', '"443"')}`, /egress\[0\]\.ports/, 14],
    ['port out of range', `${HEAD}egress:\n${RULE.replace('[443]', '[443, 70000]')}`, /out of range/, 14],
    ['port zero', `${HEAD}egress:\n${RULE.replace('[443]', '[0]')}`, /out of range/, 14],
    ['reversed range', `${HEAD}egress:\n${RULE.replace('[443]', '["9000-8000"]')}`, /reversed/, 14],
    ['malformed range', `${HEAD}egress:\n${RULE.replace('[443]', '["80-"]')}`, /not a port/, 14],
    ['bad proto', `${HEAD}egress:\n${RULE.replace('proto: tcp', 'proto: sctp')}`, /proto/, 13],
    ['malformed wildcard', `${HEAD}egress:\n${RULE.replace('*.example.com', 'a.*.com')}`, /first label/, 15],
    ['empty label', `${HEAD}egress:\n${RULE.replace('*.example.com', 'a..example.com')}`, /not a valid domain/, 15],
    ['bad CIDR', `${HEAD}egress:\n${RULE.replace('"*.example.com"', '10.0.0.0/33')}`, /prefix length/, 15],
    ['any inside a list', `${HEAD}egress:\n${RULE.replace('"*.example.com"', 'any')}`, /must stand alone/, 15],
    ['missing field', `${HEAD}egress:\n${RULE.replace('    proto: tcp\n', '')}`, /egress\[0\]\.proto/, 10],
    ['bad date', HEAD.replace('2025-01-31', 'last week'), /retrieved must be a date/, 8],
    ['unknown switch in when', `${HEAD}egress:\n${RULE}    when: { tor: on }\n`, /unknown switch 'tor'/, 16],
    ['switch default not a value', `${HEAD}switches:\n  tor:\n    values: [on, off]\n    default: maybe\n`, /default 'maybe'/, 12],
    ['bad resolver', `${HEAD}egress:\n${RULE}    resolvers: [dns.google]\n`, /resolver/, 16],
    ['deny without direction', `${HEAD}deny:\n${RULE}`, /deny\[0\]\.direction/, 10],
    ['bad app', `${HEAD}egress:\n${RULE}    app: TLS 1.3\n`, /app must be/, 16],
    ['a list as a key', `${HEAD}? [a, b]\n: 1\n`, /key must be a plain value, not a mapping or a list/, 9],
    ['a mapping as a key inside a rule', `${HEAD}egress:\n${RULE}    ? {a: 1}\n    : 2\n`, /key must be a plain value/, 16],
  ])('%s', (_name, text, msg, line) => {
    const err = loadError(text);
    expect(err.message).toMatch(msg);
    expect(err.line).toBe(line);
  });

  it('a collection key prints no warning of the YAML library (the error line is all the user sees)', () => {
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      loadError(`${HEAD}? [a, b]\n: 1\n`);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('stops an alias bomb ("billion laughs") quickly', () => {
    let bomb = `${HEAD}x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n`;
    for (let i = 1; i < 10; i++) bomb += `x${i}: &x${i} [${Array(10).fill(`*x${i - 1}`).join(', ')}]\n`;
    const t0 = Date.now();
    const err = loadError(bomb);
    expect(err.message).toMatch(/alias/i);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('rejects deep nesting before the recursive composer sees it', () => {
    const deep = `${HEAD}egress: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`;
    const t0 = Date.now();
    const err = loadError(deep);
    expect(err.message).toMatch(/nesting deeper than/);
    expect(err.line).toBe(9);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('rejects deep block nesting', () => {
    const err = loadError(`${HEAD}egress:\n${'- '.repeat(200)}x\n`);
    expect(err.message).toMatch(/nesting/);
  });

  it('caps the size before parsing', () => {
    const err = loadError(`${HEAD}# ${'x'.repeat(MAX_RULE_FILE_BYTES)}\n`);
    expect(err.message).toMatch(/limit is/);
  });

  it('names a missing file', () => {
    expect(() => loadPackFile(path.join(os.tmpdir(), 'no-such-egress-audit-rules.yaml'))).toThrow(/cannot read rule file: ENOENT/);
  });

  it('checks the file size on disk before reading it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-rules-'));
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, Buffer.alloc(MAX_RULE_FILE_BYTES + 1, 0x20));
    try {
      expect(() => loadPackFile(big)).toThrow(/limit is/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
