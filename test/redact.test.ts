import { describe, expect, it } from 'vitest';
import { redactDeep, redactSecrets } from '../lib/redact.js';

// Fake values in the shape of real ones, built at run time so no scanner mistakes this file for a leak.
const alnum = (length: number) => 'aB3dE5gH7jK9mN1pQ2sT4vW6yZ8'.repeat(10).slice(0, length);
const upper = (length: number) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.slice(0, length);
const jwt = ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'].join('.');

describe('redactSecrets: provider keys and tokens', () => {
  it.each([
    ['Anthropic', `sk-ant-api03-${alnum(40)}`],
    ['OpenAI', `sk-${alnum(48)}`],
    ['OpenAI project', `sk-proj-${alnum(40)}`],
    ['Google', `AIza${alnum(35)}`],
    ['Stripe live secret', `sk_live_${alnum(24)}`],
    ['Stripe restricted', `rk_live_${alnum(24)}`],
    ['Slack bot', `xoxb-123456789012-${alnum(24)}`],
    ['Slack user', `xoxp-123-456-${alnum(20)}`],
    ['Slack app-level', `xapp-1-A0123456789-1234567890123-${alnum(64)}`],
    ['Slack refresh', `xoxe-1-${alnum(60)}`],
    ['Slack configuration', `xoxe.xoxp-1-${alnum(60)}`],
    ['Slack other kinds', `xoxa-2-${alnum(30)}`],
    ['GitLab personal access', `glpat-${alnum(20)}`],
    ['GitLab routable', `glpat-${alnum(27)}.01.${alnum(9)}`],
    ['GitLab deploy', `gldt-${alnum(20)}`],
    ['GitLab runner', `glrt-${alnum(20)}`],
    ['npm', `npm_${alnum(36)}`],
    ['SendGrid', `SG.${alnum(22)}.${alnum(43)}`],
    ['Hugging Face', `hf_${alnum(34)}`],
    ['GitHub classic', `ghp_${alnum(36)}`],
    ['GitHub OAuth', `gho_${alnum(36)}`],
    ['GitHub user-to-server', `ghu_${alnum(36)}`],
    ['GitHub server-to-server', `ghs_${alnum(36)}`],
    ['GitHub refresh', `ghr_${alnum(36)}`],
    ['GitHub fine-grained', `github_pat_${alnum(22)}_${alnum(59)}`],
    ['AWS access key id', `AKIA${upper(16)}`],
    ['AWS temporary key id', `ASIA${upper(16)}`],
    ['JWT', jwt],
  ])('%s', (_provider, secret) => {
    expect(redactSecrets(`use ${secret} here`)).toBe('use [REDACTED] here');
    expect(redactSecrets(`"${secret}"`)).toBe('"[REDACTED]"');
    expect(redactSecrets(secret)).not.toContain(secret.slice(8));
  });

  it('several secrets on one line are each replaced', () => {
    expect(redactSecrets(`a=${'AKIA' + upper(16)} b ghp_${alnum(36)}`)).toBe('a=[REDACTED] b [REDACTED]');
  });

  it('Authorization headers keep the scheme and lose the token', () => {
    expect(redactSecrets('curl -H "Authorization: Bearer abc.def-123_XYZ" https://api.example.com')).toBe(
      'curl -H "Authorization: Bearer [REDACTED]" https://api.example.com',
    );
    expect(redactSecrets(`authorization: bearer ${alnum(30)}`)).toBe('authorization: bearer [REDACTED]');
    expect(redactSecrets(`{"Authorization": "Basic ${alnum(20)}=="}`)).toBe('{"Authorization": "Basic [REDACTED]"}');
  });

  it('a shell variable in a header is not a secret', () => {
    const text = 'curl -H "Authorization: Bearer $API_TOKEN" https://api.example.com';
    expect(redactSecrets(text)).toBe(text);
  });

  it('a bare bearer token, whatever the case of the word', () => {
    expect(redactSecrets(`sent bearer ${alnum(30)} to the api`)).toBe('sent bearer [REDACTED] to the api');
    expect(redactSecrets(`BEARER ${alnum(30)}`)).toBe('BEARER [REDACTED]');
  });

  it('a password in a URL', () => {
    expect(redactSecrets('postgres://app:s3cr3t-pw@db.internal:5432/app')).toBe('postgres://app:[REDACTED]@db.internal:5432/app');
  });

  it('a password with an @ in it is redacted up to the host', () => {
    expect(redactSecrets('postgres://admin:p@ssw0rd@db.example.com/x')).toBe('postgres://admin:[REDACTED]@db.example.com/x');
  });

  it('a token as the whole user part of a URL: git remotes, Sentry DSNs', () => {
    expect(redactSecrets(`git clone https://glpat-${alnum(20)}@gitlab.com/a/b.git`)).toBe(
      'git clone https://[REDACTED]@gitlab.com/a/b.git',
    );
    expect(redactSecrets(`SENTRY_DSN=https://${'0123456789abcdef'.repeat(2)}@o123.ingest.sentry.io/456`)).toBe(
      'SENTRY_DSN=https://[REDACTED]@o123.ingest.sentry.io/456',
    );
  });

  it('a Slack webhook keeps its host and loses its path', () => {
    expect(redactSecrets(`post to https://hooks.slack.com/services/T0123ABCD/B0123ABCD/${alnum(24)} now`)).toBe(
      'post to https://hooks.slack.com/services/[REDACTED] now',
    );
  });
});

