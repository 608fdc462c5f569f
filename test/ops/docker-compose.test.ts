import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/server/config.js';
import { SERVER_NODE_FLAGS } from '../../src/server/node-flags.js';
import { runStart } from '../support/cli.js';
import { freePort } from '../support/free-port.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

interface Service {
  build?: { context: string };
  image: string;
  depends_on?: Record<string, { condition: string }>;
  environment: Record<string, string>;
  healthcheck: { test: string[] };
  volumes: string[];
  ports?: Array<{ published: number; target: number }>;
}

/**
 * Runs Debian's docker-compose 1.29 on the repository's file. It validates without a Docker
 * engine. A missing binary fails the test by name: test/support/preflight.js installs it.
 */
function compose(env: Record<string, string>, ...args: string[]) {
  return composeFiles(['docker-compose.yml'], env, ...args);
}

/** {@link compose} over several files, the later ones adding to the first. */
function composeFiles(files: string[], env: Record<string, string>, ...args: string[]) {
  // An empty env file, so that a developer's own .env cannot change the outcome.
  const envFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'passgate-compose-')), 'empty.env');
  writeFileSync(envFile, '');
  const fileArgs = files.flatMap((file) => ['-f', file]);
  const result = spawnSync('docker-compose', ['--env-file', envFile, ...fileArgs, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env },
    encoding: 'utf8',
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      'docker-compose is not installed: run `node test/support/preflight.js` as root ' +
        '(or apt-get install --no-install-recommends docker-compose)',
    );
  }
  if (result.error) throw result.error;
  return result;
}

