import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CHANNEL_NAMES } from '../../config/channels.js';
import type { GatewayType } from '../gateway.js';
import { maskDestination } from '../mask.js';

/** Settings of the outbox gateway (`type: outbox`). */
export const outboxSettings = z.strictObject({
  type: z
    .literal('outbox')
    .describe(
      'Writes each message as one JSON file into `<dataDir>/outbox` and logs its id and masked destination. Development only.',
    ),
  name: z.string().min(1).default('outbox').describe('Name used in logs and load-balancing policies.'),
});

/** Validated outbox settings. */
export type OutboxSettings = z.output<typeof outboxSettings>;

/**
 * The embedded development gateway: every channel "delivered" to a file someone trying Passgate
 * out can open. The file holds the whole message (that is its purpose); the log line does not.
 */
export const outboxGateway = {
  type: 'outbox',
  title: 'Outbox folder (development)',
  channels: CHANNEL_NAMES,
  settings: outboxSettings,
  create(settings, context) {
    const folder = path.join(context.dataDir, 'outbox');
    let made: Promise<unknown> | undefined;
    return {
      name: settings.name,
      type: 'outbox',
      channels: CHANNEL_NAMES,
      async send(message, signal) {
        made ??= mkdir(folder, { recursive: true, mode: 0o700 });
        await made;
        const file = path.join(folder, `${context.clock()}-${message.id.replace(/[^\w-]/g, '_')}.json`);
        await writeFile(file, `${JSON.stringify(message, null, 2)}\n`, { mode: 0o600, signal });
        context.logger.info(
          {
            gateway: settings.name,
            messageId: message.id,
            channel: message.channel,
            to: maskDestination(message.to),
            file: path.basename(file),
          },
          'outbox: message written (development gateway, nothing was sent)',
        );
        return { providerMessageId: path.basename(file, '.json') };
      },
    };
  },
} satisfies GatewayType<OutboxSettings>;
