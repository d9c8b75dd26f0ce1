// Makes the images the test server answers with: real PNG (own encoder) or JPEG (jpeg-js) bytes, cached.
import { createCipheriv, createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import * as jpeg from 'jpeg-js';

export type ServerImageFormat = 'png' | 'jpeg';

export interface MadeImage {
  readonly bytes: Buffer;
  readonly mimeType: 'image/png' | 'image/jpeg';
  readonly width: number;
  readonly height: number;
  readonly sha256: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4))) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** The four corner colours and the noise key of an image, all from the seed. */
function seedMaterial(seed: string): { corners: number[][]; key: Buffer } {
  const digest = createHash('sha256').update(seed).digest();
  const corners = [0, 1, 2, 3].map((corner) => [0, 1, 2].map((channel) => digest[corner * 3 + channel]));
  return { corners, key: digest.subarray(16, 32) };
}

/** Deterministic pseudo-random bytes (AES-CTR over zeros is fast and seedable). */
function noise(key: Buffer, length: number): Buffer {
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return cipher.update(Buffer.alloc(length));
}

/**
 * A bilinear gradient between four seeded corner colours, with 2 bits of noise per byte.
 * The noise keeps real-size PNGs about as large as real generated images (4K ~ 20 MB).
 * `channels` is 3 (RGB rows for PNG) or 4 (RGBA for jpeg-js).
 */
function paint(seed: string, width: number, height: number, channels: 3 | 4, visit: (y: number, row: Uint8Array) => void): void {
  const { corners, key } = seedMaterial(seed);
  const rowBytes = width * channels;
  const row = new Uint8Array(rowBytes);
  const rowsPerNoiseBlock = Math.max(1, Math.floor((4 << 20) / rowBytes));
  let noiseBlock: Buffer = Buffer.alloc(0);
  const noiseKey = Buffer.from(key);
  for (let y = 0; y < height; y++) {
    if (y % rowsPerNoiseBlock === 0) {
      noiseKey.writeUInt32BE(y, 0);
      noiseBlock = noise(noiseKey, rowsPerNoiseBlock * rowBytes);
    }
    const noiseOffset = (y % rowsPerNoiseBlock) * rowBytes;
    const fy = height > 1 ? y / (height - 1) : 0;
    for (let c = 0; c < 3; c++) {
      const left = corners[0][c] + (corners[2][c] - corners[0][c]) * fy;
      const right = corners[1][c] + (corners[3][c] - corners[1][c]) * fy;
      const step = width > 1 ? (right - left) / (width - 1) : 0;
      let value = left;
      for (let x = 0, i = c; x < width; x++, i += channels) {
        row[i] = (value & 0xfc) | (noiseBlock[noiseOffset + i] & 3);
        value += step;
      }
    }
    if (channels === 4) for (let i = 3; i < rowBytes; i += 4) row[i] = 255;
    visit(y, row);
  }
}

export function encodePng(seed: string, width: number, height: number): Buffer {
  const rowBytes = width * 3;
  const raw = Buffer.alloc((rowBytes + 1) * height);
  // Filter "Sub" per row: the smooth gradient becomes tiny deltas, so Huffman-only deflate is fast and realistic.
  paint(seed, width, height, 3, (y, row) => {
    const start = y * (rowBytes + 1);
    raw[start] = 1;
    for (let i = 0; i < rowBytes; i++) raw[start + 1 + i] = (row[i] - (i >= 3 ? row[i - 3] : 0)) & 0xff;
  });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const idat = zlib.deflateSync(raw, { level: 1, strategy: zlib.constants.Z_HUFFMAN_ONLY });
  const idatChunks: Buffer[] = [];
  const chunkSize = 1 << 20;
  for (let offset = 0; offset < idat.length; offset += chunkSize) {
    idatChunks.push(pngChunk('IDAT', idat.subarray(offset, offset + chunkSize)));
  }
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), ...idatChunks, pngChunk('IEND', Buffer.alloc(0))]);
}

export function encodeJpeg(seed: string, width: number, height: number): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  paint(seed, width, height, 4, (y, row) => rgba.set(row, y * width * 4));
  return jpeg.encode({ data: rgba, width, height }, 85).data;
}

