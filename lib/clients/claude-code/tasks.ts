import type { SessionTask } from '../client.js';
import { isRecord } from '../../json.js';
import { clip, comparableText } from '../../text.js';

/**
 * What a Claude Code session says it is doing, beyond its files: its task list, its plan, its compaction summary.
 * Pure. The task list is rebuilt as Claude Code itself rebuilds it from a transcript (2.1.331's `todos()`): the
 * tasks of TaskCreate/TaskUpdate calls when there are any, a TaskCreate's id read from its result ("Task #3 created
 * successfully"), else the newest TodoWrite's todos. Everything kept is bounded: it is saved in the session's state
 * after every turn, and a session can run for thousands of turns.
 */

/** Tasks a session's list holds at most (and completed tasks it remembers): far more than a real list has. */
export const MAX_TASKS = 100;
/** Characters kept of a task's text, a plan's title or a session title. */
export const TASK_TEXT = 200;
/** Characters kept of a compaction summary's opening: what a summary part could use, and then some. */
const COMPACT_SUMMARY_TEXT = 1000;

const STATUSES = new Set<SessionTask['status']>(['pending', 'in_progress', 'completed']);
const TASK_CREATED = /^Task #(\S+) created successfully/;

/** A session's task list being folded, and the tasks it completed. */
export class TaskList {
  /** Undefined until the session makes its first task call: an empty list is one it emptied. */
  private tasks: SessionTask[] | undefined;
  private readonly completed: string[];

  constructor(tasks?: SessionTask[], completed: string[] = []) {
    this.tasks = tasks?.map((task) => ({ ...task }));
    this.completed = [...completed];
  }

  /** The list and the completed tasks, as saved in the facts; no list while the session made no task call. */
  facts(): { tasks?: SessionTask[]; completedTasks?: string[] } {
    return {
      ...(this.tasks ? { tasks: this.tasks.map((task) => ({ ...task })) } : {}),
      ...(this.completed.length ? { completedTasks: [...this.completed] } : {}),
    };
  }

  /** Whether some TaskCreate call's result is awaited. */
  awaitsAny(): boolean {
    return (this.tasks ?? []).some((task) => task.call !== undefined);
  }

  /** Whether `toolUseId` is a TaskCreate call whose result is awaited. */
  awaits(toolUseId: string): boolean {
    return (this.tasks ?? []).some((task) => task.call === toolUseId);
  }

  /** TodoWrite: its todos replace the list. A call whose input is not a list of todos changes nothing. */
  todoWrite(input: unknown): void {
    const todos = isRecord(input) && Array.isArray(input.todos) ? input.todos : undefined;
    if (todos === undefined) return;
    this.tasks = todos.flatMap((todo) => {
      const task = isRecord(todo) ? taskOf(todo.content, todo.status) : undefined;
      return task ? [task] : [];
    }).slice(0, MAX_TASKS);
    for (const task of this.tasks) this.noteStatus(task);
  }

  /** TaskCreate: a pending task, whose id its result gives. */
  taskCreate(toolUseId: string, input: unknown): void {
    const task = isRecord(input) ? taskOf(input.subject, 'pending') : undefined;
    const tasks = this.list();
    if (task && tasks.length < MAX_TASKS) tasks.push({ ...task, call: toolUseId });
  }

  /** TaskCreate's result: the task gets its id; a failed call leaves no task. */
  taskCreated(toolUseId: string, isError: boolean, resultText: string): void {
    const tasks = this.list();
    const index = tasks.findIndex((task) => task.call === toolUseId);
    const task = tasks[index];
    if (task === undefined) return;
    if (isError) {
      tasks.splice(index, 1);
      return;
    }
    delete task.call;
    const id = TASK_CREATED.exec(resultText)?.[1];
    if (id !== undefined) task.id = id;
  }

  /** TaskUpdate: a task's status or text changes; `deleted` takes it off the list. An unknown id with a subject adds it. */
  taskUpdate(input: unknown): void {
    if (!isRecord(input)) return;
    const id = [input.taskId, input.id, input.task_id].find((value) => typeof value === 'string' && value.trim() !== '') as string | undefined;
    if (id === undefined) return;
    const tasks = this.list();
    const index = tasks.findIndex((task) => task.id === id);
    if (input.status === 'deleted') {
      if (index >= 0) tasks.splice(index, 1);
      return;
    }
    const known = tasks[index];
    const task = taskOf(input.subject ?? known?.content, input.status ?? known?.status ?? 'pending');
    if (task === undefined) return;
    if (known) tasks[index] = { ...task, id };
    else if (tasks.length < MAX_TASKS) tasks.push({ ...task, id });
    this.noteStatus(task);
  }

  /** The list, started empty by the first task call. */
  private list(): SessionTask[] {
    return (this.tasks ??= []);
  }

  private noteStatus(task: SessionTask): void {
    if (task.status !== 'completed' || this.completed.length >= MAX_TASKS) return;
    const key = comparableText(task.content);
    if (!this.completed.some((done) => comparableText(done) === key)) this.completed.push(task.content);
  }
}

/** A task from a call's text and status, its text one line and bounded; none when either is not what it should be. */
function taskOf(content: unknown, status: unknown): SessionTask | undefined {
  const text = typeof content === 'string' ? oneLine(content) : '';
  if (text === '' || !STATUSES.has(status as SessionTask['status'])) return undefined;
  return { content: clip(text, TASK_TEXT), status: status as SessionTask['status'] };
}

/** The title of a plan (ExitPlanMode's markdown): its first heading, else its first line, without a "Plan:" label. */
export function planTitle(plan: unknown): string | undefined {
  if (typeof plan !== 'string') return undefined;
  const lines = plan.split('\n').map((line) => line.trim()).filter(Boolean);
  const heading = lines.find((line) => /^#{1,6}\s/.test(line)) ?? lines[0];
  const title = heading && oneLine(heading.replace(/^#+\s*/, '').replace(/^plan\s*[:\-–]\s*/i, ''));
  return title ? clip(title, TASK_TEXT) : undefined;
}

/** Claude Code's title of a session (a `summary`, `ai-title` or `custom-title` line), one line and bounded. */
export function sessionTitle(title: string): string | undefined {
  const line = oneLine(title);
  return line ? clip(line, TASK_TEXT) : undefined;
}

/**
 * The opening of a compaction summary: the text after its "This session is being continued…" preamble and its
 * analysis, from its "Summary:" part (or `<summary>` tag) when it has one, its first heading left out.
 */
export function compactSummary(text: string): string | undefined {
  const body = text.replace(/^This session is being continued[^\n]*\n/, '');
  const tagged = /<summary>([\s\S]*?)(<\/summary>|$)/.exec(body)?.[1];
  const part = tagged ?? /(?:^|\n)\s*Summary:\s*\n([\s\S]*)/.exec(body)?.[1] ?? body;
  const opening = oneLine(part.slice(0, 4 * COMPACT_SUMMARY_TEXT).replace(/^\s*1\.\s*[^\n]*:\s*\n/, ''));
  return opening ? clip(opening, COMPACT_SUMMARY_TEXT) : undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
