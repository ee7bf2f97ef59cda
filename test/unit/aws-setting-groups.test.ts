import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { awsFlagNames, awsFlagOptions, awsGroupFlags, awsGroupSettingsFromFlags, awsSettingsAsFlags, awsWhereFlags } from '../../src/cli/aws-flags';
import { awsGroupFieldNames, awsGroupFieldRule, awsSettingGroupNames, checkAwsGroupSetting } from '../../src/core/config/aws-settings';
import type { WorkspaceConfig } from '../../src/core/config/types';
import { parseWorkspaceConfig } from '../../src/core/config/workspace-config';
import { problemAt, underlined } from '../support/config-problems';
import { builtSchema, schemaValidator } from '../support/config-schema';

// The nested AWS setting groups (cloudFront, apiGateway, albLogsAthena) and the flat albLogGroup: read from the
// same table as the flat settings by the config reader, its JSON Schema and the CLI flags.

function parse(text: string): WorkspaceConfig {
  return parseWorkspaceConfig(text, '.vscode/mtls-probe.json', '/workspace');
}

function withAws(aws: string): string {
  return `{ "endpoints": [ { "name": "e", "url": "https://e.example/", "aws": ${aws} } ] }`;
}

const { validate, accepts: schemaAccepts } = schemaValidator(builtSchema());

