/**
 * A parser for the subset of JQL that the tracker supports: clauses such as `project = ABC`,
 * `status != Done`, `issuetype in (Bug, Task)` joined by AND, then an optional
 * `ORDER BY created DESC, key ASC`. Values are bare words or quoted with " or ', and
 * keywords and field names are case-insensitive. OR, NOT and parentheses for grouping are
 * not supported and get a clear error.
 */

export const JQL_FIELDS = ['project', 'status', 'issuetype', 'priority', 'key', 'labels', 'reporter'] as const;
export const SORT_FIELDS = ['created', 'updated', 'key', 'priority', 'status', 'summary'] as const;

export type JqlField = (typeof JQL_FIELDS)[number];
export type SortField = (typeof SORT_FIELDS)[number];
export type JqlOperator = '=' | '!=' | 'in' | 'not in';

export interface JqlClause {
  field: JqlField;
  operator: JqlOperator;
  values: string[];
}

export interface JqlSort {
  field: SortField;
  direction: 'ASC' | 'DESC';
}

export interface JqlQuery {
  clauses: JqlClause[];
  orderBy: JqlSort[];
}

/** Maximum query length in characters, far above what the subset needs. */
export const MAX_JQL_LENGTH = 4000;

const FIELD_ALIASES: Record<string, JqlField> = { type: 'issuetype', issuekey: 'key', label: 'labels' };

/** A query that is not valid JQL or uses something outside the subset; the message is Jira's wording. */
export class JqlError extends Error {}

interface Token {
  kind: 'word' | 'string' | 'operator' | '(' | ')' | ',';
  text: string;
  /** 1-based character position, as Jira reports it. */
  position: number;
}

const BARE_WORD = /[\p{L}\p{N}_.\-]/u;

function syntaxError(message: string, position: number): JqlError {
  return new JqlError(`Error in the JQL Query: ${message} (line 1, character ${position}).`);
}

function readQuoted(jql: string, start: number): { text: string; end: number } {
  const quote = jql[start];
  let text = '';
  let index = start + 1;
  while (index < jql.length) {
    const char = jql[index];
    if (char === '\\' && index + 1 < jql.length) {
      text += jql[index + 1];
      index += 2;
    } else if (char === quote) {
      return { text, end: index + 1 };
    } else {
      text += char;
      index += 1;
    }
  }
  throw syntaxError(`The quoted string starting with ${quote} is not closed`, start + 1);
}

function tokenize(jql: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < jql.length) {
    const char = jql[index];
    const position = index + 1;

    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '"' || char === "'") {
      const quoted = readQuoted(jql, index);
      tokens.push({ kind: 'string', text: quoted.text, position });
      index = quoted.end;
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: char, text: char, position });
      index += 1;
    } else if (char === '=' || jql.startsWith('!=', index)) {
      const text = char === '=' ? '=' : '!=';
      tokens.push({ kind: 'operator', text, position });
      index += text.length;
    } else if ('<>~!'.includes(char)) {
      throw syntaxError(`The operator '${char}' is not supported here; use =, !=, IN or NOT IN`, position);
    } else if (BARE_WORD.test(char)) {
      let end = index;
      while (end < jql.length && BARE_WORD.test(jql[end])) end += 1;
      tokens.push({ kind: 'word', text: jql.slice(index, end), position });
      index = end;
    } else {
      throw syntaxError(`The character '${char}' is a reserved JQL character; quote the value that contains it`, position);
    }
  }
  return tokens;
}

class Parser {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  parse(): JqlQuery {
    const clauses: JqlClause[] = [];
    if (!this.atEnd() && !this.isKeyword('order')) {
      clauses.push(this.clause());
      while (this.isKeyword('and')) {
        this.index += 1;
        clauses.push(this.clause());
      }
    }

    const orderBy = this.isKeyword('order') ? this.orderBy() : [];
    if (!this.atEnd()) {
      const token = this.peek()!;
      if (this.isKeyword('or')) throw syntaxError('OR is not supported by this tracker; join clauses with AND or use IN (a, b)', token.position);
      throw syntaxError(`Expecting AND or ORDER BY but got '${token.text}'`, token.position);
    }
    return { clauses, orderBy };
  }

