/**
 * Writes Claude Code transcripts (JSONL) where Claude Code would, shaped like real 2.1.x lines:
 *
 *   const t = transcript({ cwd: '/x/repo' })
 *     .prompt('fix the parser')
 *     .write('src/a.ts')                                   // tool_use + successful tool_result
 *     .edit('src/b.ts', { fails: 'File has not been read yet' })
 *     .todoWrite([{ content: 'Add tests', status: 'pending' }])  // also taskCreate/taskUpdate, exitPlanMode
 *     .sidechain((s) => s.write('docs/n.md'))              // inline isSidechain lines (<= 2.0.27)
 *     .agent((s) => s.edit('src/c.ts'), { layout: 'subagents' })
 *     .say('done');
 *   const path = await t.saveUnder(claudeConfigDir);     // <dir>/projects/<encoded cwd>/<sessionId>.jsonl
 *   await t.say('more').append();                        // only the lines added since
 *   t.cd('packages/ui')                                  // later lines carry this cwd, as after the shell's `cd`
 *
 * Relative paths are resolved against the current cwd (Claude Code always writes absolute ones). Every line gets the
 * builder clock's time: `start` then `stepMs` later per line, `at(time)` to jump; or pass your own `clock`.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export interface TranscriptOptions {
  cwd: string;
  /** The file stem; a random UUID when left out. */
  sessionId?: string;
  version?: string;
  gitBranch?: string;
  /** Time of the first line (ISO); default 2026-01-05T09:00:00.000Z. */
  start?: string;
  /** Time between two lines; default 1000 ms. */
  stepMs?: number;
  /** Called once per line; replaces start/stepMs/at. */
  clock?: () => Date;
}

export interface ToolCallOptions {
  /** The tool_use id; generated when left out. */
  id?: string;
  /** The tool fails with this message (`is_error: true`). */
  fails?: string;
  /** Refused for lack of permission (`is_error: true`). */
  refused?: boolean;
  /** Interrupted by the user (`is_error: true`, then a "[Request interrupted…]" prompt line). */
  interrupted?: boolean;
  /** No tool_result is written; add it later with `resultOf(id)`. */
  noResult?: boolean;
}

export interface AgentOptions {
  /** `sibling`: `agent-<id>.jsonl` beside the transcript (2.0.28-2.1.1); `subagents`: `<session>/subagents/` (2.1.2 on). */
  layout: 'sibling' | 'subagents';
  agentId?: string;
  /** Subfolder below `subagents/`, e.g. `workflows/run-1`. */
  folder?: string;
  /** The tool that starts the sub-agent; `Task` for the sibling layout, `Agent` otherwise. */
  tool?: 'Task' | 'Agent';
  prompt?: string;
}

type Line = Record<string, unknown>;

interface Shared {
  clock: () => Date;
  jump: (time: string) => void;
  nextId: () => string;
  /** File (relative to the project folder; '' = the transcript) -> its lines. */
  files: Map<string, string[]>;
}

export function transcript(options: TranscriptOptions): TranscriptBuilder {
  return new TranscriptBuilder(options);
}

/** Claude Code's project folder name for a cwd: every character outside [a-zA-Z0-9] becomes '-'. */
export function projectFolderName(cwd: string): string {
  const name = cwd.replace(/[^a-zA-Z0-9]/g, '-');
  if (name.length <= 200) return name;
  let hash = 0;
  for (let i = 0; i < cwd.length; i++) hash = (hash * 31 + cwd.charCodeAt(i)) | 0;
  return `${name.slice(0, 200)}-${Math.abs(hash).toString(36)}`;
}

export class TranscriptBuilder {
  readonly cwd: string;
  /** The session id: the transcript's file stem. */
  readonly sessionId: string;
  private lineSessionId: string;
  private lineCwd: string;
  private readonly version: string;
  private readonly gitBranch: string;
  private readonly shared: Shared;
  private readonly file: string;
  private readonly isSidechain: boolean;
  private readonly agentId: string | undefined;
  private lastUuid: string | null = null;
  private path: string | undefined;
  private readonly written = new Map<string, number>();

