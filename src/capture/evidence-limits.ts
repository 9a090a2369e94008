/**
 * Defaults of the evidence writer that the CLI shows in its help, in a module of their own so
 * the CLI can show them without loading the writer. Constants only.
 */
/** Default size at which a file is closed and the next one started (1 GiB: a day of a busy hotspot, small enough to copy). */
export const DEFAULT_WRITE_MAX_BYTES = 1 << 30;
