// The bench's pieces shared by main.ts and profile.ts: the test server in its own process and the three clients.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Agent, request } from 'undici';
import { ImageClient } from '../../src/core/imageClient';
import type { ImageJob, ProviderSettings } from '../../src/core/imageJob';
import { recipeInsertionOfLength, recipeSlot, type Recipe } from '../../src/core/recipe';
import { buildGenerateRequest } from '../../src/core/request';
import { placeWithoutOverwrite, TempImageFile } from '../../src/core/streamFile';
import type { ImageSink, ImageSinkFile } from '../../src/core/streamSink';
import { createUndiciTransport } from '../../src/http/index';
import { SENTINEL_TOKEN } from '../sentinel';

export const MODEL = 'gemini-3-pro-image-preview';
export const PROMPT = 'A lighthouse on a cliff at dawn, benchmark';
export const root = path.resolve(__dirname, '..', '..');

// ---- the server, in its own process so its work does not share our event loop -------------------------------

export async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(root, 'out', 'server', 'main.js'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (\S+)/.exec(seen);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the test server exited (${code})`)));
  });
  return { url, child };
}

export async function admin(url: string, route: string, body: unknown): Promise<void> {
  const response = await request(`${url}/__admin/${route}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  await response.body.text();
}

// ---- the three clients --------------------------------------------------------------------------------------

export type Client = (size: string) => Promise<string>;

export function job(size: string): ImageJob {
  return { prompt: PROMPT, references: [], model: MODEL, aspectRatio: '1:1', imageSize: size, includeText: true };
}

let counter = 0;
const nextFile = (work: string, name: string): string => path.join(work, `${name}-${++counter}.png`);

/** Each client writes its files into `work`. */
export function ourClient(provider: ProviderSettings, work: string): Client {
  const client = new ImageClient({ transport: createUndiciTransport({}), log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
  return async (size) => {
    // The same steps as the extension's writer: temporary file with a recipe slot, recipe rewritten, linked to a free name.
    const recipe: Recipe = { version: 1, prompt: PROMPT, model: MODEL, aspectRatio: '1:1', imageSize: size, references: [], createdAt: new Date().toISOString() };
    const sink: ImageSink<TempImageFile> = {
      open: (image) => TempImageFile.create(path.join(work, `.ours-${++counter}.part`), image, recipeSlot(image.format, recipe)),
    };
    const result = await client.stream(job(size), provider, SENTINEL_TOKEN, undefined, sink);
    const file = result.images[0].file;
    const length = file.recipeLength;
    if (length !== undefined) await file.writeRecipe(recipeInsertionOfLength(file.image.format, { ...recipe, usage: result.usage }, length));
    await file.close();
    const target = nextFile(work, 'ours');
    await placeWithoutOverwrite(file.path, target);
    return target;
  };
}

/** The floor: undici request → whole body → JSON.parse → Buffer.from(base64) → writeFile. */
export function minimalClient(provider: ProviderSettings, work: string): Client {
  const agent = new Agent();
  return async (size) => {
    const { url, headers, body } = buildGenerateRequest(job(size), provider, SENTINEL_TOKEN);
    const response = await request(url, { method: 'POST', headers, body, dispatcher: agent });
    const answer = JSON.parse(await response.body.text()) as { candidates: { content: { parts: { inlineData?: { data: string } }[] } }[] };
    const part = answer.candidates[0].content.parts.find((candidate) => candidate.inlineData);
    const target = nextFile(work, 'minimal');
    await fs.promises.writeFile(target, Buffer.from(part?.inlineData?.data ?? '', 'base64'));
    return target;
  };
}

export async function genaiClient(baseUrl: string, work: string): Promise<Client> {
  const { GoogleGenAI } = (await import('@google/genai')) as typeof import('@google/genai');
  const ai = new GoogleGenAI({ apiKey: SENTINEL_TOKEN, httpOptions: { baseUrl, apiVersion: 'v1beta' } });
  return async (size) => {
    const response = await ai.models.generateContent({
      model: MODEL,
      contents: PROMPT,
      config: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '1:1', imageSize: size } },
    });
    const part = response.candidates?.[0]?.content?.parts?.find((candidate) => candidate.inlineData?.data);
    const target = nextFile(work, 'genai');
    await fs.promises.writeFile(target, Buffer.from(part?.inlineData?.data ?? '', 'base64'));
    return target;
  };
}

/** Not a client: the transfer alone (undici request, every chunk read and dropped), the floor for any client. */
export function transferOnly(provider: ProviderSettings): Client {
  const agent = new Agent();
  return async (size) => {
    const { url, headers, body } = buildGenerateRequest(job(size), provider, SENTINEL_TOKEN);
    const response = await request(url, { method: 'POST', headers, body, dispatcher: agent });
    for await (const chunk of response.body) void chunk;
    return '';
  };
}

/** Not a client: our streaming parser and decoder into any sink (default: bytes dropped), to see what files cost. */
export function parseOnly(provider: ProviderSettings, sink: ImageSink<ImageSinkFile> = dropSink): Client {
  const client = new ImageClient({ transport: createUndiciTransport({}), log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
  return async (size) => {
    await client.stream(job(size), provider, SENTINEL_TOKEN, undefined, sink);
    return '';
  };
}

const dropSink: ImageSink<ImageSinkFile> = { open: async () => ({ write: async () => undefined, end: async () => undefined, abort: async () => undefined }) };
