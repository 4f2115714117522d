import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { RequestError } from '../../accounts/errors.js';

/** RFC 5424 §6.2.1 facility names, in code order (kern = 0 … local7 = 23). */
export const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'audit', 'alert', 'clock', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;
export type Facility = (typeof FACILITIES)[number];

export const DEFAULT_FACILITY: Facility = 'audit';
export const DEFAULT_APP_NAME = 'tessera';

export interface SyslogSettings {
  host: string;
  port: number;
  tls: boolean;
  /** PEM certificates that the receiver's certificate must chain to; null uses Node's bundled CAs. */
  caCertificate: string | null;
  facility: Facility;
  appName: string;
}

export interface WebhookSettings {
  url: string;
}

export type SinkSettings = SyslogSettings | WebhookSettings;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Splits a syslog target written host:port or [IPv6]:port. */
export function parseSyslogTarget(raw: string): { host: string; port: number } {
  const match = /^\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})$/.exec(raw) ?? /^([^:[\]]+):([0-9]{1,5})$/.exec(raw);
  const hint = 'write it as host:port, such as siem.example.com:6514 or [2001:db8::1]:6514';
  if (!match) throw new RequestError('validation_failed', `target "${raw.slice(0, 200)}" is not a syslog address; ${hint}.`, 'target');

  const [, host, portText] = match;
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new RequestError('validation_failed', `target port ${portText} is out of range; use a port from 1 to 65535.`, 'target');
  const bracketed = raw.startsWith('[');
  if (bracketed ? isIP(host) !== 6 : isIP(host) === 0 && !HOSTNAME.test(host)) {
    throw new RequestError('validation_failed', `target host "${host.slice(0, 200)}" is not a valid host name or IP address; ${hint}.`, 'target');
  }
  return { host, port };
}

export function formatSyslogTarget(settings: SyslogSettings): string {
  return isIP(settings.host) === 6 ? `[${settings.host}]:${settings.port}` : `${settings.host}:${settings.port}`;
}

/** Checks a webhook URL: absolute http or https, with no credentials or fragment, which the view would show. */
export function parseWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RequestError('validation_failed', `target "${raw.slice(0, 200)}" is not an absolute URL; use the receiver's http or https URL, such as https://siem.example.com/tessera.`, 'target');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RequestError('validation_failed', `target must use http or https; got "${url.protocol.replace(/:$/, '')}".`, 'target');
  }
  if (url.username || url.password) {
    throw new RequestError('validation_failed', 'target must not contain a user name or password; Tessera signs each request with the sink secret instead.', 'target');
  }
  if (url.hash) throw new RequestError('validation_failed', 'target must not contain a fragment (#…); remove it.', 'target');
  return url.href;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Checks that text is one or more PEM certificates and nothing else. */
export function parseCaCertificate(raw: string): string {
  const blocks = raw.match(PEM_BLOCK) ?? [];
  const rest = raw.replace(PEM_BLOCK, '').trim();
  const hint = 'give the CA certificate in PEM, starting with -----BEGIN CERTIFICATE-----';
  if (blocks.length === 0 || rest !== '') throw new RequestError('validation_failed', `caCertificate is not a PEM certificate; ${hint}.`, 'caCertificate');

  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new RequestError('validation_failed', `caCertificate contains a PEM block that is not a valid X.509 certificate; ${hint}.`, 'caCertificate');
    }
  }
  return blocks.join('\n');
}

export function isSyslog(settings: SinkSettings): settings is SyslogSettings {
  return 'host' in settings;
}
