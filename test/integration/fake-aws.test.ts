// Proves test/support/fake-aws.ts with the real AWS SDK v3 clients: every request and response below goes through the SDK's
// own signing, serialisers, parsers, paginators and retry strategy, so these tests are also the check that the fake speaks
// each service's wire protocol. They pin the error names the SDK surfaces, which the product code relies on.

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CloudWatchClient, GetMetricDataCommand, paginateGetMetricData, type GetMetricDataInput } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, GetQueryResultsCommand, paginateFilterLogEvents, StartQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTrustStoresCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeListeners,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSampledRequestsCommand, GetWebACLCommand, WAFV2Client, type GetSampledRequestsRequest } from '@aws-sdk/client-wafv2';
import { awsErrors, fakeAwsClientConfig, fakeS3ClientConfig, startFakeAws, startFakeS3 } from '../support/fake-aws';

const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'secret' };
const region = 'eu-west-1';
/** Real-client options against the fake: endpoint, zero-backoff standard retries, static credentials. */
const clientConfig = (url: string) => ({ ...fakeAwsClientConfig(url), credentials, region });

const account = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const lbArn = `${account}:loadbalancer/app/edge/50dc6c495c0c9188`;
const trustStoreArn = `${account}:truststore/partners/73e2d6bc24d8a067`;
const listenerArn = (n: number) => `${account}:listener/app/edge/50dc6c495c0c9188/f2f7dc8efc52269${n}`;

type SdkError = Error & { $metadata?: { httpStatusCode?: number; attempts?: number } };
/** Runs `fn` and returns the error it rejects with, failing if it resolves. */
async function rejection(fn: () => Promise<unknown>): Promise<SdkError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof Error);
    return err;
  }
  assert.fail('expected a rejection');
}

test('ELBv2 (AWS Query): listeners with mutual authentication over two pages, trust stores, decoded params', async (t) => {
  const mutualAuthentication = {
    Mode: 'verify',
    TrustStoreArn: trustStoreArn,
    IgnoreClientCertificateExpiry: false,
    AdvertiseTrustStoreCaNames: 'on',
    TrustStoreAssociationStatus: 'active',
  };
  const trustStore = { Name: 'partners', TrustStoreArn: trustStoreArn, Status: 'ACTIVE', NumberOfCaCertificates: 3, TotalRevokedEntries: 0 };
  const createdTime = new Date('2024-03-01T10:20:30.123Z');
  const fake = await startFakeAws(t, {
    'elbv2:DescribeListeners': (params) => {
      const page = params.Marker === undefined ? 1 : 2;
      const listener = {
        ListenerArn: listenerArn(page),
        LoadBalancerArn: lbArn,
        Port: page === 1 ? 443 : 8443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' }],
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: `${account}:targetgroup/api/1` }],
        AlpnPolicy: ['HTTP2Preferred'],
        MutualAuthentication: mutualAuthentication,
      };
      return { output: { Listeners: [listener], ...(page === 1 ? { NextMarker: 'page-2' } : {}) } };
    },
    'elbv2:DescribeTrustStores': () => ({ output: { TrustStores: [trustStore] } }),
    'elbv2:DescribeLoadBalancers': () => ({ output: { LoadBalancers: [{ LoadBalancerArn: lbArn, CreatedTime: createdTime, Type: 'application' }] } }),
  });
  const elb = new ElasticLoadBalancingV2Client(clientConfig(fake.url));
  t.after(() => elb.destroy());

  const pages = [];
  // ELBv2's paginators take no pageSize option: PageSize goes in the input.
  for await (const page of paginateDescribeListeners({ client: elb }, { LoadBalancerArn: lbArn, PageSize: 1 })) pages.push(page);
  assert.equal(pages.length, 2);
  const first = pages[0]?.Listeners?.[0];
  assert.deepEqual(first?.MutualAuthentication, mutualAuthentication);
  assert.equal(first?.Port, 443);
  assert.deepEqual(first?.AlpnPolicy, ['HTTP2Preferred']);
  assert.equal(first?.DefaultActions?.[0]?.Type, 'forward');
  assert.equal(pages[1]?.Listeners?.[0]?.ListenerArn, listenerArn(2));
  assert.equal(pages[1]?.NextMarker, undefined);

  // Query params decode back into the input shape; scalars stay strings (the form carries no types).
  assert.deepEqual(
    fake.callsTo('DescribeListeners').map((c) => c.params),
    [
      { LoadBalancerArn: lbArn, PageSize: '1' },
      { LoadBalancerArn: lbArn, PageSize: '1', Marker: 'page-2' },
    ],
  );
  await elb.send(new DescribeListenersCommand({ ListenerArns: [listenerArn(1), listenerArn(2)] }));
  assert.deepEqual(fake.callsTo('DescribeListeners')[2]?.params, { ListenerArns: [listenerArn(1), listenerArn(2)] });

  const stores = await elb.send(new DescribeTrustStoresCommand({ TrustStoreArns: [trustStoreArn] }));
  assert.deepEqual(stores.TrustStores, [trustStore]);
  assert.deepEqual(fake.callsTo('DescribeTrustStores')[0]?.params, { TrustStoreArns: [trustStoreArn] });

  const lbs = await elb.send(new DescribeLoadBalancersCommand({ Names: ['edge'] }));
  assert.deepEqual(lbs.LoadBalancers?.[0]?.CreatedTime, createdTime);

  assert.equal(fake.calls.length, 5);
  assert.ok(fake.calls.every((c) => c.service === 'elbv2' && c.accessKeyId === 'AKIDFAKE' && c.region === region));
});

