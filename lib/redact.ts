/** Secrets out of text before it reaches memory files. Pure. */

const REDACTED = '[REDACTED]';

/** Not a letter, digit or token character before a match: keeps `task-…` or `mask_…` from starting one. */
const START = String.raw`(?<![A-Za-z0-9_-])`;
const END = String.raw`(?![A-Za-z0-9_-])`;

/** Whole-match patterns: the match is replaced. */
const TOKEN_PATTERNS: RegExp[] = [
  // Anthropic (sk-ant-…), OpenAI (sk-…, sk-proj-…, sk-svcacct-…).
  new RegExp(String.raw`${START}sk-[A-Za-z0-9_-]{20,}`, 'g'),
  // Stripe secret and restricted keys.
  new RegExp(String.raw`${START}(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}`, 'g'),
  // Google API keys.
  new RegExp(String.raw`${START}AIza[A-Za-z0-9_-]{35}${END}`, 'g'),
  // Slack: bot, user, refresh and configuration tokens (`xoxb-`, `xoxp-`, `xoxe-1-`, `xoxe.xoxp-1-`), app-level `xapp-1-`.
  new RegExp(String.raw`${START}(?:xoxe\.)?xox[a-z]-\d[A-Za-z0-9-]{9,}`, 'g'),
  new RegExp(String.raw`${START}xapp-\d-[A-Za-z0-9-]{10,}`, 'g'),
  // Slack webhook paths; the host stays so the reader can tell what was there.
  /(?<=hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9_\/+-]{20,}/g,
  // GitLab's prefixed tokens (access, deploy, runner, trigger, agent, OAuth, CI job, feed, mail, SCIM, feature flags);
  // routable ones end in `.01.xxxxxxxxx`.
  new RegExp(
    String.raw`${START}gl(?:pat|dt|rt|ptt|agent|oas|cbt|ft|imt|soat|ffct)-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9]+)*`,
    'g',
  ),
  // npm access tokens.
  new RegExp(String.raw`${START}npm_[A-Za-z0-9]{36}${END}`, 'g'),
  // SendGrid API keys: `SG.` then two base64url parts.
  new RegExp(String.raw`${START}SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}${END}`, 'g'),
  // Hugging Face.
  new RegExp(String.raw`${START}hf_[A-Za-z0-9]{30,}`, 'g'),
  // GitHub: classic, OAuth, user-to-server, server-to-server, refresh, fine-grained.
  new RegExp(String.raw`${START}gh[pousr]_[A-Za-z0-9]{30,}`, 'g'),
  new RegExp(String.raw`${START}github_pat_[A-Za-z0-9_]{22,}`, 'g'),
  // AWS access key ids.
  new RegExp(String.raw`(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])`, 'g'),
  // JWTs: header and payload are base64url JSON objects.
  new RegExp(String.raw`${START}eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`, 'g'),
];

/** `-----BEGIN … PRIVATE KEY-----` through its END line; a block cut off before its END is redacted to the end. */
const PRIVATE_KEY =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*$)/g;

/**
 * `Authorization: Bearer <token>` (also Basic/Token), and a bare `Bearer <long token>` (also `bearer`, `BEARER`).
 * The bare token needs a digit or a capital so prose such as `bearer token-based-authentication` stays.
 */
