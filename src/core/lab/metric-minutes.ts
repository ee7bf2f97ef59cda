// CloudWatch metrics as the lab publishes them: samples summed per series and minute, then written as a metric
// stream writes them in its JSON output format — one line per series and minute:
//   {"metric_stream_name","account_id","region","namespace","metric_name","dimensions",
//    "timestamp" (epoch ms of the minute),"value":{"max","min","sum","count"},"unit"}
// A minute is written once it has ended; one still open is written on demand (a short demo must have its
// metrics) and written again, whole, when it ends if more samples came: the reader keeps the fuller record.

const minuteMs = 60_000;

export interface MetricDatapoint {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  unit: string;
  /** Epoch ms of the minute's start. */
  minute: number;
  max: number;
  min: number;
  sum: number;
  count: number;
  /** Samples arrived since it was last written. */
  changed: boolean;
}

export interface MetricStreamOrigin {
  streamName: string;
  accountId: string;
  region: string;
}

function seriesKey(namespace: string, metricName: string, dimensions: Record<string, string>, minute: number): string {
  const names = Object.keys(dimensions).sort();
  return JSON.stringify([namespace, metricName, names.map((name) => [name, dimensions[name]]), minute]);
}

export class MetricMinutes {
  private readonly points = new Map<string, MetricDatapoint>();

  add(namespace: string, metricName: string, dimensions: Record<string, string>, at: Date, value: number, unit: string): void {
    if (!Number.isFinite(value)) throw new Error(`metric ${metricName}: ${value} is not a number`);
    const minute = Math.floor(at.getTime() / minuteMs) * minuteMs;
    const key = seriesKey(namespace, metricName, dimensions, minute);
    const point = this.points.get(key);
    if (point === undefined) {
      this.points.set(key, { namespace, metricName, dimensions: { ...dimensions }, unit, minute, max: value, min: value, sum: value, count: 1, changed: true });
      return;
    }
    point.max = Math.max(point.max, value);
    point.min = Math.min(point.min, value);
    point.sum += value;
    point.count += 1;
    point.changed = true;
  }

  /** Whether a minute has ended by `now` (epoch ms). */
  hasEnded(now: number): boolean {
    for (const point of this.points.values()) if (point.minute + minuteMs <= now) return true;
    return false;
  }

  /** When the earliest minute held ends (epoch ms), or null when none is held. */
  nextMinuteEnd(): number | null {
    let next: number | null = null;
    for (const point of this.points.values()) next = next === null ? point.minute + minuteMs : Math.min(next, point.minute + minuteMs);
    return next;
  }

  /**
   * The datapoints to write: minutes ended by `now` (then forgotten) and, when asked, open minutes; in both, only
   * those with samples not yet written.
   */
  take(now: number, includeOpen: boolean): MetricDatapoint[] {
    const due: MetricDatapoint[] = [];
    for (const [key, point] of this.points) {
      const ended = point.minute + minuteMs <= now;
      if (ended) this.points.delete(key);
      if ((ended || includeOpen) && point.changed) {
        due.push({ ...point });
        point.changed = false;
      }
    }
    return due.sort((a, b) => a.minute - b.minute);
  }
}

export function metricStreamLine(point: MetricDatapoint, origin: MetricStreamOrigin): string {
  return JSON.stringify({
    metric_stream_name: origin.streamName,
    account_id: origin.accountId,
    region: origin.region,
    namespace: point.namespace,
    metric_name: point.metricName,
    dimensions: point.dimensions,
    timestamp: point.minute,
    value: { max: point.max, min: point.min, sum: point.sum, count: point.count },
    unit: point.unit,
  });
}