test('CloudWatch (JSON 1.0, query-compatible): GetMetricData params, dates, NextToken pages, one throttle retried', async (t) => {
  const start = new Date('2024-03-01T10:00:00Z');
  const end = new Date('2024-03-01T10:05:00Z');
  const minute = (n: number) => new Date(start.getTime() + n * 60_000);
  const metricStat = {
    Metric: {
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'ClientTLSNegotiationErrorCount',
      Dimensions: [{ Name: 'LoadBalancer', Value: 'app/edge/50dc6c495c0c9188' }],
    },
    Period: 60,
    Stat: 'Sum',
  };
  let throttled = false;
  const fake = await startFakeAws(t, {
    'cloudwatch:GetMetricData': (params) => {
      if (params.NextToken === undefined && !throttled) {
        throttled = true;
        return awsErrors.throttling;
      }
      const [Timestamps, Values, more] = params.NextToken === undefined ? [[minute(1), minute(0)], [3, 0.5], { NextToken: 'tok-2' }] : [[minute(2)], [7], {}];
      return { output: { MetricDataResults: [{ Id: 'tls', Label: 'TLS errors', StatusCode: 'Complete', Timestamps, Values }], Messages: [], ...more } };
    },
  });
  const cw = new CloudWatchClient(clientConfig(fake.url));
  t.after(() => cw.destroy());

  const input: GetMetricDataInput = { StartTime: start, EndTime: end, MetricDataQueries: [{ Id: 'tls', MetricStat: metricStat }] };
  const pages = [];
  for await (const page of paginateGetMetricData({ client: cw }, input)) pages.push(page);
  assert.equal(pages.length, 2);
  assert.deepEqual(pages[0]?.MetricDataResults?.[0]?.Timestamps, [minute(1), minute(0)]);
  assert.deepEqual(pages[0]?.MetricDataResults?.[0]?.Values, [3, 0.5]);
  assert.equal(pages[0]?.MetricDataResults?.[0]?.StatusCode, 'Complete');
  assert.deepEqual(pages[1]?.MetricDataResults?.[0]?.Timestamps, [minute(2)]);

  // The first page was throttled once and retried by the SDK: two calls for it, three in all.
  assert.equal(pages[0]?.$metadata.attempts, 2);
  const calls = fake.callsTo('GetMetricData');
  assert.equal(calls.length, 3);
  const expectedParams = { StartTime: start.getTime() / 1000, EndTime: end.getTime() / 1000, MetricDataQueries: [{ Id: 'tls', MetricStat: metricStat }] };
  assert.deepEqual(calls.map((c) => c.params), [expectedParams, expectedParams, { ...expectedParams, NextToken: 'tok-2' }]);
  assert.ok(calls.every((c) => c.accessKeyId === 'AKIDFAKE' && c.region === region));
});

