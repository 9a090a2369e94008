/**
 * Renders the `<capture>.md` sidecar for a generated capture: what it holds, the exact command
 * that made it, the tshark cross-check, the expected NDJSON facts (table + full JSON), which
 * tests use it, and the privacy statement.
 *
 * Test tooling only: a pure function of the definition and the built bytes (no dates, no host
 * names), so sidecars are as reproducible as the captures.
 */
import { createHash } from 'crypto';
import type { BuiltCapture, CaptureDefinition } from './captures/common';
import type { FlowExpectation } from './expectation';

/** The command that regenerates every capture, as it must appear in sidecars and the README. */
export const GENERATE_COMMAND = 'npx tsc -p . && node dist/test/gen/make-captures.js';

/** Quotes one shell argument when it needs it. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The tshark command line for a check, relative to the repository root. */
export function tsharkCommand(file: string, args: readonly string[]): string {
  return ['tshark', '-r', `captures/${file}`, ...args].map(shellQuote).join(' ');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function nameCell(f: FlowExpectation): string {
  if (f.name === undefined) return f.http_host ? `(http_host ${f.http_host})` : '—';
  if (f.name === null) return `none${f.unnamed_reason ? ` (${f.unnamed_reason})` : ''}`;
  return `${f.name} (${f.name_source ?? 'any source'})`;
}

function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function flowTable(flows: readonly FlowExpectation[]): string[] {
  const rows = ['| proto | device | remote | direction | pkts out/in | bytes out/in | app | name (how learned) | why |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const f of flows) {
    const pk = `${f.packets_out ?? '?'}/${f.packets_in ?? '?'}`;
    const by = `${f.bytes_out ?? '?'}/${f.bytes_in ?? '?'}`;
    rows.push(`| ${f.proto} | ${endpoint(f.device_ip, f.device_port)} | ${endpoint(f.remote_ip, f.remote_port)} | ${f.direction} | ${pk} | ${by} | ${f.app ?? '—'} | ${nameCell(f)} | ${f.why} |`);
  }
  return rows;
}

/** JSON with one line per top-level field and per flow/dns entry: diffable without being 900 lines long. */
function compactJson(e: BuiltCapture['expect']): string {
  const list = (xs: readonly unknown[]): string => (xs.length === 0 ? '[]' : `[\n${xs.map((x) => `  ${JSON.stringify(x)}`).join(',\n')}\n ]`);
  return [
    '{',
    ` "file": ${JSON.stringify(e.file)},`,
    ` "args": ${JSON.stringify(e.args)},`,
    ` "exit_code": ${e.exit_code},`,
    ` "summary": ${JSON.stringify(e.summary)},`,
    ` "flows": ${list(e.flows)},`,
    ` "dns": ${list(e.dns)}`,
    '}',
  ].join('\n');
}

/** Renders the sidecar markdown. */
export function renderSidecar(def: CaptureDefinition, built: BuiltCapture): string {
  const e = built.expect;
  const sha = createHash('sha256').update(built.bytes).digest('hex');
  const lines: string[] = [
    `# ${def.file}`, '',
    def.title, '',
    `> Generated file (capture and this note): do not edit by hand. Change \`${def.builder}\` and run \`${GENERATE_COMMAND}\`.`, '',
    '| | |', '| --- | --- |',
    `| format | ${e.summary.inputs.map((i) => `${i.format}, link types ${i.link_types.join(' + ')}`).join('; ')} |`,
    `| records | ${built.records} in the file${built.records !== e.summary.packets ? ` (${e.summary.packets} whole)` : ''} |`,
    `| size | ${built.bytes.length} bytes |`,
    `| sha256 | \`${sha}\` |`, '',
    '## What it holds', '', ...def.holds.flatMap((p) => [p, '']),
    '## How it was made', '',
    `Synthetic, written byte by byte by the generator in this repository (no capture tool, no network): \`${def.builder}\`, ` +
    'using the builders in `test/gen/packets.ts` and the pcap/pcapng writer in `test/gen/capture-file.ts`. ' +
    'Timestamps are fixed (2024-06-01T12:00:00Z onwards) and all "random" bytes come from SHA-256 of fixed labels, so every run is byte-identical:', '',
    '```sh', GENERATE_COMMAND, '```', '',
    '## Checked with tshark', '',
    'What TShark 4.0.17 prints for it, independently of egress-audit (re-run and compared by `test/unit/gen/tshark.test.ts` when tshark 4.0 is installed):', '',
    ...def.tshark.flatMap((c) => [
      '```', `$ ${tsharkCommand(def.file, c.args)}`, ...(c.output === '' ? [] : [c.output.replace(/\n$/, '')]),
      ...(c.stderr ? [`(standard error, exit status non-zero:) tshark: The file "captures/${def.file}" ${c.stderr}.`] : []), '```', '',
    ]),
    '## Expected facts', '',
    `\`egress-audit replay captures/${def.file} --format ndjson ${e.args.join(' ')}\` must exit ${e.exit_code} and print:`, '',
    `- summary: ${plural(e.summary.packets, 'packet')}, ${e.summary.bytes} bytes, ${plural(e.summary.flows, 'flow')}, ${plural(e.summary.dns_queries, 'DNS query', 'DNS queries')}` +
    `${e.summary.error_codes.length ? `, errors ${e.summary.error_codes.join(', ')}` : ''};`,
    `- ${e.flows.length === 1 ? 'this flow record' : `these ${e.flows.length} flow records`} (and no others):`, '',
    ...flowTable(e.flows), '',
  ];
  if (e.dns.length > 0) {
    lines.push(`- ${e.dns.length === 1 ? 'this dns record' : `these ${e.dns.length} dns records`} (and no others):`, '', '| client | server | id | qname | qtype | rcode | answers |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const d of e.dns) {
      const answers = d.answers.length > 6 ? `${d.answers.length} × ${d.answers[0].type} (${d.answers[0].data} … ${d.answers[d.answers.length - 1].data})`
        : d.answers.map((a) => `${a.name} ${a.type} ${a.data} (ttl ${a.ttl})`).join('; ');
      lines.push(`| ${d.proto} ${endpoint(d.client_ip, d.client_port)} | ${endpoint(d.server_ip, d.server_port)} | 0x${d.id.toString(16)} | ${d.qname} | ${d.qtype} | ${d.rcode} | ${answers} |`);
    }
    lines.push('');
  }
  lines.push(
    'The full expectation, exactly as `test/e2e/captures.test.ts` asserts it (fields absent from a flow are not asserted; ' +
    'timestamps are compared within 2 µs):', '',
    '```json', compactJson(e), '```', '',
    '## Used by', '',
    '- `test/e2e/captures.test.ts` (expectations exported by `test/e2e/captures.expect.ts`)',
    '- `test/unit/gen/reproducible.test.ts` (regenerates and compares sha256)',
    '- `test/unit/gen/tshark.test.ts` (re-runs the tshark checks above)', '',
    '## Private data', '',
    'None. Every byte is generated. Addresses are documentation ranges only (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24: RFC 5737; ' +
    '2001:db8::/32: RFC 3849); MACs are 00:00:5e:00:53:xx (RFC 7042 documentation). Names are example.* (RFC 2606), the vendor domains ' +
    'from the device\'s public documentation, or invented ones; none was resolved. Keys, randoms and ciphertext are SHA-256 output of fixed labels.', '',
  );
  return lines.join('\n');
}

/** Renders captures/README.md: one line per capture, linking to its sidecar. */
export function renderIndex(defs: readonly CaptureDefinition[]): string {
  return [
    '# captures/', '',
    'Small synthetic captures used by the tests and the README. Each file has a `.md` sidecar saying what it holds, how it was made, ' +
    'what tshark prints for it, the exact NDJSON facts `egress-audit replay` must produce, which tests use it, and that it holds no private data.', '',
    `All of them (and this index) are written by \`test/gen/make-captures.ts\`: \`${GENERATE_COMMAND}\`. Do not edit by hand; ` +
    '`test/unit/gen/reproducible.test.ts` fails when a committed file differs from what the generator writes.', '',
    '| capture | what it holds |', '| --- | --- |',
    ...defs.map((d) => `| [${d.file}](${d.file}.md) | ${d.title} |`), '',
  ].join('\n');
}
