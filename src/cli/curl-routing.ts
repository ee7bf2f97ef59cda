import { BadArgumentError } from './errors';

// curl's routing flags, in curl's own syntax, so a curl command line carries over: --connect-to
// HOST1:PORT1:HOST2:PORT2 and --resolve HOST:PORT:ADDRESS. (The workspace config's `connectTo` is another syntax,
// an address or host:port, read by the config module.) Each gives where to connect instead of the URL's host,
// or undefined when the flag names another host or port than the URL's, as curl ignores it then.

export interface ConnectTarget {
  host: string;
  port: number;
}

/** Splits "host:port" pieces where a host may be an [IPv6] literal. */
function splitHostPorts(spec: string): string[] {
  return [...spec.matchAll(/\[[^\]]*\]|[^:]+|(?<=:)(?=:|$)|^(?=:)/g)].map((m) => m[0].replace(/^\[|\]$/g, ''));
}

function urlHostPort(url: URL): { host: string; port: string } {
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || '443' };
}

/** `--connect-to HOST1:PORT1:HOST2:PORT2`; an empty HOST1 or PORT1 matches any, an empty HOST2 or PORT2 keeps the URL's. */
export function parseCurlConnectTo(spec: string, url: URL): ConnectTarget | undefined {
  const parts = splitHostPorts(spec);
  if (parts.length !== 4) throw new BadArgumentError(`--connect-to takes HOST1:PORT1:HOST2:PORT2, not "${spec}".`);
  const [h1, p1, h2, p2] = parts as [string, string, string, string];
  const target = urlHostPort(url);
  if ((h1 !== '' && h1 !== target.host) || (p1 !== '' && p1 !== target.port)) return undefined;
  const port = p2 === '' ? Number(target.port) : Number(p2);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new BadArgumentError(`--connect-to: "${p2}" is not a port.`);
  return { host: h2 === '' ? target.host : h2, port };
}

/** `--resolve HOST:PORT:ADDRESS`: the address for that host and port, the port unchanged. */
export function parseCurlResolve(spec: string, url: URL): ConnectTarget | undefined {
  const parts = splitHostPorts(spec);
  if (parts.length !== 3) throw new BadArgumentError(`--resolve takes HOST:PORT:ADDRESS, not "${spec}".`);
  const [h, p, addr] = parts as [string, string, string];
  const target = urlHostPort(url);
  if (h !== target.host || p !== target.port) return undefined;
  return { host: addr, port: Number(p) };
}
