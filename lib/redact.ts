/**
 * Secrets out of text before it reaches memory files. Pure, synchronous, linear in the input.
 *
 * Two kinds of rule. A token whose format names it (`ghp_…`, `AKIA…`, a PEM block) is replaced whole. A value whose
 * context names it (`password=…`, `-p …` after `docker login`, a URL's userinfo) is replaced and its context kept, so
 * the reader can still tell what was there.
 *
 * Linear on any input in V8's backtracking engine, by three habits (test/redact.test.ts runs 16 MB worst cases):
 * - a variable-length run starts only where a run of its characters starts (a lookbehind), so no run is rescanned
 *   from each of its positions;
 * - no `X{n,}` and no choice inside a repetition (`(?:a|\\.)*`): V8 keeps a backtrack entry per repetition of those
 *   and overflows past about 8 MB of them; runs are written `X{n}X*` (`atLeast`), and loops with a choice are bounded;
 * - the gap between two parts of one pattern is bounded (`[\s\S]{0,100}?`).
 * The same holds for the small tests run on a matched value, which can be megabytes long.
 */

const REDACTED = '[REDACTED]';

/** Not a letter, digit or token character before a match: keeps `task-…` or `mask_…` from starting one. */
const START = String.raw`(?<![A-Za-z0-9_-])`;
const END = String.raw`(?![A-Za-z0-9_-])`;
const ALNUM = '[A-Za-z0-9]';
const BASE64URL = '[A-Za-z0-9_-]';
const HEX = '[0-9a-f]';

