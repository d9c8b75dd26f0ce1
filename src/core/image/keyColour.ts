// The flat key colour a transparent-background request asks for (Gemini cannot output alpha), and the sentence that asks.

export interface KeyColour {
  readonly name: string;
  /** `#RRGGBB`, as written in the prompt and the recipe. */
  readonly hex: string;
  readonly rgb: readonly [number, number, number];
}

export const MAGENTA: KeyColour = { name: 'magenta', hex: '#FF00FF', rgb: [255, 0, 255] };
export const GREEN: KeyColour = { name: 'green', hex: '#00FF00', rgb: [0, 255, 0] };
export const BLUE: KeyColour = { name: 'blue', hex: '#0000FF', rgb: [0, 0, 255] };

/** Words that say the subject itself uses (something close to) each key colour. */
const USED_BY_SUBJECT: readonly [KeyColour, RegExp][] = [
  [MAGENTA, /\b(magenta|pink|purple|violet|fuchsia|lilac|lavender|mauve|orchid|plum)/i],
  [GREEN, /\b(green|lime|emerald|mint|olive|jade|chartreuse)/i],
  [BLUE, /\b(blue|navy|azure|cobalt|sapphire|cyan|indigo)/i],
];

/** Magenta unless the prompt mentions magenta-like colours; then green; then blue; magenta again if all three are named. */
export function chooseKeyColour(prompt: string): KeyColour {
  return USED_BY_SUBJECT.find(([, words]) => !words.test(prompt))?.[0] ?? MAGENTA;
}

/** The sentence added to the prompt: the subject on one flat colour, which is then removed. */
export function keyColourSentence(key: KeyColour): string {
  return (
    `Place the subject on a perfectly flat, uniform background of pure ${key.name} (${key.hex}) that fills the whole image to every edge: ` +
    `no gradient, shadow, texture, vignette or floor, and do not use ${key.name} anywhere in the subject (the background will be made transparent).`
  );
}

/** The prompt that is sent: the user's (or preset's) prompt and the key colour sentence, never added twice. */
export function withKeyColour(prompt: string, key: KeyColour): string {
  const sentence = keyColourSentence(key);
  const trimmed = prompt.trimEnd();
  if (trimmed.endsWith(sentence)) return trimmed;
  return `${trimmed}${/[.!?]$/.test(trimmed) || trimmed === '' ? '' : '.'} ${sentence}`.trimStart();
}

/** The prompt a transparent run sends and its key: the key it already asks for (a recipe's prompt), or a new one. */
export function keyedPrompt(prompt: string): { readonly prompt: string; readonly key: KeyColour } {
  const key = keyColourIn(prompt) ?? chooseKeyColour(prompt);
  return { prompt: withKeyColour(prompt, key), key };
}

/** The key colour a prompt already asks for (a recipe's prompt generated again), if any. */
export function keyColourIn(prompt: string): KeyColour | undefined {
  return [MAGENTA, GREEN, BLUE].find((key) => prompt.trimEnd().endsWith(keyColourSentence(key)));
}