  constructor(options: TranscriptOptions, parent?: { builder: TranscriptBuilder; file: string; agentId?: string }) {
    this.cwd = options.cwd;
    this.sessionId = options.sessionId ?? randomUUID();
    this.lineSessionId = this.sessionId;
    this.lineCwd = this.cwd;
    this.version = options.version ?? '2.1.330';
    this.gitBranch = options.gitBranch ?? 'main';
    this.file = parent?.file ?? '';
    this.isSidechain = parent !== undefined;
    this.agentId = parent?.agentId;
    this.shared = parent?.builder.shared ?? newShared(options, this.sessionId);
    if (!this.shared.files.has(this.file)) this.shared.files.set(this.file, []);
  }

  // --- user side --------------------------------------------------------------------------------------------

  /** A prompt the user typed. */
  prompt(text: string): this {
    return this.user(text);
  }

  /** Injected text the user did not type (`isMeta: true`): slash-command expansions, caveats. */
  meta(text: string): this {
    return this.user(text, { isMeta: true });
  }

  /** A slash command as 1.0.x-2.1.x write it, followed by its expansion as a meta line. */
  command(name: string, expansion = `Run ${name}.`): this {
    return this.user(`<command-message>${name.slice(1)} is running…</command-message>\n<command-name>${name}</command-name>`).meta(
      expansion,
    );
  }

  interrupt(forToolUse = false): this {
    return this.user(forToolUse ? '[Request interrupted by user for tool use]' : '[Request interrupted by user]');
  }

  // --- assistant side ---------------------------------------------------------------------------------------

  /** An assistant text block. */
  say(text: string): this {
    return this.assistant({ type: 'text', text });
  }

  write(path: string, options: ToolCallOptions = {}): this {
    const filePath = this.abs(path);
    return this.tool('Write', { file_path: filePath, content: 'new content\n' }, options, {
      text: `File created successfully at: ${filePath}`,
      result: { type: 'create', filePath, content: 'new content\n', structuredPatch: [], originalFile: null },
    });
  }

  edit(path: string, options: ToolCallOptions = {}): this {
    const filePath = this.abs(path);
    return this.tool('Edit', { replace_all: false, file_path: filePath, old_string: 'a', new_string: 'b' }, options, {
      text: `The file ${filePath} has been updated successfully.`,
      result: { filePath, oldString: 'a', newString: 'b', originalFile: 'a\n', structuredPatch: [], userModified: false, replaceAll: false },
    });
  }

  /** The 1.0.x MultiEdit tool. */
  multiEdit(path: string, options: ToolCallOptions = {}): this {
    const filePath = this.abs(path);
    const edits = [{ old_string: 'a', new_string: 'b', replace_all: false }];
    return this.tool('MultiEdit', { file_path: filePath, edits }, options, {
      text: `Applied 1 edit to ${filePath}:\n1. Replaced "a" with "b"`,
      result: { filePath, edits, originalFileContents: 'a\n', structuredPatch: [], userModified: false },
    });
  }

  notebookEdit(path: string, options: ToolCallOptions = {}): this {
    const notebookPath = this.abs(path);
    return this.tool('NotebookEdit', { notebook_path: notebookPath, cell_id: 'c1', new_source: 'print(1)' }, options, {
      text: 'Updated cell c1 with print(1)',
      result: { new_source: 'print(1)', cell_id: 'c1', cell_type: 'code', language: 'python', edit_mode: 'replace', notebook_path: notebookPath },
    });
  }

  /** Any tool call: an assistant tool_use line and, unless `noResult`, the user tool_result line. */
  tool(
    name: string,
    input: Record<string, unknown>,
    options: ToolCallOptions = {},
    success: { text: string; result: unknown } = { text: 'ok', result: {} },
  ): this {
    const id = options.id ?? this.shared.nextId();
    this.assistant({ type: 'tool_use', id, name, input });
    if (options.noResult) return this;
    const target = typeof input.file_path === 'string' ? input.file_path : String(input.notebook_path ?? name);
    if (options.fails !== undefined) return this.error(id, `<tool_use_error>${options.fails}</tool_use_error>`, options.fails);
    if (options.refused) {
      const text = `Claude requested permissions to write to ${target}, but you haven't granted it yet.`;
      return this.error(id, text, text);
    }
    if (options.interrupted) {
      return this.error(id, '[Request interrupted by user for tool use]', '[Request interrupted by user for tool use]').interrupt(true);
    }
    return this.resultOf(id, success);
  }

