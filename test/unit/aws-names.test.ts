// The pure parts of the AWS evidence: ARNs, S3 locations and ALB log object names taken apart, the Logs
// Insights query, metric minutes and where each resource's metrics are asked for, and AWS failures turned into
// sentences that say what to do.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AwsClients, describeAwsError } from '../../src/core/evidence/aws/aws-clients';
import { loadBalancerOf, parseArn, parseS3Url, webAclOf } from '../../src/core/evidence/aws/aws-resources';
import { metricRange } from '../../src/core/evidence/aws/cloudwatch-metrics';
import { metricBatches } from '../../src/core/evidence/aws/cloudwatch-metrics-look';
import { metricStreamEvent, type MetricStreamRecord } from '../../src/core/evidence/logs/cloudwatch-metric-stream';
import { parseAlbLogKey } from '../../src/core/evidence/aws/s3-alb-logs';
import { wafLogQueryString } from '../../src/core/evidence/aws/waf-log-query';
import { parseWait } from '../../src/cli/commands/evidence';

describe('AWS names', () => {
  test('a listener ARN names its load balancer, whose CloudWatch dimension is app/<name>/<id>', () => {
    const lb = loadBalancerOf('arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/edge-api/50dc6c495c0c9188/f2f7dc8efc522ab2');
    assert.deepEqual(lb, {
      arn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/edge-api/50dc6c495c0c9188',
      region: 'eu-west-1',
      account: '123456789012',
      name: 'edge-api',
      id: '50dc6c495c0c9188',
      dimension: 'app/edge-api/50dc6c495c0c9188',
    });
    assert.equal(loadBalancerOf('arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/x/1')?.arn, 'arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/x/1');
    // Network load balancers have no mTLS listener settings or these metrics; other services are not load balancers.
    assert.equal(loadBalancerOf('arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/x/1'), null);
    assert.equal(loadBalancerOf('arn:aws:s3:::bucket'), null);
    assert.equal(parseArn('not an arn'), null);
  });

  test('a web ACL ARN gives its scope, name and id', () => {
    assert.deepEqual(webAclOf('arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge-acl/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111'), {
      arn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge-acl/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
      region: 'eu-west-1',
      scope: 'REGIONAL',
      name: 'edge-acl',
      id: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
    });
    assert.equal(webAclOf('arn:aws:wafv2:us-east-1:123456789012:global/webacl/cdn/1')?.scope, 'CLOUDFRONT');
    assert.equal(webAclOf('arn:aws:wafv2:us-east-1:123456789012:regional/ipset/x/1'), null);
  });

  test('s3:// locations: bucket and prefix without surrounding slashes', () => {
    assert.deepEqual(parseS3Url('s3://edge-logs/prod/alb/'), { bucket: 'edge-logs', prefix: 'prod/alb' });
    assert.deepEqual(parseS3Url('s3://edge-logs'), { bucket: 'edge-logs', prefix: '' });
    assert.equal(parseS3Url('https://edge-logs.s3.amazonaws.com/prod'), null);
    assert.equal(parseS3Url('s3://UPPER/prod'), null);
  });

  test('ALB log object names: connection logs in both documented forms, access logs, and the interval they end', () => {
    const day = 'AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2024/05/01/';
    const underscore = parseAlbLogKey(`prod/${day}conn_log_123456789012_elasticloadbalancing_eu-west-1_app.edge.50dc6c495c0c9188_20240501T1005Z_10.0.1.15_2soosksg.log.gz`);
    assert.deepEqual(underscore && { ...underscore, intervalEnd: underscore.intervalEnd.toISOString() }, {
      key: `prod/${day}conn_log_123456789012_elasticloadbalancing_eu-west-1_app.edge.50dc6c495c0c9188_20240501T1005Z_10.0.1.15_2soosksg.log.gz`,
      format: 'alb-connection-log',
      loadBalancerId: 'app.edge.50dc6c495c0c9188',
      intervalEnd: '2024-05-01T10:05:00.000Z',
      // The listing's size, when it gives one: what the S3 path weighs against its streaming limit.
      size: null,
    });
    assert.equal(parseAlbLogKey(`${day}conn_log.123456789012_elasticloadbalancing_eu-west-1_app.edge.50dc6c495c0c9188_20240501T1005Z_10.0.1.15_x.log.gz`)?.format, 'alb-connection-log');
    assert.equal(parseAlbLogKey(`${day}123456789012_elasticloadbalancing_eu-west-1_app.edge.50dc6c495c0c9188_20240501T1005Z_10.0.1.15_x.log.gz`)?.format, 'alb-access-log');
    assert.equal(parseAlbLogKey(`${day}ELBAccessLogTestFile`), null);
    assert.equal(parseAlbLogKey(`${day}123456789012_elasticloadbalancing_eu-west-1_net.edge.1_20240501T1005Z_10.0.1.15_x.log.gz`), null);
  });

  test('the Logs Insights query filters on the trace id root, else the client address, with quotes escaped', () => {
    assert.equal(
      wafLogQueryString({ traceId: 'Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca', clientIp: '203.0.113.7' }),
      'fields @timestamp, @message, @ptr | filter httpRequest.requestId like "1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca" | sort @timestamp asc | limit 100',
    );
    assert.equal(wafLogQueryString({ clientIp: '203.0.113.7"x' }, 5), 'fields @timestamp, @message, @ptr | filter httpRequest.clientIp = "203.0.113.7\\"x" | sort @timestamp asc | limit 5');
    assert.equal(wafLogQueryString({ clientCertSerial: 'AB' }), null);
  });

  test('metrics cover the probe\'s minutes: from the minute it started to the end of the minute it ended', () => {
    const range = metricRange(new Date('2024-05-01T10:00:59.900Z'), new Date('2024-05-01T10:01:00.200Z'));
    assert.deepEqual([range.from.toISOString(), range.to.toISOString()], ['2024-05-01T10:00:00.000Z', '2024-05-01T10:02:00.000Z']);
  });
});

