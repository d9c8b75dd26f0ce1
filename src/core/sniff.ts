// Tells what kind of image some bytes are from their magic numbers, never from a name or a declared mime type.

export type SniffedImageType = 'png' | 'jpeg' | 'webp' | 'gif' | 'heic' | 'heif' | 'bmp' | 'svg' | 'tiff';

const MIME_TYPES: Record<SniffedImageType, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  tiff: 'image/tiff',
};

/** ISO-BMFF brands of HEVC-coded HEIF files (Apple photos are `heic`). */
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
/** Brands of HEIF files in general (image or sequence, any codec but AVIF). */
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'heif', 'mif2']);

export function mimeTypeOf(type: SniffedImageType): string {
  return MIME_TYPES[type];
}

/** The image type from the first bytes, or undefined when they are no image we know. */
export function sniffImageType(bytes: Uint8Array): SniffedImageType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  const heif = sniffHeif(bytes);
  if (heif) return heif;
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 26) return 'bmp';
  if (looksLikeSvg(bytes)) return 'svg';
  return undefined;
}

/** HEIF files start with an `ftyp` box whose major or compatible brands say heic or heif. */
function sniffHeif(bytes: Uint8Array): 'heic' | 'heif' | undefined {
  if (bytes.length < 16 || ascii(bytes, 4, 4) !== 'ftyp') return undefined;
  const boxSize = ((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3];
  const end = Math.min(bytes.length, boxSize >= 16 ? boxSize : 16);
  const brands = [ascii(bytes, 8, 4)];
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(ascii(bytes, offset, 4));
  if (brands.some((brand) => HEIC_BRANDS.has(brand))) return 'heic';
  // AVIF is HEIF-compatible on paper but AV1-coded, which the API does not take.
  if (brands[0] === 'avif' || brands[0] === 'avis') return undefined;
  if (brands.some((brand) => HEIF_BRANDS.has(brand))) return 'heif';
  return undefined;
}

function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 1024)).replace(/^\uFEFF/, '').trimStart();
  if (!head.startsWith('<')) return false;
  return /<svg[\s>]/i.test(head);
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((value, index) => bytes[index] === value);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (bytes.length < offset + length) return '';
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}
