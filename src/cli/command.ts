/** What every subcommand provides to the dispatcher in main.ts. */
export interface Command {
  /** One line for `extrapos --help`. */
  summary: string;
  /** Runs the command; returns the exit code. Throws ExtraposError for bad input (→ exit 2). */
  run(argv: string[]): Promise<number> | number;
}

/** Writes a JSON value to stdout in one write (numbers at full precision). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + "\n");
}