/** The file as docker-compose resolves it, with a master key set (docker-compose 1.29 requires it). */
interface Resolved {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

let resolved: Resolved | undefined;
/**
 * Resolved once; called by each test rather than in a hook, so that a missing docker-compose
 * fails every test with its name instead of skipping them.
 */
function resolvedCompose(): Resolved {
  if (!resolved) {
    const result = compose({ PASSGATE_MASTER_KEY: MASTER_KEY }, 'config');
    expect(result.status, result.stderr).toBe(0);
    resolved = parseYaml(result.stdout) as Resolved;
  }
  return resolved;
}

describe('docker-compose.yml', () => {
  it('resolves to a Passgate service built from the Dockerfile and a PostgreSQL 15 service', () => {
    const { services } = resolvedCompose();
    expect(Object.keys(services).sort()).toEqual(['passgate', 'postgres']);
    expect(services.passgate!.build?.context).toBe(ROOT.replace(/\/$/, ''));
    expect(services.postgres!.image).toMatch(/^postgres:15([.-]|$)/);
    expect(services.passgate!.ports).toEqual([{ published: 3000, target: 3000 }]);
    expect(services.passgate!.environment.PORT).toBe('3000');
  });

  it('runs Passgate in production mode unless PASSGATE_MODE says otherwise', () => {
    expect(resolvedCompose().services.passgate!.environment.PASSGATE_MODE).toBe('production');
    const trying = compose({ PASSGATE_MASTER_KEY: MASTER_KEY, PASSGATE_MODE: 'development' }, 'config');
    expect(trying.status, trying.stderr).toBe(0);
    expect((parseYaml(trying.stdout) as Resolved).services.passgate!.environment.PASSGATE_MODE).toBe(
      'development',
    );
  });

  it('publishes the port PASSGATE_PORT names, the same inside, so the default public URL holds', () => {
    const result = compose({ PASSGATE_MASTER_KEY: MASTER_KEY, PASSGATE_PORT: '8443' }, 'config');
    expect(result.status, result.stderr).toBe(0);
    const passgate = (parseYaml(result.stdout) as Resolved).services.passgate!;
    expect(passgate.ports).toEqual([{ published: 8443, target: 8443 }]);
    expect(passgate.environment.PORT).toBe('8443');
    expect(passgate.environment.PASSGATE_PUBLIC_URL).toBe('');
  });

  it('with the environment it gives the container and no configuration file, stops naming the missing gateway', async () => {
    const { environment } = resolvedCompose().services.passgate!;
    const run = await runStart([], { env: { ...environment, PORT: '0' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'passgate: configuration error: dispatch.gateways: required in production mode: a gateway that sends passcodes',
    );
    expect(run.stderr).not.toContain('secrets.masterKey');
  });

  it('says in its comments how metadata is reloaded, as the server does it', () => {
    const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(text).toContain(
      'reloaded when they\n# change; `docker compose kill -s HUP passgate` reloads them at once',
    );
    expect(text).not.toMatch(/restart to reload/);
  });

  it('points Passgate at the postgres service and waits until it is healthy', () => {
    const { services } = resolvedCompose();
    const passgate = services.passgate!;
    const postgres = services.postgres!.environment;
    expect(passgate.environment.PASSGATE_DATABASE_URL).toBe(
      `postgres://${postgres.POSTGRES_USER}:${postgres.POSTGRES_PASSWORD}@postgres:5432/${postgres.POSTGRES_DB}`,
    );
    expect(passgate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(passgate.environment.PASSGATE_MASTER_KEY).toBe(MASTER_KEY);
  });

  it('checks health: Passgate on /readyz, PostgreSQL with pg_isready', () => {
    const { services } = resolvedCompose();
    expect(services.passgate!.healthcheck.test.join(' ')).toContain('/readyz');
    expect(services.postgres!.healthcheck.test.join(' ')).toContain('pg_isready');
  });

  it('keeps data in named volumes and mounts the metadata folder read-only', () => {
    const { services, volumes } = resolvedCompose();
    expect(services.passgate!.volumes).toContain('passgate-data:/app/data:rw');
    expect(services.passgate!.volumes).toContain(`${ROOT}metadata:/app/metadata:ro`);
    expect(services.postgres!.volumes).toContain('postgres-data:/var/lib/postgresql/data:rw');
    expect(Object.keys(volumes).sort()).toEqual(['passgate-data', 'postgres-data']);
    expect(services.passgate!.volumes.join(' ')).not.toContain('samba');
  });

  it('adds a Samba AD domain controller with docker/docker-compose.ad.yml, and the example AD configuration loads in production', () => {
    const env = { PASSGATE_MASTER_KEY: MASTER_KEY, SAMBA_ADMIN_PASSWORD: 'Passw0rd!' };
    const result = composeFiles(['docker-compose.yml', 'docker/docker-compose.ad.yml'], env, 'config');
    expect(result.status, result.stderr).toBe(0);
    const { services, volumes } = parseYaml(result.stdout) as Resolved;
    const samba = services['samba-ad']!;
    expect(samba.build?.context).toBe(`${ROOT}docker/samba-ad`);
    expect(samba.healthcheck.test.join(' ')).toMatch(/ldapsearch -H ldaps:\/\/localhost/);
    expect(services.passgate!.volumes).toContain('samba-data:/samba:ro');
    expect(services.passgate!.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      'samba-ad': { condition: 'service_healthy' },
    });
    expect(Object.keys(volumes).sort()).toEqual(['passgate-data', 'postgres-data', 'samba-data']);
    const { environment } = services.passgate!;
    expect(environment.PASSGATE_CONFIG).toBe('/app/docker/passgate-ad.yaml');
    const config = loadConfig({
      file: path.join(ROOT, 'docker', 'passgate-ad.yaml'),
      env: environment,
    });
    expect(config.mode).toBe('production');
    expect(config.directory).toMatchObject({
      type: 'ad',
      urls: ['ldaps://samba-ad:636'],
      caFile: '/samba/private/tls/ca.pem',
    });
  });

  it('refuses to resolve without PASSGATE_MASTER_KEY, saying how to make one', () => {
    const result = compose({}, 'config');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('PASSGATE_MASTER_KEY');
    expect(result.stderr).toContain('openssl rand -base64 32');
  });

  describe('the healthcheck command', () => {
    let passgate: TestServer;
    beforeAll(async () => {
      passgate = await startTestServer();
    });
    afterAll(() => passgate?.close());

    /**
     * Runs the resolved healthcheck (an exec-form CMD) with PORT set, as the container would;
     * asynchronously, since the server it probes runs in this process.
     */
    const healthcheck = (port: number) => {
      const [kind, command, ...args] = resolvedCompose().services.passgate!.healthcheck.test;
      expect(kind).toBe('CMD');
      const child = spawn(command!, args, {
        env: { ...process.env, PORT: String(port) },
        stdio: 'ignore',
        timeout: 10_000,
      });
      return new Promise<number | null>((done) => child.on('close', done));
    };

    it('succeeds against a ready Passgate', async () => {
      expect(await healthcheck(passgate.server.port)).toBe(0);
    });

    it('fails when nothing answers', async () => {
      expect(await healthcheck(await freePort())).toBe(1);
    });
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const lines = dockerfile.split('\n').filter((line) => line.trim() && !line.startsWith('#'));

  it('builds on the Node.js of package.json engines with npm ci and runs the server directly, so signals reach it', () => {
    const engines = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node as string;
    const major = /^>=(\d+)/.exec(engines)?.[1];
    expect(major).toBeDefined();
    const stages = lines.filter((line) => line.startsWith('FROM '));
    expect(stages.length).toBeGreaterThan(0);
    for (const stage of stages) expect(stage).toMatch(new RegExp(`^FROM node:${major}-bookworm-slim\\b`));
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    // node itself is the container's process (no npm or shell in between), with the server's V8 settings.
    const command = ['node', ...SERVER_NODE_FLAGS, 'bin/passgate.js', 'start'];
    expect(lines.at(-1)).toBe(`CMD [${command.map((word) => JSON.stringify(word)).join(', ')}]`);
  });

  it('runs in production mode', () => {
    expect(dockerfile).toMatch(/^ENV PASSGATE_MODE=production\b/m);
  });

  it('runs as a non-root user and checks /readyz', () => {
    const user = lines.filter((line) => line.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/readyz/m);
  });

  it('keeps local state and dependencies out of the build context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'data', '.env']));
  });
});
