// Reads the geminiImage.* settings into an immutable, typed snapshot.
import * as vscode from 'vscode';
import type { AuthHeaderMode } from './core/imageJob';

export const SECTION = 'geminiImage';
export const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

export interface Settings {
  readonly baseUrl: string;
  readonly authHeader: AuthHeaderMode;
}

const AUTH_HEADER_MODES: readonly AuthHeaderMode[] = ['auto', 'bearer', 'x-goog-api-key'];

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const baseUrl = config.get<string>('baseUrl', DEFAULT_BASE_URL).trim() || DEFAULT_BASE_URL;
  const authHeader = config.get<string>('authHeader', 'auto');
  return Object.freeze({
    baseUrl,
    authHeader: AUTH_HEADER_MODES.includes(authHeader as AuthHeaderMode) ? (authHeader as AuthHeaderMode) : 'auto',
  });
}

/** True when the user (or the workspace) has chosen a provider, rather than running on the default. */
export function isProviderChosen(): boolean {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string>('baseUrl');
  return [inspected?.globalValue, inspected?.workspaceValue, inspected?.workspaceFolderValue].some(
    (value) => typeof value === 'string' && value.trim() !== '',
  );
}
