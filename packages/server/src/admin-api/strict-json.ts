import { RequestError } from '../accounts/errors.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a request body as UTF-8, the only charset JSON allows (RFC 8259 §8.1), rejecting
 * invalid bytes instead of replacing them.
 */
export function decodeUtf8(body: Buffer, contentType: string | undefined): string {
  const charset = /;\s*charset=("?)([^";]+)\1/i.exec(contentType ?? '')?.[2]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new RequestError('unsupported_media_type', `The charset "${charset}" is not accepted; send the JSON body as UTF-8.`);
  }
  try {
    return UTF8.decode(body);
  } catch {
    throw new RequestError('invalid_json', 'The request body is not valid UTF-8; send the JSON body as UTF-8.');
  }
}

/**
 * Parses JSON and rejects an object that repeats a key, instead of letting the last value
 * win without a word. It also rejects "__proto__" keys, which could reach an object's
 * prototype, and unpaired surrogates, which cannot be stored as UTF-8.
 */
export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RequestError('invalid_json', `The request body is not valid JSON: ${(error as Error).message}`);
  }

  checkKeysAndStrings(text);
  return value;
}

interface Frame {
  isObject: boolean;
  keys: Set<string>;
  expectKey: boolean;
  path: string;
  /** Index of the current element, for arrays. */
  index: number;
}

/** Path of a value inside the frame: the key for objects, the index for arrays. */
function fieldOf(frame: Frame, key: string): string {
  if (!frame.isObject) return `${frame.path}[${frame.index}]`;
  return frame.path ? `${frame.path}.${key}` : key;
}

/** Walks already-valid JSON text and throws on the first repeated key or unpaired surrogate. */
function checkKeysAndStrings(text: string): void {
  const stack: Frame[] = [];
  let lastKey = '';

  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const top = stack.at(-1);

    if (char === '{' || char === '[') {
      let parentPath = '';
      if (top?.isObject) parentPath = top.path ? `${top.path}.${lastKey}` : lastKey;
      else if (top) parentPath = `${top.path}[${top.index}]`;
      stack.push({ isObject: char === '{', keys: new Set(), expectKey: char === '{', path: parentPath, index: 0 });
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === ',' && top?.isObject) {
      top.expectKey = true;
    } else if (char === ',' && top) {
      top.index += 1;
    } else if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;

      const value = JSON.parse(text.slice(i, end + 1)) as string;
      const isKey = top?.isObject === true && top.expectKey;
      const field = top ? fieldOf(top, isKey ? value : lastKey) : '';

      // A lone surrogate escape such as \ud800 is valid JSON but cannot be stored as UTF-8.
      if (!value.isWellFormed()) {
        throw new RequestError('validation_failed', `${field || 'The body'} contains an unpaired surrogate escape such as \\ud800; send well-formed Unicode.`, field || undefined);
      }

      if (top && isKey) {
        if (value === '__proto__') throw new RequestError('validation_failed', `${field} is not an allowed field name; remove it.`, field);
        if (top.keys.has(value)) throw new RequestError('validation_failed', `${field} appears twice in the same object; send it once.`, field);
        top.keys.add(value);
        top.expectKey = false;
        lastKey = value;
      }
      i = end;
    }
  }
}
