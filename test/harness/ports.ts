import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A TCP port that was free on loopback a moment ago (tests run servers side by side). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `gw-${prefix}-`));
}

/** In CI a missing server binary is a failure; on a developer machine the suite says why it skips. */
export function requireBinary(path: string, what: string): boolean {
  const { existsSync } = require('node:fs') as typeof import('node:fs');
  if (existsSync(path)) return true;
  if (process.env.CI === 'true') throw new Error(`${what} is not installed at ${path}; .ci/run must install it`);
  // eslint-disable-next-line no-console
  console.warn(`skipping: ${what} not installed at ${path}`);
  return false;
}
