// Checks every message the webview sends: the webview is untrusted, so anything unexpected is refused.
import type { WebviewToHost } from '../shared/protocol';

export type Validation = { ok: true; message: WebviewToHost } | { ok: false; reason: string };

export function validateWebviewMessage(raw: unknown): Validation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not an object' };
  const type = (raw as { type?: unknown }).type;
  switch (type) {
    case 'ready':
      return { ok: true, message: { type: 'ready' } };
    case 'setToken':
      return { ok: true, message: { type: 'setToken' } };
    default:
      return { ok: false, reason: `unknown message type ${JSON.stringify(String(type)).slice(0, 40)}` };
  }
}
