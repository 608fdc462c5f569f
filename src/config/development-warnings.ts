import path from 'node:path';
import { defaultDatabaseUrl, sqliteFileOf } from './database-url.js';
import type { Config } from './load.js';
import { isLoopbackHost } from './loopback.js';

/**
 * Options that are fine for trying Passgate out but not for production, each named by its key so
 * an operator sees in the first lines of the log every default still in force.
 */
export function developmentWarnings(config: Config, publicUrl: string): string[] {
  const warnings: string[] = [];
  if (config.mode === 'development') {
    warnings.push(
      'mode is development: the outbox and a generated master key are allowed; set PASSGATE_MODE=production (NODE_ENV does not change the mode)',
    );
  }
  if (!config.secrets.masterKey) {
    warnings.push(
      `secrets.masterKey is not set: keys and secrets are encrypted with a generated development key in ${path.join(config.dataDir, 'master.key')}`,
    );
  }
  if (!config.server.publicUrl) {
    warnings.push(
      `server.publicUrl is not set: the issuer is ${publicUrl}, which only this machine can reach; set PASSGATE_PUBLIC_URL`,
    );
  } else if (publicUrl.startsWith('http:')) {
    warnings.push(
      `server.publicUrl ${publicUrl} is plain http: browsers and relying parties need https in production`,
    );
  }
  if (config.database.url === defaultDatabaseUrl(config.dataDir)) {
    warnings.push(
      `database.url is not set: data is kept in SQLite at ${sqliteFileOf(config.database.url)}, for one server only; set PASSGATE_DATABASE_URL (postgres://...) for more`,
    );
  }
  if (config.directory.type === 'local') {
    warnings.push(
      "directory.type is local: users and passwords are kept in the local directory of Passgate's own database, not in Active Directory",
    );
  }
  if (config.dispatch.gateways.some((g) => g.type === 'outbox')) {
    warnings.push(
      `dispatch.gateways uses the outbox dispatcher: passcodes are written to ${path.join(config.dataDir, 'outbox')}, not sent`,
    );
  }
  const metricsHost = config.metrics.listen?.replace(/:\d+$/, '');
  if (metricsHost && !isLoopbackHost(metricsHost) && !config.metrics.tokenEnv && !config.metrics.tokenFile) {
    warnings.push(
      `metrics.listen ${config.metrics.listen} serves /metrics to the network without a token; set metrics.tokenEnv or metrics.tokenFile, or listen on 127.0.0.1`,
    );
  }
  return warnings;
}
