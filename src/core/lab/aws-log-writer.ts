// The lab's logs, written as AWS delivers them to S3 (names and folders in aws-log-names.ts), into a folder the
// product's evidence reader takes unchanged: ALB connection and access logs, AWS WAF logs, and CloudWatch metrics
// as a metric stream's JSON output.
//
// Every line is readable as soon as its append resolves, so a probe's --evidence finds its own records at once.
// Logs are gzip like AWS's, and each line is appended as a gzip member of its own: concatenated members are one
// valid gzip file (RFC 1952, 2.2), which zlib's gunzip — the product's line reader — reads to the end. A single
// stream flushed with Z_SYNC_FLUSH after each line would have no gzip trailer until closed, and the reader rightly
// reports such a file as truncated. Appends are serialised per file, so concurrent calls never interleave or lose a
// line. Metric deliveries are whole objects, written under a dot-name and renamed into place (a reader skips dot
// files), as an S3 object appears whole. Files are 0644: they hold no secrets (WAF records come redacted).

import { appendFile, chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { loadBalancerDimensions, webAclDimensions } from '../evidence/logs/cloudwatch-metric-stream';
import { accessLogLine, connectionLogLine, type AccessLogEntry, type ConnectionLogEntry } from './aws-log-lines';
import { albLogKey, albRandomPart, deliveryInterval, loadBalancerResourceId, metricStreamKey, wafLogKey, wafRandomPart, type AlbLogKind, type LabAwsResources } from './aws-log-names';
import { MetricMinutes, metricStreamLine } from './metric-minutes';

const gzip = promisify(gzipCallback);
const fileMode = 0o644;

function closedError(): Error {
  return new Error('the lab log writer is closed');
}

export interface LabLogWriterOptions extends LabAwsResources {
  /** The folder that stands for the log bucket(s); created when missing. */
  dir: string;
  /** The metric stream's name (and its Firehose stream's). Default `<load balancer name>-metrics`. */
  metricStreamName?: string;
  /** The clock that ends metric minutes and dates metric deliveries. Default: the system clock. */
  now?: () => Date;
}

/** One append at a time per file, in call order; a failed append fails its caller and not the ones after it. */
class SerialAppends {
  private readonly tails = new Map<string, Promise<void>>();

  run(file: string, task: () => Promise<void>): Promise<void> {
    const result = (this.tails.get(file) ?? Promise.resolve()).then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(file, tail);
    void tail.then(() => {
      if (this.tails.get(file) === tail) this.tails.delete(file);
    });
    return result;
  }

  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}

export class LabLogWriter {
  readonly dir: string;
  readonly resources: LabAwsResources;
  readonly metricStreamName: string;
  private readonly now: () => Date;
  private readonly appends = new SerialAppends();
  private readonly created = new Set<string>();
  /** The object of each log kind and delivery interval: one random name part per object, as AWS gives. */
  private readonly objects = new Map<string, string>();
  private readonly minutes = new MetricMinutes();
  private minuteTimer: NodeJS.Timeout | null = null;
  private backgroundError: unknown = null;
  private closed = false;

  constructor(options: LabLogWriterOptions) {
    const { dir, metricStreamName, now, ...resources } = options;
    this.dir = dir;
    this.resources = resources;
    this.metricStreamName = metricStreamName ?? `${resources.loadBalancer.name}-metrics`;
    this.now = now ?? (() => new Date());
  }

  /** `app/<name>/<id>`: the access and connection logs' elb field and the ALB metrics' LoadBalancer dimension. */
  get loadBalancerDimension(): string {
    return loadBalancerResourceId(this.resources);
  }

  /** Appends one ALB connection-log line. */
  connection(entry: ConnectionLogEntry): Promise<void> {
    const line = connectionLogLine(entry, this.loadBalancerDimension, this.resources.nodeIp);
    return this.appendGzipLine(this.albObject('connection', entry.time), line);
  }

  /** Appends one ALB access-log line. */
  access(entry: AccessLogEntry): Promise<void> {
    return this.appendGzipLine(this.albObject('access', entry.time), accessLogLine(entry, this.loadBalancerDimension));
  }

  /** Appends one AWS WAF log record (see wafLogRecord); filed by its `timestamp`. */
  waf(record: Record<string, unknown>): Promise<void> {
    const time = typeof record.timestamp === 'number' ? new Date(record.timestamp) : this.now();
    const key = this.object(`waf|${deliveryInterval(time).start.getTime()}`, () => wafLogKey(this.resources, time, wafRandomPart()));
    return this.appendGzipLine(key, JSON.stringify(record));
  }

  /**
   * Appends one JSON record to the vended-log object `key(interval start)` of its delivery interval: CloudFront
   * connection logs and API Gateway access logs, which the lab writes as S3 deliveries of JSON lines.
   */
  jsonRecord(kind: string, time: Date, key: (intervalStart: Date) => string, record: Record<string, unknown>): Promise<void> {
    const start = deliveryInterval(time).start;
    return this.appendGzipLine(this.object(`${kind}|${start.getTime()}`, () => key(start)), JSON.stringify(record));
  }

  /** Counts `value` into the series' minute at `at`; minutes that have ended by the clock are delivered. */
  async metric(name: string, namespace: string, dimensions: Record<string, string>, at: Date, value = 1, unit = 'Count'): Promise<void> {
    this.assertOpen();
    this.minutes.add(namespace, name, dimensions, at, value, unit);
    if (this.minutes.hasEnded(this.now().getTime())) await this.deliverMetrics(false);
    this.armMinuteTimer();
  }

  /** A load balancer metric (AWS/ApplicationELB, the load balancer's own series). */
  loadBalancerMetric(name: string, at: Date, value = 1): Promise<void> {
    return this.metric(name, 'AWS/ApplicationELB', loadBalancerDimensions(this.loadBalancerDimension), at, value);
  }

  /** A web ACL total (AWS/WAFV2, `Rule=ALL`; the web ACL's name stands for its metric name). */
  webAclMetric(name: string, at: Date, value = 1): Promise<void> {
    return this.metric(name, 'AWS/WAFV2', webAclDimensions(this.resources.webAclName, this.resources.region), at, value);
  }

  /** Delivers every minute with samples not yet written, the current unfinished one included. */
  async flushMetrics(): Promise<void> {
    this.assertOpen();
    await this.deliverMetrics(true);
  }

  /** Delivers the metrics and waits for every append; later calls are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.minuteTimer !== null) clearTimeout(this.minuteTimer);
    this.minuteTimer = null;
    await this.deliverMetrics(true);
    this.closed = true;
    await this.appends.idle();
    if (this.backgroundError !== null) throw this.backgroundError;
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }

  private object(key: string, name: () => string): string {
    let file = this.objects.get(key);
    if (file === undefined) {
      file = join(this.dir, name());
      this.objects.set(key, file);
      // A long-running lab moves on to new intervals: the oldest names are never needed again.
      if (this.objects.size > 64) this.objects.delete(this.objects.keys().next().value!);
    }
    return file;
  }

  private albObject(kind: AlbLogKind, time: Date): string {
    return this.object(`${kind}|${deliveryInterval(time).end.getTime()}`, () => albLogKey(this.resources, kind, time, albRandomPart()));
  }

  private appendGzipLine(file: string, line: string): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    return this.appends.run(file, async () => {
      const member = await gzip(`${line}\n`);
      await this.ensureFolder(file);
      await appendFile(file, member, { mode: fileMode });
      await this.settleMode(file);
    });
  }

  private async ensureFolder(file: string): Promise<void> {
    await mkdir(dirname(file), { recursive: true, mode: 0o755 });
  }

  /** The mode a file is created with is masked by the umask: set it once, on the file's first write. */
  private async settleMode(file: string): Promise<void> {
    if (this.created.has(file)) return;
    await chmod(file, fileMode);
    this.created.add(file);
  }

  private deliverMetrics(includeOpen: boolean): Promise<void> {
    const now = this.now();
    const due = this.minutes.take(now.getTime(), includeOpen);
    if (due.length === 0) return Promise.resolve();
    const { accountId, region } = this.resources;
    const origin = { streamName: this.metricStreamName, accountId, region };
    const body = `${due.map((point) => metricStreamLine(point, origin)).join('\n')}\n`;
    const file = join(this.dir, metricStreamKey(this.metricStreamName, now));
    return this.appends.run(file, async () => {
      await this.ensureFolder(file);
      const partial = join(dirname(file), `.${basename(file)}.partial`);
      await writeFile(partial, body, { mode: fileMode });
      await chmod(partial, fileMode);
      await rename(partial, file);
    });
  }

  /** Delivers ended minutes without waiting for the next sample; never keeps the process alive on its own. */
  private armMinuteTimer(): void {
    if (this.minuteTimer !== null || this.closed) return;
    const next = this.minutes.nextMinuteEnd();
    if (next === null) return;
    this.minuteTimer = setTimeout(() => {
      this.minuteTimer = null;
      this.deliverMetrics(false).then(
        () => this.armMinuteTimer(),
        (error: unknown) => {
          this.backgroundError ??= error;
        },
      );
    }, Math.max(0, next - this.now().getTime()));
    this.minuteTimer.unref();
  }
}
