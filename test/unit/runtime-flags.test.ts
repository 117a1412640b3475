import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FLAGS } from '../../src/runtime-flags';

const root = join(__dirname, '..', '..');

describe('the runtime flags are the same everywhere the gateway starts', () => {
  test('the xmpp-gateway shebang passes them to node', () => {
    const shebang = readFileSync(join(root, 'src', 'cli.ts'), 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  });

  test('npm start passes them to node', () => {
    const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    expect(start).toContain(`node ${NODE_FLAGS.join(' ')} dist/src/cli.js`);
  });
});
