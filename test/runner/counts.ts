// The one summary line every runner prints last, which run-all.mjs and CI read.
export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export function formatCounts(counts: Counts): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}
