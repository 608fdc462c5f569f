import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

/** A FreeRADIUS (Debian's `freeradius`) proxy running for a test. */
export interface FreeRadiusProxy {
  /** `host:port` radclient sends to. */
  server: string;
  /** Its debug output so far (`-X`). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts FreeRADIUS 3 as a proxy in front of a RADIUS server: it accepts requests on a free
 * loopback port under `frontSecret` and forwards every one to `home` under `homeSecret`, as a
 * NAS's RADIUS server set up as a proxy (NPS-like) would.
 */
export async function startFreeRadiusProxy(options: {
  frontSecret: string;
  home: { host: string; port: number; secret: string };
}): Promise<FreeRadiusProxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-freeradius-'));
  for (const sub of ['run', 'log']) mkdirSync(path.join(dir, sub));
  const port = await freePort();
  writeFileSync(path.join(dir, 'dictionary'), '');
  writeFileSync(
    path.join(dir, 'radiusd.conf'),
    `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${dir}/log
raddbdir = ${dir}
radacctdir = ${dir}/log
name = freeradius
confdir = ${dir}
modconfdir = ${dir}
run_dir = ${dir}/run
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/run/freeradius.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
proxy_requests = yes
log {
	destination = stdout
}
security {
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
thread pool {
	start_servers = 1
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 2
}
client localhost {
	ipaddr = 127.0.0.1
	secret = ${options.frontSecret}
	require_message_authenticator = yes
}
proxy server {
	default_fallback = no
}
home_server passgate {
	type = auth
	ipaddr = ${options.home.host}
	port = ${options.home.port}
	secret = ${options.home.secret}
	response_window = 20
	status_check = none
}
home_server_pool passgate {
	type = fail-over
	home_server = passgate
}
realm DEFAULT {
	auth_pool = passgate
	nostrip
}
modules {
}
server proxy {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = ${port}
	}
	authorize {
		update control {
			&Proxy-To-Realm := DEFAULT
		}
	}
	authenticate {
	}
}
`,
  );
  let output = '';
  const child: ChildProcess = spawn('freeradius', ['-X', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 15_000;
  while (!output.includes('Ready to process requests')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`FreeRADIUS did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    server: `127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
