/**
 * Hostile rule files at the CLI (issue 6 §5): an alias bomb, deep flow and block nesting, a
 * file over the size cap, a symlink loop, a device that never ends (/dev/zero) and a FIFO with
 * no writer. `replay x --rules F` and `rules lint F` must each give a clear EA_RULES_INVALID (or,
 * for a path that is not a regular file, EA_RULES_NOT_FOUND) error and exit 2, in bounded time and memory, before any capture is read.
 *
 * Rules are trusted input in the threat model (SECURITY.md), but a mistake in one must not
 * hang or exhaust the machine either.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../../src/main';
import { MAX_RULE_FILE_BYTES } from '../../src/policy';
import { T0, pcapBytes, tempDir, udpPacket } from '../helpers/packets';

const HEAD = `version: 1
device:
  name: Test device
document:
  title: Test document
  vendor: Test vendor
  source: https://example.com/doc
  retrieved: 2025-01-31
`;

const tmp = tempDir('rules');
afterAll(() => tmp.cleanup());
const capture = tmp.write('one.pcap', pcapBytes([{ ts: T0, data: udpPacket('192.168.1.10', '198.51.100.1', 40000, 9999, new Uint8Array(4)) }]));

function bombText(): string {
  let bomb = `${HEAD}x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
  for (let i = 1; i < 12; i++) bomb += `x${i}: &x${i} [${Array(10).fill(`*x${i - 1}`).join(', ')}]\n`;
  return bomb;
}

const cases: Array<[string, () => string, RegExp]> = [
  ['alias bomb ("billion laughs")', () => tmp.write('bomb.yaml', bombText()), /alias/i],
  ['deep flow nesting (100,000 brackets)', () => tmp.write('deep.yaml', `${HEAD}egress: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), /nesting deeper than/],
  ['deep block nesting', () => tmp.write('deep-block.yaml', `${HEAD}egress:\n${'- '.repeat(5000)}x\n`), /nesting/],
  ['a file over the size cap', () => tmp.write('huge.yaml', `${HEAD}# ${'x'.repeat(MAX_RULE_FILE_BYTES)}\n`), /limit is/],
  ['a symlink loop', () => {
    const a = path.join(tmp.dir, 'loop-a.yaml');
    const b = path.join(tmp.dir, 'loop-b.yaml');
    fs.symlinkSync(b, a);
    fs.symlinkSync(a, b);
    return a;
  }, /ELOOP|cannot read/],
  ['a device that never ends (/dev/zero)', () => '/dev/zero', /not a regular file|limit is|cannot read/],
  ['a FIFO with no writer', () => {
    const f = path.join(tmp.dir, 'fifo.yaml');
    execFileSync('mkfifo', [f]);
    return f;
  }, /not a regular file|cannot read/],
];

async function cli(argv: string[]): Promise<{ code: number; stderr: string; ms: number; heapMb: number }> {
  let stderr = '';
  // `rules lint` prints its findings on standard output: both streams are read as one.
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stdout.write);
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  try {
    const code = await run(argv, { stderr: (t) => { stderr += t; } });
    return { code, stderr, ms: performance.now() - t0, heapMb: (process.memoryUsage().heapUsed - before) / 2 ** 20 };
  } finally {
    spy.mockRestore();
  }
}

describe.each(cases)('%s', (_what, make, message) => {
  let file: string;
  beforeAll(() => { file = make(); });

  test.each([
    ['replay x --rules F', (f: string) => ['replay', capture, '--format', 'ndjson', '-o', path.join(tmp.dir, `out-${Math.random()}.ndjson`), '--rules', f]],
    ['rules lint F', (f: string) => ['rules', 'lint', f]],
  ])('%s: a clear EA_RULES_* error, exit 2, bounded time and memory', async (_cmd, argv) => {
    const r = await cli(argv(file));
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => /EA_RULES_/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    // replay resolves a pack name first: a path that is not a regular file is "not found" there.
    expect(r.stderr).toMatch(/EA_RULES_(INVALID|NOT_FOUND)/);
    if (r.stderr.includes('EA_RULES_INVALID')) expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+/m);
    expect(r.ms).toBeLessThan(5000);
    expect(r.heapMb).toBeLessThan(200);
  });
});
