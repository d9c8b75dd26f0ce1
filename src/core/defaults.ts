// Defaults shared by the extension's settings and the MCP server's environment, so both behave alike out of the box.
import { AUTO_MODEL } from './models';

export const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
/** `auto`: the best image model the provider lists (core/modelChoice.ts). */
export const DEFAULT_MODEL = AUTO_MODEL;
export const DEFAULT_OUTPUT_FOLDER = 'generated-images';
export const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_MAX_RETRIES = 3;