describe('nested AWS settings: the config reader', () => {
  test('good groups load as written, with albLogGroup', () => {
    const config = parse(
      withAws(`{ "region": "eu-west-1", "albLogGroup": "/aws/vendedlogs/alb/edge",
        "cloudFront": { "distributionId": "E2DX1SLDPK0123", "connectionLogs": "s3://cf-logs/connection" },
        "apiGateway": { "domainName": "*.api.example.com", "accessLogGroup": "API-Gateway-Access-Logs_abc/prod" },
        "albLogsAthena": { "connectionTable": "alb_connection_logs" } }`),
    );
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.endpoints[0]!.aws, {
      region: 'eu-west-1',
      albLogGroup: '/aws/vendedlogs/alb/edge',
      cloudFront: { distributionId: 'E2DX1SLDPK0123', connectionLogs: 's3://cf-logs/connection' },
      apiGateway: { domainName: '*.api.example.com', accessLogGroup: 'API-Gateway-Access-Logs_abc/prod' },
      albLogsAthena: { connectionTable: 'alb_connection_logs' },
    });
  });

  // A bad value is dropped with its fix; the rest of the group and of "aws" still load, the endpoint stays.
  const droppedValues: [aws: string, jsonPath: string, fix: RegExp, kept: unknown][] = [
    ['{ "cloudFront": { "distributionId": "d111111abcdef8", "connectionLogs": "cf-logs" } }', 'endpoints[0].aws.cloudFront.distributionId', /E2DX1SLDPK0123/, { cloudFront: { connectionLogs: 'cf-logs' } }],
    ['{ "cloudFront": { "connectionLogs": "s3://Bad_Bucket/x" } }', 'endpoints[0].aws.cloudFront.connectionLogs', /log group name \(in us-east-1\) or the s3:\/\/bucket\/prefix/, { cloudFront: {} }],
    ['{ "apiGateway": { "domainName": "https://api.example.com/" } }', 'endpoints[0].aws.apiGateway.domainName', /no scheme or path/, { apiGateway: {} }],
    ['{ "apiGateway": { "accessLogGroup": "arn:aws:logs:eu-west-1:123456789012:log-group:x" } }', 'endpoints[0].aws.apiGateway.accessLogGroup', /not the ARN/, { apiGateway: {} }],
    ['{ "albLogGroup": "has space" }', 'endpoints[0].aws.albLogGroup', /not the ARN/, {}],
    ['{ "albLogsAthena": { "connectionTable": "t", "accessTable": "Alb-Access" } }', 'endpoints[0].aws.albLogsAthena.accessTable', /lower-case letters, digits and "_"/, { albLogsAthena: { connectionTable: 't' } }],
    ['{ "albLogsAthena": { "connectionTable": "t", "workgroup": "my group" } }', 'endpoints[0].aws.albLogsAthena.workgroup', /"primary"/, { albLogsAthena: { connectionTable: 't' } }],
    ['{ "albLogsAthena": { "connectionTable": "t", "outputLocation": "athena-results" } }', 'endpoints[0].aws.albLogsAthena.outputLocation', /s3:\/\/bucket\/prefix/, { albLogsAthena: { connectionTable: 't' } }],
  ];
  for (const [aws, jsonPath, fix, kept] of droppedValues) {
    test(`${aws}: the bad value is dropped with its fix`, () => {
      const text = withAws(aws);
      const config = parse(text);
      assert.equal(config.endpoints.length, 1);
      assert.deepEqual(config.endpoints[0]!.aws, kept);
      const problem = problemAt(config, jsonPath);
      assert.equal(problem.severity, 'error');
      assert.match(problem.message, /It is ignored\.$/);
      assert.match(problem.fix, fix);
      assert.equal(config.problems.length, 1);
      assert.equal(schemaAccepts(text), false, 'the schema refuses it too');
    });
  }

  test('albLogsAthena without a usable connectionTable is dropped whole, saying what to add', () => {
    const missing = parse(withAws('{ "region": "eu-west-1", "albLogsAthena": { "database": "alb_logs" } }'));
    assert.deepEqual(missing.endpoints[0]!.aws, { region: 'eu-west-1' });
    const problem = problemAt(missing, 'endpoints[0].aws.albLogsAthena');
    assert.equal(problem.message, '"albLogsAthena" has no "connectionTable". It is ignored.');
    assert.match(problem.fix, /^Add "connectionTable": The table over the ALB connection logs/);

    const text = withAws('{ "albLogsAthena": { "connectionTable": "ALB Connection" } }');
    const bad = parse(text);
    assert.deepEqual(bad.endpoints[0]!.aws, {});
    assert.match(problemAt(bad, 'endpoints[0].aws.albLogsAthena.connectionTable').message, /must be an Athena table name; found "ALB Connection"\. It is ignored\./);
    assert.match(problemAt(bad, 'endpoints[0].aws.albLogsAthena').message, /has no usable "connectionTable" \(see its own problem\)/);
    assert.equal(underlined(text, problemAt(bad, 'endpoints[0].aws.albLogsAthena.connectionTable')), '"ALB Connection"');
  });

  test('a group that is not an object is ignored; unknown fields in a group get "did you mean"', () => {
    const notObject = parse(withAws('{ "cloudFront": "E2DX1SLDPK0123" }'));
    assert.deepEqual(notObject.endpoints[0]!.aws, {});
    assert.match(problemAt(notObject, 'endpoints[0].aws.cloudFront').message, /"cloudFront" must be an object of "distributionId", "connectionLogs"; found "E2DX1SLDPK0123"\. It is ignored\./);

    const typo = parse(withAws('{ "albLogsAthena": { "connectionTable": "t", "workGroup": "primary" } }'));
    const unknown = problemAt(typo, 'endpoints[0].aws.albLogsAthena.workGroup');
    assert.equal(unknown.severity, 'warning');
    assert.match(unknown.fix, /Did you mean "workgroup"\?/);
    assert.deepEqual(typo.endpoints[0]!.aws, { albLogsAthena: { connectionTable: 't' } });
  });

  test('the schema: defaults and required fields as the reader has them', () => {
    assert.ok(schemaAccepts(withAws('{ "albLogsAthena": { "connectionTable": "t", "workgroup": "primary" } }')), JSON.stringify(validate.errors));
    assert.equal(schemaAccepts(withAws('{ "albLogsAthena": { "workgroup": "primary" } }')), false);
    assert.equal(schemaAccepts(withAws('{ "cloudFront": { "distributionID": "E2DX1SLDPK0123" } }')), false);
    const definitions = builtSchema().definitions as { aws: { properties: Record<string, { properties?: Record<string, { default?: unknown }> }> } };
    assert.equal(definitions.aws.properties.albLogsAthena?.properties?.workgroup?.default, 'primary');
  });
});

