// dist/mcp.js driven by the MCP SDK's own client over stdio, against the local Gemini server: tools, files, refusals, no key.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { readRecipe, removeRecipe } from '../../src/core/recipe';
import { SENTINEL_TOKEN } from '../sentinel';
import { startGeminiServer, type GeminiServer } from '../server/geminiServer';
import { PHOTO_MARKER } from '../server/imageFactory';

const MCP = path.resolve(__dirname, '..', '..', 'dist', 'mcp.js');
const PHOTO = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'workspace', 'images', 'photo.jpg');

interface Content {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
}
interface Answer {
  content: Content[];
  isError?: boolean;
}

let server: GeminiServer;
let folder: string;
let client: Client;
let stderr = '';
/** Everything the server said, for the key grep at the end. */
const seen: string[] = [];

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

before(async () => {
  server = await startGeminiServer({ smallImages: true });
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'mcp-server-'));
  await fs.mkdir(path.join(folder, 'images'));
  await fs.copyFile(PHOTO, path.join(folder, 'images', 'photo.jpg'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP],
    cwd: folder,
    env: { GEMINI_API_KEY: SENTINEL_TOKEN, GEMINI_BASE_URL: server.url, GEMINI_AUTH_HEADER: 'x-goog-api-key', PATH: process.env.PATH ?? '' },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  client = new Client({ name: 'mcp-test', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client.close();
  await server.close();
  await fs.rm(folder, { recursive: true, force: true });
  seen.push(stderr);
  for (const text of seen) assert.ok(!text.includes(SENTINEL_TOKEN), 'the key appeared in what the MCP server said');
});

beforeEach(() => server.reset());

async function call(args: Record<string, unknown>): Promise<Answer> {
  const answer = (await client.callTool({ name: 'generate_image', arguments: args })) as Answer;
  seen.push(JSON.stringify(answer));
  return answer;
}

function textOf(answer: Answer): string {
  return answer.content.filter((part) => part.type === 'text').map((part) => part.text).join('\n');
}

test('listTools offers generate_image with its schema', async () => {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name), ['generate_image']);
  const schema = tools[0].inputSchema as { required?: string[]; properties?: Record<string, unknown> };
  assert.deepEqual(schema.required, ['prompt']);
  assert.deepEqual(Object.keys(schema.properties ?? {}).sort(), ['aspect_ratio', 'background', 'file_name', 'image_size', 'model', 'prompt', 'references']);
});

test('an image is saved under the working folder with its recipe, named in the text, with a small preview', async () => {
  const answer = await call({ prompt: 'A README cover of a lighthouse', aspect_ratio: '16:9', file_name: 'cover' });
  assert.equal(answer.isError, undefined, textOf(answer));
  assert.match(textOf(answer), /^- generated-images\/cover\.png$/m);
  assert.match(textOf(answer), /Finish reason: STOP/);
  const saved = await fs.readFile(path.join(folder, 'generated-images', 'cover.png'));
  // The default model is auto: the provider's list was asked (with the key), and the pick is named in the text.
  assert.ok(server.requests.some((listing) => listing.method === 'GET' && listing.path === '/v1beta/models'), 'auto did not ask for the model list');
  const [request] = server.requests.filter((sent) => sent.model !== undefined);
  assert.equal(request.headers['x-goog-api-key'], SENTINEL_TOKEN);
  assert.ok(request.model && textOf(answer).includes(`(model ${request.model})`), `the text does not name the model sent (${request.model})`);
  assert.equal(sha256(removeRecipe(saved)), request.images[0].sha256, 'the saved image is not the server\'s');
  assert.equal(readRecipe(saved)?.aspectRatio, '16:9');
  const preview = answer.content.find((part) => part.type === 'image');
  assert.equal(preview?.mimeType, 'image/jpeg');
  const decoded = jpeg.decode(Buffer.from(preview?.data ?? '', 'base64'));
  assert.ok(Math.max(decoded.width, decoded.height) <= 256 && decoded.width > decoded.height, `preview ${decoded.width}×${decoded.height}`);

  const again = await call({ prompt: 'A README cover of a lighthouse', file_name: 'cover.png' });
  assert.match(textOf(again), /^- generated-images\/cover-2\.png$/m, 'a taken name was not given -2');
  assert.deepEqual((await fs.readdir(path.join(folder, 'generated-images'))).sort(), ['cover-2.png', 'cover.png']);
});

