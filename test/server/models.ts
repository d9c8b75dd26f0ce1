// The test server's own model table: kept apart from the product's so the server is an independent check of it.

export type ImageSize = '512' | '1K' | '2K' | '4K';

/** What a model accepts; `undefined` sizes means the model has no imageSize field at all. */
export interface ServerModel {
  readonly id: string;
  readonly displayName: string;
  /** generateContent answers images (false: a text model that answers text and refuses IMAGE). */
  readonly image: boolean;
  readonly methods: readonly string[];
  readonly aspectRatios: readonly string[];
  /** Sizes the imageSize field may carry; empty = the field is refused. */
  readonly sizes: readonly ImageSize[];
  /** Size-suffixed gateway ids fix the size: imageSize must be absent or equal to it. */
  readonly fixedSize?: ImageSize;
  readonly maxReferences: number;
  /** Gemini 3 models think, so their usage carries thoughtsTokenCount. */
  readonly thinks: boolean;
  /** thinkingConfig.thinkingLevel values the model takes; empty = the field is refused. */
  readonly thinkingLevels: readonly string[];
  /** Takes tools: [{googleSearch: {}}] and answers with groundingMetadata. */
  readonly grounding: boolean;
  /** Served by Google's own API today (false: shut down there, only gateways still answer it). */
  readonly onGoogle: boolean;
}

const BASE_RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'] as const;
const WIDE_RATIOS = [...BASE_RATIOS, '1:4', '4:1', '1:8', '8:1'] as const;
const IMAGE_METHODS = ['generateContent', 'countTokens'] as const;

function imageModel(id: string, displayName: string, extra: Partial<ServerModel>): ServerModel {
  return {
    id,
    displayName,
    image: true,
    methods: IMAGE_METHODS,
    aspectRatios: BASE_RATIOS,
    sizes: [],
    maxReferences: 3,
    thinks: false,
    thinkingLevels: [],
    grounding: false,
    onGoogle: false,
    ...extra,
  };
}

const PRO = { aspectRatios: BASE_RATIOS, sizes: ['1K', '2K', '4K'] as ImageSize[], maxReferences: 14, thinks: true, grounding: true };
const FLASH31 = {
  aspectRatios: WIDE_RATIOS,
  sizes: ['512', '1K', '2K', '4K'] as ImageSize[],
  maxReferences: 14,
  thinks: true,
  thinkingLevels: ['minimal', 'high'],
  grounding: true,
};

export const SERVER_MODELS: readonly ServerModel[] = [
  // Google's GA ids (2026-05-28 and 2026-06-30, the Gemini API changelog and deprecations page).
  imageModel('gemini-3.1-flash-image', 'Nano Banana 2 (Gemini 3.1 Flash Image)', { ...FLASH31, onGoogle: true }),
  imageModel('gemini-3-pro-image', 'Nano Banana Pro (Gemini 3 Pro Image)', { ...PRO, onGoogle: true }),
  imageModel('gemini-3.1-flash-lite-image', 'Nano Banana 2 Lite (Gemini 3.1 Flash-Lite Image)', { sizes: ['1K'], maxReferences: 14, onGoogle: true }),
  // Shut down on Google in 2026; gateways still serve them.
  imageModel('gemini-2.5-flash-image', 'Nano Banana (Gemini 2.5 Flash Image)', {}),
  imageModel('gemini-3-pro-image-preview', 'Nano Banana Pro (Gemini 3 Pro Image Preview)', PRO),
  imageModel('gemini-3.1-flash-image-preview', 'Nano Banana 2 (Gemini 3.1 Flash Image Preview)', FLASH31),
  imageModel('gemini-2.0-flash-exp', 'Gemini 2.0 Flash Experimental', {}),
  imageModel('gemini-3-pro-image-preview-1k', 'Gemini 3 Pro Image 1K', { ...PRO, fixedSize: '1K' }),
  imageModel('gemini-3-pro-image-preview-2k', 'Gemini 3 Pro Image 2K', { ...PRO, fixedSize: '2K' }),
  imageModel('gemini-3-pro-image-preview-4k', 'Gemini 3 Pro Image 4K', { ...PRO, fixedSize: '4K' }),
  imageModel('gemini-3.1-flash-image-preview-512', 'Gemini 3.1 Flash Image 512', { ...FLASH31, fixedSize: '512' }),
  imageModel('gemini-3.1-flash-image-preview-1k', 'Gemini 3.1 Flash Image 1K', { ...FLASH31, fixedSize: '1K' }),
  imageModel('gemini-3.1-flash-image-preview-2k', 'Gemini 3.1 Flash Image 2K', { ...FLASH31, fixedSize: '2K' }),
  imageModel('gemini-3.1-flash-image-preview-4k', 'Gemini 3.1 Flash Image 4K', { ...FLASH31, fixedSize: '4K' }),
  // Not image models: listed so clients have to filter the model list.
  {
    id: 'gemini-2.5-flash',
    displayName: 'Gemini 2.5 Flash',
    image: false,
    methods: ['generateContent', 'countTokens', 'createCachedContent'],
    aspectRatios: [],
    sizes: [],
    maxReferences: 3000,
    thinks: true,
    thinkingLevels: [],
    grounding: true,
    onGoogle: true,
  },
  {
    id: 'text-embedding-004',
    displayName: 'Text Embedding 004',
    image: false,
    methods: ['embedContent'],
    aspectRatios: [],
    sizes: [],
    maxReferences: 0,
    thinks: false,
    thinkingLevels: [],
    grounding: false,
    onGoogle: true,
  },
];

export function findModel(id: string): ServerModel | undefined {
  return SERVER_MODELS.find((model) => model.id === id);
}

/** The model as GET /v1beta/models shows it (Google's Model resource). */
export function modelResource(model: ServerModel): Record<string, unknown> {
  return {
    name: `models/${model.id}`,
    version: '001',
    displayName: model.displayName,
    description: model.image ? `${model.displayName}: generates and edits images.` : `${model.displayName}.`,
    inputTokenLimit: model.image ? 65536 : 1048576,
    outputTokenLimit: model.image ? 32768 : 65536,
    supportedGenerationMethods: [...model.methods],
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxTemperature: 2,
  };
}

/** Pixel sizes at 1K; 2K doubles, 4K quadruples, 512 halves. */
const SIZE_1K: Record<string, readonly [number, number]> = {
  '1:1': [1024, 1024],
  '2:3': [832, 1248],
  '3:2': [1248, 832],
  '3:4': [864, 1184],
  '4:3': [1184, 864],
  '4:5': [896, 1152],
  '5:4': [1152, 896],
  '9:16': [768, 1344],
  '16:9': [1344, 768],
  '21:9': [1536, 672],
  '1:4': [512, 2048],
  '4:1': [2048, 512],
  '1:8': [384, 3072],
  '8:1': [3072, 384],
};

const SIZE_FACTOR: Record<ImageSize, number> = { '512': 0.5, '1K': 1, '2K': 2, '4K': 4 };

export function pixelSize(aspectRatio: string, size: ImageSize): { width: number; height: number } {
  const [width, height] = SIZE_1K[aspectRatio] ?? SIZE_1K['1:1'];
  const factor = SIZE_FACTOR[size];
  return { width: Math.round(width * factor), height: Math.round(height * factor) };
}

/** Output tokens Google bills per image: 1290 on the models without sizes, else by size (Gemini 3 image pricing). */
export function imageTokens(size: ImageSize, model?: ServerModel): number {
  if (model && model.sizes.length === 0) return 1290;
  return { '512': 747, '1K': 1120, '2K': 1120, '4K': 2000 }[size];
}
