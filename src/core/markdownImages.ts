// Finds image links in Markdown (`![alt](path "title")`, `![alt](<path with spaces>)`, `![alt][ref]`) outside code,
// so a link whose file does not exist yet can be generated at exactly that path.

export interface MarkdownImageLink {
  readonly alt: string;
  /** The target as written (without angle brackets or title). */
  readonly rawTarget: string;
  /** The target as a path: URL-decoded, without `?query` or `#fragment`. */
  readonly path: string;
  /** Offsets of the whole `![alt](…)` / `![alt][ref]` in the text. */
  readonly start: number;
  readonly end: number;
  /** Offsets of rawTarget in the text (in the reference definition for reference-style links). */
  readonly targetStart: number;
  readonly targetEnd: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const DEFINITION = /^ {0,3}\[([^\]\n]{1,999})\]:[ \t]*(?:<([^>\n]*)>|(\S+))/;
const IMAGE_START = /!\[/g;
const TITLE_AT_END = /\s+("[^"\n]*"|'[^'\n]*'|\([^)\n]*\))\s*$/;

interface Definition {
  readonly rawTarget: string;
  readonly targetStart: number;
}

/** Every image link in a Markdown text, in order, ignoring fenced code blocks and inline code. */
export function findImageLinks(text: string): MarkdownImageLink[] {
  const lines = splitLines(text);
  const definitions = new Map<string, Definition>();
  const code = codeLines(lines);
  for (const [index, line] of lines.entries()) {
    if (code.has(index)) continue;
    const match = DEFINITION.exec(line.text);
    if (!match) continue;
    const rawTarget = match[2] ?? match[3];
    const within = match[0].length - rawTarget.length - (match[2] !== undefined ? 1 : 0);
    const label = normalizeLabel(match[1]);
    if (!definitions.has(label)) definitions.set(label, { rawTarget, targetStart: line.start + within });
  }
  const links: MarkdownImageLink[] = [];
  for (const [index, line] of lines.entries()) {
    if (code.has(index)) continue;
    const masked = maskInlineCode(line.text);
    IMAGE_START.lastIndex = 0;
    for (let match = IMAGE_START.exec(masked); match; match = IMAGE_START.exec(masked)) {
      if (match.index > 0 && masked[match.index - 1] === '\\') continue;
      const link = parseImageAt(masked, match.index, line.start, definitions);
      if (link) {
        links.push(link);
        IMAGE_START.lastIndex = link.end - line.start;
      }
    }
  }
  return links;
}

function parseImageAt(line: string, at: number, lineStart: number, definitions: ReadonlyMap<string, Definition>): MarkdownImageLink | undefined {
  const altEnd = closingBracket(line, at + 2);
  if (altEnd < 0) return undefined;
  const alt = line.slice(at + 2, altEnd);
  const next = line[altEnd + 1];
  if (next === '(') {
    const close = closingParen(line, altEnd + 2);
    if (close < 0) return undefined;
    const inner = line.slice(altEnd + 2, close);
    const leading = inner.length - inner.trimStart().length;
    let rawTarget: string;
    let offset: number;
    if (inner.trimStart().startsWith('<')) {
      const end = inner.indexOf('>', leading);
      if (end < 0) return undefined;
      rawTarget = inner.slice(leading + 1, end);
      offset = leading + 1;
    } else {
      const withoutTitle = inner.replace(TITLE_AT_END, '');
      rawTarget = withoutTitle.trim();
      offset = leading;
    }
    if (rawTarget === '') return undefined;
    const targetStart = lineStart + altEnd + 2 + offset;
    return { alt, rawTarget, path: targetPath(rawTarget), start: lineStart + at, end: lineStart + close + 1, targetStart, targetEnd: targetStart + rawTarget.length };
  }
  // Reference-style: ![alt][label], ![alt][] and ![alt].
  let label = alt;
  let end = altEnd + 1;
  if (next === '[') {
    const labelEnd = line.indexOf(']', altEnd + 2);
    if (labelEnd < 0 || labelEnd - altEnd > MAX_LINK_PART) return undefined;
    const written = line.slice(altEnd + 2, labelEnd);
    if (written.trim() !== '') label = written;
    end = labelEnd + 1;
  }
  const definition = definitions.get(normalizeLabel(label));
  if (!definition) return undefined;
  return {
    alt,
    rawTarget: definition.rawTarget,
    path: targetPath(definition.rawTarget),
    start: lineStart + at,
    end: lineStart + end,
    targetStart: definition.targetStart,
    targetEnd: definition.targetStart + definition.rawTarget.length,
  };
}

/**
 * The workspace-relative-to-the-document path of a link, or undefined for what is not a local relative file:
 * URLs (`https:`, `data:`), protocol-relative and absolute paths, fragments only.
 */
export function relativeImagePath(link: Pick<MarkdownImageLink, 'path'>): string[] | undefined {
  const target = link.path;
  if (target === '' || /^[a-zA-Z][\w+.-]*:/.test(target) || target.startsWith('/') || target.startsWith('\\')) return undefined;
  const segments = target.split(/[\\/]+/).filter((segment) => segment !== '' && segment !== '.');
  return segments.length > 0 ? segments : undefined;
}

/** The heading (`#`…) closest above an offset, outside code blocks. */
export function nearestHeading(text: string, offset: number): string | undefined {
  const lines = splitLines(text);
  const code = codeLines(lines);
  let found: string | undefined;
  for (const [index, line] of lines.entries()) {
    if (line.start > offset) break;
    if (code.has(index)) continue;
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line.text);
    if (heading && heading[1] !== '') found = heading[1];
  }
  return found;
}

