/**
 * Report commands: `egress-audit report`, `learn`, `rules doc`. STUB: registers nothing yet.
 */
import { Command } from 'commander';

/** Registers the report-related commands. */
export function registerReportCommands(program: Command, setExit: (code: number) => void, io: { stderr: (t: string) => void }): void {
  void program; void setExit; void io;
}
