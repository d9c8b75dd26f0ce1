// Google's Batch API mode of a prompts-file run (submit, survive reloads, poll, save). Filled in by the Batch API work.
import type * as vscode from 'vscode';
import type { PreparedBatchItem } from '../core/batch/types';

export interface BatchApiRunResult {
  readonly files: readonly vscode.Uri[];
  readonly failures: readonly { line: number; message: string }[];
}

export async function runBatchApiMode(
  _promptsFile: vscode.Uri | undefined,
  _items: readonly PreparedBatchItem<vscode.Uri>[],
): Promise<BatchApiRunResult> {
  throw new Error('Batch API mode is not available in this build: run the batch with mode "interactive".');
}
