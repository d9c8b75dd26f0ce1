// The MCP server (dist/mcp.js): one stdio server offering generate_image to agents outside VS Code (Claude Code, Codex, Cursor…).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { redactSecret } from '../core/errors';
import type { ClientLog } from '../core/imageClient';
import { ImageClient, type ModelList } from '../core/imageClient';
import { pickAutoModel } from '../core/modelChoice';
import { isAutoModel } from '../core/models';
import { workerBackgroundRemover } from '../core/image/transparencyChunk';
import { SavingState } from '../core/jobs/imageStore';
import { isPlainHttpToRemoteHost } from '../core/origin';
import { resolveProxySettings } from '../core/proxy';
import { readMcpConfig } from './config';
import { GENERATE_IMAGE, GENERATE_IMAGE_TOOL, generateImage } from './generateImage';

async function main(): Promise<void> {
  const read = readMcpConfig(process.env, process.cwd());
  if ('problem' in read) {
    process.stderr.write(`gemini-image-studio MCP server: ${read.problem}\n`);
    process.exit(2);
  }
  const { config } = read;
  // stdout carries the protocol: every log line goes to stderr, with the key removed.
  const line = (level: string) => (message: string) => process.stderr.write(`[${level}] ${redactSecret(message, config.token)}\n`);
  const log: ClientLog = { info: line('info'), warn: line('warn'), error: line('error') };
  if (isPlainHttpToRemoteHost(config.provider.baseUrl)) log.warn(`GEMINI_BASE_URL is plain http to a remote host: the key travels unencrypted.`);

  const transport = loadHttpModule().createUndiciTransport({ proxy: resolveProxySettings({}, process.env) });
  const client = new ImageClient({ transport, log });
  const saving = new SavingState(log);
  // dist/transparency.js beside this bundle, in a worker thread started for each transparent image.
  const removeBackground = workerBackgroundRemover(__dirname);
  // The provider's model list is asked once per server (it falls back to the built-in table, never rejects).
  let models: Promise<ModelList> | undefined;
  const resolveModel = async (model: string, imageSize: string | undefined, signal?: AbortSignal): Promise<string> => {
    if (!isAutoModel(model)) return model;
    models ??= client.listModels(config.provider, config.token, signal).catch((error: unknown) => {
      models = undefined; // Cancelled while listing: the next call asks again.
      throw error;
    });
    const id = pickAutoModel(await models, config.provider.baseUrl, imageSize);
    log.info(`Model auto: using ${id}`);
    return id;
  };
  const server = new Server({ name: 'gemini-image-studio', version: version() }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [GENERATE_IMAGE_TOOL] }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    if (request.params.name !== GENERATE_IMAGE) {
      return { content: [{ type: 'text' as const, text: `Unknown tool ${request.params.name}; this server offers ${GENERATE_IMAGE}.` }], isError: true };
    }
    return generateImage(request.params.arguments ?? {}, { config, client, log, saving, resolveModel, removeBackground }, extra.signal);
  });
  const shutdown = (): void => {
    void transport.close().finally(() => process.exit(0));
  };
  server.onclose = shutdown;
  process.stdin.on('end', shutdown);
  await server.connect(new StdioServerTransport());
  log.info(`generate_image ready: model ${config.model}, saving into ${path.relative(config.root, config.outputFolder) || '.'} of ${config.root}`);
}

/** undici comes from dist/http.js beside this file (the extension's own chunk), so the package carries it once. */
function loadHttpModule(): typeof import('../http/index') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a computed path keeps esbuild from bundling it twice
  return require(path.join(__dirname, 'http.js')) as typeof import('../http/index');
}

function version(): string {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`gemini-image-studio MCP server stopped: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