describe('redactSecrets: command lines', () => {
  it.each([
    [
      'aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'aws configure set aws_secret_access_key [REDACTED]',
    ],
    [`git config --global github.token ${alnum(40)}`, 'git config --global github.token [REDACTED]'],
    ['mysql -u root --password hunter2x app', 'mysql -u root --password [REDACTED] app'],
    ['mysql -u root --password=hunter2x app', 'mysql -u root --password=[REDACTED] app'],
    ['tool --password "two words" --verbose', 'tool --password "[REDACTED]" --verbose'],
    ['mysql -u root -phunter2x app', 'mysql -u root -p[REDACTED] app'],
    ["mysqldump -uroot -p'hunter 2' app > dump.sql", 'mysqldump -uroot -p[REDACTED] app > dump.sql'],
    ['curl -u admin:hunter2x https://x.test', 'curl -u admin:[REDACTED] https://x.test'],
    ['curl "https://x.test/a?b=1&c=2" --user admin:hunter2x', 'curl "https://x.test/a?b=1&c=2" --user admin:[REDACTED]'],
    ['curl https://x.test \\\n  -u admin:hunter2x', 'curl https://x.test \\\n  -u admin:[REDACTED]'],
    [
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${alnum(40)}==;EndpointSuffix=core.windows.net`,
      'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[REDACTED];EndpointSuffix=core.windows.net',
    ],
  ])('%s', (text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
  });

  it.each([
    'docker run -u 1000:1000 node',
    'git push -u origin main',
    'curl -u admin https://x.test',
    'curl -u "$USER:$PASS" https://x.test',
    'mysql -u root -p app',
    'mysql -h db-prod.internal -P 3306 && ls -pla',
    'the --password flag prompts for it',
    'use --token-file /run/secrets/token',
    'POSTGRES_PASSWORD_FILE /run/secrets/db',
    'set GITHUB_TOKEN in the repo settings',
    'unset AWS_SECRET_ACCESS_KEY',
    'DB_PASSWORD and API_KEY are read from the environment',
    'MAX_TOKENS 4096',
    'AccountName=acct;EndpointSuffix=core.windows.net',
  ])('%j is left alone', (text) => {
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactSecrets: private keys', () => {
  it('the whole block is replaced, text around it kept', () => {
    const block = ['-----BEGIN RSA PRIVATE KEY-----', alnum(64), alnum(64), 'abc+/=', '-----END RSA PRIVATE KEY-----'].join('\n');

    expect(redactSecrets(`key:\n${block}\nafter`)).toBe('key:\n[REDACTED]\nafter');
  });

  it.each(['PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'PGP PRIVATE KEY BLOCK'])('%s', (kind) => {
    const block = `-----BEGIN ${kind}-----\n${alnum(70)}\n-----END ${kind}-----`;

    expect(redactSecrets(`a ${block} b`)).toBe('a [REDACTED] b');
  });

  it('two blocks are two redactions, the text between them kept', () => {
    const block = `-----BEGIN PRIVATE KEY-----\n${alnum(40)}\n-----END PRIVATE KEY-----`;

    expect(redactSecrets(`${block}\nmiddle\n${block}`)).toBe('[REDACTED]\nmiddle\n[REDACTED]');
  });

  it('a block cut off before its END line is redacted to the end', () => {
    expect(redactSecrets(`see\n-----BEGIN OPENSSH PRIVATE KEY-----\n${alnum(70)}\n${alnum(30)}`)).toBe('see\n[REDACTED]');
  });

  it('a public key or certificate is left alone', () => {
    const text = `-----BEGIN PUBLIC KEY-----\n${alnum(40)}\n-----END PUBLIC KEY-----`;
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactSecrets: assignments keep the key and the separator', () => {
  it.each([
    ['password=hunter2', 'password=[REDACTED]'],
    ['PASSWORD=correcthorse', 'PASSWORD=[REDACTED]'],
    ['DB_PASSWORD=p@ss:word!', 'DB_PASSWORD=[REDACTED]'],
    ['passwd: hunter22', 'passwd: [REDACTED]'],
    ['secret=abc123def', 'secret=[REDACTED]'],
    ['client_secret = "two words"', 'client_secret = "[REDACTED]"'],
    ['token: abc123def', 'token: [REDACTED]'],
    ['api_key=xyz789abc', 'api_key=[REDACTED]'],
    ['apikey: k3y-v4lue', 'apikey: [REDACTED]'],
    ['Api-Key: k3y-v4lue', 'Api-Key: [REDACTED]'],
    ['access_token=ya29.a0AfH6SM', 'access_token=[REDACTED]'],
    ['GITHUB_TOKEN=abcdef', 'GITHUB_TOKEN=[REDACTED]'],
    ['{"password": "hunter2", "user": "ann"}', '{"password": "[REDACTED]", "user": "ann"}'],
    ["{'apiKey': 'abc'}", "{'apiKey': '[REDACTED]'}"],
    ['const accessToken = "eyfoo";', 'const accessToken = "[REDACTED]";'],
    ['{\\"token\\": \\"abc123\\"}', '{\\"token\\": \\"[REDACTED]\\"}'],
    ['https://x.test/cb?access_token=abc123&state=9', 'https://x.test/cb?access_token=[REDACTED]&state=9'],
    ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [REDACTED]'],
    ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_SECRET_ACCESS_KEY=[REDACTED]'],
    ['export SECRET="abc def" # note', 'export SECRET="[REDACTED]" # note'],
    ['token := "abc123"', 'token := "[REDACTED]"'],
    ['client_secret: correcthorsebatterystaple', 'client_secret: [REDACTED]'],
  ])('%s', (text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
  });
});

describe('redactSecrets: ordinary text is untouched', () => {
  it.each([
    'the token limit is 5',
    'Implement the password reset flow',
    'max_tokens: 4096',
    'token_count = 12',
    'Secrets are stored in the vault; the secret sauce is caching.',
    'Password: reset it from the account page',
    'The token: a short-lived credential.',
    'const token = await getToken();',
    'token = refreshToken',
    'if (token == null) return;',
    'password=$DB_PASSWORD',
    'token: ${{ secrets.NPM_TOKEN }}',
    'password: process.env.PASSWORD',
    '{"token": null, "password": ""}',
    'password: "********"',
    'task-runner-config and disk-space-warning-threshold-values',
    'skills are great; sk-short is not a key',
    'AKIA is a prefix, AKIAshort too',
    'Bearer tokens go in the Authorization header',
    'see https://example.com/a:b@c for details',
    'The tokenizer splits text; passwordless login is next.',
    'self.api_key = api_key',
    'const apiKey = config.apiKey;',
    'api_key: example',
    'commit 3f2a1b9c4d5e6f708192a3b4c5d6e7f8091a2b3c fixed the token refresh',
    'request 123e4567-e89b-12d3-a456-426614174000 had no token',
    `data:image/png;base64,${Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)).toString('base64')}`,
    '/home/user/projects/log-session/lib/token-store.ts',
    'myAccessTokenProviderFactoryImpl and PasswordResetFormContainer',
    'npm_config_cache and npm_package_json',
    'SG.prototype.render',
    'xoxo-hugs-and-kisses-forever',
    'bearer token-based-authentication is described in RFC 6750',
    'https://example.com:443?email=a@b.com',
    'https://user@example.com/path and ssh://git@github.com/org/repo',
    '',
  ])('%j', (text) => {
    expect(redactSecrets(text)).toBe(text);
  });

  it('[REDACTED] is stable: redacting twice changes nothing more', () => {
    const once = redactSecrets(
      `password=hunter2 ghp_${alnum(36)} Authorization: Bearer ${alnum(20)} --password hunter2x curl -u a:hunter2x https://glpat-${alnum(20)}@h`,
    );
    expect(redactSecrets(once)).toBe(once);
  });
});

