import type { Clock } from '../clock.js';
import { ConfigErrors } from '../config/errors.js';
import type { Logger } from '../observability/logger.js';
import type { DeliveryAttemptsRepository } from '../store/repositories/delivery-attempts.js';
import { Dispatcher } from './dispatcher.js';
import { DispatchErrors } from './errors.js';
import type { Receipt } from './gateway.js';
import type { LoadBalancingPolicy } from './load-balancing-policy.js';
import { createGateway, type GatewaySettings } from './registry.js';

/** Everything the dispatcher needs, given by the composition root. */
export interface DispatcherInputs {
  /** `config.dispatch`. */
  dispatch: { gateways: readonly GatewaySettings[] };
  /**
   * Reads the stored Load Balancing Policies (src/policy/load-balancing-store.ts); each one that
   * no longer validates is reported through `onInvalid` and left out.
   */
  loadPolicies(onInvalid: (error: Error) => void): Promise<LoadBalancingPolicy[]>;
  attempts: DeliveryAttemptsRepository;
  logger: Logger;
  clock: Clock;
  /** `config.dataDir` (the outbox folder lives there). */
  dataDir: string;
  /** Where `{env.NAME}` placeholders come from; the process environment unless given. */
  env?: Readonly<Record<string, string | undefined>>;
  /** How long stored policies are used before they are read again (default 10 s). */
  policyCacheMs?: number;
}

/**
 * Builds the gateways of the configuration and the dispatcher over them. A gateway whose
 * settings cannot work (an unset environment variable, an unknown placeholder) stops the start
 * here with GATEWAY_MISCONFIGURED naming it.
 */
export function createDispatcher(inputs: DispatcherInputs): Dispatcher {
  const logger = inputs.logger.child({ module: 'dispatch' });
  let dispatcher: Dispatcher | undefined;
  const context = {
    dataDir: inputs.dataDir,
    logger,
    clock: inputs.clock,
    env: inputs.env ?? process.env,
    onReceipt: (receipt: Receipt) => void dispatcher?.recordReceipt(receipt),
  };
  const gateways = [];
  try {
    for (const settings of inputs.dispatch.gateways) gateways.push(createGateway(settings, context));
  } catch (error) {
    for (const gateway of gateways) void gateway.close?.();
    // A gateway that cannot work is a configuration error like any other (exit code 2).
    if (DispatchErrors.is(error, 'GATEWAY_MISCONFIGURED'))
      throw ConfigErrors.CONFIG_INVALID({ detail: error.message });
    throw error;
  }
  dispatcher = new Dispatcher({
    gateways,
    loadPolicies: () =>
      inputs.loadPolicies((error) => logger.warn({ error: error.message }, 'dispatch: policy ignored')),
    attempts: inputs.attempts,
    logger,
    clock: inputs.clock,
    ...(inputs.policyCacheMs === undefined ? {} : { policyCacheMs: inputs.policyCacheMs }),
  });
  return dispatcher;
}
