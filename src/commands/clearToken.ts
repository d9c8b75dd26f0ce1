// "Clear API Key": forget the token stored for the current base URL's origin.
import * as vscode from 'vscode';
import { hostOf } from '../core/origin';
import type { Log } from '../log';
import { readSettings } from '../settings';
import type { TokenStore } from '../tokenStore';

export async function clearToken(tokens: TokenStore, log: Log): Promise<boolean> {
  const { baseUrl } = readSettings();
  const host = hostOf(baseUrl);
  const had = await tokens.has(baseUrl);
  await tokens.delete(baseUrl);
  log.info(had ? `API token cleared for ${host}` : `No API token was stored for ${host}`);
  void vscode.window.showInformationMessage(
    had ? `Gemini API token for ${host} cleared.` : `No Gemini API token was stored for ${host}.`,
  );
  return had;
}
