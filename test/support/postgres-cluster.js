#!/usr/bin/env node
// A private, throw-away PostgreSQL cluster for the tests and the benchmark: initdb into a folder,
// started with pg_ctl on its own port and socket folder, leaving the system cluster alone.
// Usable as a module (startCluster/stopCluster) and from the shell:
//   node test/support/postgres-cluster.js start DIR PORT   -> prints the connection URL
//   node test/support/postgres-cluster.js stop DIR
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Folder holding initdb and pg_ctl of the newest installed PostgreSQL. */
export function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => b - a)
    : [];
  const dir = versions.map((v) => path.join(root, v, 'bin')).find((d) => existsSync(path.join(d, 'initdb')));
  if (!dir) {
    throw new Error('PostgreSQL server binaries not found; install them with: apt-get install -y postgresql');
  }
  return dir;
}

/** The file and arguments that run a PostgreSQL program (as the postgres user when we are root). */
function postgresCommand(command, args) {
  const bin = path.join(postgresBinDir(), command);
  // initdb and postgres refuse to run as root.
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

function asPostgresUser(command, args) {
  const [file, argv] = postgresCommand(command, args);
  return execFileSync(file, argv, { stdio: 'pipe' });
}

function ownedByPostgres(dir) {
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
}

/** Creates (if needed) and starts a cluster in `dir` on `port`; returns its URL. */
export function startCluster(dir, port) {
  const data = path.join(dir, 'data');
  const sockets = path.join(dir, 'run');
  ownedByPostgres(dir);
  ownedByPostgres(sockets);
  if (!existsSync(path.join(data, 'PG_VERSION'))) {
    asPostgresUser('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    writeFileSync(
      path.join(data, 'postgresql.auto.conf'),
      'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n',
    );
  }
  try {
    asPostgresUser('pg_ctl', ['-D', data, 'status']);
  } catch {
    asPostgresUser('pg_ctl', [
      '-D',
      data,
      '-w',
      '-t',
      '30',
      '-l',
      path.join(dir, 'postgres.log'),
      '-o',
      `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
  }
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/**
 * Restarts the cluster in `dir` the way an operator or a minor upgrade does (`pg_ctl restart -m
 * fast`: every session is terminated with 57P01). Asynchronous, so that a load running in the
 * same process keeps going while PostgreSQL goes away and comes back.
 */
export function restartCluster(dir) {
  const [file, argv] = postgresCommand('pg_ctl', [
    '-D',
    path.join(dir, 'data'),
    // The new server writes to the log file, not to our pipes (which would then never close).
    '-l',
    path.join(dir, 'postgres.log'),
    '-m',
    'fast',
    '-w',
    '-t',
    '30',
    'restart',
  ]);
  return new Promise((resolve, reject) => {
    execFile(file, argv, (error, _stdout, stderr) =>
      error ? reject(new Error(`pg_ctl restart failed: ${stderr || error.message}`)) : resolve(),
    );
  });
}

/** Stops the cluster in `dir` (fast shutdown) and, with `remove`, deletes it. */
export function stopCluster(dir, remove = false) {
  try {
    asPostgresUser('pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
  } catch {
    // not running
  }
  if (remove) rmSync(dir, { recursive: true, force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, dir, port] = process.argv.slice(2);
  if (command === 'start' && dir && port) console.log(startCluster(path.resolve(dir), Number(port)));
  else if (command === 'stop' && dir) stopCluster(path.resolve(dir), process.argv.includes('--remove'));
  else {
    console.error('usage: postgres-cluster.js start DIR PORT | stop DIR [--remove]');
    process.exit(2);
  }
}
