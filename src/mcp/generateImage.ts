// The MCP tool generate_image: checks the agent's input, runs the shared job runner into the working folder, answers with paths and a preview.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { redactSecret } from '../core/errors';
import type { ClientLog } from '../core/imageClient';
import { parseAgentRequest, stemFor, describeAgentResult, type FieldNames } from '../core/jobs/agentRequest';
import { DiskImageStore, type SavingState } from '../core/jobs/imageStore';
import { symlinkEscape } from '../core/outputFolder';
import { referenceTooLarge } from '../core/validate';
import { referenceFromBytes, runImageJob, type ImageStreamer } from '../core/jobs/runImageJob';
import { thumbnailOf } from '../core/image/thumbnail';
import type { BackgroundRemover } from '../core/image/transparencyChunk';
import type { ReferenceImage } from '../core/imageJob';
import type { McpConfig } from './config';

export const GENERATE_IMAGE = 'generate_image';

/** The MCP tool's own spelling of the fields (snake_case, like most MCP tools). */
const FIELDS: FieldNames = {
  prompt: 'prompt',
  references: 'references',
  aspectRatio: 'aspect_ratio',
  imageSize: 'image_size',
  model: 'model',
  // Not offered over MCP: the folder comes from GEMINI_IMAGE_OUTPUT.
  outputFolder: '\u0000outputFolder',
  fileName: 'file_name',
  background: 'background',
};

/** Previews sent with one answer at most: each is a few KB of base64 in the agent's context. */
const MAX_PREVIEWS = 4;

export const GENERATE_IMAGE_TOOL = {
  name: GENERATE_IMAGE,
  title: 'Generate image with Gemini',
  description:
    'Generates an image with Google\'s Gemini image models (Nano Banana) from a text prompt, optionally guided or edited with ' +
    'reference images, and saves it as a PNG or JPEG file in the project (folder from GEMINI_IMAGE_OUTPUT, default generated-images). ' +
    'Use it for app icons, README or blog covers, placeholder art, illustrations, mockups, or edits of an existing image. ' +
    'Returns the saved file paths relative to the working folder (use them, e.g. in Markdown), the model\'s text, the finish reason, ' +
    'token usage and a small preview. Existing files are never overwritten (a taken name gets -2, -3). A refusal, a blocked prompt, ' +
    'a quota error or an invalid option is an error result whose text says what happened.',
  inputSchema: {
    type: 'object',
    properties: {
      prompt: { type: 'string', description: 'What the image should show: subject, style, composition, colours, any text to render in it.' },
      references: {
        type: 'array',
        items: { type: 'string' },
        maxItems: 14,
        description: 'Reference images to send with the prompt: paths relative to the working folder (or absolute inside it). PNG, JPEG, WebP, HEIC or HEIF.',
      },
      aspect_ratio: {
        type: 'string',
        enum: ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9', '1:4', '4:1', '1:8', '8:1'],
        description: 'Width:height; leave out for the model\'s choice. 1:4, 4:1, 1:8, 8:1 only on gemini-3.1-flash-image models.',
      },
      image_size: { type: 'string', enum: ['512', '1K', '2K', '4K'], description: 'Resolution; 2K/4K need gemini-3-pro-image or gemini-3.1-flash-image, 512 only gemini-3.1-flash-image.' },
      model: { type: 'string', description: 'Model id, e.g. gemini-3-pro-image; default from GEMINI_IMAGE_MODEL.' },
      file_name: { type: 'string', description: 'File name inside the output folder, without folders, e.g. app-icon. The extension follows the image format.' },
      background: {
        type: 'string',
        enum: ['transparent', 'opaque'],
        description:
          "'transparent' for a PNG with an alpha channel (icons, stickers, sprites): the subject is drawn on a flat key colour that is then removed. " +
          'A photo-like result without a flat background stays opaque and the answer says so.',
      },
    },
    required: ['prompt'],
  },
} as const;

