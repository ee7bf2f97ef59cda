import type { IncomingMessage, ServerResponse } from 'node:http';
import { startAlbListener, type RequestContext } from '../lab/alb-listener';
import { trustStoreFrom } from '../lab/client-verification';
import { generateTestPki, type TestPki } from '../pki/test-pki';
import type { TlsVersionName } from '../probe/types';

export { verifyClientChain } from '../lab/client-verification';

// The ALB-like target the tests probe: the lab's ALB-shaped listener in verify mode with an in-memory connection
// log, in front of a target that answers 200 with the X-Amzn-Mtls-Clientcert-* headers echoed and a WAF-style
// 403 for "<script". A refused certificate ends the connection with a reset before the server's Finished — the
// signature seen from real ALBs. The whole lab (AWS-format logs, a WAF rule set) is src/core/lab.

export interface AlbLikeTarget {
  url: string;
  port: number;
  pki: TestPki;
  /** Why each rejected connection was reset, as ALB's connection log would say (Failed:ClientCertUntrusted …). */
  readonly connectionLog: Array<{ time: string; clientPort: number; tlsVerifyStatus: string }>;
  close(): Promise<void>;
}

export interface AlbLikeTargetOptions {
  pki?: TestPki;
  port?: number;
  maxVersion?: TlsVersionName;
}

function respond(req: IncomingMessage, res: ServerResponse, context: RequestContext): void {
  const url = decodeURIComponent(req.url ?? '/');
  if (/<script/i.test(url)) {
    res.writeHead(403, { server: 'awselb/2.0', 'content-type': 'text/html' });
    res.end('<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center></body></html>\n');
    return;
  }
  // The target echoes the headers the load balancer added, as a test application behind an ALB would.
  const headers: Record<string, string> = { server: 'awselb/2.0', 'content-type': 'text/plain; charset=utf-8', ...context.mtlsHeaders };
  const traceId = req.headers['x-amzn-trace-id'];
  if (typeof traceId === 'string') headers['x-amzn-trace-id'] = traceId;
  res.writeHead(200, headers);
  res.end(`hello from the mTLS Probe demo target (${context.mtlsHeaders['x-amzn-mtls-clientcert-subject'] ?? 'no certificate'})\n`);
}

export async function startAlbLikeTarget(options: AlbLikeTargetOptions = {}): Promise<AlbLikeTarget> {
  const pki = options.pki ?? (await generateTestPki({ organization: 'mTLS Probe Demo' }));
  const connectionLog: AlbLikeTarget['connectionLog'] = [];
  const listener = await startAlbListener({
    mode: 'verify',
    // rootCa may be a whole trust-store bundle (root and intermediates), as ALB takes one; its names are advertised.
    tls: {
      certPem: pki.server.certPem,
      keyPem: pki.server.keyPem,
      trustStorePem: pki.rootCa.certPem,
      trustStore: trustStoreFrom(pki.rootCa.certPem),
      advertiseCaNames: true,
      ...(options.maxVersion !== undefined ? { maxVersion: options.maxVersion } : {}),
    },
    ...(options.port !== undefined ? { port: options.port } : {}),
    onConnection: (outcome) => {
      connectionLog.push({ time: outcome.time.toISOString(), clientPort: outcome.clientPort, tlsVerifyStatus: outcome.verifyStatus });
    },
    handle: respond,
  });
  return { url: `https://localhost:${listener.port}/`, port: listener.port, pki, connectionLog, close: () => listener.close() };
}
