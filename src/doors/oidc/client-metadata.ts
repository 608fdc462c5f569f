import type { ClientMetadata } from 'oidc-provider';

/** A client as oidc-provider holds it: its metadata is rebuilt on every `metadata()` call. */
interface WithMetadata {
  metadata(): ClientMetadata;
}

const computed = new WeakMap<WithMetadata, Readonly<ClientMetadata>>();

/**
 * A client's registered metadata (snake_case keys), computed once per client instance: oidc-provider's
 * `metadata()` maps every property name again on each call, and a sign-in asks three or four times.
 * The clients come from the metadata folder and never change; a reload builds new instances.
 */
export function clientMetadata(client: WithMetadata): Readonly<ClientMetadata> {
  let metadata = computed.get(client);
  if (metadata === undefined) {
    metadata = Object.freeze(client.metadata());
    computed.set(client, metadata);
  }
  return metadata;
}
