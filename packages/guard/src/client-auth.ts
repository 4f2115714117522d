/**
 * Builds an HTTP Basic Authorization value for client authentication. RFC 6749 §2.3.1
 * form-encodes the client id and secret before joining them.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}
