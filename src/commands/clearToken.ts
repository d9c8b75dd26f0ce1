// "Clear API Key": forget the token stored for the current base URL (origin + path).
import * as vscode from 'vscode';
import { notificationText } from '../core/notificationText';
import { tokenScopeLabel } from '../core/tokenScope';
import type { Log } from '../log';
import { readSettings } from '../settings';
import type { TokenStore } from '../tokenStore';

export async function clearToken(tokens: TokenStore, log: Log): Promise<boolean> {
  const { baseUrl } = readSettings();
  const host = notificationText(tokenScopeLabel(baseUrl), 200);
  const had = await tokens.has(baseUrl);
  await tokens.delete(baseUrl);
  log.info(had ? `API token cleared for ${host}` : `No API token was stored for ${host}`);
  void vscode.window.showInformationMessage(
    had ? `Gemini API token for ${host} cleared.` : `No Gemini API token was stored for ${host}.`,
  );
  return had;
}
