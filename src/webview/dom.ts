// Small DOM helpers for the panel: elements built with text (never HTML strings) and codicon buttons.

type Child = Node | string | null | undefined | false;

export interface ElementProps {
  readonly className?: string;
  readonly text?: string;
  readonly title?: string;
  readonly attrs?: Readonly<Record<string, string>>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: ElementProps = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.text !== undefined) element.textContent = props.text;
  if (props.title) element.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

export function icon(name: string, extra = ''): HTMLSpanElement {
  return el('span', { className: `codicon codicon-${name}${extra ? ` ${extra}` : ''}`, attrs: { 'aria-hidden': 'true' } });
}

/** A toolbar-style button showing only an icon; `label` is what screen readers say and the tooltip shows. */
export function iconButton(iconName: string, label: string, onClick: (event: MouseEvent) => void): HTMLButtonElement {
  const button = el('button', { className: 'icon-button', title: label, attrs: { type: 'button', 'aria-label': label } }, icon(iconName));
  button.addEventListener('click', onClick);
  return button;
}

/** A text button with an icon in front. */
export function textButton(iconName: string, label: string, className: string, onClick: (event: MouseEvent) => void): HTMLButtonElement {
  const button = el('button', { className, attrs: { type: 'button' } }, icon(iconName), el('span', { text: label }));
  button.addEventListener('click', onClick);
  return button;
}

export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the panel`);
  return element as T;
}

/** Replaces a <select>'s options, keeping `selected` chosen. */
export function fillSelect(select: HTMLSelectElement, options: readonly { value: string; label: string }[], selected: string): void {
  const same =
    select.options.length === options.length &&
    options.every((option, index) => select.options[index].value === option.value && select.options[index].text === option.label);
  if (!same) select.replaceChildren(...options.map((option) => el('option', { text: option.label, attrs: { value: option.value } })));
  select.value = selected;
}

const noticeTimers = new WeakMap<HTMLElement, number>();

/** Shows a short message in a status line; errors get the error colour and stay, other messages fade after a while. */
export function showNotice(element: HTMLElement, text: string | undefined, kind: 'info' | 'error' = 'info'): void {
  window.clearTimeout(noticeTimers.get(element));
  element.textContent = text ?? '';
  element.classList.toggle('error', kind === 'error' && !!text);
  if (text && kind === 'info') noticeTimers.set(element, window.setTimeout(() => (element.textContent = ''), 8000));
}
