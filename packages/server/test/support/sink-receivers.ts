import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingHttpHeaders, createServer as createHttpServer } from 'node:http';
import { type AddressInfo, type Server, type Socket, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';

/** Splits RFC 6587 octet-counted frames off the front of a buffer; returns the messages and the rest. */
export function parseOctetCounted(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let rest = buffer;
  for (;;) {
    const space = rest.indexOf(0x20);
    if (space < 0) break;
    const length = Number(rest.subarray(0, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0) throw new Error(`malformed octet-counted frame: "${rest.subarray(0, space + 1).toString()}"`);
    if (rest.length < space + 1 + length) break;
    messages.push(rest.subarray(space + 1, space + 1 + length).toString('utf8'));
    rest = rest.subarray(space + 1 + length);
  }
  return { messages, rest };
}

export interface SyslogMessage {
  raw: string;
  priority: number;
  appName: string;
  msgId: string;
  structuredData: string;
  event: any;
}

/** Parses the RFC 5424 fields Tessera writes: header, one structured data element, then BOM and JSON. */
export function parseSyslogMessage(raw: string): SyslogMessage {
  const match = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\[[^\]]*\]) \uFEFF(.*)$/s.exec(raw);
  if (!match) throw new Error(`not an RFC 5424 message as Tessera writes them: ${raw.slice(0, 200)}`);
  return { raw, priority: Number(match[1]), appName: match[4], msgId: match[6], structuredData: match[7], event: JSON.parse(match[8]) };
}

/** A syslog receiver on 127.0.0.1 (plain TCP, or TLS with the given key and certificate) that can go down and come back on its port. */
export class SyslogReceiver {
  readonly messages: SyslogMessage[] = [];
  port = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly tls?: { key: string; cert: string }) {}

  async start(): Promise<void> {
    const onConnection = (socket: Socket) => {
      this.sockets.add(socket);
      let buffer: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        const parsed = parseOctetCounted(Buffer.concat([buffer, chunk]));
        buffer = parsed.rest;
        for (const message of parsed.messages) this.messages.push(parseSyslogMessage(message));
      });
      socket.on('end', () => socket.end());
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    };
    this.server = this.tls ? createTlsServer({ key: this.tls.key, cert: this.tls.cert }, onConnection) : createTcpServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  seqs(): number[] {
    return this.messages.map((message) => message.event.seq);
  }
}

export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

/** A webhook receiver on 127.0.0.1 that responds with `status` and records the batches it accepted. */
export class WebhookReceiver {
  status = 200;
  /** While true, requests get no response at all, like a receiver that hangs. */
  hang = false;
  hung = 0;
  readonly accepted: WebhookRequest[] = [];
  rejected = 0;
  port = 0;
  private readonly server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (this.hang) {
        this.hung += 1;
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      if (this.status >= 200 && this.status < 300) this.accepted.push({ headers: request.headers, body, json: JSON.parse(body) });
      else this.rejected += 1;
      response.writeHead(this.status, { 'content-type': 'text/plain' }).end(this.status < 300 ? 'ok' : 'unavailable');
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/tessera-audit`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  seqs(): number[] {
    return this.accepted.flatMap((request) => request.json.events.map((event: any) => event.seq));
  }
}

/** Creates a self-signed certificate for 127.0.0.1, valid for one day, with the openssl command line tool. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(directory, 'key.pem'), '-out', join(directory, 'cert.pem'),
    ], { stdio: 'pipe' });
    return { key: readFileSync(join(directory, 'key.pem'), 'utf8'), cert: readFileSync(join(directory, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Polls `check` every 20 ms until it returns true, and fails after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
