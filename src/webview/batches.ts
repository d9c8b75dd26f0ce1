// Batch cards: a prompt-file batch's progress (the notification's own text), Cancel while it runs, then its results.
import type { BatchView } from '../shared/protocol';
import { byId, el, icon, iconButton, showNotice, textButton } from './dom';
import type { HostChannel } from './host';

const STATUS_ICONS: Record<BatchView['status'], string> = {
  running: 'loading codicon-modifier-spin',
  done: 'pass',
  failed: 'error',
  cancelled: 'circle-slash',
};

const STATUS_WORDS: Record<BatchView['status'], string> = {
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export class Batches {
  private readonly section = byId<HTMLElement>('batches');
  private readonly list = byId<HTMLUListElement>('batch-list');
  private readonly notice = byId<HTMLElement>('batch-notice');
  private readonly cards = new Map<string, { readonly key: string; readonly element: HTMLLIElement }>();

  constructor(private readonly host: HostChannel) {}

  update(batches: readonly BatchView[]): void {
    this.section.hidden = batches.length === 0;
    const elements = batches.map((batch) => {
      // Unchanged cards keep their elements (and focus).
      const key = JSON.stringify(batch);
      const known = this.cards.get(batch.id);
      if (known && known.key === key) return known.element;
      const element = this.card(batch);
      this.cards.set(batch.id, { key, element });
      return element;
    });
    const ids = new Set(batches.map((batch) => batch.id));
    for (const id of [...this.cards.keys()]) if (!ids.has(id)) this.cards.delete(id);
    const focused = document.activeElement;
    this.list.replaceChildren(...elements);
    if (focused instanceof HTMLElement && !document.contains(focused)) this.list.querySelector<HTMLElement>('button')?.focus();
  }

  private card(batch: BatchView): HTMLLIElement {
    const running = batch.status === 'running';
    const status = [batch.progress, batch.skipped > 0 ? `${batch.skipped} already made` : ''].filter(Boolean).join(' · ');
    const head = el(
      'div',
      { className: 'job-head' },
      icon(STATUS_ICONS[batch.status]),
      el('span', { className: 'job-title', text: batch.title, title: batch.title }),
      running
        ? iconButton('debug-stop', `Cancel the batch ${batch.title}`, () => this.host.send({ type: 'cancelBatch', batchId: batch.id }))
        : iconButton('close', 'Dismiss', () => this.host.send({ type: 'dismissBatch', batchId: batch.id })),
    );
    return el(
      'li',
      { className: `job batch job-${batch.status}`, attrs: { 'aria-busy': String(running), 'data-batch': batch.id } },
      head,
      el('div', { className: 'job-meta' }, el('span', { text: batch.mode === 'batch' ? 'Batch API' : 'Interactive' }), el('span', { className: 'batch-state', text: (running ? batch.state : undefined) ?? STATUS_WORDS[batch.status] })),
      el(
        'div',
        {
          className: 'progress',
          attrs: {
            role: 'progressbar',
            'aria-label': `${batch.title}: ${batch.progress}`,
            'aria-valuemin': '0',
            'aria-valuemax': String(batch.total),
            'aria-valuenow': String(batch.done),
          },
        },
        progressBar(batch),
      ),
      el('div', { className: 'job-status batch-progress', text: status }),
      batch.message ? el('p', { className: 'warning', text: batch.message }) : null,
      !running && batch.resultsFile
        ? el('div', { className: 'steps' }, textButton('go-to-file', 'Open Results', 'secondary', () => void this.openResults(batch)))
        : null,
    );
  }

  private async openResults(batch: BatchView): Promise<void> {
    const reply = await this.host.request({ type: 'openBatchResults', batchId: batch.id });
    if (!reply.ok) showNotice(this.notice, reply.message ?? 'Could not open the results file.', 'error');
  }
}

function progressBar(batch: BatchView): HTMLElement {
  const fraction = batch.total === 0 ? 1 : batch.done / batch.total;
  const bar = el('div', { className: `progress-bar${batch.status === 'running' ? ' active' : ''}` });
  // CSSOM, not a style attribute: the CSP allows no inline styles.
  bar.style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
  return bar;
}