/** The prompt for a missing image: its alt text (or the file's name), with the section it illustrates as context. */
export function promptForMissingImage(alt: string, fileName: string, heading: string | undefined): string {
  const subject = alt.trim() !== '' ? alt.trim() : fileName.replace(/\.[^.]*$/, '').replace(/[-_]+/g, ' ').trim();
  return heading ? `${subject} (an image for the section "${heading}" of a document)` : subject;
}

/** The link target with its file extension replaced, keeping everything else as written (folders, encoding, query). */
export function withExtension(rawTarget: string, extension: string): string {
  const match = /^([^?#]*?)(\.[A-Za-z0-9]{1,5})?([?#].*)?$/.exec(rawTarget);
  if (!match) return rawTarget;
  return `${match[1]}.${extension}${match[3] ?? ''}`;
}

/** The lower-case extension of a path, `jpeg` spelt `jpg`, or undefined. */
export function normalizedExtension(path: string): string | undefined {
  const match = /\.([A-Za-z0-9]{1,5})$/.exec(path);
  if (!match) return undefined;
  const extension = match[1].toLowerCase();
  return extension === 'jpeg' ? 'jpg' : extension;
}

function targetPath(rawTarget: string): string {
  const withoutSuffix = rawTarget.replace(/[?#].*$/, '');
  try {
    return decodeURIComponent(withoutSuffix);
  } catch {
    return withoutSuffix;
  }
}

function splitLines(text: string): { text: string; start: number }[] {
  const lines: { text: string; start: number }[] = [];
  let start = 0;
  for (const part of text.split('\n')) {
    lines.push({ text: part.replace(/\r$/, ''), start });
    start += part.length + 1;
  }
  return lines;
}

/** Indexes of lines inside fenced code blocks (fences included); an unclosed fence runs to the end. */
function codeLines(lines: readonly { text: string }[]): Set<number> {
  const code = new Set<number>();
  let fence: string | undefined;
  for (const [index, line] of lines.entries()) {
    const match = FENCE.exec(line.text);
    if (fence === undefined) {
      if (match) {
        fence = match[1];
        code.add(index);
      }
      continue;
    }
    code.add(index);
    if (match && match[1][0] === fence[0] && match[1].length >= fence.length && line.text.trim() === match[1]) fence = undefined;
  }
  return code;
}

/** The line with inline code spans blanked out (same length, so offsets still match). */
function maskInlineCode(line: string): string {
  return line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (span) => ' '.repeat(span.length));
}

/** How far a link's text or target is looked for: keeps a long line full of `![` linear, not quadratic. */
const MAX_LINK_PART = 512;

function closingBracket(line: string, from: number): number {
  let depth = 0;
  for (let i = from, end = Math.min(line.length, from + MAX_LINK_PART); i < end; i++) {
    const char = line[i];
    if (char === '\\') i++;
    else if (char === '[') depth++;
    else if (char === ']') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function closingParen(line: string, from: number): number {
  let depth = 0;
  let angle = false;
  for (let i = from, end = Math.min(line.length, from + MAX_LINK_PART); i < end; i++) {
    const char = line[i];
    if (char === '\\') i++;
    else if (char === '<' && line.slice(from, i).trim() === '') angle = true;
    else if (char === '>' && angle) angle = false;
    else if (angle) continue;
    else if (char === '(') depth++;
    else if (char === ')') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function normalizeLabel(label: string): string {
  return label.trim().replace(/\s+/g, ' ').toLowerCase();
}
