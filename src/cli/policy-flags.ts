/**
 * Policy flags and commands of the CLI: `--rules`, `--set`, `--fail-on` on replay/live, and
 * `egress-audit rules list|show|lint`. Resolves flags into a policy stage; no policy logic here.
 */
import { Command } from 'commander';
import type { StageSink } from '../audit';
import type { RecordSink } from '../pipeline';

/** Policy-related flags as commander parses them. */
export interface PolicyFlags {
  rules?: string[];
  set?: string[];
  failOn?: string;
}

/** Builds the policy stage for the given flags, or undefined when no rules were given. */
export function policyStageFromFlags(flags: PolicyFlags): ((next: RecordSink) => StageSink) | undefined {
  if (!flags.rules || flags.rules.length === 0) return undefined;
  return undefined;
}

/** Registers the `rules` command family. */
export function registerPolicyCommands(program: Command, setExit: (code: number) => void, io: { stderr: (t: string) => void }): void {
  void program; void setExit; void io;
}
