// The compose area: prompt (Ctrl/Cmd+Enter generates, Alt+Up/Down recalls), pickers limited to the model, Generate.
import { AUTO, MAX_PROMPT_BYTES, type ComposeChoices, type HistoryItem, type ModelChoice, type PanelState, type PresetView } from '../shared/protocol';
import { byId, el, fillSelect, icon, iconButton, showNotice } from './dom';
import { baseName, estimateRequestBytes, formatBytes, truncate, utf8Length } from './format';
import type { HostChannel } from './host';
import { presetChange } from './presetChoice';

const IS_MAC = navigator.userAgent.includes('Mac');
const FORMAT_LABELS: Record<string, string> = { auto: 'Auto', png: 'PNG', jpeg: 'JPEG' };

export interface ComposeHooks {
  /** The gallery item for a path (for the refine chip's thumbnail). */
  readonly itemFor: (path: string) => HistoryItem | undefined;
  /** A generation was accepted by the host. */
  readonly onStarted: () => void;
  /** The prompt or a picker changed (the reference limits depend on both). */
  readonly onChanged: () => void;
}

export class Compose {
  private readonly prompt = byId<HTMLTextAreaElement>('prompt');
  private readonly recent = byId<HTMLSelectElement>('recent');
  private readonly refineChip = byId<HTMLDivElement>('refine-chip');
  private readonly promptSize = byId<HTMLSpanElement>('prompt-size');
  private readonly preset = byId<HTMLSelectElement>('preset');
  private readonly presetDescription = byId<HTMLSpanElement>('preset-description');
  private readonly transparent = byId<HTMLInputElement>('transparent');
  private readonly model = byId<HTMLSelectElement>('model');
  private readonly aspectRatio = byId<HTMLSelectElement>('aspect-ratio');
  private readonly imageSize = byId<HTMLSelectElement>('image-size');
  private readonly outputFormat = byId<HTMLSelectElement>('output-format');
  private readonly thinkingLevel = byId<HTMLSelectElement>('thinking-level');
  private readonly grounding = byId<HTMLSelectElement>('grounding');
  private readonly variants = byId<HTMLSelectElement>('variants');
  private readonly generateButton = byId<HTMLButtonElement>('generate');
  private readonly generateLabel = byId<HTMLSpanElement>('generate-label');
  private readonly notice = byId<HTMLParagraphElement>('generate-notice');
  private state: PanelState | undefined;
  private choices: ComposeChoices | undefined;
  private refine: string | undefined;
  private recentIndex = -1;
  private sending = false;

  constructor(
    private readonly host: HostChannel,
    private readonly hooks: ComposeHooks,
  ) {
    const draft = host.draft;
    this.prompt.value = draft.prompt;
    this.refine = draft.refine;
    byId('prompt-hint').textContent = `${IS_MAC ? '⌘' : 'Ctrl'}+Enter to generate`;
    this.prompt.addEventListener('input', () => {
      this.recentIndex = -1;
      this.saveDraft();
      this.refresh();
    });
    this.prompt.addEventListener('keydown', (event) => this.onPromptKey(event));
    this.recent.addEventListener('change', () => {
      const index = Number(this.recent.value);
      if (Number.isInteger(index) && index >= 0) this.recall(index);
      this.recent.value = '';
      this.prompt.focus();
    });
    this.preset.addEventListener('change', () => this.choosePreset(this.preset.value));
    this.transparent.addEventListener('change', () => this.choose({ background: this.transparent.checked ? 'transparent' : undefined }));
    this.model.addEventListener('change', () => this.choose({ model: this.model.value }));
    this.aspectRatio.addEventListener('change', () => this.choose({ aspectRatio: this.aspectRatio.value }));
    this.imageSize.addEventListener('change', () => this.choose({ imageSize: this.imageSize.value }));
    this.outputFormat.addEventListener('change', () => this.choose({ outputFormat: this.outputFormat.value as ComposeChoices['outputFormat'] }));
    this.thinkingLevel.addEventListener('change', () => this.choose({ thinkingLevel: this.thinkingLevel.value }));
    this.grounding.addEventListener('change', () => this.choose({ grounding: this.grounding.value === 'on' }));
    this.variants.addEventListener('change', () => this.choose({ variants: Number(this.variants.value) }));
    this.generateButton.addEventListener('click', () => void this.generate());
  }

