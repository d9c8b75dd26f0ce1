// Job cards: per-image progress while a generation runs, then its results, the model's words, or what went wrong.
import type { GroundingView, HistoryItem, JobView, NextStep } from '../shared/protocol';
import { byId, el, icon, iconButton, textButton } from './dom';
import { baseName, formatDuration, truncate } from './format';
import type { HostChannel } from './host';

const STEP_BUTTONS: Record<NextStep, { icon: string; label: string }> = {
  setToken: { icon: 'key', label: 'Set API Key…' },
  retry: { icon: 'refresh', label: 'Retry' },
  showLog: { icon: 'output', label: 'Show Log' },
  openSettings: { icon: 'settings-gear', label: 'Open Settings' },
  chooseModel: { icon: 'list-selection', label: 'Choose a Model…' },
};

const STATUS_ICONS: Record<JobView['status'], string> = {
  running: 'loading codicon-modifier-spin',
  done: 'pass',
  failed: 'error',
  cancelled: 'circle-slash',
};

export class Jobs {
  private readonly section = byId<HTMLElement>('jobs');
  private readonly list = byId<HTMLUListElement>('job-list');
  private readonly cards = new Map<string, { readonly key: string; readonly element: HTMLLIElement }>();
  private jobs: readonly JobView[] = [];
  private timer: number | undefined;

  constructor(
    private readonly host: HostChannel,
    private readonly itemFor: (path: string) => HistoryItem | undefined,
    private readonly open: (path: string) => void,
  ) {}

  update(jobs: readonly JobView[]): void {
    this.jobs = jobs;
    this.render();
  }

  /** Re-renders the cards whose images just reached the gallery (their keys name the thumbnails). */
  refreshThumbnails(): void {
    this.render();
  }

