import { Type } from '@sinclair/typebox';

/**
 * No leading or trailing whitespace, no control characters, and no bidirectional overrides,
 * which can make a name display as something else.
 */
export const DISPLAY_NAME_PATTERN = '^[^\\s\\x00-\\x1f\\x7f\\u202a-\\u202e\\u2066-\\u2069](?:[^\\x00-\\x1f\\x7f\\u202a-\\u202e\\u2066-\\u2069]*[^\\s\\x00-\\x1f\\x7f\\u202a-\\u202e\\u2066-\\u2069])?$';
export const SLUG_PATTERN = '^[a-z0-9][a-z0-9-]*[a-z0-9]$';

export const DisplayName = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: DISPLAY_NAME_PATTERN });

/**
 * A string that must be one of a few values, as a JSON Schema enum, so that a wrong value is
 * reported with the list of allowed values.
 */
export const StringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export const ResourceRestrictionsSchema = Type.Record(
  Type.String({ minLength: 1, maxLength: 64 }),
  Type.Union([Type.Literal('*'), Type.Array(Type.String({ minLength: 1, maxLength: 255, pattern: DISPLAY_NAME_PATTERN }), { maxItems: 1000 })]),
);

export const AccessGrantSchema = Type.Object(
  {
    instance: Type.String({ minLength: 1, maxLength: 200 }),
    scopes: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 50 }),
    resources: Type.Optional(ResourceRestrictionsSchema),
  },
  { additionalProperties: false },
);

export const AccessSchema = Type.Array(AccessGrantSchema, { maxItems: 100 });

export const CredentialRequestSchema = Type.Object(
  {
    expiresInDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()])),
  },
  { additionalProperties: false },
);

/** Query schema of a route that takes no query parameters, so that a typo is reported. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

export const PageQuery = {
  limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', maxLength: 10 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
};

/** A contact; `address` goes with type email and `url` with type webhook, which the route checks. */
export const ContactSchema = Type.Object(
  {
    type: StringEnum(['email', 'webhook'] as const),
    address: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const RateLimitSchema = Type.Union([
  Type.Object(
    {
      perMinute: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 100_000 }), Type.Null()])),
      perDay: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 100_000_000 }), Type.Null()])),
      mode: Type.Optional(StringEnum(['enforce', 'log_only'] as const)),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

/** Fields of an account that set who answers for it and its own guardrails, shared by POST and PATCH. */
export const AccountGuardrailFields = {
  purpose: Type.Optional(Type.String({ maxLength: 2000 })),
  contacts: Type.Optional(Type.Array(ContactSchema, { maxItems: 50 })),
  reviewDate: Type.Optional(Type.Union([Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), Type.Null()])),
  ipAllowlist: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 500 }), Type.Null()])),
  rateLimit: Type.Optional(RateLimitSchema),
  dpopBound: Type.Optional(Type.Boolean()),
};
