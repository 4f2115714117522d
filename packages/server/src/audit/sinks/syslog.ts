import { hostname } from 'node:os';
import { type Socket, connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { isIP } from 'node:net';
import type { SinkEvent } from './event-payload.js';
import { FACILITIES, type SyslogSettings, formatSyslogTarget } from './settings.js';

/**
 * SD-ID of Tessera's structured data element. 32473 is the private enterprise number that
 * RFC 5612 reserves for documentation, used here because Tessera has no number of its own.
 */
export const SD_ID = 'tessera@32473';
const SEVERITY_INFORMATIONAL = 6;
const SEVERITY_NOTICE = 5;
const BOM = '\uFEFF';
const CONNECT_TIMEOUT_MS = 10_000;
const SEND_TIMEOUT_MS = 30_000;

/** RFC 5424 header fields allow printable US-ASCII only; anything else becomes "_", an empty one "-". */
function headerField(value: string, maxLength: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '_').slice(0, maxLength);
  return cleaned === '' ? '-' : cleaned;
}

function sdValue(value: string | number): string {
  return String(value).replace(/[\\"\]]/g, (character) => `\\${character}`);
}

const HOSTNAME = headerField(hostname(), 255);

/**
 * Formats one event as an RFC 5424 message. The structured data carries the seq and hashes,
 * and MSG is the event as JSON, after the UTF-8 byte order mark that RFC 5424 §6.4 requires.
 */
export function syslogMessage(event: SinkEvent, settings: SyslogSettings): string {
  const severity = event.outcome === 'failure' ? SEVERITY_NOTICE : SEVERITY_INFORMATIONAL;
  const priority = FACILITIES.indexOf(settings.facility) * 8 + severity;
  const structuredData = `[${SD_ID} seq="${event.seq}" hash="${sdValue(event.hash)}" prevHash="${sdValue(event.prevHash)}" outcome="${sdValue(event.outcome)}"]`;
  const header = [`<${priority}>1`, event.occurredAt, HOSTNAME, headerField(settings.appName, 48), String(process.pid), headerField(event.action, 32)].join(' ');
  return `${header} ${structuredData} ${BOM}${JSON.stringify(event)}`;
}

/** RFC 6587 §3.4.1 octet counting: the message's length in bytes, a space, then the message. */
export function octetCountedFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

function openSocket(settings: SyslogSettings): { socket: Socket; ready: string } {
  if (!settings.tls) return { socket: connectTcp({ host: settings.host, port: settings.port }), ready: 'connect' };

  const socket = connectTls({
    host: settings.host,
    port: settings.port,
    ca: settings.caCertificate ?? undefined,
    // SNI takes host names only; the certificate is still checked against an IP address.
    servername: isIP(settings.host) ? undefined : settings.host,
    rejectUnauthorized: true,
  });
  return { socket, ready: 'secureConnect' };
}

/**
 * Sends the messages over one new connection, then closes it. The batch counts as delivered
 * once the receiver has read everything and closed its side too.
 * NOTE: syslog over TCP has no acknowledgement. A receiver that fails after reading a batch
 * but before storing it loses those events, which a webhook sink would retry.
 */
export function sendSyslog(settings: SyslogSettings, messages: string[], signal: AbortSignal): Promise<void> {
  const target = formatSyslogTarget(settings);
  if (signal.aborted) return Promise.reject(new Error(`sending to ${target} was abandoned because the server is stopping`));
  const { socket, ready } = openSocket(settings);

  return new Promise<void>((resolve, reject) => {
    let connected = false;
    let timer: NodeJS.Timeout;
    const fail = (reason: string) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(new Error(reason));
    };
    const onAbort = () => fail(`sending to ${target} was abandoned because the server is stopping`);
    timer = setTimeout(() => fail(`connecting to ${target} timed out after ${CONNECT_TIMEOUT_MS / 1000} s`), CONNECT_TIMEOUT_MS);
    signal.addEventListener('abort', onAbort, { once: true });

    socket.once(ready, () => {
      connected = true;
      clearTimeout(timer);
      timer = setTimeout(() => fail(`sending to ${target} timed out after ${SEND_TIMEOUT_MS / 1000} s`), SEND_TIMEOUT_MS);
      socket.end(Buffer.concat(messages.map(octetCountedFrame)));
    });
    // `on`, not `once`: a second error event without a listener would crash the process.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      let phase = settings.tls ? 'connecting with TLS to' : 'connecting to';
      if (connected) phase = 'sending to';
      fail(`${phase} ${target} failed: ${error.code ?? error.message}${error.code && settings.tls && !connected ? ` (${error.message})` : ''}`);
    });
    socket.once('close', (hadError) => {
      if (hadError) return;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (connected) resolve();
      else reject(new Error(`${target} closed the connection before it was established`));
    });
  });
}
