// The panel's batch cards: what the list of this window's batches says while a batch runs, and after.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchRuns, MAX_FINISHED_BATCHES, describeProviderStates, resumedBatchCards } from '../../src/batch/batchProgress';
import type { RememberedBatch } from '../../src/core/batch/batchRecord';
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

/** The part of each card a user reads. */
function seen(runs: BatchRuns): { title: string; mode: string; status: string; state?: string; progress: string; resultsFile?: string; message?: string }[] {
  return runs.views.map(({ title, mode, status, state, progress, resultsFile, message }) => ({
    title,
    mode,
    status,
    ...(state !== undefined ? { state } : {}),
    progress,
    ...(resultsFile !== undefined ? { resultsFile } : {}),
    ...(message !== undefined ? { message } : {}),
  }));
}

function remembered(name: string, items: number, promptsFile?: string): RememberedBatch {
  return {
    name,
    baseUrl: 'http://127.0.0.1:9',
    model: 'gemini-3.1-flash-image',
    displayName: 'shown at the provider',
    ...(promptsFile ? { promptsFile } : {}),
    submittedAt: '2026-12-02T09:00:00.000Z',
    items: Array.from({ length: items }, (_, index) => ({
      key: `line-${index + 1}`,
      line: index + 1,
      slug: `shot-${index + 1}`,
      folder: 'file:///work/out',
      job: { prompt: `shot ${index + 1}`, model: 'gemini-3.1-flash-image', options: {} } as unknown as RememberedBatch['items'][number]['job'],
    })),
  };
}

