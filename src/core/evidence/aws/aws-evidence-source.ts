// Evidence from AWS for one probe, from whatever the endpoint's `aws` settings name: the listener's mTLS
// setup (ELBv2), CloudWatch metrics for the probe's minutes, the WAF's records (Logs Insights, or sampled
// requests when no log group is named) and ALB connection/access logs in S3.
//
// AWS delivers late — metrics after about a minute, WAF logs after a few minutes, ALB logs after their
// 5-minute interval closes — so each kind of evidence has a time it is expected by. A look that finds nothing
// before then is "not yet available"; after it, "missing". Given `waitUntil`, the source looks again every
// poll interval until everything is found or settled, reporting each intermediate state.

import { setTimeout as sleep } from 'node:timers/promises';
import type { AwsEndpointSettings } from '../../config/types';
import type {
  CorrelationKeys,
  EvidenceCollectOptions,
  EvidenceContext,
  EvidenceCoverage,
  EvidenceEvent,
  EvidenceKind,
  EvidenceReport,
  EvidenceSource,
  TimeWindow,
} from '../types';
import { probeConnectionRecord } from '../correlate';
import { SourceProgress } from '../evidence-events';
import { LogRecordCollector } from '../logs/log-record-collector';
import { describeListenerMutualTls, listenerContext } from './alb-listener';
import { AwsClients, AwsEvidenceError, type AwsAccess } from './aws-clients';
import { accessLogDelayMs, accessLogLook, apiGatewayAccessLogCoverage, apiGatewayDomainSetup } from './apigateway-evidence';
import { connectionLogDelayMs, connectionLogsLook } from './cloudfront-connection-logs';
import { cloudFrontRegion, describeDistributionViewerMtls, distributionContext, wafRegionFor } from './cloudfront-distribution';
import { loadBalancerOf, parseArn, parseS3Url, webAclOf, type LoadBalancerRef, type S3Location, type WebAclRef } from './aws-resources';
import { metricRange } from './cloudwatch-metrics';
import { metricBatches, metricsCoverage, metricsLook } from './cloudwatch-metrics-look';
import {
  albLogGroupCoverage,
  albLogGroupLook,
  albLogsAfterIntervalMs,
  albLogsAthenaCoverage,
  albLogsAthenaKinds,
  albLogsAvailableBy,
  albLogsNotConfigured,
  athenaAlbLogsLook,
  refusedConnection,
  s3AlbLogsLook,
  type AlbLogSearch,
} from './alb-log-pieces';
import type { StreamLimits } from './s3-alb-logs';
import { queryWafLogs } from './waf-log-query';
import { describeWebAcl, fetchSampledRequests, sampledRequestEvents, type WebAclVisibility } from './waf-sampled-requests';

/** How long after the probe AWS usually takes to deliver each kind of evidence (with margin). */
export const deliveryDelays = {
  metricsMs: 3 * 60_000,
  wafLogsMs: 6 * 60_000,
  sampledRequestsMs: 3 * 60_000,
  /** After the end of the 5-minute interval the probe falls in. */
  albLogsAfterIntervalMs,
} as const;

export interface AwsEvidenceSourceOptions {
  /** Endpoint override, credentials, retries, S3 options (tests and S3-compatible servers). */
  access?: Partial<AwsAccess>;
  /** The probe's port: picks the listener when the settings name only the load balancer. */
  port?: number;
  /** Between looks while waiting; default 30 s. */
  pollIntervalMs?: number;
  /** First GetQueryResults wait; default 500 ms, doubling to 5 s. */
  queryPollMs?: number;
  /** How much the S3 path streams in one look (default 200 objects or 200 MB); beyond it, Athena is suggested. */
  albLogStreamLimits?: StreamLimits;
  now?: () => number;
}

/** Region from the settings, an ARN, or the environment. */
export function awsRegionFor(settings: AwsEndpointSettings, env: NodeJS.ProcessEnv = process.env): string | null {
  const fromArn = [settings.listenerArn, settings.loadBalancerArn, settings.webAclArn].map((arn) => (arn !== undefined ? parseArn(arn)?.region : undefined)).find((r) => r !== undefined && r !== '');
  // CloudFront alone needs no region: its API, connection logs and WAF are in us-east-1.
  return settings.region ?? fromArn ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (settings.cloudFront !== undefined ? cloudFrontRegion : null);
}

