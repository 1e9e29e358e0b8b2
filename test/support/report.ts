/** Prints what a test measured, one line, so CI output carries the figures. */
export function reportFigures(name: string, figures: Record<string, unknown>): void {
  process.stderr.write(`[figures] ${name} ${JSON.stringify(figures)}\n`);
}
