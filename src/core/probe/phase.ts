import type { TlsSessionState } from '../tls/session-decoder';
import { HandshakeType } from '../tls/registry';

/**
 * Where in the handshake something happened at time t, in words: e.g. "after the client's
 * Certificate/Client key exchange/Change cipher spec/Finished flight, before the server's Finished".
 */
export function describeHandshakePhase(state: TlsSessionState, t: number, ccsTimes: { out: number[]; in: number[] }): string {
  const before = state.handshakes.filter((h) => h.t <= t);
  if (before.length === 0) return 'before any TLS handshake message';
  const serverFinished = before.some((h) => h.dir === 'in' && h.type === HandshakeType.Finished);
  const clientFinished = before.some((h) => h.dir === 'out' && h.type === HandshakeType.Finished);
  const last = before[before.length - 1]!;
  // The last flight: consecutive messages of the last sender, with its ChangeCipherSpec if one fell inside.
  const flight: Array<{ t: number; name: string }> = [];
  for (let i = before.length - 1; i >= 0 && before[i]!.dir === last.dir; i--) flight.unshift({ t: before[i]!.t, name: before[i]!.name });
  const flightStart = flight[0]!.t;
  for (const ccs of ccsTimes[last.dir]) {
    if (ccs >= flightStart && ccs <= t && state.versionCode !== 0x0304) {
      const at = flight.findIndex((m) => m.t >= ccs && m.name === 'Finished');
      flight.splice(at < 0 ? flight.length : at, 0, { t: ccs, name: 'Change cipher spec' });
      break;
    }
  }
  const who = last.dir === 'out' ? "the client's" : "the server's";
  const names = flight.map((m) => m.name).join('/');
  if (serverFinished && clientFinished) {
    return `after the handshake completed (last: ${who} ${names})`;
  }
  const serverSpoke = before.some((h) => h.dir === 'in');
  const waiting =
    last.dir === 'in' ? "before the client's reply" : !serverSpoke ? 'before any reply from the server' : serverFinished ? "before the server's response" : "before the server's Finished";
  return `after ${who} ${names} ${flight.length > 1 ? 'flight' : 'message'}, ${waiting}`;
}