/** What one look found for one kind of evidence; `empty` becomes not-yet-available or missing by the clock. */
type LookResult = Omit<EvidenceCoverage, 'state' | 'expectedBy'> & {
  state: 'found' | 'empty' | 'failed' | 'missing';
  /** The detail to show while `empty` still means "not yet available", when it reads differently. */
  pendingDetail?: string;
};

/** What a piece of evidence is called and what it covers. */
interface PieceCoverage {
  name: string;
  /** The coverage rows this piece fills (a failure marks them all failed). */
  kinds: string[];
  /** The kinds of record it finds, counted for its progress events. */
  records: EvidenceKind[];
}

/** The four pieces of AWS evidence a probe can have, by what they cover. */
const pieceCoverage = {
  metrics: metricsCoverage,
  sampledRequests: { name: 'WAF sampled requests', kinds: ['WAF sampled requests'], records: ['waf-sampled-request'] },
  albLogs: { name: 'ALB logs in S3', kinds: ['ALB connection log', 'ALB access log'], records: ['alb-connection-log', 'alb-access-log'] },
  albLogsAthena: albLogsAthenaCoverage,
  albLogGroup: albLogGroupCoverage,
  wafLog: { name: 'WAF log', kinds: ['WAF log'], records: ['waf-log'] },
  cloudFrontLog: { name: 'CloudFront connection log', kinds: ['CloudFront connection log'], records: ['cloudfront-connection-log'] },
  apiGatewayAccessLog: apiGatewayAccessLogCoverage,
} satisfies Record<string, PieceCoverage>;

/** One kind of evidence the settings make possible, looked at once per round until it settles. */
interface Piece extends PieceCoverage {
  availableBy: Date;
  look(signal: AbortSignal | undefined): Promise<LookResult[]>;
}

/** What the looks have found so far: the report is made from it after each round. */
class Findings {
  readonly problems: EvidenceReport['problems'] = [];
  readonly context: EvidenceContext[] = [];
  readonly coverage = new Map<string, EvidenceCoverage>();
  /** Events that are not log records (metric minutes, sampled requests), by the piece that found them. */
  readonly otherEvents = new Map<string, EvidenceEvent[]>();
  readonly collector: LogRecordCollector;

  constructor(keys: CorrelationKeys, window: TimeWindow) {
    this.collector = new LogRecordCollector(keys, window);
  }

  report(): EvidenceReport {
    const collected = this.collector.report();
    const events = [...collected.events, ...[...this.otherEvents.values()].flat()].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    return { events, stats: collected.stats, problems: [...this.problems, ...collected.problems], coverage: [...this.coverage.values()], context: [...this.context] };
  }

  /** How many records of these kinds were found. */
  count(kinds: readonly EvidenceKind[]): number {
    return this.report().events.filter((e) => kinds.includes(e.kind)).length;
  }
}

/** The AWS resources the settings name. */
interface Resources {
  loadBalancer: LoadBalancerRef | null;
  webAcl: WebAclRef | null;
  albLogs: S3Location | null;
}

/** One collection's inputs and findings, shared by its steps. */
interface Collection {
  clients: AwsClients;
  region: string;
  window: TimeWindow;
  keys: CorrelationKeys;
  probeEnd: Date;
  findings: Findings;
  progress: SourceProgress;
  options: EvidenceCollectOptions;
}

export class AwsEvidenceSource implements EvidenceSource {
  readonly name = 'AWS';
  private readonly now: () => number;

