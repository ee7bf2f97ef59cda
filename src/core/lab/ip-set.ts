// Client addresses as AWS sees and logs them, and IP sets (AWS WAF's list of addresses and CIDR ranges).

import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * An IPv4 client on a dual-stack socket reaches Node as `::ffff:a.b.c.d`; ALB and WAF log the plain IPv4 form,
 * which is also what the probe reports as its own address.
 */
export function plainIp(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped !== null && isIPv4(mapped[1]!) ? mapped[1]! : address;
}

/** Addresses and CIDR ranges, IPv4 and IPv6, as an AWS WAF IP set holds them (a bare address is its own /32 or /128). */
export class IpSet {
  readonly entries: readonly string[];
  private readonly list = new BlockList();

  constructor(entries: readonly string[] = []) {
    this.entries = [...entries];
    for (const entry of entries) {
      const [address = '', prefixText] = entry.trim().split('/');
      const version = isIP(address);
      const prefix = prefixText === undefined ? (version === 4 ? 32 : 128) : Number(prefixText);
      if (version === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (version === 4 ? 32 : 128)) {
        throw new Error(`IP set entry "${entry}" is not an IPv4 or IPv6 address or CIDR range`);
      }
      this.list.addSubnet(address, prefix, version === 4 ? 'ipv4' : 'ipv6');
    }
  }

  /** IPv4-mapped IPv6 addresses match IPv4 ranges, as the address they stand for. */
  has(address: string): boolean {
    const ip = plainIp(address);
    const version = isIP(ip);
    return version !== 0 && this.list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
  }
}
