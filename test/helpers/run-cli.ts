/**
 * Runs the CLI in-process (`run(argv, io)` from src/main.ts) and returns its exit code with
 * what it wrote: standard error through the io hook, standard output (help, version, records)
 * caught from process.stdout for the call's duration. Test code only; never spawns a process.
 */
import { run } from '../../src/main';

export async function runCli(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  }) as typeof process.stdout.write);
  try {
    const code = await run(argv, { stderr: (t) => { stderr += t; } });
    return { code, stderr, stdout };
  } finally {
    spy.mockRestore();
  }
}
