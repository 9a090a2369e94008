/**
 * Policy flags and commands of the CLI: `--rules`, `--set`, `--fail-on` on replay (and live),
 * and `egress-audit rules list | show PACK | lint FILE...`. Resolves flags into a policy stage
 * and prints pack listings; all policy logic lives in src/policy/.
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import type { StageSink } from '../audit';
import { EgressAuditError } from '../errors';
import type { Cidr } from '../net/addr';
import type { RecordSink } from '../pipeline';
// Loaded on first use: the policy modules pull in zod and yaml (~55 ms of start-up, measured),
// which a replay without --rules never needs.
const policy = (): typeof import('../policy') => require('../policy') as typeof import('../policy');
/** cli-table3 (and string-width's large emoji table) load only for `rules list|show`: ~10 ms of every start-up otherwise. */
const tableLib = (): typeof import('cli-table3') => require('cli-table3') as typeof import('cli-table3');
import { FAIL_ON_HELP, parseFailOn, PolicyStage } from '../policy-stage';

/** Policy-related flags as commander parses them. */
export interface PolicyFlags {
  rules?: string[];
  set?: string[];
  failOn?: string;
}

class FailOnError extends EgressAuditError {
  readonly code = 'EA_USAGE';
}

function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

/** Adds --rules, --set and --fail-on to a command. */
export function addPolicyOptions(cmd: Command): Command {
  return cmd
    .option('--rules <pack>', 'judge against a rule pack: a built-in name (egress-audit rules list) or a YAML file (repeatable)', collect)
    .option('--set <name=value>', 'choose a documented configuration of a pack, e.g. --set tor=on (repeatable)', collect)
    .option('--fail-on <what>', `which undeclared findings make the exit status 1: ${FAIL_ON_HELP}`);
}

/**
 * Builds the policy stage for the flags, or undefined when no rules were given. Loads and
 * validates every pack up front, so a bad rule file fails before any capture is read.
 */
export function policyStageFromFlags(flags: PolicyFlags, devices: Cidr[], dnsGraceMicros?: number): ((next: RecordSink) => StageSink) | undefined {
  if (!flags.rules || flags.rules.length === 0) {
    if (flags.set?.length || flags.failOn) throw new FailOnError('--set and --fail-on need --rules', { hint: 'add --rules PACK (egress-audit rules list shows the built-in packs)' });
    return undefined;
  }
  const failOn = parseFailOn(flags.failOn);
  if (typeof failOn === 'string') throw new FailOnError(failOn, { hint: 'e.g. --fail-on egress, or --fail-on name-not-documented,resolver-bypass; leave the flag out for any' });
  const { resolvePacks, PolicyEngine, parseSetFlags } = policy();
  const packs = resolvePacks(flags.rules);
  // The same grace as the pipeline's DNS cache: a lookup is credited by a connection in the time its answer names flows.
  const engine = new PolicyEngine(packs, parseSetFlags(flags.set ?? []), dnsGraceMicros === undefined ? undefined : dnsGraceMicros / 1e6);
  return (next) => new PolicyStage(engine, next, failOn, devices);
}

/** Registers `rules list | show | lint`. */
export function registerPolicyCommands(program: Command, setExit: (code: number) => void, io: { stderr: (t: string) => void }): void {
  const rules = program.command('rules').description('list, show and lint rule packs');
  rules
    .command('list')
    .description('list the built-in rule packs')
    .action(() => {
      const Table = tableLib();
      const t = new Table({ head: ['pack', 'device', 'document', 'rules', 'switches'], style: { head: [], border: [] } });
      for (const p of policy().listPacks()) t.push([p.name, p.device, p.document, String(p.rules), p.switches.join('\n')]);
      process.stdout.write(t.toString() + '\n');
    });
  rules
    .command('show')
    .description('show a pack: its header, switches and every rule with the document line it comes from')
    .argument('<pack>', 'built-in name or YAML file')
    .action((pack: string) => {
      const d = policy().describePack(policy().resolvePacks([pack])[0]);
      const lines: string[] = [];
      lines.push(`${d.name} (${d.file})`);
      if (d.header) lines.push('', d.header.trim());
      lines.push('', `device: ${JSON.stringify(d.device)}`, `document: ${JSON.stringify(d.document)}`);
      for (const s of d.switches) lines.push(`switch ${s.name}: ${s.values.join('|')} (default ${s.default})${s.description ? ` — ${s.description}` : ''}`);
      const Table = tableLib();
      const head = ['id', 'kind', 'direction', 'proto', 'ports', 'hosts', 'app', 'when', 'source'];
      const rows = d.rules.map((r) => [r.id, r.kind, r.direction, r.proto, r.ports, r.hosts, r.app ?? '', r.when ?? '', `${r.implied ? '(implied) ' : ''}${r.source}`]);
      // The short columns (id above all: an auditor must tell rules apart) are as wide as their
      // longest value; ports, hosts, when and the quoted document line wrap, the last taking what
      // the terminal has left (60 columns when writing to a file or a pipe).
      const fit = (i: number) => Math.max(head[i].length, ...rows.map((row) => row[i].length)) + 2;
      const fixed = [fit(0), fit(1), fit(2), fit(3), Math.min(fit(4), 14), Math.min(fit(5), 30), fit(6), Math.min(fit(7), 16)];
      const room = (process.stdout.isTTY ? process.stdout.columns ?? 160 : 0) - fixed.reduce((a, b) => a + b, 0) - head.length - 1;
      const t = new Table({ head, style: { head: [], border: [] }, colWidths: [...fixed, Math.max(60, room)], wordWrap: true });
      for (const row of rows) t.push(row);
      process.stdout.write(lines.join('\n') + '\n\n' + t.toString() + '\n');
    });
  rules
    .command('lint')
    .description('check rule files: errors and warnings with file:line:column (exit 2 on errors)')
    .argument('<files...>', 'YAML rule files, or built-in pack names as --rules takes them')
    .action((files: string[]) => {
      let errors = 0;
      const withErrors: string[] = [];
      for (const given of files) {
        // A built-in name (`rules lint nebra-hotspot`) as --rules and `rules show` take it.
        const f = fs.existsSync(given) ? given : builtInPath(given);
        let here = 0;
        for (const finding of policy().lintPack(f)) {
          process.stdout.write(policy().formatFinding(finding) + '\n');
          if (finding.severity === 'error') here++;
        }
        errors += here;
        if (here > 0) withErrors.push(given);
      }
      if (errors > 0) io.stderr(`egress-audit: EA_RULES_INVALID: ${errors} error${errors === 1 ? '' : 's'} in ${withErrors.join(', ')}\n`);
      setExit(errors > 0 ? 2 : 0);
    });
}

/** The file of built-in pack `name`, or `name` itself when there is none (lint then says it cannot be read). */
function builtInPath(name: string): string {
  try {
    return policy().resolvePackPath(name);
  } catch {
    return name;
  }
}
