/**
 * Number formatting shared by the reports and the progress bar, in a module of its own so the
 * progress bar does not load the HTML renderer. Pure.
 */
/** Bytes as a short human figure (exact count in the title attribute). */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ${u[i]}`;
}
