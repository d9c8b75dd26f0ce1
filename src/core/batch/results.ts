// The results file of a batch (`<name>.results.jsonl` beside the prompts file): one line per item, what happened to it.
import type { Usage } from '../imageJob';

export type ResultStatus = 'ok' | 'failed' | 'skipped';

export interface ResultLine {
  /** The prompts file's line (or the job's number for `{jobs}` arguments). */
  readonly line: number;
  readonly status: ResultStatus;
  /** Workspace-relative paths of the item's images (for a skipped item, the ones already there). */
  readonly files: readonly string[];
  /** Why it failed, or what was missing from a partly made item. */
  readonly message?: string;
  readonly model?: string;
  readonly usage?: Usage;
  /** Estimated cost in US dollars (Google's list prices or geminiImage.prices), when the usage is known. */
  readonly costUsd?: number;
}

/** `covers.prompts.jsonl` → `covers.results.jsonl`; another name loses its last extension instead. */
export function resultsFileName(promptsFileName: string): string {
  const stem = /\.prompts\.(jsonl|txt)$/i.test(promptsFileName) ? promptsFileName.replace(/\.prompts\.(jsonl|txt)$/i, '') : promptsFileName.replace(/\.[^.]*$/, '');
  return `${stem || 'batch'}.results.jsonl`;
}

/** The results file's text, lines in the prompts file's order. */
export function formatResults(lines: readonly ResultLine[]): string {
  return [...lines]
    .sort((a, b) => a.line - b.line)
    .map((line) => JSON.stringify({ ...line, ...(line.costUsd !== undefined ? { costUsd: Math.round(line.costUsd * 1e6) / 1e6 } : {}) }))
    .join('\n')
    .concat(lines.length > 0 ? '\n' : '');
}
