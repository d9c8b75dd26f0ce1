// What each known image model accepts (ratios, sizes, references, thinking, grounding), for validation, the pickers
// and the choice behind `auto`.
//
// Sources (read 2026-12-02):
// - Gemini API deprecations, https://ai.google.dev/gemini-api/docs/deprecations — gemini-3-pro-image and
//   gemini-3.1-flash-image released 2026-05-28 (GA); gemini-3-pro-image-preview and gemini-3.1-flash-image-preview
//   shut down 2026-06-25 (replacements: the GA ids); gemini-2.5-flash-image shut down 2026-10-02. No newer image id
//   is listed there (the later 3.5–3.8 ids are text models).
// - Gemini 3.1 Flash-Lite Image (Nano Banana 2 Lite), 2026-06-30: 1K output only, ratios 1:1…21:9
//   (https://docs.gmicloud.ai/model-quickstarts/image/gemini-3-1-flash-lite-image, vercel.com/ai-gateway/models/gemini-3.1-flash-lite-image).
// - Nano Banana docs, https://ai.google.dev/gemini-api/docs/image-generation — ratios, 512 on 3.1 Flash only, up to 14
//   reference images on 3 Pro / 3.1 Flash (3 on 2.5 Flash), thinking level minimal|high on 3.1 Flash (3 Pro always
//   thinks and takes no level), Google Search grounding (web, and image search on 3.1 Flash) on 3 Pro and 3.1 Flash.
// The preview and size-suffixed ids live on in gateways (the seed documents in /work/shared/seeds use them).

export const BASE_ASPECT_RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'] as const;
/** Extra tall and wide ratios only the 3.1 Flash image models take. */
export const EXTRA_ASPECT_RATIOS = ['1:4', '4:1', '1:8', '8:1'] as const;
/** Every ratio some known model takes, in picker order. */
export const ASPECT_RATIOS: readonly string[] = [...BASE_ASPECT_RATIOS, ...EXTRA_ASPECT_RATIOS];
/** Every size some known model takes (uppercase K, as the API spells them). */
export const IMAGE_SIZES: readonly string[] = ['512', '1K', '2K', '4K'];
export const OUTPUT_FORMATS: readonly string[] = ['png', 'jpeg'];
/** Thinking levels the image models take (generationConfig.thinkingConfig.thinkingLevel). */
export const THINKING_LEVELS: readonly string[] = ['minimal', 'high'];
/** Input types the API takes for reference images. */
export const REFERENCE_TYPES: readonly string[] = ['png', 'jpeg', 'webp', 'heic', 'heif'];
/** Google's limit on a whole generateContent request with inline data, raised from 20 MB on 2026-01-08 (changelog). */
export const GOOGLE_MAX_REQUEST_BYTES = 100_000_000;
/** What gateways usually take (Google's old limit): the default for every other base URL. */
export const GATEWAY_MAX_REQUEST_BYTES = 20_000_000;
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
  /** Thinking levels the model takes; empty when it has no thinking control. */
  readonly thinkingLevels: readonly string[];
  /** Takes `tools: [{googleSearch: {}}]`. */
  readonly grounding: boolean;
  /** Shut down on Google's own API: only gateways still serve it. */
  readonly gatewayOnly: boolean;
}

interface ModelFamily {
  readonly id: string;
  readonly aspectRatios: readonly string[];
  readonly imageSizes: readonly string[];
  readonly maxReferences: number;
  readonly thinkingLevels: readonly string[];
  readonly grounding: boolean;
  readonly gatewayOnly: boolean;
  /** Gateway ids `${id}-${suffix}` that fix the size. */
  readonly sizeSuffixes: readonly string[];
}

const PRO = { aspectRatios: BASE_ASPECT_RATIOS, imageSizes: ['1K', '2K', '4K'], maxReferences: 14, thinkingLevels: [], grounding: true };
const FLASH = { aspectRatios: ASPECT_RATIOS, imageSizes: ['512', '1K', '2K', '4K'], maxReferences: 14, thinkingLevels: THINKING_LEVELS, grounding: true };
const OLD = { aspectRatios: BASE_ASPECT_RATIOS, imageSizes: [], maxReferences: 3, thinkingLevels: [], grounding: false };