/** `count` or more of `chars`, in the form V8 scans without a backtrack entry per character. */
const atLeast = (chars: string, count: number) => `${chars}{${count}}${chars}*`;
/** Any of `words`, in any case: a rule's hint, searched before its pattern (a literal search costs little). */
const anyOf = (...words: string[]) =>
  new RegExp(words.map((word) => word.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'i');

/** Tokens whose format names them; each is replaced whole. */
const TOKEN_FORMATS: string[] = [
  // Stripe secret, restricted and webhook-signing keys.
  `(?:sk|rk)_(?:live|test|prod)_${atLeast(ALNUM, 10)}`,
  `whsec_${atLeast(ALNUM, 24)}`,
  // Google: API keys, OAuth client secrets, access and refresh tokens.
  `AIza${BASE64URL}{35}`,
  `GOCSPX-${atLeast(BASE64URL, 24)}`,
  String.raw`ya29\.${BASE64URL}{20}(?:[A-Za-z0-9_.-]*${BASE64URL})?`,
  `1//0${atLeast(BASE64URL, 40)}`,
  // Slack: bot, user, refresh and configuration tokens (`xoxb-`, `xoxp-`, `xoxe-1-`, `xoxe.xoxp-1-`), app-level `xapp-1-`.
  String.raw`(?:xoxe\.)?xox[a-z]-\d${atLeast('[A-Za-z0-9-]', 9)}`,
  String.raw`xapp-\d-${atLeast('[A-Za-z0-9-]', 10)}`,
  // GitLab's prefixed tokens (access, deploy, runner, trigger, agent, OAuth, CI job, feed, mail, SCIM, feature flags,
  // runner registration); routable ones end in `.01.xxxxxxxxx`.
  `gl(?:pat|dt|rt|ptt|agent|oas|cbt|ft|imt|soat|ffct)-${BASE64URL}{20}(?:[A-Za-z0-9_.-]*${ALNUM})?`,
  `GR1348941${atLeast(BASE64URL, 20)}`,
  // GitHub: classic, OAuth, user-to-server, server-to-server, refresh, fine-grained.
  `gh[pousr]_${atLeast(ALNUM, 30)}`,
  `github_pat_${atLeast('[A-Za-z0-9_]', 22)}`,
  // Package registries: npm, PyPI (a macaroon), RubyGems, Clojars, Docker Hub.
  `npm_${ALNUM}{36}`,
  `pypi-AgE${atLeast(BASE64URL, 50)}`,
  `rubygems_${HEX}{48}`,
  `CLOJARS_[a-z0-9]{60}`,
  `dckr_(?:pat|oat)_${atLeast(BASE64URL, 20)}`,
  // Messaging and mail: SendGrid, Mailgun, Sendinblue, Twilio API key SIDs, Discord bot tokens.
  String.raw`SG\.${BASE64URL}{22}\.${BASE64URL}{43}`,
  `key-${HEX}{32}`,
  `xkeysib-${HEX}{64}-${ALNUM}{16}`,
  `SK[0-9a-fA-F]{32}`,
  String.raw`[MNO]${ALNUM}{23,25}\.${BASE64URL}{6}\.${BASE64URL}{27,38}`,
  // Commerce and payments: Shopify, Square, Shippo, EasyPost, Flutterwave, Duffel.
  `shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}`,
  `(?:EAAA|sq0atp-|sq0csp-)${atLeast(BASE64URL, 22)}`,
  `shippo_(?:live|test)_[0-9a-fA-F]{40}`,
  `EZ[AT]K${ALNUM}{54}`,
  `FLWSECK(?:_TEST)?-${HEX}{32}-X`,
  `duffel_(?:live|test)_${BASE64URL}{43}`,
  // Cloud and hosting: Heroku, DigitalOcean, Alibaba, Fly.io, Netlify, Supabase.
  `HRKU-AA${BASE64URL}{58}`,
  `do[opr]_v1_${HEX}{64}`,
  `LTAI${ALNUM}{20}`,
  `fo1_${BASE64URL}{43}`,
  `fm[12][ar]?_${atLeast('[A-Za-z0-9+/]', 100)}={0,3}`,
  `nfp_${atLeast(ALNUM, 36)}`,
  `sbp_${HEX}{40}`,
  // Secrets managers: HashiCorp Vault, Doppler, 1Password, age, Pulumi.
  String.raw`hv[sb]\.${atLeast(BASE64URL, 90)}`,
  String.raw`dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9.]{39}[A-Za-z0-9.]*${ALNUM}`,
  `ops_eyJ${atLeast('[A-Za-z0-9+/]', 100)}={0,3}`,
  `AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}`,
  `pul-${HEX}{40}`,
  // Developer tools: Atlassian, Linear, Sentry, Grafana, New Relic, Databricks, PlanetScale, Postman, Buildkite,
  // Figma, Sourcegraph, Prefect, ReadMe, Dynatrace, Artifactory, Infracost, Typeform, Frame.io, Tailscale, Octopus,
  // Notion, OpenShift, Mapbox secret tokens.
  `ATATT3${atLeast('[A-Za-z0-9_=-]', 150)}`,
  `ATBB${atLeast(ALNUM, 32)}`,
  `lin_(?:api|oauth)_${atLeast(ALNUM, 40)}`,
  `sntry[su]_${atLeast('[A-Za-z0-9+/=_]', 40)}`,
  `glc_${atLeast('[A-Za-z0-9+/]', 32)}={0,3}`,
  `glsa_${ALNUM}{32}_[0-9a-fA-F]{8}`,
  `NR(?:AK|II)-${atLeast('[A-Za-z0-9-]', 27)}`,
  `dapi${HEX}{32}(?:-\\d)?`,
  `pscale_(?:tkn|pw|oauth)_${atLeast('[A-Za-z0-9_=.-]', 32)}`,
  `PMAK-${HEX}{24}-${HEX}{34}`,
  `bku[at]_${HEX}{40}`,
  `figd_${atLeast(BASE64URL, 40)}`,
  `sgp_(?:${HEX}{16}_|local_)?${HEX}{40}`,
  `pnu_${ALNUM}{36}`,
  `rdme_[a-z0-9]{70}`,
  String.raw`dt0c01\.${ALNUM}{24}\.${ALNUM}{64}`,
  `AKCp${ALNUM}{69}`,
  `cmVmdGtu${ALNUM}{56}`,
  `ico-${ALNUM}{32}`,
  `tfp_[A-Za-z0-9_.=-]{59}`,
  `fio-u-${BASE64URL}{64}`,
  `tskey-[a-z]+-${atLeast('[A-Za-z0-9-]', 20)}`,
  `API-(?=[A-Z]{0,25}[0-9])[A-Z0-9]{26}`,
  `ntn_${atLeast(ALNUM, 40)}`,
  `sha256~${BASE64URL}{43}`,
  String.raw`sk\.eyJ${atLeast(BASE64URL, 20)}\.${atLeast(BASE64URL, 10)}`,
  // AI providers: Hugging Face, Groq, Replicate, Perplexity, xAI, LangSmith.
  `hf_${atLeast(ALNUM, 30)}`,
  `gsk_${atLeast(ALNUM, 48)}`,
  `r8_${atLeast(ALNUM, 30)}`,
  `pplx-${atLeast(ALNUM, 40)}`,
  `xai-${atLeast(ALNUM, 70)}`,
  `lsv2_(?:pt|sk)_${HEX}{32}_${HEX}{10}`,
  // JWTs: header and payload are base64url JSON objects.
  String.raw`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`,
];
const TOKEN = new RegExp(`${START}(?:${TOKEN_FORMATS.join('|')})${END}`, 'g');

/**
 * Token formats whose literal part is inside them, not at the start: each is searched only in a text holding that
 * literal, since trying their leading character runs at every word is what costs.
 */
const INNER_LITERAL_TOKENS: [literal: string, format: string][] = [
  ['Q~', String.raw`[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}`], // Azure AD client secrets
  ['.atlasv1.', String.raw`${ALNUM}{14}\.atlasv1\.${atLeast('[A-Za-z0-9_=-]', 60)}`], // Terraform Cloud
  ['-us', `${HEX}{32}-us\\d{1,2}`], // Mailchimp
  ['AAAAAAAAAAAAAAAAAAAA', `A{20}${atLeast('[A-Za-z0-9%]', 80)}`], // Twitter/X app bearer tokens
];

/** Anthropic (`sk-ant-…`), OpenAI (`sk-…`, `sk-proj-…`): taken when random-looking, so `.sk-folding-cube` stays. */
const SK_TOKEN = new RegExp(`${START}sk-${atLeast(BASE64URL, 20)}`, 'g');
/** Telegram bot tokens, also after `bot` in an API URL. */
const TELEGRAM_TOKEN = new RegExp(String.raw`\d(?<=(?:^|[^A-Za-z0-9_:-]|bot)\d)\d{5,11}:AA${BASE64URL}{33}${END}`, 'g');
/** AWS access key ids: `AKIA…` (long-term), `ASIA…` (temporary) and the rarer kinds. */
const AWS_KEY_ID = String.raw`(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])`;
/**
 * An AWS secret access key written shortly after its key id (a credentials CSV row, `id / secret`, `id secret: …`):
 * 40 base64 characters with upper and lower case and a digit or `/`/`+`, which a SHA or a word does not have.
 */
const AWS_SECRET_AFTER_ID = new RegExp(
  String.raw`(${AWS_KEY_ID}(?:\/|[\s\S]{0,100}?[^A-Za-z0-9/+]))` +
    String.raw`(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[0-9/+])` +
    String.raw`[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])`,
  'g',
);
const AWS_KEY_ID_TOKEN = new RegExp(AWS_KEY_ID, 'g');
const AWS_HINT = anyOf('akia', 'asia', 'abia', 'acca');

/** `-----BEGIN … PRIVATE KEY-----` through its END line; a block cut off before its END is redacted to the end. */
const PRIVATE_KEY =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*$)/g;

