/**
 * Report commands of the CLI: `egress-audit report audit.json --format F [-o PATH]` (render a
 * recorded report again, elsewhere), `learn <capture>... [--rules PACK]` (propose a rule pack
 * from traffic, and the drift against a pack), and `rules doc PACK` (a pack as a network
 * access requirements document). Thin glue: all logic lives in src/report and src/policy.
 * Writes only through OutputFile (atomic, never replacing a file without --force).
 */
import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { runAudit } from '../audit';
import { EgressAuditError, formatInputError } from '../errors';
import { parseCidr, type Cidr } from '../net/addr';
import type { ReportFormat } from '../report/bundle';
import { OutputFile } from '../report/output';
import { policyStageFromFlags } from './policy-flags';

// Loaded on first use (each command needs a different part; the policy modules alone pull in
// zod and yaml, ~55 ms of every start-up when loaded eagerly — measured).
const lazy = <T>(load: () => T): (() => T) => {
  let m: T | undefined;
  return () => (m ??= load());
};
const policy = lazy(() => require('../policy') as typeof import('../policy'));
const learn = lazy(() => require('../policy/learn') as typeof import('../policy/learn'));
const bundle = lazy(() => require('../report/bundle') as typeof import('../report/bundle'));
const reportModel = lazy(() => require('../report/model') as typeof import('../report/model'));
const runReport = lazy(() => require('../report/run-report') as typeof import('../report/run-report'));
const rulesDoc = lazy(() => require('../report/rules-doc') as typeof import('../report/rules-doc'));

/** `--format` values of `report` (the keys of REPORT_FORMATS in src/report/bundle.ts; a test keeps them equal). */
export const REPORT_FORMAT_NAMES: readonly ReportFormat[] = ['html', 'md', 'csv', 'flows-csv', 'sarif', 'junit', 'json'];

/** A report file that cannot be read or is not an egress-audit report. */
export class ReportInputError extends EgressAuditError {
  readonly code = 'EA_REPORT_INVALID';
}

class LearnUsageError extends EgressAuditError {
  readonly code = 'EA_USAGE';
}

function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

/** Writes `text` to FILE (atomically) or stdout. */
function emit(text: string, file: string | undefined, force: boolean): void {
  const out = OutputFile.open(file ?? null, force);
  try {
    out.write(text);
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

/** `report`: re-renders audit.json in one format. */
function registerReport(program: Command): void {
  program
    .command('report')
    .description('render a recorded report (audit.json from --bundle) again in one format')
    .argument('<audit.json>', 'the report model written by --bundle')
    .addOption(new Option('--format <format>', 'output format').choices([...REPORT_FORMAT_NAMES]).default('html'))
    .option('-o, --output <path>', 'write to PATH (atomically) instead of standard output')
    .option('--force', 'replace an existing output file')
    .action((file: string, flags: { format: ReportFormat; output?: string; force?: boolean }) => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new ReportInputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { hint: 'pass the audit.json of a bundle (egress-audit replay CAPTURE --bundle DIR)' });
      }
      let model;
      try {
        model = reportModel().parseAuditReport(text);
      } catch (e) {
        throw new ReportInputError(`${file}: ${(e as Error).message}`, { hint: 'pass the audit.json of a bundle (egress-audit replay CAPTURE --bundle DIR)' });
      }
      emit(bundle().renderReport(model, flags.format), flags.output, flags.force === true);
    });
}

interface LearnFlags {
  rules?: string[];
  set?: string[];
  device?: string[];
  format: 'yaml' | 'drift' | 'json';
  output?: string;
  force?: boolean;
  exitCode?: boolean;
}