describe('nested AWS settings: the CLI flags', () => {
  test('every group field has its flag, parsed as a string option', () => {
    assert.deepEqual(Object.keys(awsGroupFlags), [
      'cloudfront-distribution-id',
      'cloudfront-connection-logs',
      'api-gateway-domain',
      'api-gateway-access-log-group',
      'athena-database',
      'athena-connection-table',
      'athena-access-table',
      'athena-workgroup',
      'athena-output',
    ]);
    for (const flag of [...Object.keys(awsGroupFlags), 'alb-log-group']) {
      assert.ok((awsFlagNames as readonly string[]).includes(flag), flag);
      assert.deepEqual((awsFlagOptions as Record<string, unknown>)[flag], { type: 'string' });
    }
    assert.deepEqual(awsGroupFlags['athena-output'], { group: 'albLogsAthena', field: 'outputLocation' });
  });

  const refuse = (message: string): never => {
    throw new Error(message);
  };

  test('flags fill the groups, checked like the config', () => {
    assert.deepEqual(awsGroupSettingsFromFlags({ 'athena-connection-table': 'conn', 'athena-workgroup': 'wg', 'cloudfront-distribution-id': 'E2DX1SLDPK0123' }, refuse), {
      cloudFront: { distributionId: 'E2DX1SLDPK0123' },
      albLogsAthena: { connectionTable: 'conn', workgroup: 'wg' },
    });
    assert.throws(() => awsGroupSettingsFromFlags({ 'athena-database': 'Bad-Name' }, refuse), /^Error: --athena-database: "Bad-Name" is not an Athena database name\. Athena database and table names are lower-case/);
    assert.throws(() => awsGroupSettingsFromFlags({ 'athena-access-table': 'acc' }, refuse), /^Error: --athena-access-table needs --athena-connection-table: The table over the ALB connection logs/);
  });

  test('the flags that say where to look, and the settings written back as flags', () => {
    assert.deepEqual(awsWhereFlags, [
      'load-balancer-arn',
      'listener-arn',
      'web-acl-arn',
      'waf-log-group',
      'alb-logs',
      'alb-log-group',
      'cloudfront-distribution-id',
      'cloudfront-connection-logs',
      'api-gateway-domain',
      'api-gateway-access-log-group',
      'athena-connection-table',
    ]);
    assert.deepEqual(awsSettingsAsFlags({ region: 'eu-west-1', albLogGroup: 'g', albLogsAthena: { connectionTable: 'c', workgroup: 'w' } }), [
      ['aws-region', 'eu-west-1'],
      ['alb-log-group', 'g'],
      ['athena-connection-table', 'c'],
      ['athena-workgroup', 'w'],
    ]);
  });

  test('every row checks its own examples', () => {
    const good: Record<string, string> = {
      distributionId: 'E2DX1SLDPK0123',
      connectionLogs: 'cloudfront-connection-logs',
      domainName: 'api.example.com',
      accessLogGroup: '/aws/apigateway/x',
      database: 'default',
      connectionTable: 'alb_connection_logs',
      accessTable: 'alb_access_logs',
      workgroup: 'primary',
      outputLocation: 's3://athena-results/',
    };
    for (const group of awsSettingGroupNames) {
      for (const field of awsGroupFieldNames(group)) {
        assert.equal(checkAwsGroupSetting(group, field, good[field]!), null, `${group}.${field}`);
        assert.match(checkAwsGroupSetting(group, field, 'not valid ://') ?? '', new RegExp(`is not ${awsGroupFieldRule(group, field).what}`), `${group}.${field}`);
      }
    }
  });
});
