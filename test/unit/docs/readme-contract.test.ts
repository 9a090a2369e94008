/**
 * The README against the tool: every error code the CLI can print, every flag `--help` lists,
 * every field of the NDJSON flow and DNS records, and every section link are documented, and
 * every flag the README's usage blocks show exists. Reads files only; it must never run a capture.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runCli } from '../../helpers/run-cli';
import { REPO_ROOT } from '../../helpers/shared';

const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out;
}

/** The text `--help` prints for `argv` (commander writes it to stdout). */
async function help(argv: string[]): Promise<string> {
  return (await runCli([...argv, '--help'])).stdout;
}

const COMMANDS = [['replay'], ['live'], ['report'], ['learn'], ['rules', 'list'], ['rules', 'show'], ['rules', 'lint'], ['rules', 'doc']];

/** Long flags of `egress-audit` commands as the README's usage blocks write them. */
function usageFlags(): Set<string> {
  const flags = new Set<string>();
  for (const block of README.match(/```\n(egress-audit [\s\S]*?)```/g) ?? []) {
    for (const m of block.matchAll(/--[a-z][a-z0-9-]*/g)) flags.add(m[0]);
  }
  return flags;
}

/** The field names of an interface in src/report/records.ts. */
function interfaceFields(name: string): string[] {
  const src = fs.readFileSync(path.join(REPO_ROOT, 'src', 'report', 'records.ts'), 'utf8');
  const start = src.indexOf(`export interface ${name} `);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = src.slice(src.indexOf('{', start) + 1, src.indexOf('\n}', start));
  const withoutComments = body.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return [...withoutComments.matchAll(/^\s*([a-z_0-9]+)\??:/gm)].map((m) => m[1]);
}

describe('README.md documents what the tool does', () => {
  test('every error code src/ and the launcher can print is in the README', () => {
    const sources = [...filesUnder(path.join(REPO_ROOT, 'src'), '.ts'), path.join(REPO_ROOT, 'bin', 'egress-audit.js')];
    const codes = new Set<string>();
    for (const f of sources) for (const m of fs.readFileSync(f, 'utf8').matchAll(/EA_[A-Z0-9_]+/g)) codes.add(m[0]);
    expect(codes.size).toBeGreaterThan(20);
    const missing = [...codes].filter((c) => !README.includes(`\`${c}\``)).sort();
    expect(missing).toEqual([]);
  });

  test('every flag of every subcommand is in the README, and every usage flag exists', async () => {
    const helpFlags = new Set<string>();
    for (const argv of COMMANDS) {
      const text = await help(argv);
      expect(text).toContain('Usage: egress-audit');
      for (const m of text.matchAll(/(?:^|[\s,])(--[a-z][a-z0-9-]*)/gm)) helpFlags.add(m[1]);
    }
    helpFlags.delete('--help');
    const inReadme = (f: string): boolean => new RegExp(`(^|[^a-z0-9-])${f}(?![a-z0-9-])`, 'm').test(README);
    expect([...helpFlags].filter((f) => !inReadme(f)).sort()).toEqual([]);
    const documented = usageFlags();
    expect(documented.size).toBeGreaterThan(20);
    expect([...documented].filter((f) => !helpFlags.has(f)).sort()).toEqual([]);
  });

  test('every field of the flow and DNS records is named in the NDJSON section', () => {
    const section = README.slice(README.indexOf('## NDJSON output'), README.indexOf('## Supported inputs'));
    expect(section.length).toBeGreaterThan(1000);
    for (const name of ['FlowRecord', 'DnsRecord', 'SummaryRecord']) {
      const fields = interfaceFields(name);
      expect(fields.length).toBeGreaterThan(5);
      const missing = fields.filter((f) => !section.includes(`\`${f}\``) && !section.includes(`"${f}"`));
      expect({ name, missing }).toEqual({ name, missing: [] });
    }
    expect(section).toContain('src/anomalies.ts');
  });

  test('every section link resolves to a heading', () => {
    const slugs = new Set([...README.matchAll(/^#+ (.*)$/gm)].map((m) => m[1].trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')));
    const links = [...README.matchAll(/\]\(#([^)]*)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !slugs.has(l))).toEqual([]);
  });
});

describe('the package entry point', () => {
  test("package.json's main is built from a module that exports the library", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { main: string };
    // tsc compiles src/X.ts to dist/src/X.js (rootDir "."), so main names its source file.
    const source = path.join(REPO_ROOT, pkg.main.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
    expect(fs.existsSync(source)).toBe(true);
    const lib = require(source) as Record<string, unknown>;
    const names = ['runAudit', 'Pipeline', 'resolvePack', 'judgeRun', 'lintPack', 'ANOMALY_NAMES', 'REASON_CODES', 'EgressAuditError', 'VERSION'];
    expect(names.filter((n) => lib[n] === undefined)).toEqual([]);
  });
});
