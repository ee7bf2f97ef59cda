// Where AWS puts each log, so that a folder the lab writes looks like a bucket AWS delivered to:
//   ALB access logs      AWSLogs/<acct>/elasticloadbalancing/<region>/yyyy/mm/dd/
//                          <acct>_elasticloadbalancing_<region>_app.<lb-name>.<lb-id>_<end>_<node-ip>_<random>.log.gz
//   ALB connection logs  the same folder, the same name with `conn_log_` in front
//     One object per node per 5 minutes; <end> is the END of the interval (20140215T2340Z holds 23:35–23:40) and the
//     date folders are the delivery date, i.e. the end's date.
//   AWS WAF logs         AWSLogs/<acct>/WAFLogs/<region>/<web-acl>/YYYY/MM/dd/HH/mm/
//                          <acct>_waflogs_<region>_<web-acl>_<yyyymmddThhmmZ>_<8 hex>.log.gz
//     5-minute folders; AWS's example names the folder and the file by the same minute (…/19/50/…_20211028T1950Z_…),
//     taken here as the interval's start.
//   Metric stream        CloudWatch/metric-streams/<stream>/yyyy/MM/dd/HH/<stream>-1-yyyy-MM-dd-HH-mm-ss-<uuid>
//     How Firehose names an uncompressed S3 object (<stream name>-<stream version>-<date and time>-<uuid>, under
//     its default yyyy/MM/dd/HH time prefix), below a prefix naming the stream; the time is the delivery's.

import { randomBytes, randomUUID } from 'node:crypto';

export interface LabAwsResources {
  accountId: string;
  region: string;
  loadBalancer: { name: string; id: string };
  webAclName: string;
  /** The load balancer node's address, in the ALB log names and the connection log's ip_address field. */
  nodeIp: string;
}

const fiveMinutes = 5 * 60_000;

export function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function datePath(t: Date): string {
  return `${t.getUTCFullYear()}/${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())}`;
}

/** `2014/02/15/23`: the hour folder of vended-log deliveries. */
export function hourPath(t: Date): string {
  return `${datePath(t)}/${pad(t.getUTCHours())}`;
}

/** `20140215T2340Z`. */
export function compactMinute(t: Date): string {
  return `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}T${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}Z`;
}

/** The 5-minute delivery interval a record's time falls in. */
export function deliveryInterval(time: Date): { start: Date; end: Date } {
  const start = Math.floor(time.getTime() / fiveMinutes) * fiveMinutes;
  return { start: new Date(start), end: new Date(start + fiveMinutes) };
}

/** `app/<name>/<id>`: the load balancer's ARN tail, its `elb` field and its CloudWatch dimension. */
export function loadBalancerResourceId(resources: LabAwsResources): string {
  return `app/${resources.loadBalancer.name}/${resources.loadBalancer.id}`;
}

/** WAF's httpSourceId for an ALB: `<account>-app/<name>/<id>`. */
export function albHttpSourceId(resources: LabAwsResources): string {
  return `${resources.accountId}-${loadBalancerResourceId(resources)}`;
}

export function webAclArn(resources: LabAwsResources, webAclId: string): string {
  return `arn:aws:wafv2:${resources.region}:${resources.accountId}:regional/webacl/${resources.webAclName}/${webAclId}`;
}

/** ALB's random name part: 8 lowercase letters and digits (`20sg8hgm`). */
export function albRandomPart(): string {
  return [...randomBytes(8)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
}

export function wafRandomPart(): string {
  return randomBytes(4).toString('hex');
}

export type AlbLogKind = 'access' | 'connection';

/** The ALB log object for a record at `time`, relative to the bucket root. */
export function albLogKey(resources: LabAwsResources, kind: AlbLogKind, time: Date, random: string): string {
  const { end } = deliveryInterval(time);
  const { accountId, region, loadBalancer, nodeIp } = resources;
  const name = `${accountId}_elasticloadbalancing_${region}_app.${loadBalancer.name}.${loadBalancer.id}_${compactMinute(end)}_${nodeIp}_${random}.log.gz`;
  return `AWSLogs/${accountId}/elasticloadbalancing/${region}/${datePath(end)}/${kind === 'connection' ? `conn_log_${name}` : name}`;
}

/** The AWS WAF log object for a record at `time`, relative to the bucket root. */
export function wafLogKey(resources: LabAwsResources, time: Date, random: string): string {
  const { start } = deliveryInterval(time);
  const { accountId, region, webAclName } = resources;
  const folder = `AWSLogs/${accountId}/WAFLogs/${region}/${webAclName}/${datePath(start)}/${pad(start.getUTCHours())}/${pad(start.getUTCMinutes())}`;
  return `${folder}/${accountId}_waflogs_${region}_${webAclName}_${compactMinute(start)}_${random}.log.gz`;
}

/** A metric stream delivery (one Firehose object) made at `deliveredAt`, relative to the lab's folder. */
export function metricStreamKey(streamName: string, deliveredAt: Date, uuid: string = randomUUID()): string {
  const t = deliveredAt;
  const stamp = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}-${pad(t.getUTCHours())}-${pad(t.getUTCMinutes())}-${pad(t.getUTCSeconds())}`;
  return `CloudWatch/metric-streams/${streamName}/${datePath(t)}/${pad(t.getUTCHours())}/${streamName}-1-${stamp}-${uuid}`;
}