export type ToolContent = { type: 'text'; text: string } | { type: 'image'; data: string; mimeType: string };
// A type alias, not an interface: the SDK's result type has an index signature only aliases satisfy.
export type ToolAnswer = {
  content: ToolContent[];
  isError?: boolean;
};

export interface GenerateImageDeps {
  readonly config: McpConfig;
  readonly client: ImageStreamer;
  readonly log: ClientLog;
  /** Shared by every call, so two calls finishing together never pick the same name. */
  readonly saving: SavingState;
  /** The model to send for the one asked for: `auto` becomes the best image model the provider lists. */
  readonly resolveModel: (model: string, imageSize: string | undefined, signal?: AbortSignal) => Promise<string>;
  /** Removes the key-coloured background of `background: "transparent"` images (dist/transparency.js, loaded on first use). */
  readonly removeBackground?: BackgroundRemover;
}

/** Runs one generate_image call. Never throws: failures are isError answers with the message a person would read. */
export async function generateImage(input: unknown, deps: GenerateImageDeps, signal?: AbortSignal): Promise<ToolAnswer> {
  const { config, client, log, saving, resolveModel, removeBackground } = deps;
  try {
    const request = parseAgentRequest(input, FIELDS);
    const references = await readReferences(request.references, config.root);
    // A link inside the working folder (a cloned repository can ship one) must not lead the images outside it.
    const escape = await symlinkEscape(config.outputFolder, config.root);
    if (escape) throw new Error(escape);
    const model = await resolveModel(request.model ?? config.model, request.imageSize, signal);
    const outcome = await runImageJob(
      {
        job: { prompt: request.prompt, references, model, aspectRatio: request.aspectRatio, imageSize: request.imageSize, includeText: true },
        provider: config.provider,
        token: config.token,
        variants: 1,
        slug: stemFor(request),
        ...(request.background === 'transparent' ? { background: 'transparent' as const } : {}),
      },
      { client, store: new DiskImageStore(config.outputFolder, saving), log, signal, removeBackground },
    );
    const relative = outcome.files.map((file) => path.relative(config.root, file).split(path.sep).join('/'));
    const text = describeAgentResult({ ...outcome, files: relative, model });
    const content: ToolContent[] = [{ type: 'text', text: redactSecret(text, config.token) }];
    for (const file of outcome.files.slice(0, MAX_PREVIEWS)) {
      const preview = thumbnailOf(await fs.readFile(file));
      if (preview) content.push({ type: 'image', data: Buffer.from(preview).toString('base64'), mimeType: 'image/jpeg' });
    }
    return { content };
  } catch (error) {
    const message = redactSecret(error instanceof Error ? error.message : String(error), config.token);
    log.warn(`generate_image failed: ${message}`);
    return { content: [{ type: 'text', text: message }], isError: true };
  }
}

/** Reads each reference, refusing (before anything is sent) any path that leads outside the working folder. */
async function readReferences(references: readonly string[], root: string): Promise<ReferenceImage[]> {
  const realRoot = await fs.realpath(root);
  const images: ReferenceImage[] = [];
  for (const reference of references) {
    const resolved = path.resolve(root, reference);
    const outside = new Error(`The reference "${reference}" is outside the working folder; only images inside ${realRoot} can be sent.`);
    if (!isInside(root, resolved)) throw outside;
    let real: string;
    try {
      real = await fs.realpath(resolved);
    } catch {
      throw new Error(`The reference "${reference}" does not exist.`);
    }
    // A link inside the folder that points outside it is outside too.
    if (!isInside(realRoot, real)) throw outside;
    const name = path.basename(resolved);
    // A multi-gigabyte file is refused from its size, before it is read into memory.
    const tooLarge = referenceTooLarge(name, (await fs.stat(real)).size);
    if (tooLarge) throw new Error(tooLarge);
    images.push(referenceFromBytes(name, await fs.readFile(real)));
  }
  return images;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