  update(state: PanelState): void {
    this.state = state;
    // After the first state the pickers are the user's; the host's copy only matters if the model list changed.
    const current = this.choices && state.models.some((model) => model.id === this.choices?.model) ? this.choices : state.choices;
    // A preset removed from the settings meanwhile is no longer chosen.
    const known = current.preset === undefined || state.presets.some((preset) => preset.name === current.preset);
    this.choices = fit(known ? current : { ...current, preset: undefined }, modelFor(state, current.model));
    this.renderPickers();
    this.renderRecent();
    this.refresh();
  }

  /** Starts refining a gallery image: the next Generate continues its conversation. */
  startRefining(path: string): void {
    this.refine = path;
    // The conversation continues best with the model that made the image.
    const model = this.hooks.itemFor(path)?.model;
    if (model && model !== this.choices?.model && this.state?.models.some((candidate) => candidate.id === model)) this.choose({ model });
    this.saveDraft();
    this.refresh();
    this.focusPrompt();
  }

  /** Puts a recipe into the form (for "generate again" when it cannot be sent as it is). */
  fill(prompt: string, choices: Partial<ComposeChoices>): void {
    this.prompt.value = prompt;
    if (this.state && choices.model && this.state.models.some((model) => model.id === choices.model)) {
      this.choices = fit({ ...(this.choices ?? this.state.choices), ...choices }, modelFor(this.state, choices.model));
      this.renderPickers();
      this.remember();
    }
    this.saveDraft();
    this.refresh();
    this.focusPrompt();
  }

  focusPrompt(): void {
    this.prompt.scrollIntoView({ block: 'nearest' });
    this.prompt.focus();
  }

  showNotice(text: string, kind: 'info' | 'error' = 'info'): void {
    showNotice(this.notice, text, kind);
  }