const AUTHORIZATION = /(authorization["']?\s*[:=]\s*["']?(?:bearer|basic|token)\s+)([A-Za-z0-9._~+/-]+=*)/gi;
const BARE_BEARER = /(\b(?:[Bb]earer|BEARER)\s+)((?=[A-Za-z0-9._~+/-]*[0-9A-Z])[A-Za-z0-9._~+/-]{16,}=*)/g;

/**
 * Credentials in a URL: `https://user:secret@host`. The password runs to the last `@` before the host, since people
 * write `p@ssw0rd` unencoded; it stops at `/`, `?` or `#`, which cannot be in userinfo. The scheme starts a run, so a
 * long dotted run is scanned once.
 */
const URL_PASSWORD = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/?#@]+:)([^\s/?#]+)(@)/g;
/** A token standing alone as the URL's user, as in Sentry DSNs and `https://<token>@host/repo.git`. */
const URL_TOKEN_USER = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/)((?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{20,})(@)/g;

/**
 * A curl command to the end of its line (continuation lines included), and in it `-u user:password` (also `--user`,
 * `-U`/`--proxy-user`); the user name stays. Only inside curl, because elsewhere `-u 1000:1000` is a uid.
 */
const CURL_COMMAND = /\bcurl\b(?:\\\n|[^\n])*/g;
const CURL_USER = /(\s(?:-u|--user|-U|--proxy-user)(?:\s+|=)?["']?[^\s:'"]+:)(?![$%{<])([^\s'"]+)/g;
/** A mysql (mysqldump, mariadb…) command, and in it `-p<password>`: attached to `-p`, since a spaced `-p` prompts. */
const MYSQL_COMMAND = /\b(?:mysql|mariadb)[a-z-]*\b(?:\\\n|[^\n|;&])*/g;
const MYSQL_PASSWORD = /(\s-p)([^\s'"]+|'[^'\n]*'|"[^"\n]*")/g;

/** A key ending in a secret's name: `password`, `DB_PASSWORD`, `"apiKey"`, `--token`, `AccountKey` (Azure). */
const SECRET_KEY =
  String.raw`(?<![A-Za-z0-9_.-])(?<key>(?<q>\\?["']?)[A-Za-z0-9_.-]*?` +
  String.raw`(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|account[_-]?key)\k<q>)`;
const VALUE =
  String.raw`(?:\\"(?<escaped>(?:[^"\\\n]|\\[^"\n])*)\\"|"(?<double>(?:[^"\\\n]|\\.)*)"|'(?<single>(?:[^'\\\n]|\\.)*)'` +
  String.raw`|(?<bare>[^\s'"\x60,;(){}\[\]<>&\\]+))`;

/**
 * `password=…`, `DB_PASSWORD: "…"`, `"apiKey": "…"`, `client_secret=…`, `GITHUB_TOKEN=…`, `aws_secret_access_key = …`:
 * a secret's key, a separator, then a value. Only the value is replaced.
 */
const ASSIGNMENT = new RegExp(SECRET_KEY + String.raw`(?<sep>\s*(?::=|=>|[:=])(?!=)\s*)` + VALUE, 'gi');
/** The same with only spaces between, as in `aws configure set aws_secret_access_key …` or `--password …`. */
const SPACED_ARGUMENT = new RegExp(SECRET_KEY + String.raw`(?<sep>[ \t]+)` + VALUE, 'gi');

/** Values that name a value rather than being one. */
const NOT_A_VALUE = /^(?:null|nil|none|undefined|true|false|empty|required|optional|string|number|boolean|redacted)$/i;
/** Variables, templates, placeholders and masks: `$DB_PASSWORD`, `${TOKEN}`, `{{ secret }}`, `<token>`, `***`. */
const REFERENCE = /^(?:[$%<{]|\*+$|\[REDACTED\]$|(?:process\.env|os\.environ|import\.meta|this|self)\.)/;

interface AssignmentGroups {
  key: string;
  sep: string;
  escaped?: string;
  double?: string;
  single?: string;
  bare?: string;
}

/** Replaces each secret in `text` with `[REDACTED]`; ordinary text comes back unchanged. */
export function redactSecrets(text: string): string {
  let result = text
    .replace(PRIVATE_KEY, REDACTED)
    .replace(URL_PASSWORD, `$1${REDACTED}$3`)
    .replace(AUTHORIZATION, `$1${REDACTED}`)
    .replace(BARE_BEARER, `$1${REDACTED}`)
    .replace(URL_TOKEN_USER, `$1${REDACTED}$3`)
    .replace(CURL_COMMAND, (command) => command.replace(CURL_USER, `$1${REDACTED}`))
    .replace(MYSQL_COMMAND, (command) => command.replace(MYSQL_PASSWORD, `$1${REDACTED}`))
    .replace(ASSIGNMENT, redactAssignment)
    .replace(SPACED_ARGUMENT, redactAssignment);
  for (const pattern of TOKEN_PATTERNS) result = result.replace(pattern, REDACTED);
  return result;
}

/** A copy of `value` with every string inside it (objects and arrays, keys untouched) passed through redactSecrets. */
export function redactDeep<T>(value: T): T {
  return redactValue(value) as T;
}

function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) copy[key] = redactValue(inner);
    return copy;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function redactAssignment(match: string, ...args: unknown[]): string {
  const groups = args.at(-1) as AssignmentGroups;
  const whole = args.at(-2) as string;
  const offset = args.at(-3) as number;
  const { key, sep } = groups;
  const spacesOnly = /^\s+$/.test(sep);
  if (spacesOnly && !looksArgumentKey(key)) return match;
  if (groups.escaped !== undefined) return looksQuotedValue(groups.escaped) ? `${key}${sep}\\"${REDACTED}\\"` : match;
  if (groups.double !== undefined) return looksQuotedValue(groups.double) ? `${key}${sep}"${REDACTED}"` : match;
  if (groups.single !== undefined) return looksQuotedValue(groups.single) ? `${key}${sep}'${REDACTED}'` : match;
  const bare = groups.bare ?? '';
  const next = whole.charAt(offset + match.length);
  const looksValue = spacesOnly ? looksArgumentValue(bare, next) : looksBareValue(bare, key, sep, next);
  return looksValue ? `${key}${sep}${REDACTED}` : match;
}

/**
 * With only spaces after it, a key must look like a name on a command line, not a word in a sentence:
 * a flag (`--password`), a joined name (`aws_secret_access_key`, `github.token`) or capitals (`PASSWORD`).
 */
function looksArgumentKey(key: string): boolean {
  const name = key.replace(/["'\\]/g, '');
  return /^-|[A-Za-z0-9][_.-]/.test(name) || /^[A-Z0-9_]+$/.test(name);
}

/** An unquoted argument is taken when it looks generated (letters and digits, or a long mixed-case run), not a flag or path. */
function looksArgumentValue(value: string, next: string): boolean {
  if (value.length < 6 || NOT_A_VALUE.test(value) || REFERENCE.test(value)) return false;
  if (/^[-/.~]/.test(value) || /[.:,]$/.test(value) || next === '(') return false;
  if (/[A-Za-z]/.test(value) && /[0-9]/.test(value)) return true;
  return value.length >= 16 && /[a-z]/.test(value) && /[A-Z]/.test(value);
}

function looksQuotedValue(value: string): boolean {
  return value.trim() !== '' && !NOT_A_VALUE.test(value) && !REFERENCE.test(value);
}

/**
 * An unquoted value must look like one: `token: abc123def` yes, `Password: reset it by mail` no.
 * Spaced separators (`key: value`, `key = value`) are common in prose and code, so a plain word or a name
 * (`self.api_key = api_key`, `apiKey = config.apiKey`) there is not taken; a tight `key=value` (env files, query
 * strings) is. A YAML line `client_secret: correcthorse…` is the exception: a joined key, a colon, then one lowercase
 * word ending the line.
 */
function looksBareValue(value: string, key: string, sep: string, next: string): boolean {
  if (value.length < 4 || NOT_A_VALUE.test(value) || REFERENCE.test(value)) return false;
  if (next === '(' || /[.:]$/.test(value)) return false; // a call (`token = getToken()`) or the end of a sentence
  if (!/\s/.test(sep)) return true;
  const yamlLine = sep.includes(':') && /[A-Za-z0-9][_-]/.test(key) && /^[\r\n]?$/.test(next);
  if (yamlLine && /^[a-z]{8,}$/.test(value)) return true;
  if (/^[A-Za-z]+$/.test(value)) return value.length >= 16 && /[a-z]/.test(value) && /[A-Z].*[A-Z]/.test(value);
  return /[0-9]/.test(value) || /[^A-Za-z0-9_.]/.test(value);
}
