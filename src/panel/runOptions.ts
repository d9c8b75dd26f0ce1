// The panel's compose choices turned into the options of one run.
import type { RunOptions } from '../generation';
import { AUTO, type ComposeChoices, type ModelChoice } from '../shared/protocol';

/** The panel's choices as run options: every option is named, so 'auto' really means "not sent". */
export function runOptions(choices: ComposeChoices, model: ModelChoice | undefined): RunOptions {
  const optional = (value: string): string | undefined => (value === AUTO ? undefined : value);
  return {
    model: choices.model,
    aspectRatio: optional(choices.aspectRatio),
    // A size-suffixed model fixes the size: sending it as well could conflict.
    imageSize: model?.fixedSize ? undefined : optional(choices.imageSize),
    outputFormat: choices.outputFormat === AUTO ? undefined : choices.outputFormat,
    thinkingLevel: optional(choices.thinkingLevel ?? AUTO),
    grounding: choices.grounding === true ? true : undefined,
    variants: choices.variants,
    // The host expands the preset's template (src/presets.ts); the controls already hold its defaults.
    ...(choices.preset === undefined ? {} : { preset: choices.preset }),
    // Named even when unticked: an opaque choice wins over a transparent preset, as "auto" does for the other options.
    background: choices.background === 'transparent' ? 'transparent' : undefined,
  };
}
