/**
 * Names of the access-token claims that Tessera adds to the RFC 9068 set. Guard reads the
 * same names, so they live here and nowhere else.
 */
export const CLAIMS = {
  clientId: 'client_id',
  scope: 'scope',
  /** Id of the credential (client secret) that authenticated the token request. */
  credentialId: 'credential_id',
  /** Slug of the product instance that the audience names. */
  instance: 'instance',
  /** Resource restrictions: resource type to a list of ids, or to the wildcard "*". */
  resources: 'resources',
  /**
   * The account's token generation when the token was issued. Disabling the account or
   * narrowing its grant starts a new generation, and tokens of older ones are inactive.
   */
  generation: 'generation',
} as const;

export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Resource restrictions of a grant. A type that is absent means no access to that type. */
export type ResourceRestrictions = Record<string, string[] | '*'>;
