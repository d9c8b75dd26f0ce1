// Reference thumbnails: add (picker, Explorer drop), remove, reorder by drag or keyboard, with the limits in view.
import type { PanelState, ReferenceView } from '../shared/protocol';
import { byId, el, iconButton, showNotice } from './dom';
import { estimateRequestBytes, formatBytes, utf8Length } from './format';
import type { HostChannel } from './host';

/** Drag data types the Explorer puts on a drag (the DOM lowercases them). */
const URI_LIST_TYPES = ['application/vnd.code.uri-list', 'resourceurls', 'text/uri-list'];
const REORDER_TYPE = 'application/x-gemini-image-reference';

export class References {
  private readonly section = byId<HTMLElement>('references');
  private readonly list = byId<HTMLUListElement>('reference-list');
  private readonly empty = byId<HTMLParagraphElement>('reference-empty');
  private readonly limits = byId<HTMLSpanElement>('reference-limits');
  private readonly warning = byId<HTMLParagraphElement>('reference-warning');
  private readonly notice = byId<HTMLParagraphElement>('reference-notice');
  private references: readonly ReferenceView[] = [];
  private dragDepth = 0;

  constructor(
    private readonly host: HostChannel,
    private readonly prompt: () => string,
    private readonly model: () => { id: string; maxReferences: number } | undefined,
  ) {
    byId('add-references').addEventListener('click', () => void this.pick());
    // The whole panel takes drops, so users need not aim; the references section lights up.
    document.addEventListener('dragenter', (event) => this.onDragEnter(event));
    document.addEventListener('dragover', (event) => this.onDragOver(event));
    document.addEventListener('dragleave', () => this.onDragLeave());
    document.addEventListener('drop', (event) => void this.onDrop(event));
  }

  update(state: PanelState): void {
    const focusedPath = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('.reference')?.dataset.path;
    this.references = state.references;
    const total = state.references.length;
    this.list.replaceChildren(...state.references.map((reference, index) => this.tile(reference, index, total)));
    this.empty.hidden = total > 0;
    this.renderLimits(state);
    if (focusedPath) this.list.querySelector<HTMLElement>(`.reference[data-path="${CSS.escape(focusedPath)}"]`)?.focus();
  }

  /** Re-checks the limits (the prompt and the model change them). */
  renderLimits(state: PanelState): void {
    const model = this.model();
    const max = model?.maxReferences ?? 14;
    const request = estimateRequestBytes(utf8Length(this.prompt()), state.references.map((reference) => reference.bytes));
    this.limits.textContent =
      state.references.length === 0
        ? `up to ${max}`
        : `${state.references.length} of ${max} · ${formatBytes(request)} of ${formatBytes(state.maxRequestBytes)}`;
    this.limits.title = `${model?.id ?? 'This model'} takes up to ${max} reference images; a request (images grow by a third when sent) must stay under ${formatBytes(state.maxRequestBytes)}.`;
    const problems: string[] = [];
    if (state.references.length > max) problems.push(`${model?.id} takes at most ${max} reference images: remove ${state.references.length - max} or choose a model that takes more.`);
    if (request > state.maxRequestBytes) problems.push(`About ${formatBytes(request)} would be sent, over the ${formatBytes(state.maxRequestBytes)} limit: remove or shrink reference images.`);
    this.warning.hidden = problems.length === 0;
    this.warning.textContent = problems.join(' ');
    this.limits.classList.toggle('error', problems.length > 0);
  }

  /** Adds gallery images by workspace path ("use as reference"). */
  async addPaths(paths: readonly string[]): Promise<void> {
    const reply = await this.host.request({ type: 'addReferences', paths });
    showNotice(this.notice, reply.message, reply.ok ? 'info' : 'error');
  }

