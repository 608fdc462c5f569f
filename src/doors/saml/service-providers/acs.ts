import { SamlErrors } from '../errors.js';
import type { ServiceProvider } from './service-provider.js';
import type { AcsEndpoint } from './sp-metadata.js';

/** What an AuthnRequest says about where the response should go (both optional). */
export interface AcsRequest {
  url?: string | undefined;
  index?: number | undefined;
}

/**
 * The consumer service a response goes to. Only the SP's metadata decides: a URL or index from
 * the request is honoured when the metadata lists it, and refused (SAML_ACS_NOT_ALLOWED)
 * otherwise; without either, the metadata's default (isDefault, else the lowest index, else the
 * first).
 */
export function pickAcs(sp: ServiceProvider, request: AcsRequest = {}): AcsEndpoint {
  if (request.url !== undefined) {
    const found = sp.acs.find((a) => a.url === request.url);
    if (!found)
      throw SamlErrors.SAML_ACS_NOT_ALLOWED({
        detail: `${sp.name}: ACS URL not in metadata: ${request.url}`,
      });
    return found;
  }
  if (request.index !== undefined) {
    const found = sp.acs.find((a) => a.index === request.index);
    if (!found)
      throw SamlErrors.SAML_ACS_NOT_ALLOWED({ detail: `${sp.name}: no ACS with index ${request.index}` });
    return found;
  }
  const indexed = [...sp.acs].sort(
    (a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER),
  );
  return sp.acs.find((a) => a.isDefault) ?? indexed[0]!;
}
