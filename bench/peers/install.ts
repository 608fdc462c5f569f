import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../server.js';

/** The peers' set-ups as shipped (read-only): BENCH_PEERS_DIR, or ../shared/peers next to the checkout. */
export function sharedPeersDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.BENCH_PEERS_DIR || path.resolve(REPO_ROOT, '..', 'shared', 'peers');
  if (!existsSync(path.join(dir, 'common', 'lib.js')))
    throw new Error(
      `no peer set-ups in ${dir}: set BENCH_PEERS_DIR to the peers folder (README.md, common/, ...)`,
    );
  return dir;
}

/**
 * A working copy of the peers' set-ups in a new temporary folder: every `@PEERS@` replaced by that
 * folder, which www-data (nginx, PHP-FPM, the LemonLDAP::NG workers) may enter. LemonLDAP::NG's
 * cookie domain cannot be an IP address (`lemonldap-ng-cli merge` answers __badDomainName__), so its
 * portal becomes http://auth.peers.test:8082/ in the domain peers.test; the bench reaches that name
 * on 127.0.0.1 with the Host header kept (see Browser), and registers rtyler's TOTP device itself.
 */
export function renderPeers(sharedDir: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-peers-'));
  cpSync(sharedDir, dir, { recursive: true });
  chmodSync(dir, 0o755);
  for (const name of readdirSync(dir, { recursive: true })) {
    const file = path.join(dir, String(name));
    if (!statSync(file).isFile()) continue;
    const text = readFileSync(file, 'utf8');
    if (text.includes('@PEERS@')) writeFileSync(file, text.replaceAll('@PEERS@', dir));
  }
  const merge = path.join(dir, 'lemonldap-ng', 'merge.json');
  const config = JSON.parse(readFileSync(merge, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    merge,
    JSON.stringify(
      {
        ...config,
        portal: `http://${LLNG_PORTAL_HOST}/`,
        domain: 'peers.test',
        // The portal's own pages (TOTP registration): nginx names the virtual host 127.0.0.1.
        locationRules: { '127.0.0.1': { default: 'accept' } },
      },
      null,
      1,
    ),
  );
  // Its TOTP device is registered by the bench (lemonldap.ts), through the portal's own name.
  const init = path.join(dir, 'lemonldap-ng', 'init.sh');
  writeFileSync(init, readFileSync(init, 'utf8').replace(/^node register-totp\.js.*$/m, ''));
  return dir;
}

/** The LemonLDAP::NG portal's host name and port, as its configuration and cookies name them. */
export const LLNG_PORTAL_HOST = 'auth.peers.test:8082';

/** Installs the Debian packages of a peer that are missing (as root, apt-get through the peers' inst.sh). */
export function installPackages(
  dir: string,
  name: string,
  packages: readonly string[],
  log: (line: string) => void,
): void {
  const missing = packages.filter((p) => !isInstalled(p));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(
      `${name}: packages missing (${missing.join(' ')}); install them as root or run the bench as root`,
    );
  log(`${name}: installing ${missing.join(' ')}`);
  spawnSync('bash', [path.join(dir, 'inst.sh'), name, ...missing], { stdio: 'ignore' });
  const still = missing.filter((p) => !isInstalled(p));
  if (still.length > 0)
    throw new Error(
      `${name}: apt-get could not install ${still.join(' ')} (see ${path.join(dir, `install-${name}.log`)})`,
    );
}

function isInstalled(debianPackage: string): boolean {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template
  const format = '-f=${Status}';
  return spawnSync('dpkg-query', ['-W', format, debianPackage], { encoding: 'utf8' }).stdout.includes(
    'install ok installed',
  );
}

/**
 * Runs one of a peer's shell scripts in its folder; throws with the end of its output when it fails.
 * The output goes to a file, not a pipe: daemons started with a pipe for stdout (LemonLDAP::NG's
 * FastCGI server) lose their workers when it closes.
 */
export function runScript(cwd: string, script: string): string {
  const logFile = path.join(cwd, `${path.basename(script, '.sh')}.out`);
  const out = openSync(logFile, 'w');
  try {
    const run = spawnSync('bash', [script], { cwd, stdio: ['ignore', out, out], timeout: 120_000 });
    const output = readFileSync(logFile, 'utf8');
    if (run.status !== 0) throw new Error(`${path.basename(cwd)}/${script} failed: ${output.slice(-500)}`);
    return output;
  } finally {
    closeSync(out);
  }
}

/** Waits until `probe` resolves true (up to 30 s). */
export async function waitUntil(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not answer within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
