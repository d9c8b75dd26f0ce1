// Bounds on what the panel's history keeps in workspace state, so a hostile recipe or years of use cannot bloat it.

/** Longest prompt kept per history item (the full prompt stays in the image's own recipe). */
export const MAX_HISTORY_PROMPT = 2000;
/** Longest model id, reference path or "refined from" path kept. */
export const MAX_HISTORY_FIELD = 1024;
/** References listed per item (the models take at most 14). */
export const MAX_HISTORY_REFERENCES = 16;
/** The whole history as stored: older items are dropped beyond this. */
export const MAX_HISTORY_BYTES = 4 * 1024 * 1024;

/** The text cut to `max` characters (never inside a surrogate pair), with "…" when cut. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** The references of one item, bounded in number and length. */
export function clipReferences(references: readonly string[]): string[] {
  return references.slice(0, MAX_HISTORY_REFERENCES).map((reference) => clipText(reference, MAX_HISTORY_FIELD));
}

/** The newest items (the list is newest first) whose JSON together stays within `maxBytes`. */
export function newestWithin<T>(items: readonly T[], maxBytes: number = MAX_HISTORY_BYTES): T[] {
  let total = 2;
  for (let index = 0; index < items.length; index++) {
    total += Buffer.byteLength(JSON.stringify(items[index]) ?? '') + 1;
    if (total > maxBytes) return items.slice(0, index);
  }
  return [...items];
}
