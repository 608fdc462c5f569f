/**
 * The device model as far as an ActiveSync User-Agent tells it (`Apple-iPhone15C2/2101.1` →
 * `iPhone15C2`, `SAMSUNG-SM-G991B/101.130102` → `SAMSUNG-SM-G991B`, `Android/13-EAS-2.0` →
 * `Android`), shown to the owner who approves the device; null when there is no User-Agent.
 */
export function modelOf(userAgent: string | null | undefined): string | null {
  const product = userAgent
    ?.trim()
    .split(/[\s/]/, 1)[0]
    ?.replace(/^Apple-/, '');
  return product ? product.slice(0, 100) : null;
}