  constructor(
    readonly settings: AwsEndpointSettings,
    private readonly options: AwsEvidenceSourceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async collect(window: TimeWindow, keys: CorrelationKeys, options: EvidenceCollectOptions = {}): Promise<EvidenceReport> {
    options.signal?.throwIfAborted();
    const settings = this.settings;
    const region = this.options.access?.region ?? awsRegionFor(settings);
    const findings = new Findings(keys, window);
    if (region === null) {
      findings.problems.push({ message: 'No AWS region: add "region" to the endpoint\'s "aws" settings (or an ARN that names one), or set AWS_REGION.' });
      return findings.report();
    }
    const clients = new AwsClients({ region, ...(settings.profile !== undefined ? { profile: settings.profile } : {}), ...this.options.access });
    const progress = new SourceProgress(this.name, keys, options);
    const collection: Collection = { clients, region, window, keys, probeEnd: options.probeEndedAt ?? window.from, findings, progress, options };
    try {
      const resources = this.resources();
      // The setup first: it explains the probe even when no log has arrived yet.
      const visibility = await this.readSetup(collection, resources.webAcl);
      const pieces = this.piecesFor(collection, resources, visibility);
      this.noteUnconfigured(findings, resources, pieces.length);
      await this.lookUntilSettled(collection, pieces);
      return findings.report();
    } finally {
      clients.destroy();
    }
  }

  private resources(): Resources {
    const { settings } = this;
    return {
      loadBalancer: loadBalancerOf(settings.listenerArn ?? settings.loadBalancerArn ?? '') ?? null,
      webAcl: settings.webAclArn !== undefined ? webAclOf(settings.webAclArn) : null,
      albLogs: settings.albLogs !== undefined ? parseS3Url(settings.albLogs) : null,
    };
  }

  /** The listener's mTLS setup and the web ACL's settings: each failure is a problem of the report, not the end. */
  private async readSetup(collection: Collection, webAcl: WebAclRef | null): Promise<WebAclVisibility | null> {
    const { settings } = this;
    const { clients, findings, options } = collection;
    const { signal } = options;
    if (settings.listenerArn !== undefined || settings.loadBalancerArn !== undefined) {
      options.onProgress?.('Reading the listener\'s mTLS settings (ELBv2)');
      const lookup = { ...(settings.listenerArn !== undefined ? { listenerArn: settings.listenerArn } : {}), ...(settings.loadBalancerArn !== undefined ? { loadBalancerArn: settings.loadBalancerArn } : {}), ...(this.options.port !== undefined ? { port: this.options.port } : {}) };
      const listeners = await setupStep(collection, 'listener mTLS settings (ELBv2)', () => describeListenerMutualTls(clients, lookup, signal), (found) => found.length);
      for (const listener of listeners ?? []) findings.context.push(listenerContext(listener));
    }
    const distributionId = settings.cloudFront?.distributionId;
    if (distributionId !== undefined) {
      options.onProgress?.("Reading the distribution's viewer mTLS settings (CloudFront)");
      const viewer = await setupStep(collection, 'distribution viewer mTLS settings (CloudFront)', () => describeDistributionViewerMtls(clients, distributionId, signal), () => 1);
      if (viewer !== null) findings.context.push(distributionContext(viewer));
    }
    const domainName = settings.apiGateway?.domainName;
    if (domainName !== undefined) {
      options.onProgress?.("Reading the custom domain's mutual TLS settings (API Gateway)");
      const domain = await setupStep(collection, 'custom domain mTLS settings (API Gateway)', () => apiGatewayDomainSetup(clients, domainName, signal), () => 1);
      if (domain !== null) findings.context.push(domain);
    }
    const waf = wafRegionFor(settings, webAcl, collection.region);
    if (waf.note !== null) findings.context.push(waf.note);
    if (webAcl === null) return null;
    return setupStep(collection, 'web ACL settings (WAFv2)', () => describeWebAcl(clients.inRegion(waf.region), webAcl, signal), () => 1);
  }

  /** Each kind of evidence the settings and the setup make possible. */
  private piecesFor(collection: Collection, resources: Resources, visibility: WebAclVisibility | null): Piece[] {
    const { clients, region, window, keys, probeEnd, findings, options } = collection;
    const { loadBalancer, webAcl, albLogs } = resources;
    const after = (ms: number): Date => new Date(probeEnd.getTime() + ms);
    const pieces: Piece[] = [];
    // The ALB logs first: a connection refused in the handshake has no WAF record to wait for.
    const alb: AlbLogSearch = { clients, region, loadBalancer, window, keys, probeEnd, collector: findings.collector, now: this.now, ...this.albLookOptions(options) };
    const albAvailableBy = albLogsAvailableBy(probeEnd);
    if (albLogs !== null) pieces.push({ ...pieceCoverage.albLogs, availableBy: albAvailableBy, look: s3AlbLogsLook(alb, albLogs) });
    const athena = this.settings.albLogsAthena;
    if (athena !== undefined) pieces.push({ ...pieceCoverage.albLogsAthena, kinds: albLogsAthenaKinds(athena), availableBy: albAvailableBy, look: athenaAlbLogsLook(alb, athena) });
    const albLogGroup = this.settings.albLogGroup;
    if (albLogGroup !== undefined) pieces.push({ ...pieceCoverage.albLogGroup, availableBy: albAvailableBy, look: albLogGroupLook(alb, albLogGroup) });
    // Before the WAF log: a connection CloudFront refused in the handshake has no WAF record to wait for.
    const search = { clients, window, keys, collector: findings.collector, ...(this.options.queryPollMs !== undefined ? { queryPollMs: this.options.queryPollMs } : {}), ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}) };
    const cloudFrontLook = this.settings.cloudFront?.connectionLogs !== undefined ? connectionLogsLook(search, this.settings.cloudFront.connectionLogs) : null;
    if (cloudFrontLook !== null) pieces.push({ ...pieceCoverage.cloudFrontLog, availableBy: after(connectionLogDelayMs), look: cloudFrontLook });
    const accessLogGroup = this.settings.apiGateway?.accessLogGroup;
    if (accessLogGroup !== undefined) pieces.push({ ...pieceCoverage.apiGatewayAccessLog, availableBy: after(accessLogDelayMs), look: accessLogLook(search, accessLogGroup) });
    // A CloudFront web ACL is read in us-east-1 (its settings, metrics and samples); the load balancer in the endpoint's region.
    const wafRegion = wafRegionFor(this.settings, webAcl, region).region;
    const wafClients = clients.inRegion(wafRegion);
    if (loadBalancer !== null || visibility !== null) {
      // The probe's own minutes, not the window's slack: the counts are about the minutes the probe was connected.
      const probeStart = keys.probeTime !== undefined ? new Date(keys.probeTime.from) : window.from;
      const range = metricRange(probeStart, probeEnd > probeStart ? probeEnd : probeStart);
      const batches = metricBatches(clients, loadBalancer, visibility !== null && webAcl !== null ? { acl: webAcl, metricName: visibility.metricName, region: wafRegion } : null);
      const look = metricsLook(batches, range, (events) => findings.otherEvents.set('metrics', events));
      pieces.push({ ...pieceCoverage.metrics, availableBy: after(deliveryDelays.metricsMs), look });
    }
    if (this.settings.wafLogGroup !== undefined) pieces.push(this.wafLogPiece(wafClients, this.settings.wafLogGroup, window, keys, probeEnd, findings.collector, options.onProgress));
    else if (webAcl !== null && visibility !== null) {
      pieces.push(this.sampledRequestsPiece(wafClients, webAcl, visibility, window, keys, after(deliveryDelays.sampledRequestsMs), (events) => findings.otherEvents.set('sampled', events)));
    }
    return pieces;
  }

  /** How the ALB log looks wait, poll and stream (the source's options and the collection's). */
  private albLookOptions(options: EvidenceCollectOptions): Pick<AlbLogSearch, 'waitUntil' | 'pollIntervalMs' | 'queryPollMs' | 'onProgress' | 'streamLimits'> {
    const { pollIntervalMs, queryPollMs, albLogStreamLimits } = this.options;
    return {
      ...(options.waitUntil !== undefined ? { waitUntil: options.waitUntil } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
      ...(queryPollMs !== undefined ? { queryPollMs } : {}),
      ...(albLogStreamLimits !== undefined ? { streamLimits: albLogStreamLimits } : {}),
    };
  }

  /** What the settings leave out is said too, with the setting that would add it. */
  private noteUnconfigured(findings: Findings, resources: Resources, pieceCount: number): void {
    const { coverage, context, problems } = findings;
    // Behind CloudFront or API Gateway there may be no ALB at all: its rows are said only when the settings name one.
    const albInPlay = this.namesAnAlb() || (this.settings.cloudFront === undefined && this.settings.apiGateway === undefined);
    if (albInPlay && resources.albLogs === null && this.settings.albLogsAthena === undefined && this.settings.albLogGroup === undefined) coverage.set(albLogsNotConfigured.evidence, albLogsNotConfigured);
    if (this.settings.wafLogGroup === undefined && resources.webAcl === null) {
      coverage.set('WAF records', { evidence: 'WAF records', state: 'not-configured', detail: 'set "wafLogGroup" for the WAF log, or "webAclArn" for its sampled requests (CLI: --waf-log-group, --web-acl-arn)' });
    }
    if (resources.loadBalancer === null && resources.webAcl === null) {
      const detail = albInPlay
        ? 'set "listenerArn" or "loadBalancerArn" for ALB metrics, "webAclArn" for WAF metrics (CLI: --listener-arn, --load-balancer-arn, --web-acl-arn)'
        : 'set "webAclArn" for the metrics of the WAF in front (CLI: --web-acl-arn)';
      coverage.set('CloudWatch metrics', { evidence: 'CloudWatch metrics', state: 'not-configured', detail });
    }
    if (this.settings.cloudFront !== undefined && this.settings.cloudFront.connectionLogs === undefined) {
      coverage.set('CloudFront connection log', { evidence: 'CloudFront connection log', state: 'not-configured', detail: 'set "cloudFront": { "connectionLogs" }, the log group (us-east-1) or s3:// location the distribution delivers its connection logs to (CLI: --cloudfront-connection-logs)' });
    }
    if (this.settings.apiGateway !== undefined && this.settings.apiGateway.accessLogGroup === undefined) {
      coverage.set('API Gateway access log', { evidence: 'API Gateway access log', state: 'not-configured', detail: 'set "apiGateway": { "accessLogGroup" }, the CloudWatch Logs group of the stage\'s access logs (CLI: --api-gateway-access-log-group)' });
    }
    if (pieceCount === 0 && context.length === 0 && problems.length === 0) {
      problems.push({ message: 'The "aws" settings name nothing to read: add "listenerArn" or "loadBalancerArn", "webAclArn", "wafLogGroup", "albLogs", "albLogsAthena", "albLogGroup", "cloudFront" or "apiGateway".' });
    }
  }

  /** The settings name an ALB: its listener or load balancer, or one of the ways to its logs. */
  private namesAnAlb(): boolean {
    const { listenerArn, loadBalancerArn, albLogs, albLogsAthena, albLogGroup } = this.settings;
    return [listenerArn, loadBalancerArn, albLogs, albLogsAthena, albLogGroup].some((setting) => setting !== undefined);
  }

  /** Round after round, each piece not yet settled is looked at; after each round an update, then a pause while waiting. */
  private async lookUntilSettled(collection: Collection, pieces: Piece[]): Promise<void> {
    const { options } = collection;
    const settled = new Set<string>();
    for (let round = 1; ; round++) {
      for (const piece of pieces) {
        if (settled.has(piece.name)) continue;
        options.signal?.throwIfAborted();
        if (await this.lookOnce(collection, piece, round)) settled.add(piece.name);
      }
      options.onUpdate?.(collection.findings.report());
      const waitUntil = options.waitUntil?.getTime();
      const remaining = pieces.filter((p) => !settled.has(p.name));
      if (remaining.length === 0 || waitUntil === undefined || this.now() >= waitUntil) break;
      await this.pauseBeforeNextLook(collection, remaining, waitUntil);
    }
  }

  /** One look at one piece, its coverage rows set from what it found; true once nothing of it is still to come. */
  private async lookOnce(collection: Collection, piece: Piece, round: number): Promise<boolean> {
    const { options, progress, findings } = collection;
    options.onProgress?.(`Looking for ${piece.name}${round > 1 ? ` (look ${round})` : ''}`);
    progress.started(piece.name, round);
    let results: LookResult[];
    try {
      results = await piece.look(options.signal);
      progress.found(piece.name, () => findings.count(piece.records), round);
    } catch (error) {
      options.signal?.throwIfAborted();
      progress.failed(piece.name, error, round);
      const detail = messageOf(error);
      results = piece.kinds.map((evidence) => ({ evidence, state: 'failed', detail }));
    }
    const late = this.now() < piece.availableBy.getTime();
    let open = false;
    for (const result of results) {
      const state = result.state === 'empty' ? (late ? 'not-yet-available' : 'missing') : result.state;
      if (state === 'not-yet-available') open = true;
      const detail = state === 'not-yet-available' ? (result.pendingDetail ?? result.detail) : result.detail;
      findings.coverage.set(result.evidence, { evidence: result.evidence, state, detail, ...(state === 'not-yet-available' ? { expectedBy: piece.availableBy.toISOString() } : {}) });
    }
    return !open;
  }

  private async pauseBeforeNextLook(collection: Collection, remaining: Piece[], waitUntil: number): Promise<void> {
    const { options } = collection;
    const pause = Math.min(this.options.pollIntervalMs ?? 30_000, waitUntil - this.now());
    const pending = remaining.map((p) => `${p.name} by ${p.availableBy.toISOString().slice(11, 19)}`);
    const waiting = `Waiting for AWS to deliver: ${pending.join(', ')} UTC (looking again in ${Math.round(pause / 1000)} s, until ${new Date(waitUntil).toISOString().slice(11, 19)})`;
    options.onWaiting?.(waiting);
    options.onProgress?.(waiting);
    collection.progress.waiting(pending, new Date(this.now() + pause), new Date(waitUntil));
    await sleep(pause, undefined, { signal: options.signal });
  }

  private sampledRequestsPiece(
    clients: AwsClients,
    acl: WebAclRef,
    visibility: WebAclVisibility,
    window: TimeWindow,
    keys: CorrelationKeys,
    availableBy: Date,
    publish: (events: EvidenceEvent[]) => void,
  ): Piece {
    return {
      ...pieceCoverage.sampledRequests,
      availableBy,
      look: async (signal) => {
        if (!visibility.sampledRequestsEnabled) {
          return [{ evidence: 'WAF sampled requests', state: 'missing', detail: `${acl.name} does not keep sampled requests (SampledRequestsEnabled is off) and no WAF log group is configured: add "wafLogGroup" to see WAF's records.` }];
        }
        const sampled = await fetchSampledRequests(clients, acl, visibility, window, new Date(this.now()), signal);
        if (sampled.asked === null) return [{ evidence: 'WAF sampled requests', state: 'missing', detail: 'AWS keeps sampled requests for 3 hours; the probe is older.' }];
        const events = sampledRequestEvents(sampled, keys, window, `${acl.arn} (sampled requests)`);
        publish(events);
        const among = events.length > 0 ? "the probe's request is among them" : "the probe's request is not among them (WAF samples at most 500 per rule from the first 5,000 requests)";
        return [{ evidence: 'WAF sampled requests', state: events.length > 0 ? 'found' : 'empty', detail: `${sampled.samples.length} samples of ${sampled.population} requests in the window; ${among}` }];
      },
    };
  }

  private wafLogPiece(
    clients: AwsClients,
    logGroup: string,
    window: TimeWindow,
    keys: CorrelationKeys,
    probeEnd: Date,
    collector: LogRecordCollector,
    onProgress: EvidenceCollectOptions['onProgress'],
  ): Piece {
    const seen = new Set<string>();
    return {
      ...pieceCoverage.wafLog,
      availableBy: new Date(probeEnd.getTime() + deliveryDelays.wafLogsMs),
      look: async (signal) => {
        // A connection ALB refused in the handshake never reaches the WAF: nothing to wait for.
        const albRefused = refusedConnection(probeConnectionRecord(collector.events(), keys));
        const edgeRefused = albRefused === null ? refusedConnection(probeConnectionRecord(collector.events(), keys, 'cloudfront-connection-log')) : null;
        const refused = albRefused ?? edgeRefused;
        const result = await queryWafLogs(clients, logGroup, window, keys, {
          ...(signal !== undefined ? { signal } : {}),
          ...(onProgress !== undefined ? { onProgress } : {}),
          ...(this.options.queryPollMs !== undefined ? { firstPollMs: this.options.queryPollMs } : {}),
        });
        let matched = 0;
        for (const row of result.rows) {
          const id = row.ptr ?? row.message;
          if (seen.has(id)) {
            matched++;
            continue;
          }
          seen.add(id);
          if (collector.addLine('waf-log', row.message, { resource: `CloudWatch Logs ${logGroup}` })) matched++;
        }
        const scanned = result.recordsScanned !== null ? `, ${result.recordsScanned} records scanned` : '';
        if (matched > 0) return [{ evidence: 'WAF log', state: 'found', detail: `${matched} record${matched === 1 ? '' : 's'} of this probe in ${logGroup} (Logs Insights${scanned})` }];
        if (refused !== null) return [{ evidence: 'WAF log', state: 'missing', detail: `no record in ${logGroup}, as expected: ${edgeRefused !== null ? 'CloudFront' : 'the load balancer'} refused the connection (${refused}) before any request reached the WAF` }];
        return [{ evidence: 'WAF log', state: 'empty', detail: `no record of this probe in ${logGroup} (Logs Insights${scanned})` }];
      },
    };
  }
}

/**
 * A setup lookup (the listener, the web ACL) as its own step: its progress events, and a failure that becomes a
 * problem of the report (null) rather than the end of the collection. A cancel still ends it.
 */
async function setupStep<T>(collection: Collection, item: string, read: () => Promise<T>, count: (found: T) => number): Promise<T | null> {
  collection.progress.started(item);
  try {
    const found = await read();
    collection.progress.found(item, () => count(found));
    return found;
  } catch (error) {
    collection.options.signal?.throwIfAborted();
    collection.progress.failed(item, error);
    collection.findings.problems.push({ message: messageOf(error) });
    return null;
  }
}

function messageOf(error: unknown): string {
  if (error instanceof AwsEvidenceError) return error.message;
  return (error as Error)?.message ?? String(error);
}
