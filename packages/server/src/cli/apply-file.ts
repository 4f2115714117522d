import { readFileSync } from 'node:fs';
import { type Static, Type, TypeRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseDocument } from 'yaml';
import { PolicyBody } from '../admin-api/policy-input.js';
import { AccessSchema, AccountGuardrailFields, CredentialRequestSchema, DisplayName, SLUG_PATTERN, StringEnum } from '../admin-api/schemas.js';
import { parseStrictJson } from '../admin-api/strict-json.js';

/**
 * The file that `tessera apply` reads: the desired instances, policy and accounts. It reuses the
 * admin API's own schemas, so a file that passes here fails on the server only for reasons that
 * need the server's data, such as an unknown scope of an instance's profile.
 */

// The admin API's StringEnum is an Unsafe schema that only the HTTP validator can check, so
// Value needs the rule spelled out.
if (!TypeRegistry.Has('Unsafe')) {
  TypeRegistry.Set('Unsafe', (schema: { enum?: unknown[] }, value: unknown) => !schema.enum || schema.enum.includes(value));
}

const InstanceEntry = Type.Object(
  {
    slug: Type.String({ minLength: 2, maxLength: 63, pattern: SLUG_PATTERN }),
    name: DisplayName(200),
    profile: Type.String({ minLength: 1, maxLength: 64 }),
    audience: Type.String({ minLength: 1, maxLength: 2000 }),
    accessTokenLifetimeSeconds: Type.Optional(Type.Union([Type.Integer({ minimum: 60, maximum: 86_400 }), Type.Null()])),
    tokenFormat: Type.Optional(StringEnum(['jwt', 'opaque'] as const)),
  },
  { additionalProperties: false },
);

const AccountEntry = Type.Object(
  {
    name: DisplayName(100),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(StringEnum(['active', 'disabled'] as const)),
    access: Type.Optional(AccessSchema),
    ...AccountGuardrailFields,
    /** Used only when the account is created; later runs leave credentials alone. */
    credential: Type.Optional(CredentialRequestSchema),
  },
  { additionalProperties: false },
);

const ApplyFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    instances: Type.Optional(Type.Array(InstanceEntry, { maxItems: 1000 })),
    policy: Type.Optional(PolicyBody),
    accounts: Type.Optional(Type.Array(AccountEntry, { maxItems: 10_000 })),
  },
  { additionalProperties: false },
);

export type ApplyFile = Static<typeof ApplyFileSchema>;
export type InstanceSpec = Static<typeof InstanceEntry>;
export type AccountSpec = Static<typeof AccountEntry>;

/** A problem with the file; `path` names the place, such as `accounts[2].access[0].scopes`. */
export class FileError extends Error {
  override name = 'FileError';

  constructor(
    readonly path: string,
    message: string,
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}

/** Turns a JSON pointer such as /accounts/2/access/0 into accounts[2].access[0]. */
function pathOf(pointer: string): string {
  let path = '';
  for (const part of pointer.split('/').slice(1).map((item) => item.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else path = path ? `${path}.${part}` : part;
  }
  return path;
}

function parseText(text: string, file: string): unknown {
  if (file.endsWith('.json')) {
    try {
      return parseStrictJson(text);
    } catch (error) {
      throw new FileError('', `${file} is not valid JSON: ${(error as Error).message}`);
    }
  }

  // YAML 1.2, where only true and false are booleans; a repeated key is an error.
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) throw new FileError('', `${file} is not valid YAML: ${document.errors[0].message}`);
  return document.toJS({ maxAliasCount: 100 });
}

function requireUnique(values: string[], section: string, field: string, what: string): void {
  const seen = new Map<string, number>();
  values.forEach((value, index) => {
    const first = seen.get(value);
    if (first !== undefined) throw new FileError(`${section}[${index}].${field}`, `${what} "${value}" is already described at ${section}[${first}]; describe each once.`);
    seen.set(value, index);
  });
}

/** Reads and checks an apply file, JSON when its name ends in .json and YAML otherwise. */
export function loadApplyFile(file: string): ApplyFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FileError('', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }

  const value = parseText(text, file);
  const first = Value.Errors(ApplyFileSchema, value).First();
  if (first) {
    const hint = first.path === '/version' ? ' (write version: 1)' : '';
    const allowed = (first.schema as { enum?: string[] }).enum;
    const message = allowed ? `Expected one of ${allowed.join(', ')}` : first.message;
    throw new FileError(pathOf(first.path), `${message}${hint}; got ${JSON.stringify(first.value)?.slice(0, 100) ?? 'nothing'}.`);
  }

  const parsed = value as ApplyFile;
  requireUnique((parsed.instances ?? []).map((entry) => entry.slug), 'instances', 'slug', 'instance');
  requireUnique((parsed.accounts ?? []).map((entry) => entry.name), 'accounts', 'name', 'account');
  return parsed;
}