describe('redactSecrets: formats that were missed', () => {
  const hex = (length: number) => '0123456789abcdef'.repeat(10).slice(0, length);
  const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE12';

  it.each([
    ['a URL with an empty user and a password', 'REDIS_URL=redis://:s3cretPass9@cache:6379/0', 'REDIS_URL=redis://:[REDACTED]@cache:6379/0'],
    ['SECRET_KEY', `SECRET_KEY=${alnum(50)}`, 'SECRET_KEY=[REDACTED]'],
    ['ENCRYPTION_KEY', `ENCRYPTION_KEY=${hex(64)}`, 'ENCRYPTION_KEY=[REDACTED]'],
    ['APP_KEY with base64:', `APP_KEY=base64:${alnum(43)}=`, 'APP_KEY=[REDACTED]'],
    ['PRIVATE_KEY with 0x', `PRIVATE_KEY=0x${hex(64)}`, 'PRIVATE_KEY=[REDACTED]'],
    ['docker login -p', "docker login -u ci -p 'Hunter2x!' registry.example.com", 'docker login -u ci -p [REDACTED] registry.example.com'],
    ['sshpass -p', "sshpass -p 'Hunter2x!' ssh deploy@web-1", 'sshpass -p [REDACTED] ssh deploy@web-1'],
    ['Datadog application key', `DD_APP_KEY=${hex(40)}`, 'DD_APP_KEY=[REDACTED]'],
    ['Datadog key headers', `-H "DD-API-KEY: ${hex(32)}" -H "DD-APPLICATION-KEY: ${hex(40)}"`, '-H "DD-API-KEY: [REDACTED]" -H "DD-APPLICATION-KEY: [REDACTED]"'],
    ['Azure SAS signature', 'https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig=aB3dE5%2BgH7jK9mN1%3D&x=1', 'https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig=[REDACTED]&x=1'],
    ['Stripe webhook secret', `Your webhook signing secret is whsec_${alnum(32)} (^C to quit)`, 'Your webhook signing secret is [REDACTED] (^C to quit)'],
    ['Mailgun key', `Mailgun("key-${hex(32)}")`, 'Mailgun("[REDACTED]")'],
    ['Shopify token', `X-Shopify-Access-Token: shpat_${hex(32)}`, 'X-Shopify-Access-Token: [REDACTED]'],
    ['PyPI token', `twine upload -p pypi-AgEIcHlwaS5vcmc${alnum(70)} dist/*`, 'twine upload -p [REDACTED] dist/*'],
    ['DigitalOcean token', `doctl auth init --access-token dop_v1_${hex(64)}`, 'doctl auth init --access-token [REDACTED]'],
    ['Telegram bot token', `bot = Bot("123456789:AA${alnum(33)}")`, 'bot = Bot("[REDACTED]")'],
    ['Telegram bot token in a URL', `https://api.telegram.org/bot123456789:AA${alnum(33)}/getMe`, 'https://api.telegram.org/bot[REDACTED]/getMe'],
    ['age secret key', `AGE-SECRET-KEY-1${'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58)}`, '[REDACTED]'],
    ['an AWS secret key next to its id', `keys: ${'AKIA' + upper(16)} ${awsSecret} (rotate)`, 'keys: [REDACTED] [REDACTED] (rotate)'],
    ['an AWS secret key in a CSV row after its id', `ci,,${'AKIA' + upper(16)},${awsSecret},https://console`, 'ci,,[REDACTED],[REDACTED],https://console'],
    ['a name ending in _PASS', 'RABBITMQ_DEFAULT_PASS=Vmxaxz099?zg', 'RABBITMQ_DEFAULT_PASS=[REDACTED]'],
    ['a password with an & in it', 'my password: Tr0ub4dor&3 (old)', 'my password: [REDACTED] (old)'],
    ['a password with an & before the next query parameter', '?password=p&ss1&user=ann', '?password=[REDACTED]&user=ann'],
    ['a base64 flag value that starts with /', `--account-key /${alnum(60)}==`, '--account-key [REDACTED]'],
  ])('%s', (_format, text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
  });
});