const FAMILIES: readonly ModelFamily[] = [
  { id: 'gemini-3.1-flash-image', ...FLASH, gatewayOnly: false, sizeSuffixes: [] },
  { id: 'gemini-3-pro-image', ...PRO, gatewayOnly: false, sizeSuffixes: [] },
  // 1K only; its reference limit and thinking/grounding support are not published in the sources above: the
  // limit is taken from its family, and no thinking or grounding is offered for it.
  {
    id: 'gemini-3.1-flash-lite-image',
    aspectRatios: BASE_ASPECT_RATIOS,
    imageSizes: ['1K'],
    maxReferences: 14,
    thinkingLevels: [],
    grounding: false,
    gatewayOnly: false,
    sizeSuffixes: [],
  },
  { id: 'gemini-3.1-flash-image-preview', ...FLASH, gatewayOnly: true, sizeSuffixes: ['512', '1K', '2K', '4K'] },
  { id: 'gemini-3-pro-image-preview', ...PRO, gatewayOnly: true, sizeSuffixes: ['1K', '2K', '4K'] },
  { id: 'gemini-2.5-flash-image', ...OLD, gatewayOnly: true, sizeSuffixes: [] },
  // Google's experimental model has no size choice (a gateway may still accept imageSize 1K for it).
  { id: 'gemini-2.0-flash-exp', ...OLD, gatewayOnly: true, sizeSuffixes: [] },
];

const TABLE: ReadonlyMap<string, ModelCapabilities> = buildTable();

function buildTable(): Map<string, ModelCapabilities> {
  const table = new Map<string, ModelCapabilities>();
  for (const family of FAMILIES) {
    const { id, aspectRatios, imageSizes, maxReferences, thinkingLevels, grounding, gatewayOnly } = family;
    const shared = { baseId: id, aspectRatios, maxReferences, thinkingLevels, grounding, gatewayOnly };
    table.set(id, Object.freeze({ id, imageSizes, ...shared }));
    for (const size of family.sizeSuffixes) {
      const suffixed = `${id}-${size.toLowerCase()}`;
      table.set(suffixed, Object.freeze({ id: suffixed, imageSizes: [size], fixedSize: size, ...shared }));
    }
  }
  return table;
}

/** Every known model id, base ids first (in preference order), for the model picker. */
export const KNOWN_MODEL_IDS: readonly string[] = [
  ...FAMILIES.map((family) => family.id),
  ...FAMILIES.flatMap((family) => family.sizeSuffixes.map((size) => `${family.id}-${size.toLowerCase()}`)),
];

/** `geminiImage.model` default: the best model the provider lists, see pickAutoModel. */
export const AUTO_MODEL = 'auto';

/** The id as it goes into the URL path: `models/x` (as the model list names them) becomes `x`. */
export function normalizeModelId(id: string): string {
  const trimmed = id.trim();
  return trimmed.startsWith('models/') ? trimmed.slice('models/'.length) : trimmed;
}

export function isAutoModel(id: string | undefined): boolean {
  return id === undefined || id.trim() === '' || id.trim().toLowerCase() === AUTO_MODEL;
}

/** What a known model accepts; undefined for ids we do not know, which are sent unvalidated. */
export function describeModel(id: string): ModelCapabilities | undefined {
  return TABLE.get(normalizeModelId(id).toLowerCase());
}

/** Known models that take this ratio (for "use X instead" hints); models Google still serves first. */
export function modelsTakingRatio(ratio: string): string[] {
  return FAMILIES.filter((family) => family.aspectRatios.includes(ratio) && !family.gatewayOnly).map((family) => family.id);
}

/** Known models that take this size (for "use X instead" hints); models Google still serves first. */
export function modelsTakingSize(size: string): string[] {
  return FAMILIES.filter((family) => family.imageSizes.includes(size) && !family.gatewayOnly).map((family) => family.id);
}

/** True for Google's own API (generativelanguage.googleapis.com and other *.googleapis.com hosts). */
export function isGoogleBaseUrl(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl.trim()).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return false;
  }
  return host === 'googleapis.com' || host.endsWith('.googleapis.com');
}

/** The request size limit for a provider: the user's choice (MB, 0 = auto), else Google's 100 MB or 20 MB elsewhere. */
export function maxRequestBytesFor(baseUrl: string, chosenMegabytes = 0): number {
  if (Number.isFinite(chosenMegabytes) && chosenMegabytes > 0) return Math.round(chosenMegabytes * 1_000_000);
  return isGoogleBaseUrl(baseUrl) ? GOOGLE_MAX_REQUEST_BYTES : GATEWAY_MAX_REQUEST_BYTES;
}

/** Whether `imageConfig.outputFormat` may be sent: Google's API refuses it (400 Unknown name), gateways take it. */
export function acceptsOutputFormat(baseUrl: string): boolean {
  return !isGoogleBaseUrl(baseUrl);
}