describe('WAF metrics by scope', () => {
  const lb = loadBalancerOf('arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/edge/50dc6c495c0c9188');
  const global = webAclOf('arn:aws:wafv2:us-east-1:123456789012:global/webacl/cdn/1')!;
  const regional = webAclOf('arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge/2')!;

  test('a CloudFront web ACL\'s metrics are asked for in us-east-1 without Region; the load balancer\'s in the endpoint\'s region', (t) => {
    const clients = new AwsClients({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' } });
    t.after(() => clients.destroy());
    const plan = (acl: typeof global | null, region = 'eu-west-1') =>
      metricBatches(clients, lb, acl !== null ? { acl, metricName: `${acl.name}Metric`, region } : null).map((b) => ({ region: b.region, clientsIn: b.clients.access.region, targets: b.targets }));
    assert.deepEqual(plan(global, 'us-east-1'), [
      { region: 'eu-west-1', clientsIn: 'eu-west-1', targets: { loadBalancerDimension: 'app/edge/50dc6c495c0c9188' } },
      { region: 'us-east-1', clientsIn: 'us-east-1', targets: { webAcl: { metricName: 'cdnMetric', scope: 'CLOUDFRONT', region: 'us-east-1' } } },
    ]);
    // A regional web ACL shares the load balancer's call; no web ACL, no WAF metrics.
    assert.deepEqual(plan(regional), [
      { region: 'eu-west-1', clientsIn: 'eu-west-1', targets: { loadBalancerDimension: 'app/edge/50dc6c495c0c9188', webAcl: { metricName: 'edgeMetric', scope: 'REGIONAL', region: 'eu-west-1' } } },
    ]);
    assert.deepEqual(plan(null), [{ region: 'eu-west-1', clientsIn: 'eu-west-1', targets: { loadBalancerDimension: 'app/edge/50dc6c495c0c9188' } }]);
  });

  test('a metric stream\'s web ACL totals are read with Region (regional) or without it (CloudFront), never with an empty one', () => {
    const record = (dimensions: Record<string, string>): MetricStreamRecord => ({
      metric_stream_name: 's', account_id: '123456789012', region: 'us-east-1', namespace: 'AWS/WAFV2', metric_name: 'BlockedRequests', dimensions,
      timestamp: Date.UTC(2024, 4, 1, 10), value: { max: 1, min: 1, sum: 1, count: 1 }, unit: 'Count',
    });
    assert.equal(metricStreamEvent(record({ WebACL: 'cdn', Rule: 'ALL' }))?.origin.resource, 'AWS/WAFV2 WebACL=cdn,Rule=ALL');
    assert.equal(metricStreamEvent(record({ WebACL: 'edge', Region: 'eu-west-1', Rule: 'ALL' }))?.origin.resource, 'AWS/WAFV2 WebACL=edge,Region=eu-west-1,Rule=ALL');
    assert.equal(metricStreamEvent(record({ WebACL: 'cdn', Region: '', Rule: 'ALL' })), null);
    assert.equal(metricStreamEvent(record({ WebACL: 'cdn', Rule: 'RateLimitPerIp' })), null);
  });
});

describe('AWS failures in words', () => {
  const context = { action: 'elasticloadbalancing:DescribeListeners', resource: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/edge/1/2', access: { profile: 'prod', region: 'eu-west-1' } };
  const sdkError = (name: string, message: string, metadata: Record<string, unknown> = {}): Error => Object.assign(new Error(message), { name, $metadata: metadata });

  test('expired or invalid credentials: one sentence naming the profile and how to refresh it, whatever the call', () => {
    const expected = 'The AWS credentials of profile "prod" have expired or are not valid: refresh them (e.g. `aws sso login --profile prod`) and run again.';
    assert.equal(describeAwsError(sdkError('ExpiredTokenException', 'The security token included in the request is expired'), context), expected);
    assert.equal(describeAwsError(sdkError('InvalidSignatureException', 'Signature expired'), { ...context, action: 's3:GetObject' }), expected);
    assert.match(describeAwsError(sdkError('ExpiredToken', 'x'), { ...context, access: { region: 'eu-west-1' } }), /the default credential chain .* `aws sso login`\)/);
  });

  test('no credentials, denied, throttled, not found, unreachable: each says what to do', () => {
    assert.match(describeAwsError(sdkError('CredentialsProviderError', 'Could not load credentials from any providers'), context), /^No AWS credentials could be loaded from profile "prod" .*configure the profile in ~\/\.aws\/config/);
    assert.match(describeAwsError(sdkError('AccessDenied', 'User is not authorized', { httpStatusCode: 403 }), context), /^AWS denied elasticloadbalancing:DescribeListeners on arn:.* to profile "prod" .*allow that action for this identity in IAM/);
    assert.equal(describeAwsError(sdkError('ThrottlingException', 'Rate exceeded', { attempts: 3 }), context), `AWS throttled elasticloadbalancing:DescribeListeners on ${context.resource} (3 attempts): try again in a minute.`);
    assert.match(describeAwsError(sdkError('ListenerNotFoundException', 'One or more listeners not found'), context), /was not found by elasticloadbalancing:DescribeListeners in region eu-west-1 .*check the ARN, the region/);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    assert.match(describeAwsError(refused, context), /^Could not reach AWS for elasticloadbalancing:DescribeListeners \(ECONNREFUSED: .*check the network, a proxy, or AWS_ENDPOINT_URL/);
  });

  test('never the secret: a message is built from names and the SDK\'s message only', () => {
    const withSecret = sdkError('UnknownError', 'boom');
    Object.assign(withSecret, { credentials: { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' } });
    assert.doesNotMatch(describeAwsError(withSecret, context), /wJalrXUtnFEMI/);
  });
});

describe('--wait', () => {
  test('minutes, seconds, milliseconds or plain seconds, up to an hour', () => {
    assert.equal(parseWait('10m'), 600_000);
    assert.equal(parseWait('90s'), 90_000);
    assert.equal(parseWait('1500ms'), 1500);
    assert.equal(parseWait('30'), 30_000);
    assert.equal(parseWait(undefined), undefined);
    assert.throws(() => parseWait('2h'), /--wait takes a duration up to 60m/);
    assert.throws(() => parseWait('61m'), /up to 60m/);
  });
});
