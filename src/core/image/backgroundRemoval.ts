// Removes the flat key colour around a generated subject: flood from the borders, soft alpha on edges, spill out, RGBA PNG.
// Its own chunk (dist/transparency.js, with pngjs and jpeg-js), run in a worker thread per image: activation never
// pays for it and a 4K image does not block the extension host.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import packPng from 'pngjs/lib/packer-sync';
import type { KeyColour } from './keyColour';
import { decodePixels, type Pixels } from './pixels';

/** Colour distance (RGB, Euclidean) up to which a pixel joined to the border counts as background. */
export const DEFAULT_TOLERANCE = 64;
/** How far the border's colour may be from the key asked for (models and JPEG shift it a little). */
export const KEY_MATCH = 110;
/** Share of border pixels that must be the flat background colour (a subject may touch the edge). */
export const MIN_FLAT_BORDER = 0.5;
/** Pixels this close (in pixels) to the removed background get soft alpha and spill removal: anti-aliased edges. */
const EDGE_RADIUS = 2;
/** Alpha this close to opaque is opaque (texture inside the subject is not an edge). */
const OPAQUE_FROM = 0.97;

export type BackgroundRemoval =
  | {
      readonly kind: 'transparent';
      /** RGBA PNG (colour type 6), without a recipe. */
      readonly png: Uint8Array;
      /** The background colour as drawn (`#RRGGBB`), close to the key asked for. */
      readonly found: string;
      /** Pixels made fully transparent, and edge pixels made partly transparent. */
      readonly cleared: number;
      readonly softened: number;
    }
  | { readonly kind: 'opaque'; readonly message: string };

export interface RemovalOptions {
  readonly tolerance?: number;
}

/**
 * The image with its flat key-coloured background made transparent, or why it was left as it is (a photo-like
 * background, an image that cannot be decoded): the message ends a sentence that starts with the file's name.
 */
export function removeKeyColour(image: Uint8Array, key: KeyColour, options: RemovalOptions = {}): BackgroundRemoval {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const pixels = decodePixels(image);
  if (!pixels) return { kind: 'opaque', message: 'was kept opaque: its pixels could not be read (only 8-bit PNG and JPEG are).' };
  const background = borderColour(pixels);
  const flat = background && distance(background, key.rgb) <= KEY_MATCH && flatBorderShare(pixels, background, tolerance) >= MIN_FLAT_BORDER;
  if (!background || !flat) {
    return { kind: 'opaque', message: `was kept opaque: the background was not a flat colour (${key.name} ${key.hex} was asked for).` };
  }
  const alpha = floodFromBorders(pixels, background, tolerance);
  let cleared = 0;
  for (let i = 0; i < alpha.length; i++) if (alpha[i] === 0) cleared++;
  const softened = softenEdges(pixels, alpha, background);
  const data = pixels.data;
  for (let i = 0; i < alpha.length; i++) {
    data[i * 4 + 3] = alpha[i];
    // Fully transparent pixels carry no colour: black keeps the file small and no key colour leaks when scaled.
    if (alpha[i] === 0) data[i * 4] = data[i * 4 + 1] = data[i * 4 + 2] = 0;
  }
  return { kind: 'transparent', png: encodeRgbaPng(pixels), found: hexOf(background), cleared, softened };
}

/** RGBA PNG bytes (colour type 6, 8 bits). */
export function encodeRgbaPng(pixels: Pixels): Uint8Array {
  const data = Buffer.from(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength);
  // Paeth on every row: 3–4× faster than trying all five filters per row, and within a few per cent of its size.
  return packPng({ width: pixels.width, height: pixels.height, data }, { colorType: 6, inputColorType: 6, bitDepth: 8, filterType: 4 });
}

type Rgb = readonly [number, number, number];

/** Per-channel median of the outermost pixels: the background's colour when it is flat, whatever touches the edge. */
function borderColour({ width, height, data }: Pixels): Rgb | undefined {
  if (width < 3 || height < 3) return undefined;
  const channels: number[][] = [[], [], []];
  forEachBorderPixel(width, height, (index) => {
    for (let c = 0; c < 3; c++) channels[c].push(data[index * 4 + c]);
  });
  const median = (values: number[]): number => values.sort((a, b) => a - b)[values.length >> 1];
  return [median(channels[0]), median(channels[1]), median(channels[2])];
}

function flatBorderShare(pixels: Pixels, colour: Rgb, tolerance: number): number {
  let flat = 0;
  let all = 0;
  forEachBorderPixel(pixels.width, pixels.height, (index) => {
    all++;
    if (within(pixels.data, index, colour, tolerance)) flat++;
  });
  return flat / all;
}

