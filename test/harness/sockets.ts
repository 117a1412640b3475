import { readFileSync } from 'node:fs';

/**
 * Established TCP connections whose server side is `port` on this machine, read from the
 * kernel's tables: what a server really holds open, whatever the gateway believes.
 */
export function establishedConnections(port: number): number {
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4) continue;
      const localPort = parseInt(fields[1].split(':')[1], 16);
      if (localPort === port && fields[3] === '01') count++;
    }
  }
  return count;
}

/** Waits until `count()` equals `expected` (connections close asynchronously); returns the last value seen. */
export async function settleTo(count: () => number, expected: number, timeoutMs = 10000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let value = count();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = count();
  }
  return value;
}
