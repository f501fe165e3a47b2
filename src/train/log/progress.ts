/**
 * A progress display for long loops: step/total, loss, tokens/s and ETA.
 *
 * Output goes to **stderr** by default, so that `--json` output on stdout stays machine-readable.
 * - On a terminal (`stream.isTTY`): one line redrawn in place ("\r" + erase line), at most every
 *   `ttyIntervalMs` (100 ms), with a bar sized to the terminal width.
 * - Otherwise (CI logs, pipes, files): plain lines, the first update, then at most one every
 *   `plainIntervalMs` (10 s), and always the final step — no control characters.
 * `log(line)` prints a message above the bar without garbling it; `finish()` prints the final state
 * and ends the line.
 *
 * ETA = (total − step) / rate, rate = steps done since the first update / time since then (so a
 * resumed run estimates from its own speed). Shown as "--" until a rate exists.
 *
 * Example:
 *   const bar = new ProgressBar({ total: 1000, label: "rope" });
 *   bar.update({ step: 10, loss: 2.31, tokensPerSec: 41000 });
 *   bar.finish();
 */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Total number of steps (e.g. --steps). */
  total: number;
  /** Prefix, e.g. the method name in a bench. */
  label?: string;
  /** Default: process.stderr. */
  stream?: ProgressStream;
  /** Clock in milliseconds (default: performance.now()); injectable for tests. */
  now?: () => number;
  ttyIntervalMs?: number;
  plainIntervalMs?: number;
}

export interface ProgressState {
  step: number;
  loss?: number;
  tokensPerSec?: number;
}

/** "12s", "3m05s", "1h02m"; "--" for an unknown or infinite duration. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** 950 → "950", 41234 → "41.2k", 1.5e6 → "1.50M". */
export function formatRate(x: number): string {
  if (!Number.isFinite(x)) return "--";
  if (x < 1000) return x.toFixed(0);
  if (x < 1e6) return `${(x / 1000).toFixed(1)}k`;
  return `${(x / 1e6).toFixed(2)}M`;
}

export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly tty: boolean;
  private start: { t: number; step: number } | undefined;
  private lastDraw = -Infinity;
  private last: ProgressState = { step: 0 };
  private drawn = false;
  private printedStep = -1;

  /** The total number of steps. */
  get total(): number {
    return this.opts.total;
  }

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? (() => performance.now());
    this.tty = this.stream.isTTY === true;
  }

  /** The text of the current state (without control characters). */
  line(s: ProgressState = this.last, width = 0): string {
    const total = this.opts.total;
    const pct = total > 0 ? Math.min(100, Math.floor((100 * s.step) / total)) : 100;
    const parts = [`${this.opts.label ? this.opts.label + " " : ""}step ${s.step}/${total} (${pct}%)`];
    if (s.loss !== undefined) parts.push(`loss ${Number.isFinite(s.loss) ? s.loss.toFixed(4) : String(s.loss)}`);
    if (s.tokensPerSec !== undefined) parts.push(`${formatRate(s.tokensPerSec)} tok/s`);
    parts.push(`ETA ${formatDuration(this.etaSeconds(s.step))}`);
    let text = parts.join(" | ");
    const barWidth = width - text.length - 4;
    if (width > 0 && barWidth >= 10) {
      const filled = Math.round((barWidth * pct) / 100);
      text = parts[0] + ` [${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] | ` + parts.slice(1).join(" | ");
    }
    return text;
  }

  /** Seconds left at the measured rate; NaN before two distinct updates. */
  etaSeconds(step: number): number {
    if (!this.start) return NaN;
    const dt = (this.now() - this.start.t) / 1000;
    const done = step - this.start.step;
    if (done <= 0 || dt <= 0) return NaN;
    return ((this.opts.total - step) * dt) / done;
  }

  update(s: ProgressState): void {
    const t = this.now();
    if (!this.start) this.start = { t, step: s.step };
    this.last = s;
    const interval = this.tty ? this.opts.ttyIntervalMs ?? 100 : this.opts.plainIntervalMs ?? 10_000;
    if (t - this.lastDraw < interval && s.step < this.opts.total) return;
    this.lastDraw = t;
    this.draw();
  }

  private draw(): void {
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${this.line(this.last, Math.max(40, (this.stream.columns ?? 100) - 1))}`);
      this.drawn = true;
    } else {
      this.stream.write(this.line(this.last) + "\n");
      this.printedStep = this.last.step;
    }
  }

  /** A message on its own line; on a terminal the bar is erased first and redrawn after. */
  log(message: string): void {
    if (this.tty && this.drawn) {
      this.stream.write(`\r\x1b[2K${message}\n`);
      this.draw();
    } else {
      this.stream.write(message + "\n");
    }
  }

  /** Draws the final state (if not just drawn) and ends the line. */
  finish(s?: ProgressState): void {
    if (s) this.last = s;
    if (this.tty) {
      this.draw();
      this.stream.write("\n");
      this.drawn = false;
    } else if (this.last.step !== this.printedStep) {
      this.draw();
    }
  }
}