/** A prompt that asks for a subject on a flat key colour (a transparent-background run): the colour, or undefined. */
export function keyColourAsked(prompt: string): [number, number, number] | undefined {
  const match = /flat, uniform background of pure [a-z]+ \(#([0-9a-f]{6})\)/i.exec(prompt);
  if (!match) return undefined;
  const hex = parseInt(match[1], 16);
  return [(hex >> 16) & 0xff, (hex >> 8) & 0xff, hex & 0xff];
}

/** A prompt with this marker gets a photo-like answer (gradient and noise to the edges) even when it asks for a key colour. */
export const PHOTO_MARKER = '[test:photo]';

/** The subject drawn on key colours: a warm yellow-orange no key (magenta, green, blue) is close to. */
export const SUBJECT_COLOUR: readonly [number, number, number] = [255, 180, 40];

/**
 * What a model draws when asked for a key colour: a filled disc of SUBJECT_COLOUR with an anti-aliased rim (each rim
 * pixel is the subject blended with the key by its coverage: the key's spill) on the exact flat key colour.
 */
export function keyedRgba(key: readonly [number, number, number], width: number, height: number): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  const cx = width / 2;
  const cy = height / 2;
  const radius = Math.min(width, height) * 0.3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Coverage of this pixel by the disc: 1 inside, 0 outside, linear over the one-pixel rim.
      const coverage = Math.min(1, Math.max(0, radius - Math.hypot(x + 0.5 - cx, y + 0.5 - cy) + 0.5));
      const at = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) rgba[at + c] = Math.round(SUBJECT_COLOUR[c] * coverage + key[c] * (1 - coverage));
      rgba[at + 3] = 255;
    }
  }
  return rgba;
}

function encodeKeyed(format: ServerImageFormat, key: readonly [number, number, number], width: number, height: number): Buffer {
  const rgba = keyedRgba(key, width, height);
  if (format === 'jpeg') return jpeg.encode({ data: rgba, width, height }, 90).data;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgba.copy(raw, y * (width * 3 + 1) + 1 + x * 3, (y * width + x) * 4, (y * width + x) * 4 + 3);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Keeps recently made images so repeated large requests are fast; bounded by total bytes. */
const cache = new Map<string, MadeImage>();
let cachedBytes = 0;
const CACHE_LIMIT = 512 * 1024 * 1024;

/**
 * An image for a request: on `keyColour` a keyed subject (see keyedRgba), otherwise a seeded gradient with noise to
 * every edge (what a photo looks like to background removal).
 */
export function makeImage(format: ServerImageFormat, width: number, height: number, seed: string, keyColour?: readonly [number, number, number]): MadeImage {
  const key = `${format}:${width}x${height}:${seed}:${keyColour?.join(',') ?? ''}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const bytes = keyColour ? encodeKeyed(format, keyColour, width, height) : format === 'jpeg' ? encodeJpeg(seed, width, height) : encodePng(seed, width, height);
  const made: MadeImage = {
    bytes,
    mimeType: format === 'jpeg' ? 'image/jpeg' : 'image/png',
    width,
    height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  cache.set(key, made);
  cachedBytes += bytes.length;
  for (const [oldKey, old] of cache) {
    if (cachedBytes <= CACHE_LIMIT || oldKey === key) break;
    cache.delete(oldKey);
    cachedBytes -= old.bytes.length;
  }
  return made;
}

/** Each image's base64, made once: a 4K image's is ~23 MB and every answer with that image sends it. */
const base64Cache = new WeakMap<MadeImage, Buffer>();

export function base64Of(image: MadeImage): Buffer {
  let base64 = base64Cache.get(image);
  if (!base64) {
    base64 = Buffer.from(image.bytes.toString('base64'), 'latin1');
    base64Cache.set(image, base64);
  }
  return base64;
}

/** The image type of some bytes by their magic number, or undefined when they are no image we know. */
export function sniffImage(bytes: Buffer): string | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  if (bytes.length >= 12 && bytes.toString('latin1', 4, 8) === 'ftyp') {
    const brand = bytes.toString('latin1', 8, 12);
    if (['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx'].includes(brand)) return 'image/heic';
    if (['mif1', 'msf1', 'avif'].includes(brand)) return 'image/heif';
  }
  if (bytes.length >= 6 && bytes.toString('latin1', 0, 3) === 'GIF') return 'image/gif';
  return undefined;
}
