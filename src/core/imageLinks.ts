// Images some gateways send as a link in a text part (`![image](https://…)` or a bare URL) instead of inline data:
// found in the text, then downloaded without credentials, redirects followed only to http(s), size-capped and sniffed.
import { describeBytes, ImageError, isImageError } from './errors';
import type { GeneratedImage, ImageFormat } from './imageJob';
import { mimeTypeOf, sniffImageType } from './sniff';
import { headerValue, type Transport } from './transport';

/** A downloaded image and the link it came from (origin and path only: a signed query string is a credential). */
export type LinkedImage = GeneratedImage & { readonly link: string };

const MAX_LINKS = 8;
const MAX_REDIRECTS = 3;
const MAX_LINK_LENGTH = 2048;
const IMAGE_FORMATS: readonly string[] = ['png', 'jpeg', 'webp', 'gif'];
const MAX_ALT_TEXT = 300;
const MAX_SPACES = 8;
const BARE_URL = /https?:\/\/[^\s<>()"'\]]{1,2048}/gi;
const IMAGE_PATH = /\.(png|jpe?g|webp|gif)$/i;
const IMAGE_EXTENSION_IN_TEXT = /\.(png|jpe?g|webp|gif)(?:[?#]|$)/i;
const ONLY_A_URL = /^\s*(https?:\/\/\S{1,2048})\s*$/i;

/** Takes image links out of a text part: markdown images, bare URLs ending in an image extension, or a text that is only a URL. */
export function extractImageLinks(text: string, links: string[]): string {
  if (!/https?:\/\//i.test(text)) return text;
  const take = (match: string, url: string = match): string => {
    if (links.length < MAX_LINKS && url.length <= MAX_LINK_LENGTH) links.push(url);
    return '';
  };
  const only = ONLY_A_URL.exec(text);
  if (only) return take(only[1]);
  return withoutMarkdownImages(text, take).replace(BARE_URL, (match: string) => {
    // A sentence may end right after the URL.
    const url = match.replace(/[.,;:!?]+$/, '');
    return isImagePath(url) ? take(url) + match.slice(url.length) : match;
  });
}

/**
 * Takes out `![alt](http(s)://url "optional title")` (alt up to 300 characters, URL up to 2048) in one pass. A regex
 * with bounded repetitions still looked up to 2,300 characters ahead from every "![", so a megabyte of "![x](https://a"
 * took seconds; here the end of each run of alt or URL characters is found once and shared by every start inside it.
 */
function withoutMarkdownImages(text: string, take: (match: string, url: string) => string): string {
  const altEnd = new RunEnd(text, (code) => code !== 0x5d && code !== 0x0a); // up to "]" or a line break
  const urlEnd = new RunEnd(text, (code) => code !== 0x29 && !isSpace(code)); // up to ")" or a space
  const pieces: string[] = [];
  let from = 0;
  for (let at = text.indexOf('![', 0); at >= 0; at = text.indexOf('![', at + 1)) {
    const end = markdownImageEnd(text, at, altEnd, urlEnd);
    if (!end) continue;
    pieces.push(text.slice(from, at), take(text.slice(at, end.end), end.url));
    from = end.end;
    at = end.end - 1;
  }
  if (from === 0) return text;
  pieces.push(text.slice(from));
  return pieces.join('');
}

/** Where the markdown image starting at `at` ends, with its URL; undefined when there is none. */
function markdownImageEnd(text: string, at: number, altEnd: RunEnd, urlEnd: RunEnd): { end: number; url: string } | undefined {
  const altStart = at + 2;
  const closing = altEnd.from(altStart);
  if (closing - altStart > MAX_ALT_TEXT || text[closing] !== ']' || text[closing + 1] !== '(') return undefined;
  const urlStart = skipSpaces(text, closing + 2, MAX_SPACES);
  const scheme = /^https?:\/\//i.exec(text.slice(urlStart, urlStart + 8))?.[0];
  if (!scheme) return undefined;
  const end = urlEnd.from(urlStart + scheme.length);
  const length = end - urlStart - scheme.length;
  if (length < 1 || length > MAX_LINK_LENGTH) return undefined;
  const url = text.slice(urlStart, end);
  // An optional "title" after at least one space, then up to 8 spaces and ")".
  const afterTitle = titleEnd(text, end);
  for (const after of afterTitle === undefined ? [end] : [afterTitle, end]) {
    const close = skipSpaces(text, after, MAX_SPACES);
    if (text[close] === ')') return { end: close + 1, url };
  }
  return undefined;
}

function titleEnd(text: string, at: number): number | undefined {
  const quote = skipSpaces(text, at, MAX_SPACES);
  if (quote === at || text[quote] !== '"') return undefined;
  for (let index = quote + 1; index <= quote + 1 + MAX_ALT_TEXT && index < text.length; index++) {
    if (text[index] === '"') return index + 1;
    if (text[index] === '\n') return undefined;
  }
  return undefined;
}

function skipSpaces(text: string, at: number, max: number): number {
  let index = at;
  while (index < at + max && index < text.length && isSpace(text.charCodeAt(index))) index++;
  return index;
}

/** The regex \s: ASCII and Unicode spaces and line terminators. */
function isSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

/** The end of the run of characters `inRun` accepts from a position, each character examined at most once overall. */
class RunEnd {
  private start = 0;
  private end = 0;

  constructor(
    private readonly text: string,
    private readonly inRun: (code: number) => boolean,
  ) {}

  from(position: number): number {
    // Inside the last run (or at its end, where nothing runs): the same end, without looking again.
    if (position >= this.start && position <= this.end) return this.end;
    let end = position;
    while (end < this.text.length && this.inRun(this.text.charCodeAt(end))) end++;
    this.start = position;
    this.end = end;
    return end;
  }
}

function isImagePath(link: string): boolean {
  // A path ending in an image extension shows in the text itself: most candidates are dismissed without parsing them
  // (a megabyte of "https://a![x" made 70,000 URLs that each threw, seconds in all).
  if (!IMAGE_EXTENSION_IN_TEXT.test(link)) return false;
  try {
    return IMAGE_PATH.test(new URL(link).pathname);
  } catch {
    return false;
  }
}

/** The link as kept in recipes and messages: origin and path, without query or fragment. */
export function describeLink(link: string): string {
  try {
    const url = new URL(link);
    return `${url.origin}${url.pathname}`.slice(0, 300);
  } catch {
    return 'an unreadable link';
  }
}

export interface LinkDownloadOptions {
  readonly transport: Transport;
  /** The host whose answer held the link, for messages. */
  readonly answerHost: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
}

/**
 * Downloads a linked image: a plain GET (no token, no API headers), up to MAX_REDIRECTS redirects and only to http(s),
 * at most `maxBytes`, and only bytes that sniff as PNG, JPEG, WebP or GIF. Failures are ImageErrors naming the link's host.
 */
export async function downloadLinkedImage(link: string, options: LinkDownloadOptions): Promise<LinkedImage> {
  const { transport, answerHost, timeoutMs, maxBytes, signal } = options;
  const shown = describeLink(link);
  const refuse = (why: string, host = answerHost): ImageError =>
    new ImageError('noImage', `The answer from ${answerHost} linked to an image (${shown}), but ${why}; nothing was saved. Try again, or ask the provider to send images inline.`, { host });
  if (!transport.download) throw refuse('this connection cannot download links');
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw refuse('the link is not a valid address');
  }
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error('deadline')), timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
  try {
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`it leads to a ${url.protocol.replace(':', '')}: address, and only http(s) links are followed`);
      if (isPrivateHost(url.hostname) && !isPrivateHost(hostnameOf(answerHost))) {
        throw refuse(`it leads to a local or private address (${url.host}) although ${answerHost} is not one, so it is not followed`);
      }
      const response = await transport.download(url.href, { signal: combined, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
      if (response.status >= 300 && response.status < 400) {
        await discard(response.body);
        const location = headerValue(response.headers, 'location');
        if (!location) throw refuse(`${url.host} answered ${response.status} without saying where to`, url.host);
        if (hop >= MAX_REDIRECTS) throw refuse(`it redirected more than ${MAX_REDIRECTS} times`, url.host);
        url = new URL(location, url);
        continue;
      }
      if (response.status < 200 || response.status >= 300) {
        await discard(response.body);
        throw refuse(`${url.host} answered ${response.status} for it`, url.host);
      }
      const bytes = await readCapped(response.body, headerValue(response.headers, 'content-length'), maxBytes, () =>
        refuse(`it is larger than the ${describeBytes(maxBytes)} this extension accepts`, url.host),
      );
      const type = sniffImageType(bytes);
      if (!type || !IMAGE_FORMATS.includes(type)) {
        const what = type ? `a ${type.toUpperCase()} file` : 'not an image (perhaps an error page or an expired link)';
        throw refuse(`what ${url.host} sent is ${what}`, url.host);
      }
      const format = type as ImageFormat;
      return { bytes, format, mimeType: mimeTypeOf(format), link: shown };
    }
  } catch (error) {
    if (signal?.aborted) throw new ImageError('cancelled', `Cancelled; nothing more is downloaded from ${url.host}.`, { host: url.host });
    if (deadline.signal.aborted) {
      throw new ImageError('timeout', `The linked image at ${url.host} did not arrive within ${Math.round(timeoutMs / 1000)} s; nothing was saved. Try again.`, { host: url.host });
    }
    if (isImageError(error)) throw error;
    throw refuse(`downloading it failed (${error instanceof Error ? error.message : String(error)})`, url.host);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Loopback, private, link-local (cloud metadata) and unique-local addresses, by name: a remote provider's answer must
 * not make the editor fetch from the user's own machine or network. A provider on such an address may link to one.
 */
export function isPrivateHost(hostname: string): boolean {
  const name = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost') || name === '::1' || name === '::' || name === '0.0.0.0') return true;
  if (/^(fc|fd)[0-9a-f]{2}:|^fe80:/.test(name) || name.startsWith('::ffff:')) return true;
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(name);
  if (!ipv4) return false;
  const [a, b] = [Number(ipv4[1]), Number(ipv4[2])];
  return a === 127 || a === 10 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

function hostnameOf(host: string): string {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return host;
  }
}

/** Reads a redirect's or an error's body so the connection can be reused; a long one is cut off. */
async function discard(body: AsyncIterable<Uint8Array>): Promise<void> {
  const iterator = body[Symbol.asyncIterator]();
  let bytes = 0;
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      bytes += next.value.length;
      if (bytes > DISCARD_BYTES) {
        await iterator.return?.();
        return;
      }
    }
  } catch {
    // Only the status and location mattered.
  }
}

const DISCARD_BYTES = 64 * 1024;

async function readCapped(body: AsyncIterable<Uint8Array>, declared: string | undefined, maxBytes: number, tooLarge: () => ImageError): Promise<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  if (Number(declared) > maxBytes) {
    await discard({ [Symbol.asyncIterator]: () => iterator });
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    total += next.value.length;
    if (total > maxBytes) {
      await iterator.return?.();
      throw tooLarge();
    }
    chunks.push(next.value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