test('CloudWatch Logs (JSON 1.1): StartQuery, GetQueryResults polling to Complete, FilterLogEvents pages', async (t) => {
  const statuses = ['Running', 'Running', 'Complete'];
  const message = '{"type":"https","elb_status_code":"400","ssl_cipher":"-","error_reason":"MutualAuthenticationFailed"}';
  const row = [{ field: '@timestamp', value: '2024-03-01 10:00:01.000' }, { field: '@message', value: message }];
  const event = (n: number) => ({ logStreamName: 's', timestamp: 1709287200000 + n, message: `event ${n}`, ingestionTime: 1709287210000, eventId: `e${n}` });
  const fake = await startFakeAws(t, {
    'logs:StartQuery': () => ({ output: { queryId: 'q-1' } }),
    'logs:GetQueryResults': (_params, call) => {
      const status = statuses[fake.callsTo('GetQueryResults').indexOf(call)] ?? 'Complete';
      const results = status === 'Complete' ? [row] : [];
      return { output: { status, results, statistics: { recordsMatched: results.length, recordsScanned: 10, bytesScanned: 2048 } } };
    },
    'logs:FilterLogEvents': (params) => ({ output: params.nextToken === undefined ? { events: [event(1)], nextToken: 'n2' } : { events: [event(2)] } }),
  });
  const logs = new CloudWatchLogsClient(clientConfig(fake.url));
  t.after(() => logs.destroy());

  const startQuery = { logGroupName: '/alb/edge', startTime: 1709287200, endTime: 1709287500, queryString: 'fields @timestamp, @message' };
  assert.equal((await logs.send(new StartQueryCommand(startQuery))).queryId, 'q-1');
  assert.deepEqual(fake.callsTo('StartQuery')[0]?.params, startQuery);

  const seen: string[] = [];
  for (;;) {
    const res = await logs.send(new GetQueryResultsCommand({ queryId: 'q-1' }));
    seen.push(res.status ?? '');
    if (res.status !== 'Complete') continue;
    assert.deepEqual(res.results, [row]);
    assert.equal(res.statistics?.recordsScanned, 10);
    break;
  }
  assert.deepEqual(seen, ['Running', 'Running', 'Complete']);
  assert.deepEqual(fake.callsTo('GetQueryResults')[0]?.params, { queryId: 'q-1' });

  const events = [];
  const filter = () => ({ logGroupName: '/alb/edge', startTime: 1709287200000 });
  // A fresh input object: the SDK's paginators write nextToken (and limit) into the one they are given.
  for await (const page of paginateFilterLogEvents({ client: logs }, filter())) events.push(...(page.events ?? []));
  assert.deepEqual(events, [event(1), event(2)]);
  assert.deepEqual(
    fake.callsTo('FilterLogEvents').map((c) => c.params),
    [filter(), { ...filter(), nextToken: 'n2' }],
  );
});

test('WAFv2 (JSON 1.1): GetSampledRequests and GetWebACL round-trip', async (t) => {
  const webAclArn = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge/a1b2';
  const timeWindow = { StartTime: new Date('2024-03-01T10:00:00Z'), EndTime: new Date('2024-03-01T13:00:00Z') };
  const sampled = {
    Request: {
      ClientIP: '203.0.113.7',
      Country: 'NL',
      URI: '/api/orders',
      Method: 'POST',
      HTTPVersion: 'HTTP/2.0',
      Headers: [{ Name: 'host', Value: 'api.example.com' }, { Name: 'user-agent', Value: 'curl/8.5.0' }],
    },
    Weight: 1,
    Timestamp: new Date('2024-03-01T10:42:17.250Z'),
    Action: 'BLOCK',
    RuleNameWithinRuleGroup: 'AWS-AWSManagedRulesCommonRuleSet#SizeRestrictions_BODY',
    ResponseCodeSent: 403,
    Labels: [{ Name: 'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body' }],
  };
  const webAcl = {
    Name: 'edge',
    Id: 'a1b2',
    ARN: webAclArn,
    DefaultAction: { Allow: {} },
    Rules: [],
    VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'edge' },
  };
  const fake = await startFakeAws(t, {
    'wafv2:GetSampledRequests': () => ({ output: { SampledRequests: [sampled], PopulationSize: 42, TimeWindow: timeWindow } }),
    'wafv2:GetWebACL': () => ({ output: { WebACL: webAcl, LockToken: 'lock-1' } }),
  });
  const waf = new WAFV2Client(clientConfig(fake.url));
  t.after(() => waf.destroy());

  const input: GetSampledRequestsRequest = { WebAclArn: webAclArn, RuleMetricName: 'ALL', Scope: 'REGIONAL', TimeWindow: timeWindow, MaxItems: 100 };
  const res = await waf.send(new GetSampledRequestsCommand(input));
  assert.deepEqual(res.SampledRequests, [sampled]);
  assert.equal(res.PopulationSize, 42);
  assert.deepEqual(res.TimeWindow, timeWindow);
  const epoch = { StartTime: timeWindow.StartTime.getTime() / 1000, EndTime: timeWindow.EndTime.getTime() / 1000 };
  assert.deepEqual(fake.callsTo('GetSampledRequests')[0]?.params, { ...input, TimeWindow: epoch });

  const acl = await waf.send(new GetWebACLCommand({ Name: 'edge', Id: 'a1b2', Scope: 'REGIONAL' }));
  assert.deepEqual(acl.WebACL, webAcl);
  assert.equal(acl.LockToken, 'lock-1');
});

