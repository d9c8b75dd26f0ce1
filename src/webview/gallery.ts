// The history gallery: a virtualised list (only the rows in view exist in the DOM), keyboard navigable, with the
// actions for each image and the token usage per image and in total.
import type { HistoryItem } from '../shared/protocol';
import { byId, el, icon, iconButton, showNotice } from './dom';
import { baseName, formatAge, formatNumber, truncate } from './format';

/** Every row has the same height, so positions are arithmetic and 1,000 items cost as much as 20. */
const ROW_HEIGHT = 88;
/** Rows rendered above and below the viewport, so fast scrolling does not show gaps. */
const OVERSCAN = 6;

export interface GalleryActions {
  readonly open: (path: string) => void;
  readonly reveal: (path: string) => void;
  readonly copyPath: (path: string) => void;
  readonly useAsReference: (path: string) => void;
  readonly refine: (path: string) => void;
  readonly generateAgain: (item: HistoryItem) => void;
}

interface RenderedRow {
  readonly item: HistoryItem;
  readonly element: HTMLDivElement;
}

export class Gallery {
  private readonly list = byId<HTMLDivElement>('gallery-list');
  private readonly summary = byId<HTMLParagraphElement>('gallery-summary');
  private readonly empty = byId<HTMLParagraphElement>('gallery-empty');
  private readonly filterInput = byId<HTMLInputElement>('gallery-filter');
  readonly notice = byId<HTMLParagraphElement>('gallery-notice');
  private items: HistoryItem[] = [];
  private readonly byPath = new Map<string, HistoryItem>();
  private shown: HistoryItem[] = [];
  private readonly rows = new Map<string, RenderedRow>();
  private activePath: string | undefined;
  private scanning = false;
  private frame: number | undefined;

  constructor(private readonly actions: GalleryActions) {
    window.addEventListener('scroll', () => this.schedule(), { passive: true });
    window.addEventListener('resize', () => this.schedule());
    this.filterInput.addEventListener('input', () => {
      this.applyFilter();
      this.render();
    });
    this.list.addEventListener('keydown', (event) => this.onKey(event));
    this.list.addEventListener('focusin', (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('.gallery-row');
      if (row?.dataset.path && row.dataset.path !== this.activePath) {
        this.activePath = row.dataset.path;
        this.updateTabStops();
      }
    });
    this.list.addEventListener('focus', () => this.focusActive());
  }

  /** Replaces the whole history (newest first) and records how long the first paint of it took. */
  setItems(items: readonly HistoryItem[], scanning: boolean): void {
    const started = performance.now();
    this.items = [...items];
    this.byPath.clear();
    for (const item of this.items) this.byPath.set(item.path, item);
    this.scanning = scanning;
    this.applyFilter();
    this.render();
    this.list.dataset.renderMs = (performance.now() - started).toFixed(1);
  }

  /** Puts just-saved images on top (replacing older entries for the same files). */
  add(items: readonly HistoryItem[]): void {
    const paths = new Set(items.map((item) => item.path));
    this.items = [...items, ...this.items.filter((item) => !paths.has(item.path))];
    for (const item of items) this.byPath.set(item.path, item);
    this.applyFilter();
    this.render();
  }

  itemFor(path: string): HistoryItem | undefined {
    return this.byPath.get(path);
  }

  private applyFilter(): void {
    const words = this.filterInput.value.toLowerCase().split(/\s+/).filter(Boolean);
    this.shown =
      words.length === 0
        ? this.items
        : this.items.filter((item) => {
            const text = `${item.prompt} ${item.model} ${item.path}`.toLowerCase();
            return words.every((word) => text.includes(word));
          });
  }

