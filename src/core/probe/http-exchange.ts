// One HTTP request over the probe's traced connection, through undici's Dispatcher API (`dispatch` with a handler):
// the response's head and the first bytes of its body, each as a promise the attempt awaits under its own time limit.
// undici's request() would wrap the same handler in a body stream, an async resource and an async iterator; the
// probe needs none of them, only the status, the headers and a preview.

import type Client from 'undici/lib/dispatcher/client.js';

export interface ResponseHead {
  status: number;
  headers: Record<string, string | string[]>;
}

/** What the body gave: its first `limit` bytes, how many arrived, and whether it ended. */
export interface BodyPreview {
  preview: Buffer;
  /** Bytes received, including those past the preview in the chunk that reached the limit. */
  bytes: number;
  /** True once the body ended; false when the read stopped at the limit, failed or ran out of time. */
  complete: boolean;
}

export interface RequestOptions {
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** The headers without the names undici's type allows to be undefined (it never sets one so). */
function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * The request, dispatched at once. `head` settles with the final response's status and headers (1xx are passed over)
 * or the error that came first; `body` once the body ended, reached `limit` bytes, or failed. A body never ends for a
 * server that keeps sending: it is not waited for past the limit. What arrived stays readable (`preview()`) whatever
 * happened, as the attempt reports a body that broke off or stalled with what it had.
 */
export class HttpExchange {
  readonly head: Promise<ResponseHead>;
  readonly body: Promise<void>;
  private readonly parts: Buffer[] = [];
  private kept = 0;
  private bytes = 0;
  private complete = false;
  private bodyDone = false;
  private settleHead: { resolve: (head: ResponseHead) => void; reject: (e: Error) => void } | null = null;
  private settleBody: { resolve: () => void; reject: (e: Error) => void } | null = null;

  constructor(client: Client, request: RequestOptions, private readonly limit: number) {
    this.head = new Promise((resolve, reject) => (this.settleHead = { resolve, reject }));
    this.body = new Promise((resolve, reject) => (this.settleBody = { resolve, reject }));
    // Read only when the head came: an error before it is the head's, and nobody awaits the body then.
    this.body.catch(() => undefined);
    client.dispatch(request, {
      onRequestStart: () => undefined,
      onResponseStart: (_controller, status, headers) => {
        if (status < 200) return;
        this.settleHead?.resolve({ status, headers: flattenHeaders(headers) });
        this.settleHead = null;
      },
      onResponseData: (_controller, chunk) => this.add(chunk),
      onResponseEnd: () => {
        this.complete = !this.bodyDone;
        this.endBody();
      },
      onResponseError: (_controller, error) => {
        this.settleHead?.reject(error);
        this.settleHead = null;
        this.bodyDone = true;
        this.settleBody?.reject(error);
        this.settleBody = null;
      },
    });
  }

  private add(chunk: Buffer): void {
    if (this.bodyDone) return;
    this.bytes += chunk.length;
    if (this.kept < this.limit) {
      const part = chunk.subarray(0, this.limit - this.kept);
      this.parts.push(part);
      this.kept += part.length;
    }
    if (this.bytes >= this.limit) this.endBody();
  }

  private endBody(): void {
    this.bodyDone = true;
    this.settleBody?.resolve();
    this.settleBody = null;
  }

  preview(): BodyPreview {
    return { preview: Buffer.concat(this.parts, this.kept), bytes: this.bytes, complete: this.complete };
  }
}
