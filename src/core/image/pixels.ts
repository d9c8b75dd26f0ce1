// Decoded pixels of the images models send (PNG and JPEG), shared by previews and background removal.
import { inflateSync } from 'node:zlib';
import decodeJpeg from 'jpeg-js/lib/decoder';
import { sniffImageType } from '../sniff';

/** Images with more pixels than this are not decoded (memory). */
const MAX_DECODED_PIXELS = 64 * 1024 * 1024;

export interface Pixels {
  readonly width: number;
  readonly height: number;
  /** RGBA, 4 bytes a pixel. */
  readonly data: Uint8Array;
}

/** RGBA pixels of a PNG or JPEG, or undefined when the format or this kind of file cannot be decoded. */
export function decodePixels(image: Uint8Array): Pixels | undefined {
  const type = sniffImageType(image);
  try {
    if (type === 'png') return decodePng(image);
    if (type === 'jpeg') return decodeJpeg(image, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
  } catch {
    return undefined;
  }
  return undefined;
}

/** 8-bit, non-interlaced PNGs (grey, RGB, palette, grey+alpha, RGBA): what image models send. Others: undefined. */
export function decodePng(png: Uint8Array): Pixels | undefined {
  const view = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  const compressed: Buffer[] = [];
  while (offset + 8 <= view.length) {
    const length = view.readUInt32BE(offset);
    const type = view.toString('latin1', offset + 4, offset + 8);
    const data = view.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      colorType = data[9];
      if (depth !== 8 || data[12] !== 0) return undefined;
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') transparency = data;
    else if (type === 'IDAT') compressed.push(data);
    else if (type === 'IEND') break;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (!channels || width === 0 || height === 0 || width * height > MAX_DECODED_PIXELS) return undefined;
  const raw = inflateSync(Buffer.concat(compressed));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) return undefined;
  const rows = unfilter(raw, width, height, channels);
  const data = new Uint8Array(width * height * 4);
  for (let i = 0, p = 0; i < width * height; i++, p += channels) {
    const out = i * 4;
    if (colorType === 3) {
      const index = rows[p];
      data[out] = palette?.[index * 3] ?? 0;
      data[out + 1] = palette?.[index * 3 + 1] ?? 0;
      data[out + 2] = palette?.[index * 3 + 2] ?? 0;
      data[out + 3] = transparency && index < transparency.length ? transparency[index] : 255;
    } else if (channels <= 2) {
      data[out] = data[out + 1] = data[out + 2] = rows[p];
      data[out + 3] = channels === 2 ? rows[p + 1] : 255;
    } else {
      data[out] = rows[p];
      data[out + 1] = rows[p + 1];
      data[out + 2] = rows[p + 2];
      data[out + 3] = channels === 4 ? rows[p + 3] : 255;
    }
  }
  return { width, height, data };
}

/** Undoes PNG's per-row filters (None, Sub, Up, Average, Paeth). */
function unfilter(raw: Uint8Array, width: number, height: number, channels: number): Uint8Array {
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const from = y * (stride + 1) + 1;
    const row = y * stride;
    const previous = row - stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? out[row + x - channels] : 0;
      const up = y > 0 ? out[previous + x] : 0;
      const upLeft = y > 0 && x >= channels ? out[previous + x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) predictor = paeth(left, up, upLeft);
      out[row + x] = (raw[from + x] + predictor) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}