test('errors: the names the SDK surfaces for expired tokens, throttling, modelled and unhandled errors', async (t) => {
  const fake = await startFakeAws(t, {
    'elbv2:DescribeLoadBalancers': () => awsErrors.expiredTokenQuery,
    'elbv2:DescribeListeners': () => ({ error: { code: 'ListenerNotFound', message: 'One or more listeners not found' } }),
    'elbv2:DescribeTrustStores': () => awsErrors.throttlingQuery,
    'cloudwatch:GetMetricData': ({ NextToken }) => {
      if (NextToken === 'bad') return { error: { code: 'InvalidNextToken', message: 'bad token', queryCode: 'InvalidNextToken' } };
      if (NextToken === 'throttle') return { error: { ...awsErrors.throttling.error, queryCode: 'Throttling' } };
      return awsErrors.expiredToken;
    },
    'logs:StartQuery': () => awsErrors.expiredToken,
    'wafv2:GetSampledRequests': () => awsErrors.expiredToken,
    'wafv2:GetWebACL': () => awsErrors.throttling,
  });
  const elb = new ElasticLoadBalancingV2Client(clientConfig(fake.url));
  const cw = new CloudWatchClient(clientConfig(fake.url));
  const logs = new CloudWatchLogsClient(clientConfig(fake.url));
  const waf = new WAFV2Client(clientConfig(fake.url));
  t.after(() => [elb, cw, logs, waf].forEach((c) => c.destroy()));
  const metricData = (NextToken?: string) =>
    cw.send(new GetMetricDataCommand({ StartTime: new Date(0), EndTime: new Date(60_000), MetricDataQueries: [], NextToken }));
  const timeWindow = { StartTime: new Date(0), EndTime: new Date(1) };

  // Expired credentials are not retried. Query names them ExpiredToken (HTTP 403), the JSON services ExpiredTokenException (HTTP 400).
  const expiredQuery = await rejection(() => elb.send(new DescribeLoadBalancersCommand({})));
  assert.deepEqual([expiredQuery.name, expiredQuery.$metadata?.httpStatusCode, expiredQuery.$metadata?.attempts], ['ExpiredToken', 403, 1]);
  assert.equal(expiredQuery.message, 'The security token included in the request is expired');
  for (const send of [
    () => metricData(),
    () => logs.send(new StartQueryCommand({ logGroupName: 'g', startTime: 0, endTime: 1, queryString: 'x' })),
    () => waf.send(new GetSampledRequestsCommand({ WebAclArn: 'a', RuleMetricName: 'ALL', Scope: 'REGIONAL', TimeWindow: timeWindow, MaxItems: 1 })),
  ]) {
    const err = await rejection(send);
    assert.deepEqual([err.name, err.$metadata?.httpStatusCode, err.$metadata?.attempts], ['ExpiredTokenException', 400, 1]);
    assert.equal(err.message, 'The security token included in the request is expired');
  }

  // Throttling that never lets up: the standard strategy makes 3 attempts, then surfaces the service's name for it.
  const throttledQuery = await rejection(() => elb.send(new DescribeTrustStoresCommand({})));
  assert.deepEqual([throttledQuery.name, throttledQuery.$metadata?.attempts], ['Throttling', 3]);
  const throttledJson = await rejection(() => waf.send(new GetWebACLCommand({ Name: 'n', Id: 'i', Scope: 'REGIONAL' })));
  assert.deepEqual([throttledJson.name, throttledJson.$metadata?.attempts], ['ThrottlingException', 3]);
  // CloudWatch is query-compatible: with an x-amzn-query-error header the SDK names the error after its Query code, not __type.
  const throttledCw = await rejection(() => metricData('throttle'));
  assert.deepEqual([throttledCw.name, throttledCw.$metadata?.attempts], ['Throttling', 3]);

  // Modelled errors surface as the SDK's exception classes, looked up by their Query code.
  const notFound = await rejection(() => elb.send(new DescribeListenersCommand({ ListenerArns: ['x'] })));
  assert.deepEqual([notFound.name, notFound.message], ['ListenerNotFoundException', 'One or more listeners not found']);
  const badToken = await rejection(() => metricData('bad'));
  assert.deepEqual([badToken.name, badToken.message], ['InvalidNextToken', 'bad token']);

  // An operation the test gave no handler for fails at once, naming it.
  const missing = await rejection(() => logs.send(new GetQueryResultsCommand({ queryId: 'q' })));
  assert.equal(missing.name, 'FakeAwsNoHandler');
  assert.match(missing.message, /no handler for logs:GetQueryResults/);
  assert.equal(fake.callsTo('GetQueryResults').length, 1);
});

