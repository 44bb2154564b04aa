/**
 * Minimal edits that turn a JSON text into one holding another value: only what differs is touched, one edit at
 * a time, and inserted text takes the style of the container it goes into (a one-line array stays one line, an
 * indented object gets the file's indentation and line ending). Removing what was inserted gives back the bytes
 * that were there: an inserted element is `,` + the separator + the value after the last one, and a removed
 * element takes the separator before it. Pure: text in, text and the edits made out.
 */

import { applyEdits, getNodeValue, parseTree, type Edit, type Node } from 'jsonc-parser';
import { isRecord } from '../json.js';

export type { Edit };

/** `text` edited until it parses to `next`, and the edits in the order they were applied (each to the text before it). */
export function editJsonText(text: string, next: unknown): { text: string; edits: Edit[] } {
  const edits: Edit[] = [];
  const style = detectStyle(text);
  // Each edit re-parses the text: settings files are small, and no edit has to know where an earlier one moved things.
  for (let edit = nextEdit(text, style, next); edit; edit = nextEdit(text, style, next)) {
    edits.push(edit);
    text = applyEdits(text, [edit]);
  }
  return { text, edits };
}

/** The edit that brings `text` back from what `edit` made of it: apply the inverses of a sequence in reverse order. */
export function inverseEdit(before: string, edit: Edit): Edit {
  return { offset: edit.offset, length: edit.content.length, content: before.slice(edit.offset, edit.offset + edit.length) };
}

interface Style {
  eol: string;
  /** One level of indentation: spaces or a tab. */
  unit: string;
  /** The whole file is one line (a compact file): everything inserted is compact too. */
  compact: boolean;
}

function nextEdit(text: string, style: Style, next: unknown): Edit | undefined {
  const root = parseTree(text);
  if (!root) throw new Error('editJsonText: the text does not parse');
  return editNode(text, style, root, next);
}

function editNode(text: string, style: Style, node: Node, next: unknown): Edit | undefined {
  if (sameJson(getNodeValue(node), next)) return undefined;
  if (node.type === 'object' && isRecord(next)) return editObject(text, style, node, next);
  if (node.type === 'array' && Array.isArray(next)) return editArray(text, style, node, next);
  return replaceNode(text, style, node, next);
}

function editObject(text: string, style: Style, node: Node, next: Record<string, unknown>): Edit | undefined {
  const properties = node.children ?? [];
  const keys = properties.map((property) => property.children![0]!.value as string);
  const gone = properties.find((_, index) => !Object.hasOwn(next, keys[index]!));
  if (gone) return removeChild(node, gone);
  for (const [index, property] of properties.entries()) {
    const edit = editNode(text, style, property.children![1]!, next[keys[index]!]);
    if (edit) return edit;
  }
  const added = Object.keys(next).filter((key) => !keys.includes(key));
  return appendChildren(text, style, node, added.map((key) => ({ key, value: next[key] })));
}

/**
 * Arrays change here in three ways: elements appended, elements removed (the rest equal and in order), or
 * elements edited in place; anything else replaces the array.
 */
function editArray(text: string, style: Style, node: Node, next: unknown[]): Edit | undefined {
  const elements = node.children ?? [];
  const values = elements.map((element) => getNodeValue(element));
  if (values.length === next.length) {
    for (const [index, element] of elements.entries()) {
      const edit = editNode(text, style, element, next[index]);
      if (edit) return edit;
    }
    return undefined;
  }
  if (values.length < next.length && values.every((value, index) => sameJson(value, next[index]))) {
    return appendChildren(text, style, node, next.slice(values.length).map((value) => ({ value })));
  }
  const extra = firstExtra(values, next);
  if (extra !== undefined) return removeChild(node, elements[extra]!);
  return replaceNode(text, style, node, next);
}

/** The index of the first element of `values` that is not in `next`, when `next` is `values` with some left out. */
function firstExtra(values: unknown[], next: unknown[]): number | undefined {
  let matched = 0;
  let extra: number | undefined;
  for (const [index, value] of values.entries()) {
    if (matched < next.length && sameJson(value, next[matched])) matched++;
    else extra ??= index;
  }
  return matched === next.length ? extra : undefined;
}

/** Removes a property or an element with the separator before it (or after it, for the first one). */
function removeChild(container: Node, child: Node): Edit {
  const siblings = container.children!;
  const index = siblings.indexOf(child);
  const previous = siblings[index - 1];
  const following = siblings[index + 1];
  const [from, to] = previous
    ? [previous.offset + previous.length, child.offset + child.length]
    : following
      ? [child.offset, following.offset]
      : [container.offset + 1, container.offset + container.length - 1];
  return { offset: from, length: to - from, content: '' };
}

function replaceNode(text: string, style: Style, node: Node, next: unknown): Edit {
  return { offset: node.offset, length: node.length, content: render(next, style, lineIndent(text, node.offset), isOneLine(text, node)) };
}

/** Appends properties (`key` given) or elements after the container's last child, in the container's style. */
function appendChildren(text: string, style: Style, container: Node, children: { key?: string; value: unknown }[]): Edit | undefined {
  if (children.length === 0) return undefined;
  const existing = container.children ?? [];
  const last = existing.at(-1);
  const oneLine = style.compact || (last !== undefined && isOneLine(text, container));
  const indent = last ? lineIndent(text, last.offset) : lineIndent(text, container.offset) + style.unit;
  const separator = last ? separatorIn(text, existing, oneLine, style, indent) : oneLine ? ',' : `,${style.eol}${indent}`;
  const colon = oneLine && style.compact ? ':' : ': ';
  const items = children.map(({ key, value }) => (key === undefined ? '' : JSON.stringify(key) + colon) + render(value, style, indent, oneLine));
  if (last) return { offset: last.offset + last.length, length: 0, content: separator + items.join(separator) };
  const [open, close] = oneLine ? ['', ''] : [style.eol + indent, style.eol + lineIndent(text, container.offset)];
  return { offset: container.offset + 1, length: container.length - 2, content: open + items.join(separator) + close };
}

/** What stands between two children: as between the last two, else a comma and a line break or (one line) nothing more. */
function separatorIn(text: string, children: Node[], oneLine: boolean, style: Style, indent: string): string {
  const [before, last] = children.slice(-2);
  if (children.length >= 2) return text.slice(before!.offset + before!.length, last!.offset);
  return oneLine ? (style.compact ? ',' : ', ') : `,${style.eol}${indent}`;
}

function render(value: unknown, style: Style, indent: string, oneLine: boolean): string {
  // One line: compact in a compact file, else with a space after each comma and colon (JSON has no raw line breaks in strings).
  if (oneLine) return style.compact ? JSON.stringify(value) : JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ');
  return JSON.stringify(value, null, style.unit).replaceAll('\n', style.eol + indent);
}

function isOneLine(text: string, node: Node): boolean {
  return !text.slice(node.offset, node.offset + node.length).includes('\n');
}

/** The whitespace that starts the line `offset` is on. */
function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** The file's own style: its line ending, tabs or the width of its first indented line, and whether it is one line. */
function detectStyle(text: string): Style {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /\n([ \t]+)\S/.exec(text)?.[1];
  const unit = indent?.startsWith('\t') ? '\t' : ' '.repeat(indent?.length || 2);
  // `{}` is no style yet: what goes into it is laid out with the default indentation.
  const compact = !text.trim().includes('\n') && !/^\s*\{\s*\}\s*$/.test(text);
  return { eol, unit, compact };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
