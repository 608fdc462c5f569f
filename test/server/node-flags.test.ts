import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { SERVER_NODE_FLAGS, withServerFlags } from '../../src/server/node-flags.js';

describe('the V8 settings of a server process', () => {
  it('are added to a command line once, and a value given there is kept', () => {
    expect(withServerFlags([])).toEqual([...SERVER_NODE_FLAGS]);
    expect(withServerFlags(['--inspect'])).toEqual(['--inspect', ...SERVER_NODE_FLAGS]);
    expect(withServerFlags(withServerFlags([]))).toEqual([...SERVER_NODE_FLAGS]);
    expect(withServerFlags(['--max-semi-space-size=32'])).toEqual(['--max-semi-space-size=32']);
    expect(withServerFlags(['--max_semi_space_size=2'])).toEqual(['--max_semi_space_size=2']);
  });

  it('are on the command of the container image and of npm start (a one-process server has no primary to add them)', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(PACKAGE_ROOT, 'Dockerfile'), 'utf8'))?.[1];
    const image = JSON.parse(cmd ?? '[]') as string[];
    expect(image.slice(-2)).toEqual(['bin/passgate.js', 'start']);
    const scripts = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).scripts;
    const npmStart = (scripts.start as string).split(' ');
    for (const flag of SERVER_NODE_FLAGS) {
      expect(image.slice(1, -2)).toContain(flag);
      expect(npmStart.slice(1, -2)).toContain(flag);
    }
  });
});
