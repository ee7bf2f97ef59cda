import { awsGroupFieldNames, awsGroupFieldRule, awsSettingGroupNames, awsSettingGroups, type AwsSettingGroupName, type AwsSettingRule } from './aws-settings';
import { fieldNames, matching, objectSchema, readFields, rejected, type EntryContext, type FieldRule, type FieldTable } from './field-rules';
import { childPath, type Member } from './jsonc-problems';
import type { AwsEndpointSettings } from './types';

// The rows of the AWS settings table (aws-settings) as config fields: a flat setting is a string field, a nested
// group (`cloudFront`, `apiGateway`, `albLogsAthena`) an object read with a table of its own fields. A bad value is
// dropped with its fix, as for every AWS setting; a group without a field it needs is dropped whole.

type AwsContext = EntryContext<AwsEndpointSettings>;

/** One setting's row as a string field: a bad value is ignored, the other settings still find evidence. */
export function awsSettingField<C>(rule: AwsSettingRule): FieldRule<string, C> {
  const markdown = rule.markdownDescription !== undefined ? { markdownDescription: rule.markdownDescription } : {};
  const defaultValue = rule.default !== undefined ? { default: rule.default } : {};
  return {
    ...matching<C>(rule.pattern),
    mustBe: rule.what,
    fix: rule.fix,
    whenBad: { ignored: 'It is ignored.' },
    ...(rule.required === true ? { required: `Add it: ${rule.description}` } : {}),
    docs: { description: rule.description, ...markdown, ...defaultValue },
  };
}

type GroupValue<G extends AwsSettingGroupName> = NonNullable<AwsEndpointSettings[G]>;

function groupField<G extends AwsSettingGroupName>(group: G): FieldRule<GroupValue<G>, AwsContext> {
  const names = awsGroupFieldNames(group);
  const table = Object.fromEntries(names.map((name) => [name, awsSettingField<AwsContext>(awsGroupFieldRule(group, name))])) as unknown as FieldTable<
    Required<GroupValue<G>>,
    AwsContext
  >;
  const required = names.filter((name) => awsGroupFieldRule(group, name).required === true);
  const rule: { description: string; markdownDescription?: string } = awsSettingGroups[group];
  const listed = names.map((name) => `"${name}"`).join(', ');
  return {
    shape: objectSchema(table),
    read: (member: Member, context: AwsContext) => {
      const node = member.value;
      if (node?.type !== 'object') return rejected();
      const path = childPath(context.path, member.name);
      const fields = context.problems.fields(node, path, fieldNames(table));
      const values = readFields(table, fields, { problems: context.problems, path, folder: context.folder, skipped: '', usable: true, values: {}, references: [] });
      const absent = required.find((name) => (values as Record<string, unknown>)[name] === undefined);
      if (absent === undefined) return { value: values as GroupValue<G> };
      const written = fields.has(absent);
      return rejected({
        message: `"${member.name}" has no ${written ? 'usable ' : ''}"${absent}"${written ? ' (see its own problem)' : ''}.`,
        fix: `Add "${absent}": ${awsGroupFieldRule(group, absent).description}`,
      });
    },
    mustBe: `an object of ${listed}`,
    fix: `Write "${group}" as an object of ${listed}.`,
    whenBad: { ignored: 'It is ignored.' },
    docs: { description: rule.description, ...(rule.markdownDescription !== undefined ? { markdownDescription: rule.markdownDescription } : {}) },
  };
}

/** The nested groups as fields of the "aws" object, in the config's order. */
export const awsGroupFields = Object.fromEntries(awsSettingGroupNames.map((group) => [group, groupField(group)])) as {
  readonly [G in AwsSettingGroupName]: FieldRule<GroupValue<G>, AwsContext>;
};
