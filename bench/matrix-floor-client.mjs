// The raw-Node floor for bench/matrix-floor.ts, run as its own process like the CLI: plain tls.connect + GET over
// every endpoint × identity pair (repeated), a SecureContext built once per identity, the same bounded pool.
// Argument: a JSON file { urls, ca, identities: [{ label, cert?, key? }], repeat, concurrency, timeoutMs, alpn }.
// `alpn` is what the client offers (default ["http/1.1"]); when the server picks h2, the GET goes over node:http2 on
// the same TLS socket — the raw-Node way to do what the probe does when it offers h2,http/1.1 as curl does.
// Prints one line per attempt ("<url> <identity> <status or error code>") so the bench can check the count.
import { readFileSync } from 'node:fs';
import { connect, createSecureContext } from 'node:tls';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ca = readFileSync(config.ca, 'utf8');
const alpn = config.alpn ?? ['http/1.1'];
const contexts = config.identities.map((i) => ({
  label: i.label,
  secureContext: createSecureContext(i.cert ? { ca, cert: readFileSync(i.cert, 'utf8'), key: readFileSync(i.key, 'utf8') } : { ca }),
}));

// Loaded only when a server picks h2, as undici does it in the probe.
let http2;
async function getOverH2(socket, url, finish) {
  http2 ??= await import('node:http2');
  const session = http2.connect(url, { createConnection: () => socket });
  session.on('error', (e) => finish(e.code ?? 'error'));
  const stream = session.request({ ':path': '/', 'user-agent': 'floor', accept: '*/*' });
  let status = 'closed';
  stream.on('response', (headers) => (status = String(headers[':status'])));
  stream.on('data', () => undefined);
  stream.on('end', () => {
    finish(status);
    session.destroy();
  });
  stream.on('error', (e) => finish(e.code ?? 'error'));
  stream.end();
}

function attempt(url, identity) {
  return new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    let response = '';
    let done = false;
    const finish = (outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const socket = connect({ host: hostname, port: Number(port), servername: hostname, secureContext: identity.secureContext, ALPNProtocols: alpn }, () => {
      if (socket.alpnProtocol === 'h2') {
        void getOverH2(socket, url, finish);
        return;
      }
      socket.write(`GET / HTTP/1.1\r\nhost: ${hostname}:${port}\r\nuser-agent: floor\r\naccept: */*\r\nconnection: close\r\n\r\n`);
      socket.on('data', (d) => {
        response += d.toString('latin1');
        const end = response.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(response.slice(0, end));
        if (length && response.length - end - 4 >= Number(length[1])) finish(response.slice(9, 12));
      });
    });
    socket.setNoDelay(true);
    const timer = setTimeout(() => finish('timeout'), config.timeoutMs);
    socket.on('end', () => finish(response ? response.slice(9, 12) : 'closed'));
    socket.on('close', () => finish(response ? response.slice(9, 12) : 'closed'));
    socket.on('error', (e) => finish(e.code ?? 'error'));
  });
}

const cases = [];
for (let r = 0; r < config.repeat; r++) for (const url of config.urls) for (const identity of contexts) cases.push({ url, identity });
let next = 0;
const lines = new Array(cases.length);
async function worker() {
  while (next < cases.length) {
    const index = next++;
    const c = cases[index];
    lines[index] = `${c.url} ${c.identity.label} ${await attempt(c.url, c.identity)}\n`;
  }
}
await Promise.all(Array.from({ length: Math.min(config.concurrency, cases.length) }, worker));
process.stdout.write(lines.join(''));
