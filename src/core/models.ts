// What each known image model accepts (ratios, sizes, reference count), for validation and for the pickers.

export const BASE_ASPECT_RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'] as const;
/** Extra tall and wide ratios only gemini-3.1-flash-image takes. */
export const EXTRA_ASPECT_RATIOS = ['1:4', '4:1', '1:8', '8:1'] as const;
/** Every ratio some known model takes, in picker order. */
export const ASPECT_RATIOS: readonly string[] = [...BASE_ASPECT_RATIOS, ...EXTRA_ASPECT_RATIOS];
/** Every size some known model takes (uppercase K, as the API spells them). */
export const IMAGE_SIZES: readonly string[] = ['512', '1K', '2K', '4K'];
export const OUTPUT_FORMATS: readonly string[] = ['png', 'jpeg'];
/** Input types the API takes for reference images. */
export const REFERENCE_TYPES: readonly string[] = ['png', 'jpeg', 'webp', 'heic', 'heif'];
/** Google's limit on a whole generateContent request with inline images. */
export const MAX_REQUEST_BYTES = 20_000_000;
/** Model ids go into the URL path: letters, digits, dot, dash, underscore only (the panel and settings alike). */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface ModelCapabilities {
  readonly id: string;
  /** The model the id belongs to, without a gateway size suffix. */
  readonly baseId: string;
  readonly aspectRatios: readonly string[];
  /** Sizes the `imageSize` field may name; empty when the model has no size choice. */
  readonly imageSizes: readonly string[];
  /** Size fixed by a gateway suffix (`-2k` means 2K): `imageSize` is never sent for such ids. */
  readonly fixedSize?: string;
  readonly maxReferences: number;
}

interface ModelFamily {
  readonly id: string;
  readonly aspectRatios: readonly string[];
  readonly imageSizes: readonly string[];
  readonly maxReferences: number;
  /** Gateway ids `${id}-${suffix}` that fix the size. */
  readonly sizeSuffixes: readonly string[];
}

const FAMILIES: readonly ModelFamily[] = [
  { id: 'gemini-2.5-flash-image', aspectRatios: BASE_ASPECT_RATIOS, imageSizes: [], maxReferences: 3, sizeSuffixes: [] },
  {
    id: 'gemini-3-pro-image-preview',
    aspectRatios: BASE_ASPECT_RATIOS,
    imageSizes: ['1K', '2K', '4K'],
    maxReferences: 14,
    sizeSuffixes: ['1K', '2K', '4K'],
  },
  {
    id: 'gemini-3.1-flash-image-preview',
    aspectRatios: ASPECT_RATIOS,
    imageSizes: ['512', '1K', '2K', '4K'],
    maxReferences: 14,
    sizeSuffixes: ['512', '1K', '2K', '4K'],
  },
  // Google's experimental model has no size choice (a gateway may still accept imageSize 1K for it).
  { id: 'gemini-2.0-flash-exp', aspectRatios: BASE_ASPECT_RATIOS, imageSizes: [], maxReferences: 3, sizeSuffixes: [] },
];

const TABLE: ReadonlyMap<string, ModelCapabilities> = buildTable();

function buildTable(): Map<string, ModelCapabilities> {
  const table = new Map<string, ModelCapabilities>();
  for (const family of FAMILIES) {
    const { id, aspectRatios, imageSizes, maxReferences } = family;
    table.set(id, Object.freeze({ id, baseId: id, aspectRatios, imageSizes, maxReferences }));
    for (const size of family.sizeSuffixes) {
      const suffixed = `${id}-${size.toLowerCase()}`;
      table.set(
        suffixed,
        Object.freeze({ id: suffixed, baseId: id, aspectRatios, imageSizes: [size], fixedSize: size, maxReferences }),
      );
    }
  }
  return table;
}

/** Every known model id, base ids first, for the model picker. */
export const KNOWN_MODEL_IDS: readonly string[] = [
  ...FAMILIES.map((family) => family.id),
  ...FAMILIES.flatMap((family) => family.sizeSuffixes.map((size) => `${family.id}-${size.toLowerCase()}`)),
];

export const DEFAULT_MODEL_ID = 'gemini-2.5-flash-image';

/** The id as it goes into the URL path: `models/x` (as the model list names them) becomes `x`. */
export function normalizeModelId(id: string): string {
  const trimmed = id.trim();
  return trimmed.startsWith('models/') ? trimmed.slice('models/'.length) : trimmed;
}

/** What a known model accepts; undefined for ids we do not know, which are sent unvalidated. */
export function describeModel(id: string): ModelCapabilities | undefined {
  return TABLE.get(normalizeModelId(id).toLowerCase());
}

/** Known models that take this ratio (for "use X instead" hints). */
export function modelsTakingRatio(ratio: string): string[] {
  return FAMILIES.filter((family) => family.aspectRatios.includes(ratio)).map((family) => family.id);
}

/** Known models that take this size (for "use X instead" hints). */
export function modelsTakingSize(size: string): string[] {
  return FAMILIES.filter((family) => family.imageSizes.includes(size)).map((family) => family.id);
}
