// The one answer to "is this host this machine?", used for the plain-http warning and to keep loopback off proxies.

/**
 * True for `localhost`, `*.localhost`, `::1` (bracketed or not) and a real IPv4 literal in 127.0.0.0/8. Hosts that
 * only start with "127." (`127.attacker.example`) are names anyone can register, not loopback.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(bare);
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255) && octets[1] === '127';
}