/** Lets promise callbacks queued so far run (the results file is written asynchronously). */
function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('Batch API cards', () => {
  test('a submitted run says the provider’s state in words and its counts as polls answer, with no time estimate', () => {
    const time = clock();
    const runs = new BatchRuns(time.now);
    const run = runs.startBatchApi({ title: 'shots.prompts.jsonl', total: 200, skipped: 4, cancel: () => assert.fail('not cancelled') });
    assert.deepEqual(seen(runs), [{ title: 'shots.prompts.jsonl', mode: 'batch', status: 'running', state: 'Submitting to the provider', progress: '0 of 200' }]);

    run.polled({ name: 'batches/a', state: 'pending' });
    assert.equal(runs.views[0].state, 'Pending at the provider');
    assert.equal(runs.batchApiRun('batches/a')?.id, run.id, 'found by its provider batch');
    time.advance(600_000);
    run.polled({ name: 'batches/a', state: 'running', total: 150, succeeded: 40, failed: 2 });
    // A second model's batch of the same run: counts add up, pending beside running reads as running.
    run.polled({ name: 'batches/b', state: 'pending', total: 50 });
    assert.deepEqual(seen(runs), [{ title: 'shots.prompts.jsonl', mode: 'batch', status: 'running', state: 'Running at the provider', progress: '42 of 200 · 2 failed' }]);
    run.polled({ name: 'batches/b', state: 'running', total: 50, succeeded: 10 });
    assert.equal(runs.views[0].progress, '52 of 200 · 2 failed');
    assert.equal(runs.views[0].done, 52);
    assert.equal(runs.views[0].failed, 2);

    run.polled({ name: 'batches/a', state: 'succeeded', total: 150, succeeded: 148, failed: 2 });
    run.polled({ name: 'batches/b', state: 'succeeded', total: 50, succeeded: 50 });
    assert.equal(runs.views[0].state, 'Finished at the provider: saving the images');
    run.settle({ saved: 198, failed: 2 }, { resultsFile: 'shots.results.jsonl' });
    assert.deepEqual(seen(runs), [{ title: 'shots.prompts.jsonl', mode: 'batch', status: 'done', progress: '200 of 200 · 2 failed', resultsFile: 'shots.results.jsonl' }]);
    assert.equal(runs.resultsFileOf(run.id), 'shots.results.jsonl');
    assert.equal(runs.batchApiRun('batches/a'), undefined, 'a finished card is not found by its batches any more');

    run.polled({ name: 'batches/a', state: 'running', succeeded: 1 });
    assert.equal(runs.views[0].status, 'done', 'a finished card takes no more polls');
    assert.equal(runs.views[0].done, 200);
  });

  test('the state words: running wins, then pending, then finished; none yet is submitting', () => {
    assert.equal(describeProviderStates([]), 'Submitting to the provider');
    assert.equal(describeProviderStates(['pending']), 'Pending at the provider');
    assert.equal(describeProviderStates(['succeeded', 'pending']), 'Pending at the provider');
    assert.equal(describeProviderStates(['pending', 'running', 'succeeded']), 'Running at the provider');
    assert.equal(describeProviderStates(['succeeded', 'failed']), 'Finished at the provider: saving the images');
  });

  test('how a run ends: cancelled on the card or at the provider, failed when nothing was made or the provider failed it', () => {
    const runs = new BatchRuns();
    let cancels = 0;
    const onCard = runs.startBatchApi({ title: 'a', total: 3, skipped: 0, cancel: () => cancels++ });
    onCard.polled({ name: 'batches/1', state: 'running', total: 3, succeeded: 1 });
    assert.equal(runs.cancel(onCard.id), true);
    assert.equal(cancels, 1, 'the card’s Cancel is the run’s cancel');
    onCard.settle({ saved: 1, failed: 2 });
    assert.equal(runs.views[0].status, 'cancelled', 'what finished is saved, and the card says it was cancelled');
    assert.equal(runs.views[0].progress, '3 of 3 · 2 failed');
    assert.equal(runs.cancel(onCard.id), false);
    assert.equal(cancels, 1);

    // Cancelled elsewhere ("Show Batch API Jobs…" → Cancel Batch): the provider's final state says so.
    const elsewhere = runs.startBatchApi({ title: 'b', total: 2, skipped: 0, cancel: () => assert.fail('not from the card') });
    elsewhere.polled({ name: 'batches/2', state: 'cancelled', total: 2, succeeded: 1 });
    elsewhere.settle({ saved: 1, failed: 1 });
    assert.equal(runs.views[0].status, 'cancelled');

    const providerFailed = runs.startBatchApi({ title: 'c', total: 2, skipped: 0, cancel: () => undefined });
    providerFailed.polled({ name: 'batches/3', state: 'failed' });
    providerFailed.settle({ saved: 0, failed: 2 });
    assert.equal(runs.views[0].status, 'failed');

    const nothingMade = runs.startBatchApi({ title: 'd', total: 2, skipped: 0, cancel: () => undefined });
    nothingMade.polled({ name: 'batches/4', state: 'succeeded', total: 2, failed: 2 });
    nothingMade.settle({ saved: 0, failed: 2 });
    assert.equal(runs.views[0].status, 'failed', 'every line refused');

    const someMade = runs.startBatchApi({ title: 'e', total: 2, skipped: 0, cancel: () => undefined });
    someMade.polled({ name: 'batches/5', state: 'succeeded', total: 2, succeeded: 1, failed: 1 });
    someMade.settle({ saved: 1, failed: 1 });
    assert.equal(runs.views[0].status, 'done');

    const allSkipped = runs.startBatchApi({ title: 'f', total: 0, skipped: 5, cancel: () => undefined });
    allSkipped.settle({ saved: 0, failed: 0 });
    assert.equal(runs.views[0].status, 'done', 'nothing left to make is done, not failed');
  });

  test('a batch resumed after a reload gets a card: its polls, Cancel → the batch’s cancel, Open Results once written', async () => {
    const runs = new BatchRuns();
    const cancelled: string[] = [];
    const recorded: string[] = [];
    let written: (path: string | undefined) => void = () => assert.fail('not recorded yet');
    const hooks = resumedBatchCards(runs, {
      cancel: (name) => cancelled.push(name),
      record: (batch) => {
        recorded.push(batch.name);
        return new Promise((resolve) => (written = resolve));
      },
      log: { warn: (message) => assert.fail(message) },
    });
    const batch = remembered('batches/resumed-1', 3, 'file:///work/my%20shots.prompts.jsonl');
    const onStatus = hooks.onResumingBatch(batch);
    assert.deepEqual(seen(runs), [{ title: 'my shots.prompts.jsonl', mode: 'batch', status: 'running', state: 'Resumed after a reload: asking the provider', progress: '0 of 3' }]);
    assert.equal(runs.batchApiRun('batches/resumed-1')?.id, runs.views[0].id);

    onStatus({ name: 'batches/resumed-1', state: 'running', total: 3, succeeded: 1 });
    assert.equal(runs.views[0].state, 'Running at the provider');
    assert.equal(runs.views[0].progress, '1 of 3');

    assert.equal(runs.cancel(runs.views[0].id), true);
    assert.deepEqual(cancelled, ['batches/resumed-1'], 'Cancel on the card cancels that batch at the provider');
    onStatus({ name: 'batches/resumed-1', state: 'cancelled', total: 3, succeeded: 2 });

    hooks.onResumedBatchFinished(batch, { files: ['a.png', 'b.png'], failures: [{ line: 3, message: 'Not made: cancelled' }] });
    assert.deepEqual(recorded, ['batches/resumed-1']);
    assert.equal(runs.views[0].status, 'running', 'the card waits for its results file');
    written('my shots.results.jsonl');
    await settled();
    assert.deepEqual(seen(runs), [{ title: 'my shots.prompts.jsonl', mode: 'batch', status: 'cancelled', progress: '3 of 3 · 1 failed', resultsFile: 'my shots.results.jsonl' }]);
    assert.equal(runs.resultsFileOf(runs.views[0].id), 'my shots.results.jsonl');
  });

  test('a resumed batch that could not be collected says why; one without a prompts file is titled by its display name', async () => {
    const runs = new BatchRuns();
    const warnings: string[] = [];
    const hooks = resumedBatchCards(runs, {
      cancel: () => assert.fail('not cancelled'),
      record: () => Promise.reject(new Error('disk full')),
      log: { warn: (message) => warnings.push(message) },
    });
    const noToken = remembered('batches/no-token', 2, 'file:///work/covers.prompts.txt');
    hooks.onResumingBatch(noToken);
    hooks.onResumedBatchFailed(noToken, 'No API token is set for 127.0.0.1: set it again to collect this batch.');
    assert.deepEqual(seen(runs), [
      { title: 'covers.prompts.txt', mode: 'batch', status: 'failed', progress: '0 of 2', message: 'No API token is set for 127.0.0.1: set it again to collect this batch.' },
    ]);

    const jobs = remembered('batches/jobs', 1);
    hooks.onResumingBatch(jobs)({ name: 'batches/jobs', state: 'succeeded', total: 1, succeeded: 1 });
    hooks.onResumedBatchFinished(jobs, { files: ['x.png'], failures: [] });
    await settled();
    assert.deepEqual(seen(runs)[0], { title: 'shown at the provider', mode: 'batch', status: 'done', progress: '1 of 1' });
    assert.deepEqual(warnings, ['Results file not written: Error: disk full'], 'no Open Results without a results file');
    hooks.onResumedBatchFailed(remembered('batches/unknown', 1), 'ignored');
    assert.equal(runs.views.length, 2, 'a batch without a card changes nothing');

    // The key is set again: the batch is picked up again, and its new card replaces the one that said why it stopped.
    hooks.onResumingBatch(noToken);
    assert.deepEqual(
      seen(runs).map(({ title, status }) => [title, status]),
      [
        ['covers.prompts.txt', 'running'],
        ['shown at the provider', 'done'],
      ],
    );
  });
});
