// Runs the local Gemini-compatible test server from the command line: node out/server/main.js [--port N] [--token T] [--small] [--google]
import { SENTINEL_TOKEN } from '../sentinel';
import { startGeminiServer } from './geminiServer';

function parseArgs(argv: string[]): { port: number; tokens: string[]; small: boolean; google: boolean } {
  let port = 0;
  const tokens: string[] = [];
  let small = false;
  let google = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port') port = Number(argv[++i]);
    else if (arg === '--token') tokens.push(argv[++i] ?? '');
    else if (arg === '--small') small = true;
    else if (arg === '--google') google = true;
    else throw new Error(`Unknown argument ${arg}. Usage: main.js [--port N] [--token T] [--small] [--google]`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port needs a number from 0 to 65535');
  return { port, tokens: tokens.length > 0 ? tokens : [SENTINEL_TOKEN], small, google };
}

async function main(): Promise<void> {
  const { port, tokens, small, google } = parseArgs(process.argv.slice(2));
  const server = await startGeminiServer({ port, tokens, smallImages: small, provider: google ? 'google' : 'gateway' });
  console.log(`Gemini test server listening on ${server.url}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`Gemini test server stopping (${signal})`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