/** `learn`: proposes a pack from the traffic; with --rules, the drift too. */
function registerLearn(program: Command, setExit: (code: number) => void, io: { stderr: (t: string) => void }): void {
  program
    .command('learn')
    .description('propose a rule pack from observed traffic; with --rules, show the drift between the pack and the traffic')
    .argument('<captures...>', 'pcap/pcapng files')
    .option('--rules <pack>', 'compare with this pack: used but undeclared, declared but unused, port drift (repeatable)', collect)
    .option('--set <name=value>', 'choose a documented configuration of the pack (repeatable)', collect)
    .option('--device <ip|cidr>', "the device's addresses (repeatable)", collect)
    .addOption(new Option('--format <format>', 'yaml: the proposed rules file (drift as a comment block); drift: the drift only; json: both as data').choices(['yaml', 'drift', 'json']).default('yaml'))
    .option('-o, --output <file>', 'write to FILE (atomically) instead of standard output')
    .option('--force', 'replace an existing output file')
    .option('--exit-code', 'with --rules: exit 1 when the traffic used something the pack does not declare (as `git diff --exit-code`)')
    .action((captures: string[], flags: LearnFlags) => {
      const devices: Cidr[] = (flags.device ?? []).map((v) => {
        const c = parseCidr(v);
        if (!c) throw new LearnUsageError(`--device ${v}: not an IP address or CIDR prefix`, { hint: 'e.g. --device 192.0.2.10' });
        return c;
      });
      if (flags.format === 'drift' && !flags.rules?.length) throw new LearnUsageError('--format drift needs --rules', { hint: 'add --rules PACK to compare the traffic with a pack' });
      if (flags.exitCode && !flags.rules?.length) throw new LearnUsageError('--exit-code needs --rules', { hint: 'add --rules PACK: the exit status says whether the traffic drifted from it' });
      const stage = flags.rules?.length ? policyStageFromFlags({ rules: flags.rules, set: flags.set, failOn: 'none' }, devices) : undefined;
      const sink = OutputFile.open('/dev/null', true);
      const res = runAudit({ inputs: captures, format: 'ndjson', pipeline: { devices }, stage, keepRecords: true }, sink);
      sink.commit();
      for (const e of res.summary.errors ?? []) io.stderr(formatInputError(e));
      if (res.exitCode === 2 && res.summary.packets === 0) {
        // Nothing could be read: no proposal (an empty pack on standard output would pass for one).
        setExit(2);
        return;
      }
      const flows = res.records?.flows ?? [];
      const dns = res.records?.dns ?? [];
      const learned = learn().learnRules(flows, dns);
      const drift = flags.rules?.length
        ? learn().driftOf(runReport().buildRunReport(res, { inputs: captures, rules: flags.rules, set: flags.set, reproducible: true, version: '' }))
        : undefined;
      const packs = flags.rules?.length ? policy().resolvePacks(flags.rules) : [];
      const retrieved = new Date(Math.floor((res.summary.first_ts ?? 0) * 1000)).toISOString().slice(0, 10);
      const meta = { device: packs[0]?.device.name ?? (res.summary.device_ips.slice(0, 4).join(', ') || 'device'), captures: captures.map((c) => c.split(/[\\/]/).pop() ?? c), retrieved };
      let text: string;
      if (flags.format === 'json') text = JSON.stringify({ proposal: learned, drift: drift ?? null }, null, 2) + '\n';
      else if (flags.format === 'drift') text = learn().renderDriftText(drift!);
      else text = learn().renderLearnedYaml(learned, meta, drift);
      emit(text, flags.output, flags.force === true);
      // A proposal is not a verdict, so learn exits 0 unless asked. With --exit-code, traffic the
      // pack does not declare (an undeclared destination, or a declared name on an undocumented
      // port) is drift that fails: a firmware update that starts talking somewhere new. Rules
      // that were never used do not fail it: one capture need not exercise every documented
      // feature.
      const drifted = flags.exitCode === true && drift !== undefined && (drift.undeclared.length > 0 || drift.ports.some((p) => p.undeclared_ports.length > 0));
      setExit(res.exitCode === 2 ? 2 : drifted ? 1 : 0);
    });
}

/** `rules doc PACK`: attaches to the `rules` command made by registerPolicyCommands. */
function registerRulesDoc(program: Command): void {
  let rules = program.commands.find((c) => c.name() === 'rules');
  if (!rules) rules = program.command('rules').description('list, show and lint rule packs');
  rules
    .command('doc')
    .description('render a pack as a network access requirements document (ports, protocols, domains, purpose, source line)')
    .argument('<pack>', 'built-in name or YAML file')
    .addOption(new Option('--format <format>', 'document format').choices(['md', 'html']).default('md'))
    .option('-o, --output <file>', 'write to FILE (atomically) instead of standard output')
    .option('--force', 'replace an existing output file')
    .action((pack: string, flags: { format: 'md' | 'html'; output?: string; force?: boolean }) => {
      const d = policy().describePack(policy().resolvePacks([pack])[0]);
      emit(flags.format === 'html' ? rulesDoc().renderRulesDocHtml(d) : rulesDoc().renderRulesDocMarkdown(d), flags.output, flags.force === true);
    });
}

/** Registers `report`, `learn` and `rules doc`. */
export function registerReportCommands(program: Command, setExit: (code: number) => void, io: { stderr: (t: string) => void }): void {
  registerReport(program);
  registerLearn(program, setExit, io);
  registerRulesDoc(program);
}