  /** The successful tool_result of an earlier call (e.g. one made with `noResult`). */
  resultOf(id: string, success: { text: string; result: unknown } = { text: 'ok', result: {} }): this {
    return this.toolResult({ type: 'tool_result', content: success.text, tool_use_id: id }, success.result);
  }

  // --- task list, plan ---------------------------------------------------------------------------------------

  /** TodoWrite (up to 2.1.x): the whole list, each todo with its status; the result as 1.0.x-2.1.x write it. */
  todoWrite(todos: { content: string; status: 'pending' | 'in_progress' | 'completed' }[], options: ToolCallOptions = {}): this {
    const withForm = todos.map((todo) => ({ ...todo, activeForm: `Doing: ${todo.content}` }));
    return this.tool('TodoWrite', { todos: withForm }, options, {
      text: 'Todos have been modified successfully. Ensure that you continue to use the todo list to track your progress. Please proceed with the current tasks if applicable',
      result: { oldTodos: [], newTodos: withForm },
    });
  }

  /** TaskCreate (2.1.x): one pending task; its result gives the task's id (`Task #<id> created successfully: …`). */
  taskCreate(taskId: string, subject: string, options: ToolCallOptions = {}): this {
    return this.tool('TaskCreate', { subject, description: subject, activeForm: `Doing: ${subject}` }, options, {
      text: `Task #${taskId} created successfully: ${subject}`,
      result: { task: { id: taskId, subject } },
    });
  }

  /** TaskUpdate (2.1.x): a task's new status (`deleted` removes it). */
  taskUpdate(taskId: string, status: 'pending' | 'in_progress' | 'completed' | 'deleted', options: ToolCallOptions = {}): this {
    return this.tool('TaskUpdate', { taskId, status }, options, {
      text: `Updated task #${taskId} status`,
      result: { success: true, taskId, updatedFields: ['status'] },
    });
  }

  /** ExitPlanMode with the plan (markdown) the model presents. */
  exitPlanMode(plan: string, options: ToolCallOptions = {}): this {
    return this.tool('ExitPlanMode', { plan }, options, {
      text: 'User has approved your plan. You can now start coding.',
      result: { plan, isAgent: false },
    });
  }

  // --- sub-agents -------------------------------------------------------------------------------------------

  /** A Task call whose sub-agent runs inline in this file as `isSidechain` lines (<= 2.0.27). */
  sidechain(build: (agent: TranscriptBuilder) => void, prompt = 'Look into it.'): this {
    const id = this.shared.nextId();
    this.assistant({ type: 'tool_use', id, name: 'Task', input: { description: 'sub-task', prompt, subagent_type: 'general-purpose' } });
    const agent = this.child(this.file);
    agent.prompt(prompt);
    build(agent);
    return this.toolResult({ type: 'tool_result', content: [{ type: 'text', text: 'Sub-agent done.' }], tool_use_id: id }, {
      content: [{ type: 'text', text: 'Sub-agent done.' }],
      totalDurationMs: 1000,
      totalTokens: 100,
      totalToolUseCount: 1,
    });
  }

  /** A Task/Agent call whose sub-agent writes its own file (sibling `agent-<id>.jsonl`, or under `<session>/subagents/`). */
  agent(build: (agent: TranscriptBuilder) => void, options: AgentOptions): this {
    const agentId = options.agentId ?? `a${this.shared.nextId().slice(-6)}`;
    const prompt = options.prompt ?? 'Look into it.';
    const name = `agent-${agentId}.jsonl`;
    const file =
      options.layout === 'sibling' ? name : join(this.sessionId, 'subagents', ...(options.folder ? [options.folder] : []), name);
    const id = this.shared.nextId();
    const tool = options.tool ?? (options.layout === 'sibling' ? 'Task' : 'Agent');
    this.assistant({ type: 'tool_use', id, name: tool, input: { description: 'sub-task', prompt, subagent_type: 'general-purpose' } });
    const agent = this.child(file, agentId);
    agent.prompt(prompt);
    build(agent);
    const content = [{ type: 'text', text: 'Sub-agent done.' }];
    return this.toolResult({ type: 'tool_result', content, tool_use_id: id }, { status: 'completed', prompt, agentId, content });
  }

