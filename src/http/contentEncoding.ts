// Decodes a compressed answer (Content-Encoding gzip, deflate, br) as it streams, or names the encoding it cannot read.
import { pipeline, type Readable } from 'node:stream';
import * as zlib from 'node:zlib';

/** More stacked encodings than any real server sends; a longer list is refused rather than decoded. */
const MAX_ENCODINGS = 3;
const DECODERS: Readonly<Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress>> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

export type Decoding = { readonly codings: readonly string[] } | { readonly unsupported: string };

/** The codings to undo as the header lists them (applied first to last); `identity` and empty entries are skipped. */
export function decodingFor(header: string | string[] | undefined): Decoding {
  const listed = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (listed.length > MAX_ENCODINGS) return { unsupported: listed.join(', ') };
  const unknown = listed.find((coding) => !Object.hasOwn(DECODERS, coding));
  return unknown === undefined ? { codings: listed } : { unsupported: unknown };
}

/**
 * The body with its codings undone, last applied first. Decoding follows the reader: a reader that stops (size cap,
 * cancel) destroys the chain, so a small compressed bomb never inflates in the background.
 */
export function decodeBody(body: Readable, codings: readonly string[]): Readable {
  if (codings.length === 0) return body;
  const decoders = [...codings].reverse().map((coding) => {
    const decoder = DECODERS[coding]();
    decoder.once('error', (error) => decodingErrors.set(error, coding));
    return decoder;
  });
  const last = decoders[decoders.length - 1];
  // pipeline destroys every stage when one fails or the last one is destroyed; the error surfaces on `last`.
  pipeline([body, ...decoders], (error) => {
    if (error && !last.destroyed) last.destroy(error);
  });
  return last;
}

const decodingErrors = new WeakMap<object, string>();

/** The coding whose decoder failed (corrupt or mislabelled data), or undefined for any other error. */
export function failedCoding(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? decodingErrors.get(error) : undefined;
}