  private schedule(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.render();
    });
  }

  private render(): void {
    const count = this.shown.length;
    this.list.style.height = `${count * ROW_HEIGHT}px`;
    this.renderSummary();
    const top = this.list.getBoundingClientRect().top;
    const first = clamp(Math.floor(-top / ROW_HEIGHT) - OVERSCAN, 0, count);
    const end = clamp(Math.ceil((window.innerHeight - top) / ROW_HEIGHT) + OVERSCAN, 0, count);
    const wanted = new Map<string, number>();
    for (let index = first; index < end; index++) wanted.set(this.shown[index].path, index);
    // The focused row stays even when scrolled away, so keyboard focus is never dropped.
    const focusedPath = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('.gallery-row')?.dataset.path;
    const indexOf = new Map(this.shown.map((item, index) => [item.path, index] as const));
    if (focusedPath && !wanted.has(focusedPath) && indexOf.has(focusedPath)) wanted.set(focusedPath, indexOf.get(focusedPath) as number);
    for (const [path, row] of this.rows) {
      const current = this.byPath.get(path);
      if (!wanted.has(path) || current !== row.item) {
        row.element.remove();
        this.rows.delete(path);
      }
    }
    for (const [path, index] of wanted) {
      let row = this.rows.get(path);
      if (!row) {
        const item = this.shown[index];
        row = { item, element: this.row(item) };
        this.rows.set(path, row);
        this.list.append(row.element);
      }
      row.element.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      row.element.setAttribute('aria-posinset', String(index + 1));
      row.element.setAttribute('aria-setsize', String(count));
    }
    this.list.dataset.renderedRows = String(this.rows.size);
    this.updateTabStops();
  }

  private renderSummary(): void {
    const total = this.items.reduce((sum, item) => sum + (item.usage?.totalTokenCount ?? 0), 0);
    const count = this.items.length;
    const parts = [`${formatNumber(count)} image${count === 1 ? '' : 's'}`];
    if (total > 0) parts.push(`${formatNumber(total)} tokens in total`);
    if (this.shown.length !== count) parts.push(`${formatNumber(this.shown.length)} shown`);
    if (this.scanning) parts.push('looking for saved images…');
    this.summary.textContent = parts.join(' · ');
    this.empty.hidden = this.shown.length > 0 || this.scanning;
    this.empty.textContent =
      count === 0 ? 'Images you generate appear here, newest first. Their recipes travel inside the files, so the history survives reloads.' : 'No image matches the filter.';
    this.filterInput.hidden = count < 2;
  }

  /** One tab stop for the whole list: the active row and its buttons; arrow keys move between rows. */
  private updateTabStops(): void {
    const activePath = this.activePath && this.byPath.has(this.activePath) ? this.activePath : this.shown[0]?.path;
    this.activePath = activePath;
    let activeRendered = false;
    for (const [path, row] of this.rows) {
      const active = path === activePath;
      activeRendered ||= active;
      row.element.tabIndex = active ? 0 : -1;
      row.element.classList.toggle('active', active);
      row.element.querySelectorAll('button').forEach((button) => (button.tabIndex = active ? 0 : -1));
    }
    this.list.tabIndex = activeRendered || this.shown.length === 0 ? -1 : 0;
  }

  private onKey(event: KeyboardEvent): void {
    const row = (event.target as HTMLElement).closest<HTMLElement>('.gallery-row');
    const onRow = row !== null && event.target === row;
    if (!onRow && event.target !== this.list) return;
    const index = this.shown.findIndex((item) => item.path === this.activePath);
    const page = Math.max(1, Math.floor(window.innerHeight / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      PageDown: index + page,
      PageUp: index - page,
      Home: 0,
      End: this.shown.length - 1,
    };
    if (event.key in moves) {
      event.preventDefault();
      const next = this.shown[clamp(moves[event.key], 0, this.shown.length - 1)];
      if (next) {
        this.activePath = next.path;
        this.focusActive();
      }
    } else if (event.key === 'Enter' && onRow && this.activePath) {
      event.preventDefault();
      this.actions.open(this.activePath);
    }
  }

  /** Scrolls the active row into view, renders it, and focuses it. */
  private focusActive(): void {
    const index = this.shown.findIndex((item) => item.path === this.activePath);
    if (index < 0) return;
    const listTop = this.list.getBoundingClientRect().top + window.scrollY;
    const rowTop = listTop + index * ROW_HEIGHT;
    if (rowTop < window.scrollY) window.scrollTo({ top: rowTop - 8 });
    else if (rowTop + ROW_HEIGHT > window.scrollY + window.innerHeight) window.scrollTo({ top: rowTop + ROW_HEIGHT - window.innerHeight + 8 });
    this.render();
    this.rows.get(this.shown[index].path)?.element.focus({ preventScroll: true });
  }

  private row(item: HistoryItem): HTMLDivElement {
    const name = baseName(item.path);
    const options = [item.aspectRatio, item.imageSize, item.outputFormat].filter(Boolean).join(' · ');
    const usage = item.usage;
    const tokens = usage?.totalTokenCount;
    const usageTitle = usage
      ? [
          usage.promptTokenCount !== undefined ? `prompt ${formatNumber(usage.promptTokenCount)}` : '',
          usage.candidatesTokenCount !== undefined ? `output ${formatNumber(usage.candidatesTokenCount)}` : '',
          usage.thoughtsTokenCount !== undefined ? `thinking ${formatNumber(usage.thoughtsTokenCount)}` : '',
        ]
          .filter(Boolean)
          .join(', ')
      : 'no usage reported';
    const thumb = el('img', { attrs: { src: item.src, alt: '', loading: 'lazy', decoding: 'async', draggable: 'false' } });
    thumb.addEventListener('error', () => thumb.parentElement?.classList.add('missing'), { once: true });
    const open = el(
      'button',
      { className: 'thumb', title: `Open ${item.path}`, attrs: { type: 'button', 'aria-label': `Open ${name}` } },
      thumb,
      icon('file-media', 'thumb-fallback'),
    );
    open.addEventListener('click', () => this.actions.open(item.path));
    const references = item.references.length > 0 ? `${item.references.length} reference${item.references.length === 1 ? '' : 's'}` : '';
    const element = el(
      'div',
      {
        className: 'gallery-row',
        attrs: {
          role: 'listitem',
          'data-path': item.path,
          'aria-label': `${truncate(item.prompt, 80)}. ${item.model}${options ? `, ${options}` : ''}${tokens !== undefined ? `, ${formatNumber(tokens)} tokens` : ''}. ${name}`,
        },
      },
      open,
      el(
        'div',
        { className: 'row-body' },
        el('div', { className: 'row-prompt', text: item.prompt, title: item.prompt }),
        el(
          'div',
          { className: 'row-meta' },
          el('span', { text: [item.model, options].filter(Boolean).join(' · '), title: item.path }),
          tokens !== undefined ? el('span', { className: 'tokens', text: `${formatNumber(tokens)} tokens`, title: usageTitle }) : null,
        ),
        el(
          'div',
          { className: 'row-foot' },
          el(
            'div',
            { className: 'row-actions', attrs: { role: 'toolbar', 'aria-label': `Actions for ${name}` } },
            iconButton('go-to-file', 'Open', () => this.actions.open(item.path)),
            iconButton('folder-opened', 'Reveal in Explorer', () => this.actions.reveal(item.path)),
            iconButton('copy', 'Copy path', () => this.actions.copyPath(item.path)),
            iconButton('attach', 'Use as reference', () => this.actions.useAsReference(item.path)),
            iconButton('edit', 'Refine (continue this conversation)', () => this.actions.refine(item.path)),
            iconButton('debug-rerun', 'Generate again with the same recipe', () => this.actions.generateAgain(item)),
          ),
          el(
            'span',
            { className: 'row-age' },
            references ? el('span', { text: `${references} · `, title: item.references.join('\n') }) : null,
            el('span', { text: formatAge(item.createdAt), title: item.createdAt }),
          ),
        ),
      ),
    );
    return element;
  }

  showNotice(text: string | undefined, kind: 'info' | 'error' = 'info'): void {
    showNotice(this.notice, text, kind);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