  private onPromptKey(event: KeyboardEvent): void {
    if (event.key === 'Enter' && (IS_MAC ? event.metaKey : event.ctrlKey)) {
      event.preventDefault();
      void this.generate();
      return;
    }
    const recent = this.state?.recentPrompts ?? [];
    if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown') && recent.length > 0) {
      event.preventDefault();
      const step = event.key === 'ArrowUp' ? 1 : -1;
      const next = Math.min(recent.length - 1, Math.max(-1, this.recentIndex + step));
      if (next === -1) {
        this.recentIndex = -1;
        return;
      }
      this.recall(next);
    }
  }

  private recall(index: number): void {
    const recent = this.state?.recentPrompts ?? [];
    if (index >= recent.length) return;
    this.recentIndex = index;
    this.prompt.value = recent[index];
    this.saveDraft();
    this.refresh();
  }

  private choose(change: Partial<ComposeChoices>): void {
    if (!this.state || !this.choices) return;
    const next = { ...this.choices, ...change };
    this.choices = fit(next, modelFor(this.state, next.model));
    this.renderPickers();
    this.remember();
    this.refresh();
  }

  /** A preset's defaults go into the controls (what the run sends is what they show); None leaves them as they are. */
  private choosePreset(name: string): void {
    if (!this.state) return;
    this.choose(presetChange(name, this.state.presets, this.state.models));
  }

  private remember(): void {
    if (this.choices) this.host.send({ type: 'choose', choices: this.choices });
  }

  private renderPickers(): void {
    const state = this.state;
    const choices = this.choices;
    if (!state || !choices) return;
    const model = modelFor(state, choices.model);
    fillSelect(
      this.preset,
      [{ value: '', label: 'None' }, ...state.presets.map((preset) => ({ value: preset.name, label: presetLabel(preset) }))],
      choices.preset ?? '',
    );
    const preset = state.presets.find((candidate) => candidate.name === choices.preset);
    this.presetDescription.textContent = preset ? preset.description : 'The prompt is sent as written.';
    this.preset.title = state.presetProblems.length > 0 ? `Ignored in the settings: ${state.presetProblems.join(' ')}` : '';
    this.transparent.checked = choices.background === 'transparent';
    fillSelect(
      this.model,
      state.models.map((candidate) => ({ value: candidate.id, label: candidate.label ?? (candidate.known ? candidate.id : `${candidate.id} (from settings)`) })),
      choices.model,
    );
    fillSelect(this.aspectRatio, [{ value: AUTO, label: 'Auto' }, ...model.aspectRatios.map((ratio) => ({ value: ratio, label: ratio }))], choices.aspectRatio);
    if (model.fixedSize) {
      fillSelect(this.imageSize, [{ value: AUTO, label: `${model.fixedSize} (fixed by the model)` }], AUTO);
    } else {
      fillSelect(this.imageSize, [{ value: AUTO, label: 'Auto' }, ...model.imageSizes.map((size) => ({ value: size, label: size }))], choices.imageSize);
    }
    this.imageSize.disabled = model.fixedSize !== undefined || model.imageSizes.length === 0;
    this.imageSize.title = model.fixedSize
      ? `${model.id} always makes ${model.fixedSize} images`
      : model.imageSizes.length === 0
        ? `${model.id} has no size choice`
        : '';
    if (state.outputFormatOff) {
      fillSelect(this.outputFormat, [{ value: choices.outputFormat, label: 'Off for Google' }], choices.outputFormat);
      this.outputFormat.disabled = true;
      this.outputFormat.title = state.outputFormatOff;
    } else {
      fillSelect(this.outputFormat, ['auto', 'png', 'jpeg'].map((value) => ({ value, label: FORMAT_LABELS[value] })), choices.outputFormat);
      this.outputFormat.disabled = false;
      this.outputFormat.title = 'Asks the gateway for this format';
    }
    this.outputFormat.setAttribute('aria-description', this.outputFormat.title);
    fillSelect(
      this.thinkingLevel,
      [{ value: AUTO, label: 'Auto' }, ...model.thinkingLevels.map((level) => ({ value: level, label: level[0].toUpperCase() + level.slice(1) }))],
      choices.thinkingLevel,
    );
    this.thinkingLevel.disabled = model.thinkingLevels.length === 0;
    this.thinkingLevel.title = model.thinkingLevels.length === 0 ? `${model.id} has no thinking level to choose` : 'How much the model plans before it draws (High: slower, better layouts)';
    fillSelect(this.grounding, [{ value: 'off', label: 'Off' }, ...(model.grounding ? [{ value: 'on', label: 'On' }] : [])], choices.grounding ? 'on' : 'off');
    this.grounding.disabled = !model.grounding;
    this.grounding.title = model.grounding
      ? 'Let the model search Google for facts (weather, events, products); its sources are shown with the result'
      : `${model.id} cannot search Google`;
    fillSelect(
      this.variants,
      Array.from({ length: 8 }, (_, index) => ({ value: String(index + 1), label: String(index + 1) })),
      String(choices.variants),
    );
  }

  private renderRecent(): void {
    const recent = this.state?.recentPrompts ?? [];
    fillSelect(
      this.recent,
      [{ value: '', label: recent.length ? 'Recent prompts…' : 'No recent prompts' }, ...recent.map((prompt, index) => ({ value: String(index), label: truncate(prompt, 60) }))],
      '',
    );
    this.recent.disabled = recent.length === 0;
  }

  /** Updates the refine chip, the prompt size, and whether Generate can be pressed (and why not). */
  refresh(): void {
    const state = this.state;
    this.renderRefineChip();
    const bytes = utf8Length(this.prompt.value);
    this.promptSize.textContent = bytes > MAX_PROMPT_BYTES * 0.8 ? `${formatBytes(bytes)} of ${MAX_PROMPT_BYTES / 1024} KB` : '';
    this.promptSize.classList.toggle('error', bytes > MAX_PROMPT_BYTES);
    const variants = this.choices?.variants ?? 1;
    this.generateLabel.textContent = `${this.refine ? 'Refine' : 'Generate'}${variants > 1 ? ` ${variants} images` : ''}`;
    const blocker = this.blocker(bytes);
    this.generateButton.disabled = blocker !== undefined || this.sending || !state;
    this.generateButton.title = blocker ?? '';
    this.generateButton.setAttribute('aria-description', blocker ?? '');
    this.hooks.onChanged();
  }

  private blocker(promptBytes: number): string | undefined {
    const state = this.state;
    if (!state) return 'Connecting to the extension…';
    if (!state.hasWorkspace) return 'Open a folder first: images are saved into the workspace.';
    if (this.prompt.value.trim() === '') return 'Write a prompt first.';
    if (promptBytes > MAX_PROMPT_BYTES) return `The prompt is longer than ${MAX_PROMPT_BYTES / 1024} KB: shorten it.`;
    const model = this.choices ? modelFor(state, this.choices.model) : undefined;
    if (model && state.references.length > model.maxReferences) {
      return `${model.id} takes at most ${model.maxReferences} reference images: remove ${state.references.length - model.maxReferences}.`;
    }
    const request = estimateRequestBytes(promptBytes, state.references.map((reference) => reference.bytes));
    if (request > state.maxRequestBytes) {
      return `The request would be about ${formatBytes(request)}, over the ${formatBytes(state.maxRequestBytes)} limit: remove or shrink reference images.`;
    }
    return undefined;
  }

  private renderRefineChip(): void {
    if (!this.refine) {
      this.refineChip.hidden = true;
      this.refineChip.replaceChildren();
      return;
    }
    const path = this.refine;
    const item = this.hooks.itemFor(path);
    this.refineChip.hidden = false;
    this.refineChip.replaceChildren(
      item?.src ? el('img', { attrs: { src: item.src, alt: '' } }) : icon('edit'),
      el('span', { text: `Refining ${baseName(path)}`, title: path }),
      iconButton('close', 'Stop refining', () => {
        this.refine = undefined;
        this.saveDraft();
        this.refresh();
        this.prompt.focus();
      }),
    );
  }

  private async generate(): Promise<void> {
    const state = this.state;
    const choices = this.choices;
    if (!state || !choices || this.sending) return;
    const blocker = this.blocker(utf8Length(this.prompt.value));
    if (blocker) {
      this.showNotice(blocker, 'error');
      return;
    }
    this.sending = true;
    this.refresh();
    this.showNotice('');
    try {
      const reply = await this.host.request({
        type: 'generate',
        prompt: this.prompt.value,
        choices,
        references: state.references.map((reference) => reference.path),
        ...(this.refine ? { refine: this.refine } : {}),
      });
      if (!reply.ok) {
        this.showNotice(reply.message ?? 'The extension could not start this generation.', 'error');
        return;
      }
      this.refine = undefined;
      this.recentIndex = -1;
      this.saveDraft();
      this.hooks.onStarted();
    } finally {
      this.sending = false;
      this.refresh();
    }
  }

  private saveDraft(): void {
    this.host.draft = { prompt: this.prompt.value, ...(this.refine ? { refine: this.refine } : {}) };
  }
}

function presetLabel(preset: PresetView): string {
  return preset.source === 'built-in' ? preset.name : `${preset.name} (${preset.source})`;
}

function modelFor(state: PanelState, id: string): ModelChoice {
  return state.models.find((model) => model.id === id) ?? state.models[0];
}

/** Choices the model can take: anything else goes back to auto. */
export function fit(choices: ComposeChoices, model: ModelChoice): ComposeChoices {
  const sizes = model.fixedSize ? [] : model.imageSizes;
  return {
    model: model.id,
    aspectRatio: model.aspectRatios.includes(choices.aspectRatio) ? choices.aspectRatio : AUTO,
    imageSize: sizes.includes(choices.imageSize) ? choices.imageSize : AUTO,
    outputFormat: choices.outputFormat,
    thinkingLevel: model.thinkingLevels.includes(choices.thinkingLevel) ? choices.thinkingLevel : AUTO,
    grounding: choices.grounding === true && model.grounding,
    variants: Math.min(8, Math.max(1, Math.round(choices.variants) || 1)),
    // Absent when off: None and an opaque image are not values the host has to read.
    ...(choices.preset === undefined ? {} : { preset: choices.preset }),
    ...(choices.background === 'transparent' ? { background: 'transparent' as const } : {}),
  };
}