test('S3 (s3rver): ListObjectsV2 prefix + MaxKeys pagination, GetObject returns gzip bytes unchanged', async (t) => {
  const s3 = await startFakeS3(t, 'alb-logs', { accessKeyIds: ['AKIDFAKE'] });
  const prefix = 'AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2024/03/01/';
  const gz = gzipSync('https 2024-03-01T10:00:01.000000Z app/edge/50dc 203.0.113.7:5123 - -1 -1 -1 400 - 0 0 "GET https://api:443/ HTTP/1.1"\n');
  await s3.put(`${prefix}a.log.gz`, gz);
  await s3.put(`${prefix}b.log.gz`, gz, { contentType: 'application/gzip', contentEncoding: 'gzip' });
  await s3.put(`${prefix}c.log.gz`, gz);
  await s3.put('AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2024/03/02/d.log.gz', 'other day');
  await s3.put('connection-logs/e.log', 'elsewhere');

  // Any region works; AKIDFAKE is accepted because startFakeS3 registered it, an unknown key is not.
  const client = new S3Client({ ...fakeS3ClientConfig, credentials, region, endpoint: s3.url });
  const unknownKey = new S3Client({ ...fakeS3ClientConfig, credentials: { accessKeyId: 'NOTREGISTERED', secretAccessKey: 'x' }, region, endpoint: s3.url });
  t.after(() => [client, unknownKey].forEach((c) => c.destroy()));
  assert.equal((await rejection(() => unknownKey.send(new ListObjectsV2Command({ Bucket: s3.bucket })))).name, 'InvalidAccessKeyId');

  const keys: string[] = [];
  let pages = 0;
  let ContinuationToken: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, MaxKeys: 1, ContinuationToken }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    assert.equal(page.KeyCount, 1);
    ContinuationToken = page.NextContinuationToken;
    pages++;
  } while (ContinuationToken);
  assert.deepEqual(keys, ['a.log.gz', 'b.log.gz', 'c.log.gz'].map((k) => prefix + k));
  assert.equal(pages, 3);

  // Bytes come back exactly as stored, with or without Content-Encoding: gzip (the Node SDK never decompresses).
  for (const key of ['a.log.gz', 'b.log.gz']) {
    const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: prefix + key }));
    assert.deepEqual(Buffer.from(await object.Body!.transformToByteArray()), gz);
  }
  // A stream body is stored intact only because fakeS3ClientConfig turns off the default aws-chunked checksum upload.
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'streamed.gz', Body: Readable.from([gz]), ContentLength: gz.length }));
  const streamed = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'streamed.gz' }));
  assert.deepEqual(Buffer.from(await streamed.Body!.transformToByteArray()), gz);
});
