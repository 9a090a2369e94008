/**
 * Test helper: an in-memory stand-in for OutputFile with the same buffer interface the NDJSON
 * byte encoder writes through, so in-process replays exercise the real output path.
 */
export class MemoryOutput {
  readonly chunks: string[] = [];
  brokenPipe = false;
  readonly rawBuffer = Buffer.allocUnsafe(1 << 20);
  rawUsed = 0;
  get writable(): boolean { return !this.brokenPipe; }
  write(t: string): void { this.flush(); this.chunks.push(t); }
  flush(): void {
    if (this.rawUsed === 0) return;
    this.chunks.push(this.rawBuffer.toString('utf8', 0, this.rawUsed));
    this.rawUsed = 0;
  }
  commit(): void { this.flush(); }
  abort(): void {}
  /** Everything written so far. */
  text(): string { this.flush(); return this.chunks.join(''); }
}
