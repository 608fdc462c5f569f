import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deferDoor } from '../../src/doors/deferred-door.js';
import type { Door } from '../../src/doors/door.js';
import { holdsSpFiles } from '../../src/doors/saml/door-shape.js';
import { createLogger } from '../../src/observability/logger.js';

/** A deferred door over a fake load that counts loads and what the loaded door was asked. */
function fakeDoor(inUse: () => boolean) {
  const asked: string[] = [];
  let loads = 0;
  const door = deferDoor<Door>(
    async () => {
      loads++;
      return {
        routers: [express.Router().get('/fake/x', (_req, res) => res.send('loaded'))],
        reload: async () => void asked.push('reload'),
        refreshKeys: async () => void asked.push('refreshKeys'),
        loginFlows: {
          load: async () => {
            asked.push('flow');
            return undefined;
          },
        },
      };
    },
    {
      pathPrefixes: ['/fake/'],
      pruneJobs: [{ name: 'fake', retentionMs: 0, prune: async () => asked.push('prune (store only)') }],
      loginFlows: true,
      inUse,
    },
    createLogger('silent'),
  );
  return { door, asked, loads: () => loads };
}

describe('a deferred door not in use (no application in its metadata folder)', () => {
  it('is not loaded by the warm-up, a reload, a key refresh, its prune jobs or a flow lookup', async () => {
    const { door, asked, loads } = fakeDoor(() => false);
    await door.warmUp?.();
    await door.reload?.();
    await door.refreshKeys?.();
    for (const job of door.pruneJobs ?? []) await job.prune(Date.now());
    expect(await door.loginFlows?.load({} as never, {} as never, 'uid')).toBeUndefined();
    expect(loads()).toBe(0);
    expect(asked).toEqual(['prune (store only)']);
  });

  it('is loaded by a request to its paths, and from then on refreshes its keys and reloads', async () => {
    const { door, asked, loads } = fakeDoor(() => false);
    const app = express().use(door.routers!);
    const server = app.listen(0);
    try {
      const { port } = server.address() as { port: number };
      expect(await (await fetch(`http://127.0.0.1:${port}/fake/x`)).text()).toBe('loaded');
    } finally {
      server.close();
    }
    await door.refreshKeys?.();
    await door.reload?.();
    await door.loginFlows?.load({} as never, {} as never, 'uid');
    expect(loads()).toBe(1);
    expect(asked).toEqual(['refreshKeys', 'reload', 'flow']);
  });

  it('is loaded by the reload that finds an application, and by the warm-up when it has one', async () => {
    let used = false;
    const { door, asked, loads } = fakeDoor(() => used);
    await door.reload?.();
    expect(loads()).toBe(0);
    used = true;
    await door.reload?.();
    expect(loads()).toBe(1);
    expect(asked).toEqual(['reload']);

    const warm = fakeDoor(() => true);
    await warm.door.warmUp?.();
    expect(warm.loads()).toBe(1);
  });
});

describe('holdsSpFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-sp-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is false for a missing or empty folder or one without SP files, true with an SP file', () => {
    expect(holdsSpFiles(path.join(dir, 'missing'))).toBe(false);
    const folder = path.join(dir, 'saml');
    mkdirSync(folder);
    expect(holdsSpFiles(folder)).toBe(false);
    writeFileSync(path.join(folder, 'README.md'), 'notes');
    expect(holdsSpFiles(folder)).toBe(false);
    writeFileSync(path.join(folder, 'app.yaml'), 'profile: generic\n');
    expect(holdsSpFiles(folder)).toBe(true);
  });
});
