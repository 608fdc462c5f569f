/** The longest value of one attribute (RFC 2865 §5: Length is one octet, 2 of them the header). */
const MAX_VALUE = 253;

/**
 * Splits a text into Reply-Message values of at most 253 octets, at character boundaries: the
 * client shows them one after another (RFC 2865 §5.18).
 */
export function replyMessages(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (const char of text) {
    if (Buffer.byteLength(current + char) > MAX_VALUE) {
      parts.push(current);
      current = '';
    }
    current += char;
  }
  if (current) parts.push(current);
  return parts;
}
