import QRCode from 'qrcode';

/**
 * A QR code of an otpauth:// URI as a `data:` PNG for an `<img>` (the Content-Security-Policy
 * allows data: images; no script draws it, so it works without JavaScript). Medium error
 * correction and a quiet zone, as phone cameras read best.
 */
export function qrCodeDataUrl(text: string): Promise<string> {
  return QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 4, scale: 6 });
}
