// A small JPEG preview of a saved image (for MCP clients, which show it inline): decode, box-downscale, encode.
import * as jpeg from 'jpeg-js';
import { decodePixels, type Pixels } from './pixels';

/** Longest side of a preview: enough to recognise the picture, a few KB in an agent's context. */
export const THUMBNAIL_SIZE = 256;

/** A JPEG at most `size` pixels on its longest side, or undefined when the format cannot be previewed. */
export function thumbnailOf(image: Uint8Array, size = THUMBNAIL_SIZE): Uint8Array | undefined {
  const pixels = decodePixels(image);
  if (!pixels) return undefined;
  const small = downscale(pixels, size);
  return jpeg.encode({ data: small.data, width: small.width, height: small.height }, 80).data;
}

/** Averages each block of source pixels into one (transparent areas blend towards white, as previews show them). */
export function downscale(source: Pixels, size: number): Pixels {
  const scale = Math.max(1, Math.max(source.width, source.height) / size);
  const width = Math.max(1, Math.round(source.width / scale));
  const height = Math.max(1, Math.round(source.height / scale));
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * source.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * source.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * source.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * source.width) / width));
      let r = 0;
      let g = 0;
      let b = 0;
      let count = 0;
      for (let sy = y0; sy < y1; sy++) {
        let at = (sy * source.width + x0) * 4;
        for (let sx = x0; sx < x1; sx++, at += 4) {
          const alpha = source.data[at + 3] / 255;
          r += source.data[at] * alpha + 255 * (1 - alpha);
          g += source.data[at + 1] * alpha + 255 * (1 - alpha);
          b += source.data[at + 2] * alpha + 255 * (1 - alpha);
          count++;
        }
      }
      const out = (y * width + x) * 4;
      data[out] = Math.round(r / count);
      data[out + 1] = Math.round(g / count);
      data[out + 2] = Math.round(b / count);
      data[out + 3] = 255;
    }
  }
  return { width, height, data };
}