describe('redactSecrets: ordinary text that was changed', () => {
  it.each([
    '.sk-chasing-dots-container-rotate { animation: sk-chasingDotsRotate 2s infinite linear; }',
    'provides sk-wandering-cubes-animation and sk-three-bounce',
    'auth:\n  existingSecret: my-release-postgresql\n  secretKeys:\n    adminPasswordKey: postgres-password',
    'helm install pg bitnami/postgresql --set auth.existingSecret=pg-auth',
    'DB_PASSWORD=\nSTRIPE_SECRET_KEY=\nJWT_SECRET=',
    'API_KEY=your-api-key-here',
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf',
    'DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/app',
    "mapboxgl.accessToken = 'pk.eyJ1IjoiYWNtZSJ9.aB3dE5gH7jK9mN1pQ2sT4v';",
    'resource "aws_secretsmanager_secret" "db" {',
    'first_pass = True\nrender_pass = 2',
    'ls /var/lib/secrets --token /etc/ssl/certs/ca-bundle.crt',
  ])('%j', (text) => {
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactSecrets: any input, any size', () => {
  const mb = 1024 * 1024;
  const big = (unit: string, bytes = 16 * mb) => unit.repeat(Math.ceil(bytes / unit.length));

  // 16 MB: V8's backtracking stack overflows somewhere past 8 MB of entries, so smaller inputs prove nothing. Each
  // input is built inside its test, so that a table of them does not hold hundreds of MB at once.
  it.each(['a', 'sk-', '=', '://', '"', ' ', '0', 'eyJ', 'AKIA', 'a.', '\\a', '-----BEGIN ', 'a=b ', 'bot1:'])(
    '16 MB of %j comes back unchanged',
    (unit) => {
      const text = big(unit);
      expect(redactSecrets(text) === text).toBe(true);
    },
  );

  it('16 MB of a URL password with no host comes back unchanged', () => {
    const text = `x://u:${big('p')}`;
    expect(redactSecrets(text) === text).toBe(true);
  });

  it('16 MB after password=\\" with more escapes than a secret has is not taken for a value', () => {
    const text = `password=\\"${big('\\a')}`;
    expect(redactSecrets(text) === text).toBe(true);
  });

  it('16 MB of x after password: is a mask, not a value', () => {
    const text = `password: ${big('x')}`;
    expect(redactSecrets(text) === text).toBe(true);
  });

  it('a 1 MB line of password= repeated is one assignment', () => {
    expect(redactSecrets(big('password=', mb))).toBe('password=[REDACTED]');
  });

  it('16 MB of a quoted value that is never closed is redacted to the end of the text', () => {
    expect(redactSecrets(`password="${big('a')}`)).toBe('password="[REDACTED]');
  });

  it.each([
    ['a curl command with no end', () => `curl -u admin:hunter2x ${big('\\\n')}`],
    ['a private key with no END line', () => `-----BEGIN PRIVATE KEY-----\n${big('a')}`],
    ['a dotted GitLab token', () => `glpat-${alnum(20)}${big('.a')}`],
    ['a token run', () => `ghp_${big('aB3')}`],
    ['a value full of &', () => `password=${big('a&')}`],
    ['Slack-shaped runs', () => big('xoxb-1')],
    ['a dashed value after secret:', () => `secret: ${big('a-')}`],
    ['one lowercase word after client_secret:', () => `client_secret: ${big('a')}`],
  ])('16 MB of %s is redacted without overflowing', (_shape, build) => {
    expect(redactSecrets(build())).toContain('[REDACTED]');
  });
});

describe('redactDeep', () => {
  it('redacts every string inside objects and arrays, keeps keys and non-strings', () => {
    const key = `ghp_${alnum(36)}`;
    const input = {
      [`note ${key}`]: 'keys are not touched',
      count: 3,
      ok: true,
      nothing: null,
      missing: undefined,
      decisions: [{ decision: `rotated ${key}`, tags: ['auth', 'password=hunter2'] }, 7],
      nested: { deeper: { env: 'API_KEY=abc123def', plain: 'the token limit is 5' } },
    };

    const output = redactDeep(input);

    expect(output).toEqual({
      [`note ${key}`]: 'keys are not touched',
      count: 3,
      ok: true,
      nothing: null,
      missing: undefined,
      decisions: [{ decision: 'rotated [REDACTED]', tags: ['auth', 'password=[REDACTED]'] }, 7],
      nested: { deeper: { env: 'API_KEY=[REDACTED]', plain: 'the token limit is 5' } },
    });
  });

  it('returns a new value and leaves the input as it was', () => {
    const input = { list: ['password=hunter2'], inner: { s: 'secret=abc123def' } };
    const snapshot = structuredClone(input);

    const output = redactDeep(input);

    expect(input).toEqual(snapshot);
    expect(output).not.toBe(input);
    expect(output.list).not.toBe(input.list);
    expect(output.inner).not.toBe(input.inner);
  });

  it('a bare string, number or null passes through the same way', () => {
    expect(redactDeep('token: abc123def')).toBe('token: [REDACTED]');
    expect(redactDeep(42)).toBe(42);
    expect(redactDeep(null)).toBeNull();
  });

  it('a value nested 100,000 deep is redacted without overflowing the stack', () => {
    const depth = 100_000;
    let input: unknown = 'password=hunter2';
    for (let level = 0; level < depth; level++) input = level % 2 ? { inner: input } : [input];

    let output: unknown = redactDeep(input);

    for (let level = depth - 1; level >= 0; level--) output = level % 2 ? (output as { inner: unknown }).inner : (output as unknown[])[0];
    expect(output).toBe('password=[REDACTED]');
  });

  it('a value that contains itself comes back as a copy that contains itself', () => {
    const input: { note: string; self?: unknown; list: unknown[] } = { note: 'token: abc123def', list: [] };
    input.self = input;
    input.list.push(input);

    const output = redactDeep(input);

    expect(output.note).toBe('token: [REDACTED]');
    expect(output.self).toBe(output);
    expect(output.list[0]).toBe(output);
    expect(output).not.toBe(input);
  });

  it('a Date is kept as it is', () => {
    const when = new Date('2025-01-02T03:04:05Z');
    expect(redactDeep({ when }).when).toBe(when);
  });
});
