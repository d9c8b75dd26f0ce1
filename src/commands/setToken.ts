// "Set API Key (Token)…": choose a provider on first use, then store a token for the current base URL (origin + path).
import * as vscode from 'vscode';
import { notificationText } from '../core/notificationText';
import { hostOf, isPlainHttpToRemoteHost } from '../core/origin';
import { tokenProblem, tokenScopeLabel } from '../core/tokenScope';
import type { Log } from '../log';
import { DEFAULT_BASE_URL, SECTION, isProviderChosen, readSettings } from '../settings';
import type { TokenStore } from '../tokenStore';

export interface SetTokenArgs {
  readonly token?: unknown;
}

interface ProviderChoice extends vscode.QuickPickItem {
  readonly baseUrl?: string;
  readonly authHeader?: string;
}

const PROVIDERS: readonly ProviderChoice[] = [
  {
    label: 'Google AI Studio',
    description: DEFAULT_BASE_URL,
    detail: 'Uses an AI Studio API key (sent as x-goog-api-key).',
    baseUrl: DEFAULT_BASE_URL,
    authHeader: 'auto',
  },
  {
    label: 'ezmodel gateway',
    description: 'https://api.ezmodel.cloud',
    detail: 'A Gemini-compatible gateway (token sent as Authorization: Bearer).',
    baseUrl: 'https://api.ezmodel.cloud',
    authHeader: 'bearer',
  },
  { label: 'Another Gemini-compatible URL…', detail: 'Enter the base URL of your own gateway.' },
];

/**
 * Returns true when a token was stored; never returns the token itself. A token given as an argument that cannot be
 * sent in a header (line breaks, control or non-Latin-1 characters) is refused with an Error saying why.
 */
export async function setToken(tokens: TokenStore, log: Log, args?: SetTokenArgs): Promise<boolean> {
  const given = typeof args?.token === 'string' ? args.token.trim() : undefined;
  const givenProblem = given === undefined ? undefined : tokenProblem(given);
  if (givenProblem) throw new Error(`The API token was not stored. ${givenProblem}`);
  if (given === undefined && !isProviderChosen()) {
    const chosen = await chooseProvider();
    if (!chosen) return false;
  }
  const { baseUrl } = readSettings();
  const host = hostOf(baseUrl);
  // The token is for this base (host and path): another path on the same host is another tenant and gets none.
  const scope = notificationText(tokenScopeLabel(baseUrl), 200);
  if (isPlainHttpToRemoteHost(baseUrl)) {
    const proceed = await vscode.window.showWarningMessage(
      notificationText(`${host} is reached over plain http://, so the token can be read by anyone on the network path. Use https:// if the server supports it.`),
      { modal: true },
      'Store Anyway',
    );
    if (proceed !== 'Store Anyway') return false;
  }
  const token =
    given ??
    (await vscode.window.showInputBox({
      title: `Gemini API token for ${scope}`,
      prompt: `The token is kept in VS Code's secret storage and sent only to ${scope} (not to other paths on ${host}).`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => tokenProblem(value.trim()),
    }));
  if (!token || tokenProblem(token.trim())) return false;
  await tokens.store(baseUrl, token.trim());
  log.info(`API token saved for ${scope}`);
  void vscode.window.showInformationMessage(`Gemini API token saved for ${scope}.`);
  return true;
}

async function chooseProvider(): Promise<boolean> {
  const picked = await vscode.window.showQuickPick(PROVIDERS, {
    title: 'Which Gemini provider do you use?',
    placeHolder: 'The token you enter next is stored for this provider only',
    ignoreFocusOut: true,
  });
  if (!picked) return false;
  let baseUrl = picked.baseUrl;
  if (!baseUrl) {
    baseUrl = await vscode.window.showInputBox({
      title: 'Base URL of your Gemini-compatible API',
      prompt: 'Requests go to {baseUrl}/v1beta/models/{model}:generateContent',
      placeHolder: 'https://gateway.example.com',
      ignoreFocusOut: true,
      validateInput: validateBaseUrl,
    });
    if (!baseUrl) return false;
  }
  const config = vscode.workspace.getConfiguration(SECTION);
  await config.update('baseUrl', baseUrl.trim(), vscode.ConfigurationTarget.Global);
  if (picked.authHeader) await config.update('authHeader', picked.authHeader, vscode.ConfigurationTarget.Global);
  return true;
}

function validateBaseUrl(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    if (url.protocol === 'https:' || url.protocol === 'http:') return undefined;
  } catch {
    // fall through to the message
  }
  return 'Enter an http(s) URL such as https://gateway.example.com';
}