test('a reference inside the working folder is sent inline', async () => {
  const answer = await call({ prompt: 'Make it a watercolour', references: ['images/photo.jpg'] });
  assert.equal(answer.isError, undefined, textOf(answer));
  const body = JSON.stringify(server.requests.find((sent) => sent.model !== undefined)?.body);
  assert.ok(body.includes(sha256(await fs.readFile(PHOTO))), 'the reference was not in the request');
  assert.match(textOf(answer), /generated-images\/make-it-a-watercolour\.png/);
});

test('a reference outside the working folder, a path as file name or a ratio the model lacks: isError, nothing sent', async () => {
  const outside = path.join(os.tmpdir(), 'outside.png');
  for (const [args, expected] of [
    [{ prompt: 'x', references: ['../photo.jpg'] }, /outside the working folder/],
    [{ prompt: 'x', references: [outside] }, /outside the working folder/],
    [{ prompt: 'x', file_name: '../../etc/cover' }, /"file_name"/],
    [{ prompt: 'x', model: 'gemini-2.5-flash-image', aspect_ratio: '8:1' }, /does not take aspect ratio 8:1/],
    [{ prompt: '' }, /"prompt"/],
  ] as const) {
    const answer = await call(args);
    assert.equal(answer.isError, true, JSON.stringify(args));
    assert.match(textOf(answer), expected);
  }
  assert.equal(server.requests.length, 0, 'a request was sent for invalid input');
});

test('background "transparent" saves an RGBA PNG (dist/transparency.js loaded beside dist/mcp.js); a photo stays opaque with a note', async () => {
  const answer = await call({ prompt: 'a rocket', background: 'transparent', file_name: 'rocket' });
  assert.equal(answer.isError, undefined, textOf(answer));
  assert.match(textOf(answer), /^- generated-images\/rocket\.png$/m);
  assert.doesNotMatch(textOf(answer), /Note:/);
  const bytes = await fs.readFile(path.join(folder, 'generated-images', 'rocket.png'));
  const png = PNG.sync.read(bytes);
  assert.equal(bytes[25], 6, 'not an RGBA PNG');
  assert.deepEqual([png.data[3], png.data[png.data.length - 1]], [0, 0], 'the corners are not transparent');
  assert.equal(readRecipe(bytes)?.background, 'transparent');
  const body = server.requests.find((request) => request.model !== undefined)?.body as { contents: { parts: { text?: string }[] }[] };
  assert.match(body.contents[0].parts[0].text ?? '', /pure magenta \(#FF00FF\)/);

  const photo = await call({ prompt: `a beach ${PHOTO_MARKER}`, background: 'transparent', file_name: 'beach' });
  assert.match(textOf(photo), /^Note: beach\.png was kept opaque: the background was not a flat colour/m);
});

test('a refusal is an isError result naming the reason', async () => {
  server.enqueue({ kind: 'refused', reason: 'IMAGE_SAFETY', message: 'The image was flagged.' });
  const answer = await call({ prompt: 'Something refused' });
  assert.equal(answer.isError, true);
  assert.match(textOf(answer), /IMAGE_SAFETY|flagged/);
});

test('without GEMINI_API_KEY the server says what to set and exits non-zero', () => {
  const result = spawnSync(process.execPath, [MCP], { cwd: folder, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', input: '' });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /GEMINI_API_KEY is not set/);
  assert.equal(result.stdout, '', 'stdout is the protocol channel and must stay clean');
  const badOutput = spawnSync(process.execPath, [MCP], { cwd: folder, env: { GEMINI_API_KEY: SENTINEL_TOKEN, GEMINI_IMAGE_OUTPUT: '../elsewhere' }, encoding: 'utf8', input: '' });
  assert.notEqual(badOutput.status, 0);
  assert.match(badOutput.stderr, /GEMINI_IMAGE_OUTPUT/);
  assert.ok(!badOutput.stderr.includes(SENTINEL_TOKEN));
});
