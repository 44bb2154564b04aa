import { applyEdits } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { editJsonText, inverseEdit } from '../lib/install/json-edit.js';

const hook = { hooks: [{ type: 'command', command: 'node "/x/stop.cjs"', timeout: 30 }] };

// One row per layout: the text, a value with something added, and the text expected after adding it.
const rows: [string, string, unknown, string][] = [
  ['a one-line list in an indented file', '{\n  "Stop": [{ "a": 1 }]\n}\n', { Stop: [{ a: 1 }, { b: 2 }] }, '{\n  "Stop": [{ "a": 1 }, { "b": 2 }]\n}\n'],
  ['a compact file', '{"a":1}', { a: 1, hooks: { Stop: [hook] } }, `{"a":1,"hooks":${JSON.stringify({ Stop: [hook] })}}`],
  ['{}', '{}', { b: [1] }, '{\n  "b": [\n    1\n  ]\n}'],
  ['an empty object inside tabs', '{\n\t"hooks": {}\n}', { hooks: { Stop: [] } }, '{\n\t"hooks": {\n\t\t"Stop": []\n\t}\n}'],
  ['CRLF and 4 spaces', '{\r\n    "a": 1\r\n}\r\n', { a: 1, b: { c: 2 } }, '{\r\n    "a": 1,\r\n    "b": {\r\n        "c": 2\r\n    }\r\n}\r\n'],
  ['a list laid out over lines', '[\n  1,\n  2\n]', [1, 2, 3], '[\n  1,\n  2,\n  3\n]'],
];

describe('editJsonText', () => {
  it.each(rows)('%s: adds in the layout around it, and taking it out again gives back the bytes', (_, text, next, expected) => {
    const added = editJsonText(text, next);
    expect(added.text).toBe(expected);
    expect(editJsonText(added.text, JSON.parse(text)).text).toBe(text);
  });

  it('removes the first, a middle and the only element with the separator that belongs to it', () => {
    expect(editJsonText('[1, 2, 3]', [2, 3]).text).toBe('[2, 3]');
    expect(editJsonText('[\n  1,\n  2,\n  3\n]', [1, 3]).text).toBe('[\n  1,\n  3\n]');
    expect(editJsonText('{"a": [1]}', { a: [] }).text).toBe('{"a": []}');
  });

  it('replaces a changed string in place, leaving the numbers it does not change as written', () => {
    const text = '{ "big": 12345678901234567890, "name": "caf\\u00e9", "command": "old" }';
    expect(editJsonText(text, { ...JSON.parse(text), command: 'new' }).text).toBe(text.replace('"old"', '"new"'));
  });

  it('the inverses of the edits, applied last first, give back the text', () => {
    const text = '{\n  "a": [1],\n  "s": "old"\n}\n';
    const { text: edited, edits } = editJsonText(text, { a: [1, 2], s: 'new', t: true });
    let before = text;
    const inverses = edits.map((edit) => {
      const inverse = inverseEdit(before, edit);
      before = applyEdits(before, [edit]);
      return inverse;
    });
    expect(before).toBe(edited);
    expect(inverses.reverse().reduce((current, edit) => applyEdits(current, [edit]), edited)).toBe(text);
  });
});
