import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JqlError, parseJql } from '../src/jql.js';

describe('JQL parser', () => {
  test('empty query', () => {
    assert.deepEqual(parseJql(''), { clauses: [], orderBy: [] });
    assert.deepEqual(parseJql('   '), { clauses: [], orderBy: [] });
  });

  test('clauses joined by AND', () => {
    assert.deepEqual(parseJql('project = ABC AND status = Open'), {
      clauses: [
        { field: 'project', operator: '=', values: ['ABC'] },
        { field: 'status', operator: '=', values: ['Open'] },
      ],
      orderBy: [],
    });
  });

  test('keywords in any letter case', () => {
    assert.deepEqual(parseJql('PROJECT = ABC and Status != Done order by CREATED desc'), {
      clauses: [
        { field: 'project', operator: '=', values: ['ABC'] },
        { field: 'status', operator: '!=', values: ['Done'] },
      ],
      orderBy: [{ field: 'created', direction: 'DESC' }],
    });
  });

  test('quoted values', () => {
    const query = parseJql(`status = "In Progress" AND labels = 'a"b' AND reporter = "x\\"y"`);
    assert.deepEqual(
      query.clauses.map((clause) => clause.values[0]),
      ['In Progress', 'a"b', 'x"y'],
    );
  });

  test('IN and NOT IN lists', () => {
    assert.deepEqual(parseJql('issuetype in (Bug, "Story") AND priority NOT IN (Low,Lowest)').clauses, [
      { field: 'issuetype', operator: 'in', values: ['Bug', 'Story'] },
      { field: 'priority', operator: 'not in', values: ['Low', 'Lowest'] },
    ]);
  });

  test('field aliases', () => {
    assert.deepEqual(
      parseJql('type = Bug AND issuekey = ABC-1').clauses.map((clause) => clause.field),
      ['issuetype', 'key'],
    );
  });

  test('ORDER BY alone and with several fields', () => {
    assert.deepEqual(parseJql('ORDER BY created DESC, key').orderBy, [
      { field: 'created', direction: 'DESC' },
      { field: 'key', direction: 'ASC' },
    ]);
  });

  const invalid: [string, RegExp][] = [
    ['project = ABC OR project = OPS', /OR is not supported/],
    ['(project = ABC)', /Parentheses around clauses are not supported/],
    ['NOT project = ABC', /NOT before a clause is not supported/],
    ['assignee = bob', /^Field 'assignee' does not exist/],
    ['status = "Open', /quoted string starting with " is not closed.*character 10/],
    ['project ABC', /Expecting an operator.*got 'ABC'/],
    ['project =', /Expecting a value but reached the end of the query \(line 1, character 10\)/],
    ['project = ABC status = Open', /Expecting AND or ORDER BY but got 'status'/],
    ['summary ~ invoice', /operator '~' is not supported/],
    ['project in ABC', /Expecting '\(' after IN/],
    ['project in (ABC', /Expecting ',' or '\)' but reached the end/],
    ['ORDER created', /Expecting BY after ORDER/],
    ['ORDER BY assignee', /Cannot order by 'assignee'/],
    ['project = A;B', /character ';' is a reserved JQL character/],
  ];
  for (const [jql, message] of invalid) {
    test(`rejects ${jql}`, () => {
      assert.throws(() => parseJql(jql), (error) => error instanceof JqlError && message.test(error.message));
    });
  }

  test('rejects an oversized query', () => {
    assert.throws(() => parseJql(`project = ${'A'.repeat(5000)}`), /maximum is 4000/);
  });
});