  // --- other lines ------------------------------------------------------------------------------------------

  /** Compaction as 2.x writes it: a `compact_boundary` system line, then the `isCompactSummary` user line. */
  compact(summary = 'The user asked to fix the parser.'): this {
    const logicalParentUuid = this.lastUuid;
    this.lastUuid = null;
    this.envelope({
      logicalParentUuid,
      type: 'system',
      subtype: 'compact_boundary',
      content: 'Conversation compacted',
      isMeta: false,
      level: 'info',
      compactMetadata: { trigger: 'auto', preTokens: 155000 },
    });
    return this.user(
      `This session is being continued from a previous conversation that ran out of context. The conversation is summarized below:\n${summary}`,
      { isCompactSummary: true, isVisibleInTranscriptOnly: true },
    );
  }

  /** Claude Code's title of the session: a `summary` line (1.0.x-2.1.x, no envelope), or 2.1.x's `ai-title`/`custom-title`. */
  title(text: string, kind: 'summary' | 'ai-title' | 'custom-title' = 'summary'): this {
    if (kind === 'summary') return this.raw({ type: 'summary', summary: text, leafUuid: this.lastUuid ?? randomUUID() });
    return this.raw(kind === 'ai-title' ? { type: kind, aiTitle: text, sessionId: this.lineSessionId } : { type: kind, customTitle: text, sessionId: this.lineSessionId });
  }

  /** A 2.1.x `attachment` line (e.g. a prompt snapshot), `size` characters of content. */
  attachment(size = 1000): this {
    return this.envelope(
      { attachment: { type: 'prompt_snapshot', systemPrompt: ['x'.repeat(size)] }, type: 'attachment' },
      { envelopeLast: true },
    );
  }

  /** A line that is not JSON. */
  garbage(text = '{"type":"user","message":{"role":"user","content":"cut off'): this {
    return this.raw(text);
  }

  /** Any line, written as given (a string as is, an object as JSON). */
  raw(line: string | Line): this {
    this.lines().push(typeof line === 'string' ? line : JSON.stringify(line));
    return this;
  }

  /** From here on lines carry this sessionId (one file, two ids, as after plan mode's "clear context"). */
  continueAs(sessionId: string): this {
    this.lineSessionId = sessionId;
    return this;
  }

  /** From here on lines carry this cwd (relative: to the current one), as after the shell's `cd`; the file stays where it is. */
  cd(folder: string): this {
    this.lineCwd = resolve(this.lineCwd, folder);
    return this;
  }

  /** The clock's time for the next line. */
  at(time: string): this {
    this.shared.jump(time);
    return this;
  }

  // --- output -----------------------------------------------------------------------------------------------

  /** The transcript's lines as JSONL. */
  toJsonl(): string {
    return jsonl(this.shared.files.get('') ?? []);
  }

  /** The transcript's lines not written yet, as JSONL, now counted as written (to write them yourself, e.g. in pieces). */
  takeUnwritten(): string {
    const lines = this.shared.files.get('') ?? [];
    const from = this.written.get('') ?? 0;
    this.written.set('', lines.length);
    return jsonl(lines.slice(from));
  }

  /** Writes every file to `<claudeConfigDir>/projects/<encoded cwd>/<sessionId>.jsonl` and beside it; returns the transcript path. */
  async saveUnder(claudeConfigDir: string | { claudeConfigDir: string } | { paths: { claudeConfigDir: string } }): Promise<string> {
    const root =
      typeof claudeConfigDir === 'string'
        ? claudeConfigDir
        : 'paths' in claudeConfigDir
          ? claudeConfigDir.paths.claudeConfigDir
          : claudeConfigDir.claudeConfigDir;
    const path = join(root, 'projects', projectFolderName(this.cwd), `${this.sessionId}.jsonl`);
    this.written.clear();
    await this.appendTo(path);
    return path;
  }

