import { Type } from '@sinclair/typebox';
import { RequestError } from '../accounts/errors.js';
import {
  DEFAULT_APP_NAME,
  DEFAULT_FACILITY,
  FACILITIES,
  type Facility,
  type SinkSettings,
  type SyslogSettings,
  isSyslog,
  parseCaCertificate,
  parseSyslogTarget,
  parseWebhookUrl,
} from '../audit/sinks/settings.js';
import { DisplayName, StringEnum } from './schemas.js';

const SyslogFields = {
  tls: Type.Optional(Type.Boolean()),
  caCertificate: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 65_536 }), Type.Null()])),
  facility: Type.Optional(StringEnum(FACILITIES)),
  appName: Type.Optional(Type.String({ minLength: 1, maxLength: 48, pattern: '^[\\x21-\\x7e]+$' })),
};

export const CreateSinkBody = Type.Object(
  {
    name: DisplayName(100),
    type: StringEnum(['syslog', 'webhook'] as const),
    target: Type.String({ minLength: 1, maxLength: 2000 }),
    enabled: Type.Optional(Type.Boolean()),
    startFrom: Type.Optional(Type.Union([StringEnum(['now', 'beginning'] as const), Type.Integer({ minimum: 1 })])),
    ...SyslogFields,
  },
  { additionalProperties: false },
);

export const UpdateSinkBody = Type.Object(
  {
    name: Type.Optional(DisplayName(100)),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    enabled: Type.Optional(Type.Boolean()),
    ...SyslogFields,
  },
  { additionalProperties: false, minProperties: 1 },
);

export interface SinkInput {
  name?: string;
  type?: 'syslog' | 'webhook';
  target?: string;
  enabled?: boolean;
  startFrom?: 'now' | 'beginning' | number;
  tls?: boolean;
  caCertificate?: string | null;
  facility?: Facility;
  appName?: string;
}

const SYSLOG_ONLY = ['tls', 'caCertificate', 'facility', 'appName'] as const;

/**
 * Builds a sink's settings from a request, over its current settings when it is updated.
 * Fields of the other sink type are rejected rather than ignored.
 */
export function sinkSettings(type: 'syslog' | 'webhook', input: SinkInput, current?: SinkSettings): SinkSettings {
  if (type === 'webhook') {
    const misplaced = SYSLOG_ONLY.find((field) => input[field] !== undefined);
    if (misplaced) throw new RequestError('validation_failed', `${misplaced} applies only to syslog sinks; remove it from a webhook sink.`, misplaced);
    return { url: input.target === undefined ? (current as { url: string }).url : parseWebhookUrl(input.target) };
  }

  const base: SyslogSettings | undefined = current && isSyslog(current) ? current : undefined;
  const address = input.target === undefined ? base! : parseSyslogTarget(input.target);
  let caCertificate = base?.caCertificate ?? null;
  if (input.caCertificate !== undefined) caCertificate = input.caCertificate === null ? null : parseCaCertificate(input.caCertificate);

  const settings: SyslogSettings = {
    host: address.host,
    port: address.port,
    tls: input.tls ?? base?.tls ?? false,
    caCertificate,
    facility: input.facility ?? base?.facility ?? DEFAULT_FACILITY,
    appName: input.appName ?? base?.appName ?? DEFAULT_APP_NAME,
  };
  if (settings.caCertificate !== null && !settings.tls) {
    throw new RequestError('validation_failed', 'caCertificate is used only with TLS; set tls to true, or remove caCertificate.', 'caCertificate');
  }
  return settings;
}

/** The cursor a new sink starts at: the seq before the first event it should receive. */
export function startCursor(startFrom: SinkInput['startFrom'], headSeq: number): number {
  if (startFrom === undefined || startFrom === 'now') return headSeq;
  if (startFrom === 'beginning') return 0;
  if (startFrom > headSeq + 1) {
    throw new RequestError('validation_failed', `startFrom ${startFrom} is beyond the newest event (${headSeq}); use a seq up to ${headSeq + 1}, or "now".`, 'startFrom');
  }
  return startFrom - 1;
}