  scrollIntoView(): void {
    this.section.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  private render(): void {
    this.section.hidden = this.jobs.length === 0;
    const elements = this.jobs.map((job) => {
      // Cards that did not change keep their elements (and their loaded thumbnails and focus).
      const key = JSON.stringify(job) + job.saved.map((path) => this.itemFor(path)?.src ?? '').join();
      const known = this.cards.get(job.id);
      if (known && known.key === key) return known.element;
      const element = this.card(job);
      this.cards.set(job.id, { key, element });
      return element;
    });
    const ids = new Set(this.jobs.map((job) => job.id));
    for (const id of [...this.cards.keys()]) if (!ids.has(id)) this.cards.delete(id);
    const focused = document.activeElement;
    this.list.replaceChildren(...elements);
    if (focused instanceof HTMLElement && !document.contains(focused)) this.list.querySelector<HTMLElement>('button')?.focus();
    this.tick();
    const running = this.jobs.some((job) => job.status === 'running');
    if (running && this.timer === undefined) this.timer = window.setInterval(() => this.tick(), 1000);
    if (!running && this.timer !== undefined) {
      window.clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Updates elapsed times without rebuilding cards. */
  private tick(): void {
    const now = Date.now();
    for (const job of this.jobs) {
      const elapsed = this.cards.get(job.id)?.element.querySelector('.job-elapsed');
      if (elapsed) elapsed.textContent = formatDuration((job.finishedAt ?? now) - job.startedAt);
    }
  }

  private card(job: JobView): HTMLLIElement {
    const running = job.status === 'running';
    const slots = Math.max(job.variants, job.saved.length);
    const action = running
      ? iconButton('debug-stop', 'Cancel this generation', () => this.host.send({ type: 'cancel', jobId: job.id }))
      : iconButton('close', 'Dismiss', () => this.host.send({ type: 'dismissJob', jobId: job.id }));
    const meta = [job.model, job.summary, job.refine ? `refining ${baseName(job.refine)}` : ''].filter(Boolean).join(' · ');
    const progressLabel = running
      ? `${job.saved.length} of ${job.variants} image${job.variants === 1 ? '' : 's'} saved`
      : job.status === 'done'
        ? `${job.saved.length} image${job.saved.length === 1 ? '' : 's'} saved`
        : job.status === 'cancelled'
          ? `Cancelled${job.saved.length ? ` after ${job.saved.length} image${job.saved.length === 1 ? '' : 's'}` : ''}`
          : 'Failed';
    return el(
      'li',
      { className: `job job-${job.status}`, attrs: { 'aria-busy': String(running), 'data-job': job.id } },
      el(
        'div',
        { className: 'job-head' },
        icon(STATUS_ICONS[job.status]),
        el('span', { className: 'job-title', text: truncate(job.prompt, 120), title: job.prompt }),
        action,
      ),
      el('div', { className: 'job-meta' }, el('span', { text: meta }), el('span', { className: 'job-elapsed' })),
      el(
        'div',
        {
          className: 'progress',
          attrs: {
            role: 'progressbar',
            'aria-label': progressLabel,
            'aria-valuemin': '0',
            'aria-valuemax': String(slots),
            'aria-valuenow': String(job.saved.length),
          },
        },
        progressBar(running ? job.saved.length / slots : 1, running),
      ),
      el('div', { className: 'job-status', text: progressLabel }),
      el('div', { className: 'job-slots' }, ...Array.from({ length: slots }, (_, index) => this.slot(job, index, slots))),
      // Variants often say the same thing: each sentence once.
      job.texts.length > 0 ? el('blockquote', { className: 'model-text', text: `The model said: ${[...new Set(job.texts)].join(' ')}` }) : null,
      job.failures.length > 0
        ? el('p', { className: 'warning', text: `${job.failures.length} of ${job.failures.length + job.saved.length} requests failed: ${job.failures[0]}` })
        : null,
      job.notes?.length ? el('p', { className: 'warning', text: [...new Set(job.notes)].join(' ') }) : null,
      job.grounding ? groundingBlock(job.grounding) : null,
      job.cost ? el('p', { className: 'hint job-cost', text: `Estimated cost: ${job.cost}`, title: 'An estimate from the token counts and geminiImage.prices, not a bill' }) : null,
      job.failure ? this.failure(job) : null,
    );
  }

  private slot(job: JobView, index: number, slots: number): HTMLElement {
    const path = job.saved[index];
    if (path) {
      const item = this.itemFor(path);
      const button = el(
        'button',
        { className: 'slot saved', title: `Open ${path}`, attrs: { type: 'button', 'aria-label': `Open ${baseName(path)}` } },
        item?.src ? el('img', { attrs: { src: item.src, alt: '' } }) : icon('file-media'),
      );
      button.addEventListener('click', () => this.open(path));
      return button;
    }
    const state = job.status === 'running' ? 'waiting' : 'missing';
    return el(
      'div',
      { className: `slot ${state}`, attrs: { role: 'img', 'aria-label': `Image ${index + 1} of ${slots}: ${state === 'waiting' ? 'generating' : 'not made'}` } },
      icon(state === 'waiting' ? 'loading' : 'circle-slash', state === 'waiting' ? 'codicon-modifier-spin' : ''),
    );
  }

  private failure(job: JobView): HTMLElement | null {
    const failure = job.failure;
    if (!failure) return null;
    const cancelled = job.status === 'cancelled';
    return el(
      'div',
      { className: `job-failure${cancelled ? ' cancelled' : ''}`, attrs: { role: cancelled ? 'status' : 'alert' } },
      el('p', { className: 'failure-message', text: failure.message }),
      failure.code ? el('p', { className: 'failure-code' }, el('span', { className: 'badge', text: failure.code, title: 'finishReason / blockReason' })) : null,
      // Refusal messages often quote the model already; the full text is shown when they do not.
      failure.texts.length > 0 && !failure.message.includes(failure.texts.join(' ')) ? el('blockquote', { className: 'model-text', text: `The model said: ${failure.texts.join(' ')}` }) : null,
      el(
        'div',
        { className: 'steps' },
        ...failure.steps.map((step, index) =>
          textButton(STEP_BUTTONS[step].icon, STEP_BUTTONS[step].label, index === 0 ? 'secondary emphasis' : 'secondary', () =>
            this.host.send({ type: 'jobStep', jobId: job.id, step }),
          ),
        ),
      ),
    );
  }
}

function progressBar(fraction: number, running: boolean): HTMLElement {
  const bar = el('div', { className: `progress-bar${running ? ' active' : ''}` });
  // CSSOM, not a style attribute: the CSP allows no inline styles.
  bar.style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
  return bar;
}

/** The Google Search sources of a grounded result, as Google's terms require: links open in the browser. */
function groundingBlock(grounding: GroundingView): HTMLElement {
  const links = grounding.sources
    .filter((source) => /^https?:\/\//i.test(source.uri))
    .map((source) => el('li', {}, el('a', { text: source.title, title: source.uri, attrs: { href: source.uri } })));
  return el(
    'div',
    { className: 'grounding', attrs: { role: 'group', 'aria-label': 'Google Search sources' } },
    el('span', { className: 'section-title', text: 'Sources (Google Search)' }),
    links.length > 0 ? el('ul', {}, ...links) : null,
    // Google's Search Suggestions: each query the model searched for, as a link to that search.
    grounding.queries.length > 0
      ? el(
          'p',
          { className: 'hint search-suggestions' },
          'Searched Google for: ',
          ...grounding.queries.flatMap((query, index) => [
            index > 0 ? ', ' : '',
            el('a', { text: query, attrs: { href: `https://www.google.com/search?q=${encodeURIComponent(query)}` } }),
          ]),
        )
      : null,
  );
}
