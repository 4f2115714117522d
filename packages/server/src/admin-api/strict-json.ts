import { RequestError } from '../accounts/errors.js';

/**
 * Parses JSON and rejects an object that repeats a key, instead of letting the last value
 * win without a word, and rejects "__proto__" keys, which could reach an object's prototype.
 */
export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RequestError('invalid_json', `The request body is not valid JSON: ${(error as Error).message}`);
  }

  findDuplicateKeys(text);
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

/** Walks already-valid JSON text and throws on the first repeated key. */
function findDuplicateKeys(text: string): void {
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

      if (top?.isObject && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const field = `${top.path ? `${top.path}.` : ''}${key}`;
        if (key === '__proto__') throw new RequestError('validation_failed', `${field} is not an allowed field name; remove it.`, field);
        if (top.keys.has(key)) throw new RequestError('validation_failed', `${field} appears twice in the same object; send it once.`, field);
        top.keys.add(key);
        top.expectKey = false;
        lastKey = key;
      }
      i = end;
    }
  }
}
