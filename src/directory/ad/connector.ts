import { readFileSync } from 'node:fs';
import { Client, ResultCodeError } from 'ldapts';
import type { ActiveDirectoryConfig } from '../../config/directory-schema.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { DirectoryErrors } from '../errors.js';

/**
 * Connections to the domain controllers. DCs are tried in configured order, and the next one
 * only when a DC cannot be reached (connection refused, timeout, TLS failure): an LDAP answer,
 * such as a refused password, is final and never repeated on another DC. The service account's
 * connection is kept open and shared by searches; each user bind gets a connection of its own,
 * always closed afterwards.
 */
export class AdConnector {
  private service?: Promise<Client>;
  private readonly tlsOptions: { ca?: Buffer; servername?: string };

  constructor(
    private readonly config: ActiveDirectoryConfig,
    private readonly bindPassword: string,
    private readonly logger: Logger,
  ) {
    this.tlsOptions = config.caFile ? { ca: readFileSync(config.caFile) } : {};
  }

  /** Runs searches as the service account; reconnects (and fails over) once if the connection broke. */
  async asService<T>(work: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.serviceClient();
      try {
        return await work(client);
      } catch (error) {
        if (!isTransportError(error) || attempt > 0) throw translate(error);
        this.dropService(client);
      }
    }
  }

  /** Runs `work` on a fresh connection of its own (a user bind), unbound whatever happens. */
  async fresh<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await work(client);
    } finally {
      await client.unbind().catch(() => {});
    }
  }

  /** Closes the shared service connection. */
  async close(): Promise<void> {
    const service = this.service;
    this.service = undefined;
    if (service) await (await service.catch(() => undefined))?.unbind().catch(() => {});
  }

  private serviceClient(): Promise<Client> {
    this.service ??= this.connect().then(async (client) => {
      try {
        await client.bind(this.config.bindDn, this.bindPassword);
        return client;
      } catch (error) {
        await client.unbind().catch(() => {});
        throw translate(error, 'the service account could not bind');
      }
    });
    const current = this.service;
    current.catch(() => {
      if (this.service === current) this.service = undefined;
    });
    return current;
  }

  private dropService(client: Client): void {
    this.service = undefined;
    void client.unbind().catch(() => {});
  }

  /** A connected (not yet bound) client on the first DC that answers. */
  private async connect(): Promise<Client> {
    const problems: string[] = [];
    for (const url of this.config.urls) {
      const client = new Client({
        url,
        timeout: this.config.timeoutSeconds * 1000,
        connectTimeout: this.config.timeoutSeconds * 1000,
        tlsOptions: this.tlsOptions,
        strictDN: false,
      });
      try {
        if (url.startsWith('ldap://') && this.config.startTls) await client.startTLS(this.tlsOptions);
        // ldapts connects lazily; a harmless root-DSE read proves the DC answers before we use it.
        await client.search('', { scope: 'base', attributes: ['defaultNamingContext'] });
        return client;
      } catch (error) {
        await client.unbind().catch(() => {});
        problems.push(`${url}: ${describeError(error)}`);
        this.logger.warn(
          { url, error: describeError(error) },
          'domain controller unreachable, trying the next one',
        );
      }
    }
    throw DirectoryErrors.DIRECTORY_UNAVAILABLE({
      detail: `no domain controller answered (${problems.join('; ')})`,
    });
  }
}

/** True for failures of the connection itself, as opposed to an LDAP result. */
export function isTransportError(error: unknown): boolean {
  return !(error instanceof ResultCodeError) && !DirectoryErrors.is(error);
}

function translate(error: unknown, context = 'the directory failed') {
  if (DirectoryErrors.is(error)) return error;
  if (isTransportError(error)) {
    return DirectoryErrors.DIRECTORY_UNAVAILABLE({
      detail: `${context}: ${describeError(error)}`,
      cause: error,
    });
  }
  return error;
}
