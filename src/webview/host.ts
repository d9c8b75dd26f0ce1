// The webview's line to the extension host: typed messages out, replies matched to their request ids.
import type { HostToWebview, WebviewToHost } from '../shared/protocol';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export type Reply = Extract<HostToWebview, { type: 'reply' }>;

/** Messages that carry a requestId, without it: the channel adds one. */
type RequestMessage = WebviewToHost extends infer M ? (M extends { requestId: string } ? Omit<M, 'requestId'> : never) : never;

/** What the webview keeps across being hidden and shown again (VS Code's webview state, not the host's). */
export interface Draft {
  readonly prompt: string;
  readonly refine?: string;
}

export class HostChannel {
  private readonly api = acquireVsCodeApi();
  private readonly pending = new Map<string, (reply: Reply) => void>();
  private counter = 0;

  send(message: WebviewToHost): void {
    this.api.postMessage(message);
  }

  /** A fresh id, also used as the id of a generation's card. */
  newId(): string {
    this.counter += 1;
    return `w${Date.now().toString(36)}${this.counter.toString(36)}`;
  }

  /** Sends a message with a new requestId and resolves with the host's reply to it. */
  request(message: RequestMessage, requestId = this.newId()): Promise<Reply> {
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.send({ ...message, requestId } as WebviewToHost);
    });
  }

  /** Hands a reply to whoever asked; replies nobody waits for are ignored. */
  resolve(reply: Reply): void {
    const resolve = this.pending.get(reply.requestId);
    this.pending.delete(reply.requestId);
    resolve?.(reply);
  }

  get draft(): Draft {
    const state = this.api.getState() as Partial<Draft> | undefined;
    return {
      prompt: typeof state?.prompt === 'string' ? state.prompt : '',
      ...(typeof state?.refine === 'string' ? { refine: state.refine } : {}),
    };
  }

  set draft(draft: Draft) {
    this.api.setState(draft);
  }
}
