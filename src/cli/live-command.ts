/**
 * `egress-audit live <iface>`: live capture through the libpcap addon (or the tcpdump fallback)
 * into the same pipeline as replay. STUB: registers nothing yet.
 */
import { Command } from 'commander';

/** Registers the `live` command. */
export function registerLiveCommand(program: Command, setExit: (code: number) => void, io: { stderr: (t: string) => void }): void {
  void program; void setExit; void io;
}
