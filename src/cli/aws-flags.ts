import {
  checkAwsGroupSetting,
  awsGroupFieldNames,
  awsGroupFieldRule,
  awsSettingGroupNames,
  awsSettingNames,
  awsSettingRules,
  type awsSettingGroups,
  type AwsGroupFieldName,
  type AwsSettingGroupName,
  type AwsSettingName,
} from '../core/config/aws-settings';
import type { AwsEndpointSettings } from '../core/config/types';

// The AWS flags of `probe --evidence aws` and `evidence … aws`, with the setting each fills: each flag is written
// beside its setting's rule in the table of AWS settings, so a flag is checked like the config checks the setting.
// For the option parser (loaded with the CLI) and the evidence command (loaded only when evidence is asked for).

type FlagOf<N extends AwsSettingName> = (typeof awsSettingRules)[N]['flag'];

/** Flag → setting, in the table's order. */
export const awsFlags = Object.fromEntries(awsSettingNames.map((name) => [awsSettingRules[name].flag, name])) as { readonly [N in AwsSettingName as FlagOf<N>]: N };

type RowOf<G extends AwsSettingGroupName> = (typeof awsSettingGroups)[G]['fields'][keyof (typeof awsSettingGroups)[G]['fields']];
type FlagsOf<R> = R extends { flag: infer F extends string } ? F : never;
/** The flags of the nested groups' fields (`--athena-connection-table`, …). */
export type AwsGroupFlag = { [G in AwsSettingGroupName]: FlagsOf<RowOf<G>> }[AwsSettingGroupName];

/** A nested group's field, as a flag fills it. */
export type AwsGroupFlagTarget = { [G in AwsSettingGroupName]: { group: G; field: AwsGroupFieldName<G> } }[AwsSettingGroupName];

/** Flag → the group and field it fills, in the table's order. */
export const awsGroupFlags = Object.fromEntries(
  awsSettingGroupNames.flatMap((group) => awsGroupFieldNames(group).map((field) => [awsGroupFieldRule(group, field).flag, { group, field }])),
) as unknown as { readonly [F in AwsGroupFlag]: AwsGroupFlagTarget };

export type AwsFlag = keyof typeof awsFlags | AwsGroupFlag | 'wait';

/** Every AWS flag, `--wait` included. */
export const awsFlagNames = [...(Object.keys(awsFlags) as Array<keyof typeof awsFlags>), ...(Object.keys(awsGroupFlags) as AwsGroupFlag[]), 'wait'] as const satisfies readonly AwsFlag[];

export const awsFlagOptions = Object.fromEntries(awsFlagNames.map((flag) => [flag, { type: 'string' as const }])) as Record<AwsFlag, { type: 'string' }>;

type AwsFlagValues = Partial<Record<AwsFlag, string | undefined>>;

/**
 * The nested groups from their flags, each value checked like the config checks it; a group given without a field
 * it needs is refused by name. `refuse` throws (the CLI's bad-argument error).
 */
export function awsGroupSettingsFromFlags(values: AwsFlagValues, refuse: (message: string) => never): Pick<AwsEndpointSettings, AwsSettingGroupName> {
  const groups: Partial<Record<AwsSettingGroupName, Record<string, string>>> = {};
  const firstFlag: Partial<Record<AwsSettingGroupName, string>> = {};
  for (const [flag, { group, field }] of Object.entries(awsGroupFlags) as Array<[AwsGroupFlag, AwsGroupFlagTarget]>) {
    const value = values[flag];
    if (value === undefined) continue;
    const problem = checkAwsGroupSetting(group, field, value);
    if (problem !== null) refuse(`--${flag}: ${problem}`);
    (groups[group] ??= {})[field] = value;
    firstFlag[group] ??= flag;
  }
  for (const group of awsSettingGroupNames) {
    const fields = groups[group];
    if (fields === undefined) continue;
    const missing = awsGroupFieldNames(group).find((field) => awsGroupFieldRule(group, field).required === true && fields[field] === undefined);
    if (missing !== undefined) refuse(`--${firstFlag[group]} needs --${awsGroupFieldRule(group, missing).flag}: ${awsGroupFieldRule(group, missing).description}`);
  }
  return groups as Pick<AwsEndpointSettings, AwsSettingGroupName>;
}

/** The flags that say where to look (not how: profile, region, workgroup…): one of them is needed. */
export const awsWhereFlags: readonly string[] = [
  ...awsSettingNames.filter((name) => name !== 'profile' && name !== 'region').map((name) => awsSettingRules[name].flag),
  ...awsSettingGroupNames.flatMap((group) => {
    const fields = awsGroupFieldNames(group);
    const required = fields.filter((field) => awsGroupFieldRule(group, field).required === true);
    return (required.length > 0 ? required : fields).map((field) => awsGroupFieldRule(group, field).flag);
  }),
];

/** The flags that give these settings again, flat ones first (for "look again with …"). */
export function awsSettingsAsFlags(settings: AwsEndpointSettings): Array<[flag: string, value: string]> {
  const flat = awsSettingNames.flatMap((name): Array<[string, string]> => (settings[name] !== undefined ? [[awsSettingRules[name].flag, settings[name]]] : []));
  const nested = (Object.entries(awsGroupFlags) as Array<[AwsGroupFlag, AwsGroupFlagTarget]>).flatMap(([flag, { group, field }]): Array<[string, string]> => {
    const value = (settings[group] as Readonly<Record<string, string | undefined>> | undefined)?.[field];
    return value !== undefined ? [[flag, value]] : [];
  });
  return [...flat, ...nested];
}