  private clause(): JqlClause {
    const fieldToken = this.next('a field name');
    if (fieldToken.kind === '(') throw syntaxError('Parentheses around clauses are not supported by this tracker', fieldToken.position);
    if (fieldToken.kind !== 'word' && fieldToken.kind !== 'string') throw syntaxError(`Expecting a field name but got '${fieldToken.text}'`, fieldToken.position);
    if (fieldToken.kind === 'word' && fieldToken.text.toLowerCase() === 'not') {
      throw syntaxError('NOT before a clause is not supported by this tracker; use != or NOT IN', fieldToken.position);
    }
    const field = this.fieldName(fieldToken);

    const operator = this.operator();
    const values = operator === 'in' || operator === 'not in' ? this.valueList() : [this.value()];
    return { field, operator, values };
  }

  private fieldName(token: Token): JqlField {
    const name = token.text.toLowerCase();
    const field = FIELD_ALIASES[name] ?? (JQL_FIELDS as readonly string[]).find((known) => known === name);
    if (!field) throw new JqlError(`Field '${token.text}' does not exist or you do not have permission to view it.`);
    return field as JqlField;
  }

  private operator(): JqlOperator {
    const token = this.next('an operator');
    if (token.kind === 'operator') return token.text as '=' | '!=';
    if (token.kind === 'word' && token.text.toLowerCase() === 'in') return 'in';
    if (token.kind === 'word' && token.text.toLowerCase() === 'not') {
      const inToken = this.next('IN');
      if (inToken.kind === 'word' && inToken.text.toLowerCase() === 'in') return 'not in';
      throw syntaxError(`Expecting IN after NOT but got '${inToken.text}'`, inToken.position);
    }
    throw syntaxError(`Expecting an operator (=, !=, IN or NOT IN) but got '${token.text}'`, token.position);
  }

  private value(): string {
    const token = this.next('a value');
    if (token.kind === 'word' || token.kind === 'string') return token.text;
    throw syntaxError(`Expecting a value but got '${token.text}'`, token.position);
  }

  private valueList(): string[] {
    const open = this.next('(');
    if (open.kind !== '(') throw syntaxError(`Expecting '(' after IN but got '${open.text}'`, open.position);

    const values = [this.value()];
    for (;;) {
      const token = this.next("',' or ')'");
      if (token.kind === ')') return values;
      if (token.kind !== ',') throw syntaxError(`Expecting ',' or ')' but got '${token.text}'`, token.position);
      values.push(this.value());
    }
  }

  private orderBy(): JqlSort[] {
    this.index += 1;
    const by = this.next('BY');
    if (by.kind !== 'word' || by.text.toLowerCase() !== 'by') throw syntaxError(`Expecting BY after ORDER but got '${by.text}'`, by.position);

    const sorts = [this.sort()];
    while (this.peek()?.kind === ',') {
      this.index += 1;
      sorts.push(this.sort());
    }
    return sorts;
  }

  private sort(): JqlSort {
    const token = this.next('a field to order by');
    const name = token.text.toLowerCase();
    const field = (SORT_FIELDS as readonly string[]).find((known) => known === (FIELD_ALIASES[name] ?? name));
    if ((token.kind !== 'word' && token.kind !== 'string') || !field) {
      throw syntaxError(`Cannot order by '${token.text}'; use one of: ${SORT_FIELDS.join(', ')}`, token.position);
    }

    let direction: JqlSort['direction'] = 'ASC';
    const next = this.peek();
    if (next?.kind === 'word' && ['asc', 'desc'].includes(next.text.toLowerCase())) {
      direction = next.text.toUpperCase() as JqlSort['direction'];
      this.index += 1;
    }
    return { field: field as SortField, direction };
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private atEnd(): boolean {
    return this.index >= this.tokens.length;
  }

  private isKeyword(keyword: string): boolean {
    const token = this.peek();
    return token?.kind === 'word' && token.text.toLowerCase() === keyword;
  }

  private next(expected: string): Token {
    const token = this.tokens[this.index];
    if (!token) throw syntaxError(`Expecting ${expected} but reached the end of the query`, this.length + 1);
    this.index += 1;
    return token;
  }
}

/** Parses a JQL query of the supported subset. An empty query matches every issue. Throws JqlError. */
export function parseJql(jql: string): JqlQuery {
  if (jql.length > MAX_JQL_LENGTH) throw new JqlError(`Error in the JQL Query: the query is ${jql.length} characters long; the maximum is ${MAX_JQL_LENGTH}.`);
  return new Parser(tokenize(jql), jql.length).parse();
}
