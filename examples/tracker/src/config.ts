/** Configuration of a standalone tracker (`npm start -w @tessera/example-tracker`), from environment variables. */
export interface TrackerConfig {
  host: string;
  port: number;
  /** The tracker's URL as clients reach it: the `self` links and the audience guard expects. */
  publicUrl: string | undefined;
  issuer: string;
  clientId: string;
  clientSecret: string;
  rolesFile: string;
  logLevel: string;
}

export const TRACKER_DEFAULTS = { host: '127.0.0.1', port: 8090, logLevel: 'info' } as const;

export class ConfigError extends Error {}

function required(env: NodeJS.ProcessEnv, name: string, meaning: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is missing: set it to ${meaning}.`);
  return value;
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return TRACKER_DEFAULTS.port;
  const port = Number(value);
  if (!/^[0-9]{1,5}$/.test(value) || port > 65535) throw new ConfigError(`TRACKER_PORT is "${value}"; use a whole number from 0 to 65535.`);
  return port;
}

/** Reads the configuration; throws ConfigError naming the variable that is missing or invalid. */
export function loadTrackerConfig(env: NodeJS.ProcessEnv = process.env): TrackerConfig {
  return {
    host: env.TRACKER_HOST || TRACKER_DEFAULTS.host,
    port: parsePort(env.TRACKER_PORT),
    publicUrl: env.TRACKER_PUBLIC_URL || undefined,
    issuer: required(env, 'TESSERA_ISSUER', "Tessera's issuer URL, such as http://127.0.0.1:8080"),
    clientId: required(env, 'TRACKER_CLIENT_ID', "the client id of the tracker's own service account"),
    clientSecret: required(env, 'TRACKER_CLIENT_SECRET', "the client secret of the tracker's own service account"),
    rolesFile: required(env, 'TRACKER_ROLES_FILE', 'the path of a JSON file with the roles per project (see roles.example.json)'),
    logLevel: env.TRACKER_LOG_LEVEL || TRACKER_DEFAULTS.logLevel,
  };
}
