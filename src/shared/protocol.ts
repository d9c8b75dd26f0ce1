// Every message between the extension host and the side panel webview, in both directions.

/** The panel state the host sends; never contains a token or image bytes. */
export interface PanelState {
  readonly host: string;
  readonly hasToken: boolean;
}

export type HostToWebview = { readonly type: 'state'; readonly state: PanelState };

export type WebviewToHost = { readonly type: 'ready' } | { readonly type: 'setToken' };

export type WebviewMessageType = WebviewToHost['type'];
