// Finds `data:image/…;base64,…` URLs (bare or as markdown images) in model text in one pass, whatever the text holds.

const START = 'data:image/';
const BASE64_MARKER = ';base64,';
/** Alt text longer than this is not looked through: a markdown image's label is short, and the scan stays linear. */
export const MAX_ALT_TEXT = 256;
/** Spaces allowed between `(` and the URL of a markdown image. */
const MAX_SPACE_BEFORE_URL = 16;

export interface DataUrlSpan {
  /** Where the text to remove starts (the `![` of a markdown image, else `data:`) and ends (after `)`). */
  readonly start: number;
  readonly end: number;
  /** The base64 data, possibly with spaces inside (a markdown image may wrap it). */
  readonly data: string;
}

/**
 * Every image data URL in the text, in order and without overlaps. Each character is looked at a bounded number of
 * times (at most MAX_ALT_TEXT back per URL found), so a hostile megabyte costs what reading it costs.
 */
export function findDataUrls(text: string): DataUrlSpan[] {
  const spans: DataUrlSpan[] = [];
  let floor = 0;
  for (let at = text.indexOf(START); at >= 0; at = text.indexOf(START, at + 1)) {
    const dataStart = base64Start(text, at);
    if (dataStart === undefined) continue;
    const span = markdownImage(text, at, dataStart, floor) ?? bareUrl(text, at, dataStart);
    if (!span) continue;
    spans.push(span);
    floor = span.end;
    at = span.end - 1;
  }
  return spans;
}

/** Where the data of a `data:image/<type>;base64,` URL starting at `at` begins, or undefined when it is not one. */
function base64Start(text: string, at: number): number | undefined {
  let index = at + START.length;
  const typeStart = index;
  while (index < text.length && isTypeChar(text.charCodeAt(index))) index++;
  if (index === typeStart || !text.startsWith(BASE64_MARKER, index)) return undefined;
  return index + BASE64_MARKER.length;
}

/** `![alt](data:…)` around the URL at `at` (spaces allowed inside the parentheses and the data). */
function markdownImage(text: string, at: number, dataStart: number, floor: number): DataUrlSpan | undefined {
  let index = at - 1;
  const spaceLimit = Math.max(floor, at - MAX_SPACE_BEFORE_URL);
  while (index >= spaceLimit && isSpace(text.charCodeAt(index))) index--;
  if (index < floor + 1 || text[index] !== '(' || text[index - 1] !== ']') return undefined;
  const altLimit = Math.max(floor, index - 2 - MAX_ALT_TEXT);
  let open = -1;
  for (let scan = index - 2; scan >= altLimit; scan--) {
    const char = text[scan];
    if (char === ']') return undefined;
    if (char === '[') {
      if (scan > floor && text[scan - 1] === '!') open = scan - 1;
      break;
    }
  }
  if (open < 0) return undefined;
  let end = dataStart;
  while (end < text.length && (isBase64Char(text.charCodeAt(end)) || isSpace(text.charCodeAt(end)))) end++;
  if (text[end] !== ')') return undefined;
  const data = text.slice(dataStart, end).trim();
  return data === '' ? undefined : { start: open, end: end + 1, data };
}

function bareUrl(text: string, at: number, dataStart: number): DataUrlSpan | undefined {
  let end = dataStart;
  while (end < text.length && isBase64Char(text.charCodeAt(end))) end++;
  return end === dataStart ? undefined : { start: at, end, data: text.slice(dataStart, end) };
}

/** [A-Za-z0-9_.+-]: the characters of a mime subtype such as svg+xml or vnd.ms-photo. */
function isTypeChar(code: number): boolean {
  return isAlphanumeric(code) || code === 0x5f || code === 0x2e || code === 0x2b || code === 0x2d;
}

/** Standard and URL-safe base64 with padding: [A-Za-z0-9+/=_-]. */
function isBase64Char(code: number): boolean {
  return isAlphanumeric(code) || code === 0x2b || code === 0x2f || code === 0x3d || code === 0x5f || code === 0x2d;
}

function isAlphanumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x0c;
}