  /** Appends the lines added since the last save or append (transcript and sub-agent files). */
  async append(): Promise<void> {
    if (this.path === undefined) throw new Error('append() before saveUnder(): nothing says where the transcript is');
    await this.appendTo(this.path);
  }

  /** Appends the lines not written yet to the transcript at `path` and to its sub-agent files beside it. */
  async appendTo(path: string): Promise<void> {
    this.path = path;
    for (const [file, lines] of this.shared.files) {
      const from = this.written.get(file) ?? 0;
      this.written.set(file, lines.length);
      if (from === lines.length) continue;
      const target = file === '' ? path : join(dirname(path), file);
      await mkdir(dirname(target), { recursive: true });
      await (from === 0 ? writeFile : appendFile)(target, jsonl(lines.slice(from)));
    }
  }

  // --- internals --------------------------------------------------------------------------------------------

  private child(file: string, agentId?: string): TranscriptBuilder {
    const child = new TranscriptBuilder(
      { cwd: this.cwd, sessionId: this.sessionId, version: this.version, gitBranch: this.gitBranch },
      { builder: this, file, agentId },
    );
    child.lineSessionId = this.lineSessionId;
    child.lineCwd = this.lineCwd;
    return child;
  }

  private lines(): string[] {
    return this.shared.files.get(this.file)!;
  }

  private abs(path: string): string {
    return resolve(this.lineCwd, path);
  }

  private user(content: unknown, fields: Line = {}): this {
    return this.envelope({ type: 'user', message: { role: 'user', content }, ...fields });
  }

  private assistant(block: Line): this {
    return this.envelope({
      message: {
        model: 'claude-sonnet-4-5',
        id: `msg_${randomUUID().slice(0, 8)}`,
        type: 'message',
        role: 'assistant',
        content: [block],
        stop_reason: block.type === 'tool_use' ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 5 },
      },
      requestId: `req_${randomUUID().slice(0, 8)}`,
      type: 'assistant',
    });
  }

  private toolResult(block: Line, toolUseResult: unknown): this {
    return this.user([block], { toolUseResult, sourceToolAssistantUUID: this.lastUuid });
  }

  private error(id: string, content: string, message: string): this {
    const text = message.startsWith('[Request interrupted') ? message : `Error: ${message}`;
    return this.toolResult({ type: 'tool_result', content, is_error: true, tool_use_id: id }, text);
  }

  /** A line with the envelope: before the fields (1.x-2.1.x order) or, for 2.1.330 attachments, after them. */
  private envelope(fields: Line, { envelopeLast = false } = {}): this {
    const uuid = randomUUID();
    const head: Line = { parentUuid: this.lastUuid, isSidechain: this.isSidechain };
    const tail: Line = {
      userType: 'external',
      cwd: this.lineCwd,
      sessionId: this.lineSessionId,
      version: this.version,
      gitBranch: this.gitBranch,
      ...(this.agentId === undefined ? {} : { agentId: this.agentId }),
    };
    const stamp = { uuid, timestamp: this.shared.clock().toISOString() };
    const line = envelopeLast ? { ...head, ...fields, ...stamp, ...tail } : { ...head, ...tail, ...fields, ...stamp };
    this.lastUuid = uuid;
    return this.raw(line);
  }
}

function newShared(options: TranscriptOptions, sessionId: string): Shared {
  let time = Date.parse(options.start ?? '2026-01-05T09:00:00.000Z');
  const step = options.stepMs ?? 1000;
  let ids = 0;
  return {
    clock:
      options.clock ??
      (() => {
        const now = new Date(time);
        time += step;
        return now;
      }),
    jump: (to) => {
      time = Date.parse(to);
    },
    nextId: () => `toolu_${sessionId.slice(0, 8)}_${String(++ids).padStart(3, '0')}`,
    files: new Map(),
  };
}

function jsonl(lines: string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}
