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
// Bounded repetitions and no nested quantifiers: linear on any text.
const MARKDOWN_IMAGE = /!\[[^\]\n]{0,300}\]\(\s{0,8}(https?:\/\/[^\s)]{1,2048})(?:\s{1,8}"[^"\n]{0,300}")?\s{0,8}\)/gi;
const BARE_URL = /https?:\/\/[^\s<>()"'\]]{1,2048}/gi;
const IMAGE_PATH = /\.(png|jpe?g|webp|gif)$/i;
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
  return text.replace(MARKDOWN_IMAGE, (match: string, url: string) => take(match, url)).replace(BARE_URL, (match: string) => {
    // A sentence may end right after the URL.
    const url = match.replace(/[.,;:!?]+$/, '');
    return isImagePath(url) ? take(url) + match.slice(url.length) : match;
  });
}

function isImagePath(link: string): boolean {
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
