// The MCP server's configuration, read once from the environment and the working folder, with messages that say what to set.
import * as path from 'node:path';
import { DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_MODEL, DEFAULT_OUTPUT_FOLDER, DEFAULT_TIMEOUT_SECONDS } from '../core/defaults';
import type { AuthHeaderMode, ProviderSettings } from '../core/imageJob';
import { parseOutputFolder } from '../core/outputFolder';

export interface McpConfig {
  readonly token: string;
  readonly provider: ProviderSettings;
  readonly model: string;
  /** The working folder: references and output must be inside it. */
  readonly root: string;
  /** Absolute folder images are saved into (inside root). */
  readonly outputFolder: string;
}

const AUTH_HEADER_MODES: readonly string[] = ['auto', 'bearer', 'x-goog-api-key'];

/** The configuration, or the problem to print before exiting (never containing the key). */
export function readMcpConfig(env: Readonly<Record<string, string | undefined>>, cwd: string): { config: McpConfig } | { problem: string } {
  const token = env.GEMINI_API_KEY?.trim();
  if (!token) {
    return { problem: 'GEMINI_API_KEY is not set. Give the server your Gemini API key (or your gateway\'s token) in its environment, e.g. GEMINI_API_KEY=... node dist/mcp.js' };
  }
  const baseUrl = env.GEMINI_BASE_URL?.trim() || DEFAULT_BASE_URL;
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    return { problem: `GEMINI_BASE_URL "${baseUrl}" is not a URL: use e.g. ${DEFAULT_BASE_URL}` };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { problem: `GEMINI_BASE_URL must start with https:// (or http://), not ${parsed.protocol}` };
  if (parsed.username || parsed.password || parsed.search) return { problem: 'GEMINI_BASE_URL must not carry credentials or a query: put the key in GEMINI_API_KEY.' };
  const authHeader = (env.GEMINI_AUTH_HEADER?.trim() || 'auto').toLowerCase();
  if (!AUTH_HEADER_MODES.includes(authHeader)) return { problem: `GEMINI_AUTH_HEADER must be auto, bearer or x-goog-api-key, not "${authHeader}".` };
  const output = parseOutputFolder(env.GEMINI_IMAGE_OUTPUT?.trim() || DEFAULT_OUTPUT_FOLDER, false);
  if (!output.ok) return { problem: `GEMINI_IMAGE_OUTPUT: ${output.reason.replace(/^outputFolder /, '')} It is relative to the folder the server runs in.` };
  const root = path.resolve(cwd);
  return {
    config: {
      token,
      provider: { baseUrl: baseUrl.replace(/\/+$/, ''), authHeader: authHeader as AuthHeaderMode, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, maxRetries: DEFAULT_MAX_RETRIES },
      model: env.GEMINI_IMAGE_MODEL?.trim() || DEFAULT_MODEL,
      root,
      outputFolder: path.join(root, ...output.segments),
    },
  };
}