  private tile(reference: ReferenceView, index: number, total: number): HTMLLIElement {
    const move = (to: number): void => this.host.send({ type: 'moveReference', path: reference.path, index: to });
    const remove = (): void => this.host.send({ type: 'removeReference', path: reference.path });
    const earlier = iconButton('arrow-left', `Send ${reference.name} earlier`, () => move(index - 1));
    earlier.disabled = index === 0;
    const later = iconButton('arrow-right', `Send ${reference.name} later`, () => move(index + 1));
    later.disabled = index === total - 1;
    const item = el(
      'li',
      {
        className: 'reference',
        title: `${reference.path} (${formatBytes(reference.bytes)})\nDelete removes it; Alt+Left/Right moves it.`,
        attrs: {
          tabindex: '0',
          draggable: 'true',
          'data-path': reference.path,
          'aria-label': `${reference.name}, ${formatBytes(reference.bytes)}, reference ${index + 1} of ${total}`,
        },
      },
      el('img', { attrs: { src: reference.src, alt: '', draggable: 'false' } }),
      el('span', { className: 'reference-name', text: reference.name }),
      el('div', { className: 'reference-actions' }, earlier, later, iconButton('close', `Remove ${reference.name}`, remove)),
    );
    item.addEventListener('keydown', (event) => {
      if (event.target !== item) return;
      if (event.key === 'Delete' || event.key === 'Backspace') {
        event.preventDefault();
        remove();
      } else if (event.altKey && event.key === 'ArrowLeft' && index > 0) {
        event.preventDefault();
        move(index - 1);
      } else if (event.altKey && event.key === 'ArrowRight' && index < total - 1) {
        event.preventDefault();
        move(index + 1);
      }
    });
    item.addEventListener('dragstart', (event) => {
      event.dataTransfer?.setData(REORDER_TYPE, reference.path);
      if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
    });
    item.addEventListener('drop', (event) => {
      const path = event.dataTransfer?.getData(REORDER_TYPE);
      if (!path) return;
      event.preventDefault();
      event.stopPropagation();
      this.resetDrag();
      if (path !== reference.path) this.host.send({ type: 'moveReference', path, index });
    });
    return item;
  }

  private async pick(): Promise<void> {
    const reply = await this.host.request({ type: 'pickReferences' });
    showNotice(this.notice, reply.message, reply.ok ? 'info' : 'error');
  }

  private accepts(event: DragEvent): boolean {
    const types = Array.from(event.dataTransfer?.types ?? []).map((type) => type.toLowerCase());
    return types.includes(REORDER_TYPE) || URI_LIST_TYPES.some((type) => types.includes(type));
  }

  private onDragEnter(event: DragEvent): void {
    if (!this.accepts(event)) return;
    this.dragDepth++;
    this.section.classList.add('dragging');
  }

  private onDragOver(event: DragEvent): void {
    if (!this.accepts(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = Array.from(event.dataTransfer.types).includes(REORDER_TYPE) ? 'move' : 'copy';
  }

  private onDragLeave(): void {
    this.dragDepth = Math.max(0, this.dragDepth - 1);
    if (this.dragDepth === 0) this.section.classList.remove('dragging');
  }

  private resetDrag(): void {
    this.dragDepth = 0;
    this.section.classList.remove('dragging');
  }

  private async onDrop(event: DragEvent): Promise<void> {
    if (!event.dataTransfer || !this.accepts(event)) return;
    event.preventDefault();
    this.resetDrag();
    const reordered = event.dataTransfer.getData(REORDER_TYPE);
    if (reordered) {
      // Dropped on the panel but not on another tile: to the end.
      this.host.send({ type: 'moveReference', path: reordered, index: this.references.length });
      return;
    }
    const uris = droppedUris(event.dataTransfer);
    if (uris.length === 0) {
      showNotice(this.notice, 'Nothing to add: drop image files from the Explorer.', 'error');
      return;
    }
    const reply = await this.host.request({ type: 'dropReferences', uris });
    showNotice(this.notice, reply.message, reply.ok ? 'info' : 'error');
  }
}

/** URIs from an Explorer drag: VS Code's own list holds every file (text/uri-list may hold only the first). */
export function droppedUris(data: DataTransfer): string[] {
  const uris = new Set<string>();
  for (const type of URI_LIST_TYPES) {
    for (const uri of parseUriList(data.getData(type))) uris.add(uri);
    if (uris.size > 0) break;
  }
  return [...uris].slice(0, 64);
}

function parseUriList(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      return Array.isArray(parsed) ? parsed.filter((entry): entry is string => typeof entry === 'string') : [];
    } catch {
      return [];
    }
  }
  return trimmed
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
