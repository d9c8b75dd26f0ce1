// Every command id the extension contributes, in one typed table that mirrors package.json.
export const CommandIds = {
  setToken: 'geminiImage.setToken',
  clearToken: 'geminiImage.clearToken',
  showLog: 'geminiImage.showLog',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];