/** Alpha per pixel: 0 for background joined to a border pixel (4-neighbours, within tolerance), else 255. */
function floodFromBorders(pixels: Pixels, colour: Rgb, tolerance: number): Uint8Array {
  const { width, height, data } = pixels;
  const alpha = new Uint8Array(width * height).fill(255);
  const stack = new Int32Array(width * height);
  let top = 0;
  const visit = (index: number): void => {
    if (alpha[index] === 0 || !within(data, index, colour, tolerance)) return;
    alpha[index] = 0;
    stack[top++] = index;
  };
  forEachBorderPixel(width, height, visit);
  while (top > 0) {
    const index = stack[--top];
    const x = index % width;
    if (x > 0) visit(index - 1);
    if (x < width - 1) visit(index + 1);
    if (index >= width) visit(index - width);
    if (index < width * (height - 1)) visit(index + width);
  }
  return alpha;
}

/**
 * Edge pixels next to the removed background: alpha from their distance to the key, relative to the most distant
 * (solid) subject pixel nearby; then the key is un-premultiplied from their colour, so no key-coloured fringe stays.
 * Returns how many pixels became partly transparent.
 */
function softenEdges(pixels: Pixels, alpha: Uint8Array, key: Rgb): number {
  const { width, height, data } = pixels;
  const edge = new Uint8Array(width * height);
  const edges: number[] = [];
  for (let index = 0; index < alpha.length; index++) {
    if (alpha[index] !== 0 || !touchesSubject(alpha, index, width, height)) continue;
    forWindow(index, width, height, EDGE_RADIUS, (near) => {
      if (alpha[near] !== 0 && edge[near] === 0) {
        edge[near] = 1;
        edges.push(near);
      }
    });
  }
  const distanceOf = (index: number): number => (alpha[index] === 0 ? 0 : distanceAt(data, index, key));
  // Measured before any edge pixel changes: each compares with its neighbours as they arrived.
  const measured = edges.map((index) => {
    let solid = distanceOf(index);
    forWindow(index, width, height, EDGE_RADIUS + 1, (near) => {
      solid = Math.max(solid, distanceOf(near));
    });
    return { index, own: distanceOf(index), solid };
  });
  let softened = 0;
  measured.forEach(({ index, own, solid }) => {
    const coverage = solid > 0 ? own / solid : 1;
    if (coverage >= OPAQUE_FROM) return;
    const a = Math.max(1, Math.round(coverage * 255));
    alpha[index] = a;
    softened++;
    // observed = a·subject + (1 − a)·key, so subject = key + (observed − key) / a.
    for (let c = 0; c < 3; c++) {
      const observed = data[index * 4 + c];
      data[index * 4 + c] = clampByte(key[c] + (observed - key[c]) / (a / 255));
    }
  });
  return softened;
}

function touchesSubject(alpha: Uint8Array, index: number, width: number, height: number): boolean {
  const x = index % width;
  return (
    (x > 0 && alpha[index - 1] !== 0) ||
    (x < width - 1 && alpha[index + 1] !== 0) ||
    (index >= width && alpha[index - width] !== 0) ||
    (index < width * (height - 1) && alpha[index + width] !== 0)
  );
}

function forWindow(index: number, width: number, height: number, radius: number, visit: (near: number) => void): void {
  const x = index % width;
  const y = (index - x) / width;
  for (let ny = Math.max(0, y - radius); ny <= Math.min(height - 1, y + radius); ny++) {
    for (let nx = Math.max(0, x - radius); nx <= Math.min(width - 1, x + radius); nx++) visit(ny * width + nx);
  }
}

function forEachBorderPixel(width: number, height: number, visit: (index: number) => void): void {
  for (let x = 0; x < width; x++) {
    visit(x);
    if (height > 1) visit((height - 1) * width + x);
  }
  for (let y = 1; y < height - 1; y++) {
    visit(y * width);
    if (width > 1) visit(y * width + width - 1);
  }
}

/** Squared distances compare exactly: a pixel at exactly the tolerance is background, one unit more is not. */
function within(data: Uint8Array, index: number, colour: Rgb, tolerance: number): boolean {
  const r = data[index * 4] - colour[0];
  const g = data[index * 4 + 1] - colour[1];
  const b = data[index * 4 + 2] - colour[2];
  return r * r + g * g + b * b <= tolerance * tolerance;
}

function distanceAt(data: Uint8Array, index: number, colour: Rgb): number {
  return distance([data[index * 4], data[index * 4 + 1], data[index * 4 + 2]], colour);
}

function distance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

function clampByte(value: number): number {
  return Math.min(255, Math.max(0, Math.round(value)));
}

function hexOf(colour: Rgb): string {
  return `#${colour.map((channel) => channel.toString(16).padStart(2, '0')).join('').toUpperCase()}`;
}

/** What a worker started on this file is given (see core/image/transparencyChunk). */
export interface RemovalJob {
  readonly job: 'remove-key-colour';
  readonly image: Uint8Array;
  readonly key: KeyColour;
}

// Started as a worker: remove the background of one image, post the result, end.
const given = workerData as Partial<RemovalJob> | undefined;
if (!isMainThread && parentPort && given?.job === 'remove-key-colour' && given.image && given.key) {
  parentPort.postMessage(removeKeyColour(given.image, given.key));
}
