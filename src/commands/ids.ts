// Every command id the extension contributes, in one typed table that mirrors package.json.
export const CommandIds = {
  generate: 'geminiImage.generate',
  editImage: 'geminiImage.editImage',
  addReference: 'geminiImage.addReference',
  refine: 'geminiImage.refine',
  openPanel: 'geminiImage.openPanel',
  setToken: 'geminiImage.setToken',
  clearToken: 'geminiImage.clearToken',
  showLog: 'geminiImage.showLog',
  generateMissingImage: 'geminiImage.generateMissingImage',
  generateFromSelection: 'geminiImage.generateFromSelection',
  showBatches: 'geminiImage.showBatches',
  runBatch: 'geminiImage.runBatch',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];
