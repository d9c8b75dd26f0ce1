// Gives the suite a local Gemini server: the offline runner's (GEMINI_TEST_SERVER) or, under @vscode/test-cli, one started here.
import { startGeminiServer, type GeminiServer } from '../server/geminiServer';

/** The port test/fixtures/workspace/.vscode/settings.json points geminiImage.baseUrl at. */
export const FIXTURE_GEMINI_PORT = 8799;

let started: GeminiServer | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  if (process.env.GEMINI_TEST_SERVER) return;
  started = await startGeminiServer({ port: FIXTURE_GEMINI_PORT, smallImages: true });
  process.env.GEMINI_TEST_SERVER = started.url;
}

export async function mochaGlobalTeardown(): Promise<void> {
  await started?.close();
  started = undefined;
}
