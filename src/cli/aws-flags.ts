import { awsSettingNames, awsSettingRules, type AwsSettingName } from '../core/config/aws-settings';

// The AWS flags of `probe --evidence aws` and `evidence … aws`, with the setting each fills: each flag is written
// beside its setting's rule in the table of AWS settings, so a flag is checked like the config checks the setting.
// For the option parser (loaded with the CLI) and the evidence command (loaded only when evidence is asked for).

type FlagOf<N extends AwsSettingName> = (typeof awsSettingRules)[N]['flag'];

/** Flag → setting, in the table's order. */
export const awsFlags = Object.fromEntries(awsSettingNames.map((name) => [awsSettingRules[name].flag, name])) as { readonly [N in AwsSettingName as FlagOf<N>]: N };

export type AwsFlag = keyof typeof awsFlags | 'wait';

/** Every AWS flag, `--wait` included. */
export const awsFlagNames = [...(Object.keys(awsFlags) as Array<keyof typeof awsFlags>), 'wait'] as const satisfies readonly AwsFlag[];

export const awsFlagOptions = Object.fromEntries(awsFlagNames.map((flag) => [flag, { type: 'string' as const }])) as Record<AwsFlag, { type: 'string' }>;
