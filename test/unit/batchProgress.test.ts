// The panel's batch cards: what the list of this window's batches says while a batch runs, and after.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchRuns, MAX_FINISHED_BATCHES } from '../../src/batch/batchProgress';
import { describeBatchProgress } from '../../src/core/batch/adaptive';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('batch cards', () => {
  test('a running batch shows the notification’s text, then its results file when done', () => {
    const time = clock();
    const runs = new BatchRuns(time.now);
    const run = runs.start({ title: 'shots.prompts.jsonl', mode: 'interactive', total: 100, skipped: 3, cancel: () => assert.fail('not cancelled') });
    assert.deepEqual(
      runs.views.map(({ title, mode, total, done, failed, skipped, status, progress }) => ({ title, mode, total, done, failed, skipped, status, progress })),
      [{ title: 'shots.prompts.jsonl', mode: 'interactive', total: 100, done: 0, failed: 0, skipped: 3, status: 'running', progress: '0 of 100' }],
    );
    time.advance(37 * 5000);
    run.progress(37, 2);
    const [view] = runs.views;
    assert.equal(view.progress, '37 of 100 · 2 failed · about 5 min left');
    assert.equal(view.progress, describeBatchProgress({ done: 37, total: 100, failed: 2, elapsedMs: 37 * 5000 }), 'the same words as the notification');
    assert.equal(view.resultsFile, undefined);

    time.advance(1000);
    run.progress(100, 2);
    run.finish('done', { resultsFile: 'batches/shots.results.jsonl' });
    const [finished] = runs.views;
    assert.equal(finished.status, 'done');
    assert.equal(finished.progress, '100 of 100 · 2 failed');
    assert.equal(finished.finishedAt, 1_000_000 + 37 * 5000 + 1000);
    assert.equal(finished.resultsFile, 'batches/shots.results.jsonl');
    assert.equal(runs.resultsFileOf(finished.id), 'batches/shots.results.jsonl');

    // A finished run takes no more reports.
    run.progress(1, 0);
    run.finish('failed');
    assert.equal(runs.views[0].status, 'done');
    assert.equal(runs.views[0].done, 100);
  });

  test('Cancel calls the run’s own abort once it is running, and nothing for unknown or finished batches', () => {
    const runs = new BatchRuns();
    let aborted = 0;
    const run = runs.start({ title: '3 jobs', mode: 'interactive', total: 3, skipped: 0, cancel: () => aborted++ });
    assert.equal(runs.cancel('batch-99'), false);
    assert.equal(runs.cancel('constructor'), false);
    assert.equal(aborted, 0);
    assert.equal(runs.cancel(run.id), true);
    assert.equal(aborted, 1);
    run.finish('cancelled');
    assert.equal(runs.cancel(run.id), false, 'a finished batch is not cancelled again');
    assert.equal(aborted, 1);
  });

  test('only finished cards can be dismissed; unknown ids change nothing', () => {
    const runs = new BatchRuns();
    let changes = 0;
    const subscription = runs.onDidChange(() => changes++);
    const run = runs.start({ title: 'a.prompts.txt', mode: 'interactive', total: 1, skipped: 0, cancel: () => undefined });
    assert.equal(changes, 1);
    assert.equal(runs.dismiss(run.id), false, 'a running batch stays');
    assert.equal(runs.dismiss('batch-7'), false);
    assert.equal(changes, 1);
    run.finish('failed', { message: 'The token was refused.' });
    assert.equal(runs.views[0].message, 'The token was refused.');
    assert.equal(runs.dismiss(run.id), true);
    assert.deepEqual(runs.views, []);
    assert.equal(runs.resultsFileOf(run.id), undefined);
    assert.equal(changes, 3);
    subscription.dispose();
    runs.start({ title: 'b.prompts.txt', mode: 'interactive', total: 1, skipped: 0, cancel: () => undefined });
    assert.equal(changes, 3, 'a disposed listener hears nothing');
  });

  test('newest first; at most five finished cards are kept, running ones always', () => {
    const runs = new BatchRuns();
    const running = runs.start({ title: 'long.prompts.jsonl', mode: 'interactive', total: 200, skipped: 0, cancel: () => undefined });
    const finished = Array.from({ length: MAX_FINISHED_BATCHES + 2 }, (_, index) => {
      const run = runs.start({ title: `run ${index + 1}`, mode: 'interactive', total: 1, skipped: 0, cancel: () => undefined });
      run.finish('done');
      return run;
    });
    const titles = runs.views.map((view) => view.title);
    assert.deepEqual(titles, ['run 7', 'run 6', 'run 5', 'run 4', 'run 3', 'long.prompts.jsonl']);
    assert.equal(runs.views.filter((view) => view.status !== 'running').length, MAX_FINISHED_BATCHES);
    assert.equal(runs.dismiss(finished[0].id), false, 'dropped already');
    assert.equal(runs.views.at(-1)?.id, running.id);
  });
});