/**
 * `Authorization: Bearer <token>` (also Basic/Token), and a bare `Bearer <long token>` (also `bearer`, `BEARER`).
 * The bare token needs a digit or a capital so prose such as `bearer token-based-authentication` stays.
 */
const AUTHORIZATION = /(authorization["']?\s*[:=]\s*["']?(?:bearer|basic|token)\s+)([A-Za-z0-9._~+/-]+=*)/gi;
const BARE_BEARER = /(\b(?:[Bb]earer|BEARER)\s+)((?=[A-Za-z0-9._~+/-]*[0-9A-Z])[A-Za-z0-9._~+/-]{16}[A-Za-z0-9._~+/-]*=*)/g;

/**
 * Credentials in a URL: `https://user:secret@host`, `redis://:secret@host`. The password runs to the last `@` before
 * the host, since people write `p@ssw0rd` or `pass#1` unencoded; it stops at `/` or `?`, which end the host. The
 * pattern starts at `://`, which a quick scan finds, and checks the scheme behind it.
 */
const URL_PASSWORD = /:\/\/(?<=(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s:/?#@]*:)([^\s/?]+)(@)/g;
/** A token standing alone as the URL's user, as in Sentry DSNs and `https://<token>@host/repo.git`. */
const URL_TOKEN_USER =
  /:\/\/(?<=(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:\/\/)((?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{20}[A-Za-z0-9_-]*)(@)/g;
/** Signed URLs: Azure SAS `sig=`, S3 and GCS presigned signatures, a session token in the query. */
const URL_SIGNATURE = /([?&;](?:sig|signature|x-amz-signature|x-goog-signature|x-amz-security-token)=)([^&#\s"'<>]+)/gi;
/** Webhook URLs whose path is the secret; the host stays so the reader can tell what was there. */
const WEBHOOK_PATH = new RegExp(
  String.raw`((?:hooks\.slack\.com\/(?:services|workflows|triggers)|discord(?:app)?\.com\/api\/webhooks\/\d+)\/)` +
    `(${atLeast('[A-Za-z0-9_/+-]', 20)})`,
  'g',
);

/** The rest of a command: continuation lines included (up to 100), a pipeline's next command not (`|`, `;`, `&`). */
const COMMAND_REST = String.raw`[^\n|;&\\]*(?:\\[\s\S][^\n|;&\\]*){0,100}`;
/** A flag's value: quoted, or up to the next space. */
const FLAG_VALUE = String.raw`('[^'\n]*'|"[^"\n]*"|[^\s'"]+)`;

interface CommandRule {
  /** What the text must contain for the command to be in it, so that most texts skip the rule without a pass. */
  hint: RegExp;
  command: RegExp;
  flag: RegExp;
}

/** Where a flag's value is a password only because of the command it follows: elsewhere `-p` is a port, `-u` a uid. */
const COMMAND_RULES: CommandRule[] = [
  // curl's `-u user:password` (also `--user`, `-U`/`--proxy-user`): the user name stays. The whole line, since a
  // quoted URL may hold `&`.
  {
    hint: anyOf('curl'),
    command: /\bcurl\b[^\n\\]*(?:\\[\s\S][^\n\\]*){0,100}/g,
    flag: /(\s(?:-u|--user|-U|--proxy-user)(?:\s+|=)?["']?[^\s:'"]+:)(?![$%{<])([^\s'"]+)/g,
  },
  // mysql, mysqldump, mariadb…: `-p<password>` attached to `-p`, since a spaced `-p` prompts.
  {
    hint: anyOf('mysql', 'mariadb'),
    command: new RegExp(String.raw`\b(?:mysql|mariadb)[a-z-]*\b${COMMAND_REST}`, 'g'),
    flag: new RegExp(String.raw`(\s-p)${FLAG_VALUE}`, 'g'),
  },
  // Registry and cluster logins, twine, the mongo tools: `-p <password>`, `--password <password>`.
  {
    hint: anyOf(' login', 'twine', 'mongo'),
    command: new RegExp(
      String.raw`\b(?:(?:docker|podman|nerdctl|buildah|skopeo|oras|oc|az|helm(?: registry)?) login|twine upload|` +
        String.raw`mongo(?:sh|dump|restore|import|export)?)\b${COMMAND_REST}`,
      'g',
    ),
    flag: new RegExp(String.raw`(\s(?:-p|--password)(?:[ \t]+|=))${FLAG_VALUE}`, 'g'),
  },
  {
    hint: anyOf('sshpass'),
    command: new RegExp(String.raw`\bsshpass\b${COMMAND_REST}`, 'g'),
    flag: new RegExp(String.raw`(\s-p[ \t]*)${FLAG_VALUE}`, 'g'),
  },
  {
    hint: anyOf('redis-cli'),
    command: new RegExp(String.raw`\bredis-cli\b${COMMAND_REST}`, 'g'),
    flag: new RegExp(String.raw`(\s(?:-a|--pass)[ \t]+)${FLAG_VALUE}`, 'g'),
  },
  {
    hint: anyOf('ldap'),
    command: new RegExp(String.raw`\bldap(?:search|add|modify|delete|passwd|whoami|compare|modrdn)\b` + COMMAND_REST, 'g'),
    flag: new RegExp(String.raw`(\s-w[ \t]+)${FLAG_VALUE}`, 'g'),
  },
  {
    hint: anyOf('sqlcmd', 'bcp'),
    command: new RegExp(String.raw`\b(?:sqlcmd|bcp)\b${COMMAND_REST}`, 'g'),
    flag: new RegExp(String.raw`(\s-P[ \t]*)${FLAG_VALUE}`, 'g'),
  },
];

/** Flags that name a password on their own: keytool's `-storepass`/`-keypass`, openssl's `-passin pass:…`. */
const PASSWORD_FLAG = new RegExp(
  String.raw`(\s-(?:(?:src|dest)?(?:store|key)pass[ \t]+|pass(?:in|out)[ \t]+pass:))${FLAG_VALUE}`,
  'g',
);

/** Names that say their value is a secret: `password`, `DB_PASSWORD`, `"apiKey"`, `--token`, `SECRET_KEY`, `AccountKey`. */
const STRONG_NAMES =
  String.raw`password|passwd|passphrase|[_.-]pwd|[_.-]pass|secret|token|api[_.-]?key|access[_.-]?key|account[_.-]?key|` +
  String.raw`secret[_.-]?key(?:[_.-]?base)?|private[_.-]?key|encryption[_.-]?key|requirepass`;
/**
 * Names that hold a secret as often as something else (`auth: oauth2`, `appKey: com.acme.app`): the value must look
 * generated.
 */
const WEAK_NAMES =
  String.raw`auth|masterauth|credentials?|` +
  String.raw`(?:app|application|master|signing|session|client|hmac|jwt|webhook|license|shared|service|crypt|cipher)` +
  String.raw`[_.-]?key`;
const STRONG_NAME = new RegExp(`(?:${STRONG_NAMES})$`, 'i');

/**
 * A quoted value with at most 64 escapes in it (bounded: see the head of this file), or a bare one. A quote left open
 * at the end of a line or of the text (a cut-off transcript) still holds a value. A bare value runs through `&`
 * (`Tr0ub4dor&3`) unless a query's next `name=` follows it.
 */
const VALUE =
  String.raw`(?:\\"(?<escaped>[^"\\\n]*(?:\\[^"\n][^"\\\n]*){0,64})\\"` +
  String.raw`|"(?<double>[^"\\\n]*(?:\\.[^"\\\n]*){0,64})(?<doubleEnd>"|(?=\n|$))` +
  String.raw`|'(?<single>[^'\\\n]*(?:\\.[^'\\\n]*){0,64})(?<singleEnd>'|(?=\n|$))` +
  String.raw`|(?<bare>[^\s'"\x60,;(){}\[\]<>&\\]+(?:&(?![\w.-]*=)[^\s'"\x60,;(){}\[\]<>&\\]*){0,64}))`;

/**
 * `password=…`, `DB_PASSWORD: "…"`, `"apiKey": "…"`, `client_secret=…`, `GITHUB_TOKEN=…`, `aws_secret_access_key = …`:
 * a secret's name, a separator on the same line, then a value. Only the value is replaced. The match starts at the
 * name's last word (`PASSWORD` in `DB_PASSWORD`), which the engine finds quickly; redactAssignment reads the rest of
 * the name backwards.
 */
const NAMED = String.raw`(?<word>${STRONG_NAMES}|${WEAK_NAMES})(?<close>\\?["']?)`;
const ASSIGNMENT = new RegExp(NAMED + String.raw`(?<sep>[ \t]*(?::=|=>|[:=])(?!=)[ \t]*)` + VALUE, 'gi');
/**
 * The same with only spaces between, as in `aws configure set aws_secret_access_key …` or `--password …`. A pass of
 * its own after ASSIGNMENT, so that a rejected `Password token=…` cannot hide the `token=…` inside it.
 */
const SPACED_ARGUMENT = new RegExp(NAMED + String.raw`(?<sep>[ \t]+)` + VALUE, 'gi');
/** Longest key name read backwards from its last word; a longer run is not a name. */
const MAX_NAME = 200;

const XML_NAME = String.raw`(?=[A-Za-z])[\w.:-]{0,40}?(?:${STRONG_NAMES})`;
/** `<password>…</password>`, `<apiToken>…</apiToken>` (Maven settings, Spring and .NET config). */
const XML_ELEMENT = new RegExp(String.raw`(<(?<tag>${XML_NAME})>)([^<\n]{1,500})(</\k<tag>>)`, 'gi');
/** `<add key="ClearTextPassword" value="…" />` (NuGet, .NET appSettings). */
const XML_KEY_VALUE = new RegExp(String.raw`(<add\s+key="${XML_NAME}"\s+value=")([^"\n]{1,500})(")`, 'gi');

/** `the password is …` in a sentence; the value must look like one (see looksArgumentValue). */
const PROSE_PASSWORD =
  /(\b(?:password|passphrase|passcode)[ \t]+(?:is|was)[ \t]+)(`[^`\n]{1,200}`|"[^"\n]{1,200}"|'[^'\n]{1,200}'|[^\s`"']+)/gi;
/** A .netrc entry: `machine … login … password …`, on one line or several. */
const NETRC_PASSWORD = /(\blogin[ \t]+\S+\s+password[ \t]+)(\S+)/g;
/** `Cookie:` and `Set-Cookie:` headers, and in them each `name=value`. */
const COOKIE_HEADER = /(\b(?:set-)?cookie[ \t]*:[ \t]*)([^\n]*)/gi;
const COOKIE_PAIR = /((?:^|;)[ \t]*)([^=;\s]+)=([^;\s]+)/g;
const SESSION_COOKIE = /sess|sid|auth|token|jwt|remember|login/i;

/** Values that name a value rather than being one. */
const NOT_A_VALUE = /^(?:null|nil|none|undefined|true|false|empty|required|optional|string|number|boolean|redacted)$/i;
/** Variables, templates, placeholders and masks: `$DB_PASSWORD`, `${TOKEN}`, `{{ secret }}`, `<token>`, `***`. */
const REFERENCE = /^(?:[$%<{]|\*+$|\[REDACTED\]$|(?:process\.env|os\.environ|import\.meta|this|self)\.)/;
/** Example values: `your-api-key-here`, `changeme`, `xxxx`. */
const PLACEHOLDER = /^(?:your[-_]\S*|changeme|change[-_]me|replace[-_]?me|x{3}x*|example|placeholder|dummy|\.{3}|…)$/i;
/** Publishable keys, public by design: Stripe `pk_live_…`, Mapbox `pk.…`. */
const PUBLISHABLE = /^pk[._]/;
/** A path or a file name rather than its content: `/run/secrets/db`, `~/.ssh/id_rsa`, `client.key`. */
const PATH_OR_FILE = /^(?:~?\/|\.{1,2}\/)|\.(?:pem|key|crt|cer|der|json|p12|pfx|jks|txt|ya?ml|env)$/i;

interface AssignmentGroups {
  word: string;
  close: string;
  sep: string;
  escaped?: string;
  double?: string;
  doubleEnd?: string;
  single?: string;
  singleEnd?: string;
  bare?: string;
}

interface Step {
  /** What the text must contain for the step to find anything (see anyOf), searched first; none: always run. */
  hint?: RegExp;
  redact: (text: string) => string;
}

/** Redaction in order: whole blocks and URLs first, then commands, then named values, then bare tokens. */
const STEPS: Step[] = [
  { hint: anyOf('private key'), redact: (text) => text.replace(PRIVATE_KEY, REDACTED) },
  { hint: anyOf('://'), redact: (text) => text.replace(URL_PASSWORD, redactUrlPassword) },
  {
    hint: anyOf('sig=', 'signature=', 'security-token='),
    redact: (text) => text.replace(URL_SIGNATURE, `$1${REDACTED}`),
  },
  { hint: anyOf('hooks.slack.com', 'discord'), redact: (text) => text.replace(WEBHOOK_PATH, `$1${REDACTED}`) },
  { hint: anyOf('authorization'), redact: (text) => text.replace(AUTHORIZATION, `$1${REDACTED}`) },
  { hint: anyOf('bearer'), redact: (text) => text.replace(BARE_BEARER, `$1${REDACTED}`) },
  { hint: anyOf('://'), redact: (text) => text.replace(URL_TOKEN_USER, `://${REDACTED}$2`) },
  { hint: AWS_HINT, redact: (text) => text.replace(AWS_SECRET_AFTER_ID, `$1${REDACTED}`) },
  ...COMMAND_RULES.map(({ hint, command, flag }) => ({
    hint,
    redact: (text: string) => text.replace(command, (line) => line.replace(flag, redactFlagValue)),
  })),
  {
    hint: anyOf('storepass', 'keypass', '-passin', '-passout'),
    redact: (text) => text.replace(PASSWORD_FLAG, redactFlagValue),
  },
  { hint: /<\/[\w.:-]{0,40}?(?:pass|pwd|secret|token|key)|<add\s/i, redact: redactXml },
  { hint: anyOf('login'), redact: (text) => text.replace(NETRC_PASSWORD, redactFlagValue) },
  {
    hint: /pass(?:word|phrase|code)[ \t]+(?:is|was)\b/i,
    redact: (text) => text.replace(PROSE_PASSWORD, redactProsePassword),
  },
  { hint: anyOf('cookie'), redact: (text) => text.replace(COOKIE_HEADER, redactCookieHeader) },
  { redact: (text) => replaceMatches(text, ASSIGNMENT, redactAssignment) },
  { redact: (text) => replaceMatches(text, SPACED_ARGUMENT, redactAssignment) },
  { redact: (text) => text.replace(TOKEN, REDACTED) },
  ...INNER_LITERAL_TOKENS.map(([literal, format]) => {
    const pattern = new RegExp(`${START}${format}${END}`, 'g');
    return { hint: anyOf(literal), redact: (text: string) => text.replace(pattern, REDACTED) };
  }),
  { hint: anyOf('sk-'), redact: (text) => text.replace(SK_TOKEN, (token) => (looksRandom(token) ? REDACTED : token)) },
  { hint: anyOf(':aa'), redact: (text) => text.replace(TELEGRAM_TOKEN, REDACTED) },
  { hint: AWS_HINT, redact: (text) => text.replace(AWS_KEY_ID_TOKEN, REDACTED) },
];

/** Replaces each secret in `text` with `[REDACTED]`; ordinary text comes back unchanged. */
export function redactSecrets(text: string): string {
  let result = text;
  for (const { hint, redact } of STEPS) {
    if (hint === undefined || hint.test(text)) result = redact(result);
  }
  return result;
}

/**
 * `text.replace(pattern, …)` for a global pattern with a function, by an exec loop: V8's replace with a function
 * takes several times as long, and the assignment patterns match often in ordinary code.
 */
function replaceMatches(
  text: string,
  pattern: RegExp,
  replace: (found: RegExpExecArray, text: string) => string,
): string {
  let out = '';
  let copied = 0;
  pattern.lastIndex = 0;
  for (let found = pattern.exec(text); found !== null; found = pattern.exec(text)) {
    const replacement = replace(found, text);
    if (replacement === found[0]) continue;
    out += text.slice(copied, found.index) + replacement;
    copied = found.index + found[0].length;
  }
  return copied === 0 ? text : out + text.slice(copied); // a match is never empty, so copied > 0 once one was replaced
}

/**
 * A copy of `value` with every string inside it (objects and arrays, keys untouched) passed through redactSecrets.
 * Walks with its own stack, so any depth is fine; a value that contains itself gives a copy that contains itself.
 */
export function redactDeep<T>(value: T): T {
  const copies = new Map<object, unknown>();
  const pending: { from: Record<string, unknown> | unknown[]; into: Record<string, unknown> | unknown[] }[] = [];
  const copyOf = (inner: unknown): unknown => {
    if (typeof inner === 'string') return redactSecrets(inner);
    if (!Array.isArray(inner) && !isPlainObject(inner)) return inner;
    const known = copies.get(inner);
    if (known !== undefined) return known;
    const into = Array.isArray(inner) ? new Array<unknown>(inner.length) : {};
    copies.set(inner, into);
    pending.push({ from: inner, into });
    return into;
  };
  const root = copyOf(value);
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { from, into } = item;
    if (Array.isArray(from)) from.forEach((inner, index) => ((into as unknown[])[index] = copyOf(inner)));
    else for (const [key, inner] of Object.entries(from)) (into as Record<string, unknown>)[key] = copyOf(inner);
  }
  return root as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function redactUrlPassword(match: string, user: string, password: string, at: string): string {
  return REFERENCE.test(password) ? match : `://${user}${REDACTED}${at}`;
}

function redactXml(text: string): string {
  return text
    .replace(XML_ELEMENT, (match, open: string, _tag: string, value: string, close: string) =>
      isNotAValue(value.trim()) ? match : `${open}${REDACTED}${close}`,
    )
    .replace(XML_KEY_VALUE, (match, open: string, value: string, close: string) =>
      isNotAValue(value.trim()) ? match : `${open}${REDACTED}${close}`,
    );
}

/** A flag's value, quoted or not, unless it is a variable (`"$REGISTRY_PASSWORD"`) or already redacted. */
function redactFlagValue(match: string, flag: string, value: string): string {
  return REFERENCE.test(value.replace(/^["']/, '')) ? match : `${flag}${REDACTED}`;
}

function redactProsePassword(match: string, lead: string, value: string): string {
  if (/^[`"']/.test(value)) return isNotAValue(value.slice(1, -1)) ? match : `${lead}${value[0]}${REDACTED}${value[0]}`;
  const word = value.replace(/[.,;:)]+$/, '');
  return looksArgumentValue(word, '') || (word.length >= 8 && /[^A-Za-z0-9]/.test(word) && /[0-9]/.test(word))
    ? `${lead}${REDACTED}${value.slice(word.length)}`
    : match;
}

function redactCookieHeader(_match: string, header: string, cookies: string): string {
  return header + cookies.replace(COOKIE_PAIR, redactCookie);
}

/** A session cookie's value (by its name), or any cookie value long and random enough to be a token. */
function redactCookie(match: string, lead: string, name: string, value: string): string {
  const session = SESSION_COOKIE.test(name) && value.length >= 8 && !isNotAValue(value);
  return session || (value.length >= 24 && looksGenerated(value)) ? `${lead}${name}=${REDACTED}` : match;
}

function redactAssignment(found: RegExpExecArray, whole: string): string {
  const groups = found.groups as unknown as AssignmentGroups;
  const [match] = found;
  const offset = found.index;
  const { word, close, sep } = groups;
  const start = nameStart(whole, offset);
  // Not a name: a run too long to be one, or a closing quote the name did not open (`password": x`).
  if (start === undefined || (close !== '' && whole.slice(start - close.length, start) !== close)) return match;
  const name = whole.slice(start, offset) + word;
  const spacesOnly = /^[ \t]+$/.test(sep);
  // With only spaces, a quoted name is a label (`resource "aws_secretsmanager_secret" "db"`), not a key.
  if (spacesOnly && (close !== '' || !looksArgumentKey(name))) return match;
  // `existingSecret: my-release-postgresql` names a secret; an ARN's `…:secret:prod/db` is a resource path.
  if (/existing/i.test(name) || (sep === ':' && whole.charAt(start - 1) === ':')) return match;
  const kept = `${word}${close}${sep}`;
  const weak = !STRONG_NAME.test(name);
  const quoted = groups.escaped ?? groups.double ?? groups.single;
  if (quoted !== undefined) {
    if (isNotAValue(quoted.trim()) || (weak && !looksGenerated(quoted))) return match;
    const leftOpen = groups.doubleEnd === '' || groups.singleEnd === '';
    if (leftOpen && !/^\S{6}\S*$/.test(quoted)) return match; // a quote left open holds one word, not `: ")`
    if (groups.escaped !== undefined) return `${kept}\\"${REDACTED}\\"`;
    if (groups.double !== undefined) return `${kept}"${REDACTED}${groups.doubleEnd ?? ''}`;
    return `${kept}'${REDACTED}${groups.singleEnd ?? ''}`;
  }
  const bare = groups.bare ?? '';
  if (isNotAValue(bare) || (PATH_OR_FILE.test(bare) && !looksBase64(bare)) || (weak && !looksGenerated(bare))) return match;
  if (!/password|passwd|passphrase|pwd/i.test(name) && !sep.includes('=') && looksName(bare)) return match;
  const next = whole.charAt(offset + match.length);
  const looksValue = spacesOnly ? looksArgumentValue(bare, next) : looksBareValue(bare, name, sep, next);
  return looksValue ? `${kept}${REDACTED}` : match;
}

/** Where the name ending in the word at `at` starts: back over letters, digits, `_`, `.` and `-`, at most MAX_NAME. */
function nameStart(text: string, at: number): number | undefined {
  let start = at;
  while (start > 0 && isNameChar(text.charCodeAt(start - 1))) {
    if (at - --start > MAX_NAME) return undefined;
  }
  return start;
}

/** A letter, a digit, `_`, `.` or `-`, by char code (called once per character of each name). */
function isNameChar(code: number): boolean {
  const letterOrDigit = (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
  return letterOrDigit || code === 95 || code === 46 || code === 45;
}

/**
 * With only spaces after it, a key must look like a name on a command line, not a word in a sentence:
 * a flag (`--password`), a joined name (`aws_secret_access_key`, `github.token`), capitals (`PASSWORD`), or a
 * config directive (`requirepass`).
 */
function looksArgumentKey(name: string): boolean {
  return /^-|[A-Za-z0-9][_.-]/.test(name) || /^[A-Z0-9_]+$/.test(name) || /^(?:requirepass|masterauth)$/.test(name);
}

/** An unquoted argument is taken when it looks generated (letters and digits, or long and mixed-case), not a flag or path. */
function looksArgumentValue(value: string, next: string): boolean {
  if (value.length < 6 || isNotAValue(value)) return false;
  if (/[.:,]$/.test(value) || next === '(') return false;
  if (value.startsWith('-') || (/^[/.~]/.test(value) && !looksBase64(value))) return false; // a flag or a path
  if (/[A-Za-z]/.test(value) && /[0-9]/.test(value)) return true;
  return value.length >= 16 && /[a-z]/.test(value) && /[A-Z]/.test(value);
}

/** Not a value at all: a type or null-ish word, a variable or template, a placeholder, or a publishable key. */
function isNotAValue(value: string): boolean {
  if (value === '' || NOT_A_VALUE.test(value) || REFERENCE.test(value)) return true;
  return PLACEHOLDER.test(value) || PUBLISHABLE.test(value);
}

/** Generated rather than written: 12 or more characters with letters and digits, or 20 or more in mixed case. */
function looksGenerated(value: string): boolean {
  if (value.length >= 12 && /[A-Za-z]/.test(value) && /[0-9]/.test(value)) return true;
  return value.length >= 20 && /[a-z]/.test(value) && /[A-Z]/.test(value);
}

/** Random: lower case, upper case and digits, as a generated key has and a kebab-case name has not. */
function looksRandom(value: string): boolean {
  return /[a-z]/.test(value) && /[A-Z]/.test(value) && /[0-9]/.test(value);
}

/** Base64 that may start with `/` like a path (`/VzZ…==`): long, random, no `.`. */
function looksBase64(value: string): boolean {
  return value.length >= 20 && !value.includes('.') && looksRandom(value);
}

/** A resource name: lowercase words or numbers joined by `-` or `.` (`my-release-postgresql`, `api-secrets-v2`). */
function looksName(value: string): boolean {
  return value.length <= 100 && /^[a-z]+(?:[-.](?:[a-z]+|[0-9]+|v[0-9]+))+$/.test(value);
}

/**
 * An unquoted value must look like one: `token: abc123def` yes, `Password: reset it by mail` no.
 * Spaced separators (`key: value`, `key = value`) are common in prose and code, so a plain word or a name
 * (`self.api_key = api_key`, `apiKey = config.apiKey`) there is not taken; a tight `key=value` (env files, query
 * strings) is. A YAML line `client_secret: correcthorse…` is the exception: a joined key, a colon, then one lowercase
 * word ending the line.
 */
function looksBareValue(value: string, key: string, sep: string, next: string): boolean {
  if (value.length < 4) return false;
  if (next === '(' || /[.:]$/.test(value)) return false; // a call (`token = getToken()`) or the end of a sentence
  if (!/\s/.test(sep)) return true;
  const yamlLine = sep.includes(':') && /[A-Za-z0-9][_-]/.test(key) && /^[\r\n]?$/.test(next);
  if (yamlLine && /^[a-z]{8}[a-z]*$/.test(value)) return true;
  if (/^[A-Za-z]+$/.test(value)) return value.length >= 16 && /[a-z]/.test(value) && /[A-Z].*[A-Z]/.test(value);
  return /[0-9]/.test(value) || /[^A-Za-z0-9_.]/.test(value);
}
