/**
 * The redaction corpus: secrets in the places they turn up in a coding session (env files, shell commands, YAML and
 * JSON config, URLs, logs, prose), and ordinary engineering text that must come back unchanged.
 *
 * Every secret is synthetic (./synthetic.ts) in its real format. `secret` is the part an attacker needs: the whole
 * token, or the random tail of a token whose prefix is a constant (`pypi-AgEIcHlwaS5vcmc…`, `AGE-SECRET-KEY-1…`).
 * A case is caught when no 8-character run of `secret` (all of it, when shorter) is left in the output.
 *
 * What counts as ordinary, by decision:
 * - Public halves and public values stay: `pk_live_` publishable keys, Mapbox `pk.` tokens, SSH public keys,
 *   certificates, AWS account ids and ARNs, Twilio account SIDs, Azure Application Insights instrumentation keys.
 * - Content hashes stay: lockfile `integrity` (sha512 SRI), go.sum `h1:`, image digests, git SHAs. They name
 *   published content and grant nothing; redacting them would break every lockfile diff in a session's memory.
 * - Names of secrets stay (`existingSecret: my-release-postgresql`, `secretName: db-creds`): the name is how the
 *   next session finds the secret in the cluster, and it grants nothing.
 */
import { createHash } from 'node:crypto';
import { synthetic } from './synthetic.js';

export interface SecretCase {
  kind: string;
  text: string;
  secret: string;
}

export interface OrdinaryCase {
  kind: string;
  text: string;
}

const r = synthetic(0x5ec12e7);
const secretCases: SecretCase[] = [];
const add = (kind: string, secret: string, text: string) => secretCases.push({ kind, secret, text });

// AWS
{
  const id = `AKIA${r.base32(16)}`;
  const key = r.base64(40);
  add('aws access key id', id, `[default]\naws_access_key_id = ${id}\nregion = eu-west-1`);
  add('aws secret access key', key, `[default]\naws_access_key_id = ${id}\naws_secret_access_key = ${key}`);
  const id2 = `AKIA${r.base32(16)}`;
  const key2 = r.base64(40);
  const csv = `User name,Password,Access key ID,Secret access key,Console login link\nci-deployer,,${id2},${key2},https://123456789012.signin.aws.amazon.com/console`;
  add('aws access key id', id2, csv);
  add('aws secret access key next to its id', key2, csv);
  const id3 = `AKIA${r.base32(16)}`;
  const key3 = r.base64(40);
  const pair = `Created the deploy user. Access key: ${id3} secret: ${key3} (shown once, store it in the vault)`;
  add('aws secret access key next to its id', key3, pair);
  const id4 = `AKIA${r.base32(16)}`;
  const key4 = r.base64(40);
  add('aws secret access key next to its id', key4, `2024-05-02T10:11:12Z INFO s3 upload using credentials ${id4}/${key4} for bucket assets-prod`);
  const sessionKey = r.base64(40);
  const sessionToken = `IQoJb3JpZ2luX2Vj${r.base64(300)}`;
  const sts = `{\n  "Credentials": {\n    "AccessKeyId": "ASIA${r.base32(16)}",\n    "SecretAccessKey": "${sessionKey}",\n    "SessionToken": "${sessionToken}",\n    "Expiration": "2024-05-02T11:11:12Z"\n  }\n}`;
  add('aws secret access key (sts json)', sessionKey, sts);
  add('aws session token (sts json)', sessionToken, sts);
  const envKey = r.base64(40);
  add('aws secret access key', envKey, `env:\n  AWS_REGION: us-east-1\n  AWS_SECRET_ACCESS_KEY: ${envKey}`);
  const exported = `ASIA${r.base32(16)}`;
  add('aws access key id', exported, `export AWS_ACCESS_KEY_ID=${exported}`);
}

// Google Cloud
{
  const body = ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' + r.base64(32), ...Array.from({ length: 5 }, () => r.base64(64))].join('\\n');
  add(
    'gcp service account private key',
    body,
    `{\n  "type": "service_account",\n  "project_id": "demo-project-123",\n  "private_key_id": "${r.hex(40)}",\n  "private_key": "-----BEGIN PRIVATE KEY-----\\n${body}\\n-----END PRIVATE KEY-----\\n",\n  "client_email": "ci@demo-project-123.iam.gserviceaccount.com"\n}`,
  );
  const apiKey = `AIza${r.base64url(35)}`;
  add('google api key', apiKey, `const firebaseConfig = {\n  apiKey: "${apiKey}",\n  authDomain: "demo-project-123.firebaseapp.com",\n};`);
  const clientSecret = `GOCSPX-${r.base64url(28)}`;
  add('google oauth client secret', clientSecret, `{"installed":{"client_id":"${r.digits(12)}-${r.lowerAlnum(32)}.apps.googleusercontent.com","client_secret":"${clientSecret}"}}`);
  const clientSecret2 = `GOCSPX-${r.base64url(28)}`;
  add('google oauth client secret', clientSecret2, `Copied the new OAuth secret ${clientSecret2} into the staging config.`);
  const access = `ya29.a0${r.base64url(150)}`;
  add('google oauth access token', access, `The request failed with access token ${access} (expired after one hour).`);
  const refresh = `1//0g${r.base64url(98)}`;
  add('google oauth refresh token', refresh, `{"refresh_token": "${refresh}", "scope": "https://www.googleapis.com/auth/drive"}`);
}

// Azure
{
  const accountKey = `${r.base64(86)}==`;
  add('azure storage account key', accountKey, `AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=assetsprod;AccountKey=${accountKey};EndpointSuffix=core.windows.net"`);
  const sig = `${r.base64url(20)}%2B${r.base64url(20)}%3D`;
  add('azure sas signature', sig, `Download with curl "https://assetsprod.blob.core.windows.net/backups/db.tar.gz?sv=2022-11-02&ss=b&srt=o&sp=r&se=2025-01-01T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig=${sig}"`);
  const sig2 = `${r.base64url(30)}%2F${r.base64url(10)}%3D`;
  add('azure sas signature', sig2, `BlobEndpoint=https://assetsprod.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupx&se=2025-06-01T00:00:00Z&spr=https&sig=${sig2}`);
  const adSecret = `${r.alnum(3)}8Q~${r.base64url(34).replace(/-/g, '.')}`;
  add('azure ad client secret', adSecret, `The app registration's new client secret value is ${adSecret} and it expires in 6 months.`);
  const adSecret2 = `${r.alnum(3)}8Q~${r.base64url(34).replace(/-/g, '~')}`;
  add('azure ad client secret', adSecret2, `AZURE_CLIENT_ID=${r.uuid()}\nAZURE_CLIENT_SECRET=${adSecret2}\nAZURE_TENANT_ID=${r.uuid()}`);
  const busKey = `${r.base64(43)}=`;
  add('azure service bus key', busKey, `Endpoint=sb://orders-prod.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${busKey}`);
  const devopsPat = r.pick('abcdefghijklmnopqrstuvwxyz234567', 52);
  add('azure devops pat', devopsPat, `git clone https://build:${devopsPat}@dev.azure.com/contoso/web/_git/web`);
  const cosmos = `${r.base64(86)}==`;
  add('azure cosmos key', cosmos, `"CosmosDb": { "Endpoint": "https://orders.documents.azure.com:443/", "AccountKey": "${cosmos}" }`);
}

// GitHub
{
  const ghp = `ghp_${r.alnum(36)}`;
  add('github pat', ghp, `export GITHUB_TOKEN=${ghp}`);
  const gho = `gho_${r.alnum(36)}`;
  add('github oauth token', gho, `{"access_token":"${gho}","token_type":"bearer","scope":"repo"}`);
  const ghu = `ghu_${r.alnum(36)}`;
  add('github user-to-server token', ghu, `gh auth status shows token ${ghu} with scopes repo, workflow`);
  const ghs = `ghs_${r.alnum(36)}`;
  add('github installation token', ghs, `git push https://x-access-token:${ghs}@github.com/acme/site.git HEAD:main`);
  const ghr = `ghr_${r.alnum(76)}`;
  add('github refresh token', ghr, `refresh_token=${ghr}&expires_in=15897600`);
  const fine = `github_pat_${r.alnum(22)}_${r.alnum(59)}`;
  add('github fine-grained pat', fine, `GH_TOKEN="${fine}"`);
  const remote = `ghp_${r.alnum(36)}`;
  add('github pat in a remote', remote, `git remote set-url origin https://${remote}@github.com/acme/api.git`);
  const prose = `ghp_${r.alnum(36)}`;
  add('github pat in prose', prose, `I used the token ${prose} to call the API; revoke it after the migration.`);
}

// GitLab
{
  const glpat = `glpat-${r.base64url(20)}`;
  add('gitlab pat', glpat, `@acme:registry=https://gitlab.example.com/api/v4/projects/42/packages/npm/\n//gitlab.example.com/api/v4/projects/42/packages/npm/:_authToken=${glpat}`);
  const gldt = `gldt-${r.base64url(20)}`;
  add('gitlab deploy token', gldt, `docker login registry.gitlab.example.com -u gitlab+deploy-token-7 --password-stdin <<< ${gldt}`);
  const glrt = `glrt-${r.base64url(20)}`;
  add('gitlab runner token', glrt, `[[runners]]\n  name = "docker-runner"\n  url = "https://gitlab.example.com"\n  token = "${glrt}"`);
  const glptt = `glptt-${r.hex(40)}`;
  add('gitlab pipeline trigger token', glptt, `curl -X POST --fail -F token=${glptt} -F ref=main https://gitlab.example.com/api/v4/projects/42/trigger/pipeline`);
  const rrt = `GR1348941${r.base64url(20)}`;
  add('gitlab runner registration token', rrt, `gitlab-runner register --non-interactive --url https://gitlab.example.com --registration-token ${rrt} --executor docker`);
  const rrt2 = `GR1348941${r.base64url(20)}`;
  add('gitlab runner registration token', rrt2, `The runner registration token is ${rrt2}, rotate it after setup.`);
  const glcbt = `glcbt-64_${r.base64url(20)}`;
  add('gitlab ci job token', glcbt, `job log: fetching with CI_JOB_TOKEN value ${glcbt}`);
  const gloas = `gloas-${r.base64url(64)}`;
  add('gitlab oauth app secret', gloas, `oauth:\n  client_id: ${r.hex(64)}\n  client_secret: ${gloas}`);
}

// Slack
{
  const xoxb = `xoxb-${r.digits(12)}-${r.digits(13)}-${r.alnum(24)}`;
  add('slack bot token', xoxb, `SLACK_BOT_TOKEN=${xoxb}`);
  const xoxp = `xoxp-${r.digits(12)}-${r.digits(12)}-${r.digits(13)}-${r.hex(32)}`;
  add('slack user token', xoxp, `curl -H "Authorization: Bearer ${xoxp}" https://slack.com/api/auth.test`);
  const hook = `T${r.upperAlnum(8)}/B${r.upperAlnum(10)}/${r.alnum(24)}`;
  add('slack webhook', hook, `notify: https://hooks.slack.com/services/${hook}`);
  const xapp = `xapp-1-A${r.upperAlnum(10)}-${r.digits(13)}-${r.hex(64)}`;
  add('slack app token', xapp, `app = App(token=os.environ["SLACK_BOT_TOKEN"])  # socket mode uses ${xapp}`);
  const xoxe = `xoxe-1-${r.alnum(146)}`;
  add('slack refresh token', xoxe, `{"ok":true,"refresh_token":"${xoxe}","exp":1700000000}`);
}

// Stripe
{
  const live = `sk_live_${r.alnum(99)}`;
  add('stripe secret key', live, `STRIPE_SECRET_KEY=${live}`);
  const restricted = `rk_live_${r.alnum(99)}`;
  add('stripe restricted key', restricted, `const stripe = new Stripe('${restricted}', { apiVersion: '2024-04-10' });`);
  const whsec = `whsec_${r.alnum(32)}`;
  add('stripe webhook secret', whsec, `> Ready! You are using Stripe API Version [2024-04-10]. Your webhook signing secret is ${whsec} (^C to quit)`);
  const whsec2 = `whsec_${r.alnum(32)}`;
  add('stripe webhook secret', whsec2, `endpoint created; set it in config.yml as stripe: { webhook: ${whsec2} }`);
  const test = `sk_test_${r.alnum(99)}`;
  add('stripe test key', test, `stripe.api_key = "${test}"`);
}

// Twilio, SendGrid, Mailgun
{
  const sid = `SK${r.hex(32)}`;
  add('twilio api key', sid, `client = Client("${sid}", api_secret, account_sid)`);
  const authToken = r.hex(32);
  add('twilio auth token', authToken, `TWILIO_ACCOUNT_SID=AC${r.hex(32)}\nTWILIO_AUTH_TOKEN=${authToken}`);
  const sid2 = `SK${r.hex(32)}`;
  add('twilio api key', sid2, `Created API key ${sid2} for the notifications service.`);
  const sg = `SG.${r.base64url(22)}.${r.base64url(43)}`;
  add('sendgrid api key', sg, `sendgrid.setApiKey('${sg}');`);
  const sgSmtp = `SG.${r.base64url(22)}.${r.base64url(43)}`;
  add('sendgrid in an smtp url', sgSmtp, `EMAIL_URL=smtp://apikey:${sgSmtp}@smtp.sendgrid.net:587`);
  const mg = `key-${r.hex(32)}`;
  add('mailgun api key', mg, `mailgun = Mailgun(api_key: "${mg}", domain: "mg.example.com")`);
  const mg2 = `key-${r.hex(32)}`;
  add('mailgun api key', mg2, `requests.post(url, auth=("api", "${mg2}"), data=message)`);
  const mgSigning = `${r.hex(32)}-${r.hex(8)}-${r.hex(8)}`;
  add('mailgun signing key', mgSigning, `MAILGUN_WEBHOOK_SIGNING_KEY=${mgSigning}`);
}

// Shopify, PyPI, npm, RubyGems
{
  const shpat = `shpat_${r.hex(32)}`;
  add('shopify access token', shpat, `X-Shopify-Access-Token: ${shpat}`);
  const shpss = `shpss_${r.hex(32)}`;
  add('shopify shared secret', shpss, `SHOPIFY_API_SECRET=${shpss}`);
  const shpca = `shpca_${r.hex(32)}`;
  add('shopify custom app token', shpca, `session = shopify.Session("acme.myshopify.com", "2024-04", "${shpca}")`);
  const shppa = `shppa_${r.hex(32)}`;
  add('shopify private app token', shppa, `the private app password ${shppa} still works on the old store`);
  const pypiTail = r.base64url(160);
  add('pypi token', pypiTail, `[pypi]\n  username = __token__\n  password = pypi-AgEIcHlwaS5vcmc${pypiTail}`);
  const pypiTail2 = r.base64url(160);
  add('pypi token', pypiTail2, `twine upload -u __token__ -p pypi-AgEIcHlwaS5vcmc${pypiTail2} dist/*`);
  const npm = `npm_${r.alnum(36)}`;
  add('npm token', npm, `//registry.npmjs.org/:_authToken=${npm}`);
  const npm2 = `npm_${r.alnum(36)}`;
  add('npm token', npm2, `NODE_AUTH_TOKEN: ${npm2}`);
  const gems = r.hex(48);
  add('rubygems api key', gems, `---\n:rubygems_api_key: rubygems_${gems}`);
}

// Docker and registries
{
  const pw = r.password();
  add('docker login -p', pw, `docker login -u ci-bot -p '${pw}' registry.example.com`);
  const pw2 = r.alnum(24);
  add('docker login --password', pw2, `docker login --username ci-bot --password ${pw2} ghcr.io`);
  const dckr = `dckr_pat_${r.base64url(27)}`;
  add('docker hub pat', dckr, `echo ${dckr} | docker login -u acme --password-stdin`);
  const auth = Buffer.from(`ci-bot:${r.alnum(20)}`).toString('base64');
  add('docker config auth', auth, `{\n  "auths": {\n    "registry.example.com": {\n      "auth": "${auth}"\n    }\n  }\n}`);
  const podman = r.password();
  add('podman login -p', podman, `podman login quay.io -u acme+robot -p ${podman}`);
  const helm = r.alnum(20);
  add('helm registry login', helm, `helm registry login registry.example.com --username ci --password ${helm}`);
}

// Heroku, DigitalOcean, Datadog
{
  const heroku = r.uuid();
  add('heroku api key', heroku, `HEROKU_API_KEY=${heroku} heroku apps:info -a acme-api`);
  const herokuV2 = `HRKU-AA${r.base64url(58)}`;
  add('heroku api key', herokuV2, `heroku authorizations:create printed ${herokuV2}`);
  const netrc = r.uuid();
  add('heroku netrc password', netrc, `machine api.heroku.com\n  login dev@example.com\n  password ${netrc}`);
  const dop = `dop_v1_${r.hex(64)}`;
  add('digitalocean pat', dop, `doctl auth init --access-token ${dop}`);
  const dop2 = `dop_v1_${r.hex(64)}`;
  add('digitalocean pat', dop2, `provider "digitalocean" {\n  token = "${dop2}"\n}`);
  const doo = `doo_v1_${r.hex(64)}`;
  add('digitalocean oauth token', doo, `Got OAuth token ${doo} from the callback`);
  const ddApi = r.hex(32);
  add('datadog api key', ddApi, `DD_API_KEY=${ddApi}`);
  const ddApp = r.hex(40);
  add('datadog app key', ddApp, `DD_APP_KEY=${ddApp}`);
  const ddApi2 = r.hex(32);
  const ddApp2 = r.hex(40);
  const ddCurl = `curl -X GET "https://api.datadoghq.com/api/v1/validate" -H "DD-API-KEY: ${ddApi2}" -H "DD-APPLICATION-KEY: ${ddApp2}"`;
  add('datadog api key', ddApi2, ddCurl);
  add('datadog app key', ddApp2, ddCurl);
  const ddApp3 = r.hex(40);
  add('datadog app key', ddApp3, `provider "datadog" {\n  api_key = var.datadog_api_key\n  app_key = "${ddApp3}"\n}`);
  const ddApp4 = r.hex(40);
  add('datadog app key', ddApp4, `datadog:\n  site: datadoghq.eu\n  appKey: ${ddApp4}`);
}

// Telegram, Discord, Linear, Doppler, Vault, age
{
  const tg = `${r.digits(10)}:AA${r.base64url(33)}`;
  add('telegram bot token', tg, `TELEGRAM_BOT_TOKEN=${tg}`);
  const tg2 = `${r.digits(9)}:AA${r.base64url(33)}`;
  add('telegram bot token', tg2, `curl https://api.telegram.org/bot${tg2}/getUpdates`);
  const tg3 = `${r.digits(10)}:AA${r.base64url(33)}`;
  add('telegram bot token', tg3, `bot = telebot.TeleBot("${tg3}")`);
  const discord = `M${r.alnum(25)}.${r.base64url(6)}.${r.base64url(38)}`;
  add('discord bot token', discord, `client.login('${discord}');`);
  const discordHook = r.base64url(68);
  add('discord webhook', discordHook, `https://discord.com/api/webhooks/${r.digits(18)}/${discordHook}`);
  const linear = `lin_api_${r.alnum(40)}`;
  add('linear api key', linear, `LINEAR_API_KEY=${linear}`);
  const linear2 = `lin_api_${r.alnum(40)}`;
  add('linear api key', linear2, `Use ${linear2} as the Authorization header for the GraphQL API.`);
  const doppler = `dp.st.prd.${r.alnum(43)}`;
  add('doppler service token', doppler, `doppler run --token ${doppler} -- npm start`);
  const doppler2 = `dp.pt.${r.alnum(43)}`;
  add('doppler personal token', doppler2, `The Doppler CLI token ${doppler2} is in the keychain.`);
  const hvs = `hvs.${r.base64url(91)}`;
  add('vault token', hvs, `export VAULT_TOKEN=${hvs}`);
  const hvs2 = `hvs.${r.base64url(91)}`;
  add('vault token', hvs2, `vault login ${hvs2}`);
  const hvb = `hvb.${r.base64url(140)}`;
  add('vault batch token', hvb, `2024-05-02T10:00:00Z [INFO] auth: issued batch token ${hvb} ttl=1h`);
  const ageTail = r.bech32(58);
  add('age secret key', ageTail, `# created: 2024-05-02T10:00:00Z\n# public key: age1${r.bech32(58).toLowerCase()}\nAGE-SECRET-KEY-1${ageTail}`);
  const ageTail2 = r.bech32(58);
  add('age secret key', ageTail2, `SOPS_AGE_KEY=AGE-SECRET-KEY-1${ageTail2}`);
}

// Private keys
{
  // Each body starts as real ones do (the DER SEQUENCE `MI…`/`MH…`, OpenSSH's `openssh-key-v1`), since scanners check.
  const body = (start: string, count: number) =>
    Array.from({ length: count }, (_, line) => (line === 0 ? start + r.base64(64 - start.length) : r.base64(64))).join('\n');
  const kinds: [string, string][] = [
    ['RSA PRIVATE KEY', 'MIIEpAIBAAKCAQEA'],
    ['EC PRIVATE KEY', 'MHcCAQEEI'],
    ['OPENSSH PRIVATE KEY', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW'],
    ['PRIVATE KEY', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'],
    ['ENCRYPTED PRIVATE KEY', 'MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI'],
    ['DSA PRIVATE KEY', 'MIIBuwIBAAKBgQ'],
  ];
  for (const [kind, start] of kinds) {
    const lines = body(start, 5);
    add(`pem ${kind.toLowerCase()}`, lines, `$ cat deploy.key\n-----BEGIN ${kind}-----\n${lines}\n-----END ${kind}-----\n$ chmod 600 deploy.key`);
  }
  const pgp = body('lQOYBGY', 6);
  add('pgp private key block', pgp, `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${pgp}\n=${r.base64(4)}\n-----END PGP PRIVATE KEY BLOCK-----`);
  const yaml = body('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 4).split('\n');
  add('pem in a yaml block', yaml.join('\n    '), `apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nstringData:\n  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n    ${yaml.join('\n    ')}\n    -----END PRIVATE KEY-----`);
}

// JWTs
{
  const segment = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
  const jwt = () => `${segment({ alg: 'RS256', typ: 'JWT', kid: r.hex(8) })}.${segment({ sub: r.uuid(), iat: 1714600000, exp: 1714603600 })}.${r.base64url(342)}`;
  const header = jwt();
  add('jwt in a header', header, `curl -H "Authorization: Bearer ${header}" https://api.example.com/v1/me`);
  const cookie = jwt();
  add('jwt in a cookie', cookie, `Set-Cookie: access_token=${cookie}; Path=/; HttpOnly; Secure`);
  const prose = jwt();
  add('jwt in prose', prose, `The failing request carried ${prose} which expired at 10:00.`);
  const kube = jwt();
  add('jwt in a kubeconfig', kube, `users:\n- name: ci\n  user:\n    token: ${kube}`);
}

// Credentials in URLs
{
  const url = (kind: string, secret: string, text: string) => add(kind, secret, text);
  const pg = r.password();
  url('url password', pg, `DATABASE_URL=postgres://app:${pg}@db.internal:5432/app?sslmode=require`);
  const redis = r.alnum(24);
  url('url password, empty user', redis, `REDIS_URL=redis://:${redis}@cache.internal:6379/0`);
  const redis2 = r.alnum(32);
  url('url password, empty user', redis2, `const client = createClient({ url: 'rediss://:${redis2}@redis-12345.c1.cloud.example.com:12345' });`);
  const mongo = r.alnum(16);
  url('url password', mongo, `mongosh "mongodb+srv://admin:${mongo}@cluster0.ab1cd.mongodb.net/orders"`);
  const amqp = r.password();
  url('url password', amqp, `CELERY_BROKER_URL = "amqp://worker:${amqp}@rabbit.internal:5672/vhost"`);
  const git = r.alnum(20);
  url('url password', git, `[remote "origin"]\n\turl = https://deploy:${git}@git.example.com/acme/infra.git`);
  const at = `p@ss${r.alnum(8)}`;
  url('url password with an @', at, `jdbc:mysql://root:${at}@localhost:3306/shop`);
  const ftp = r.password();
  url('url password', ftp, `lftp ftp://backup:${ftp}@ftp.example.com/nightly`);
  const pip = r.alnum(24);
  url('url password', pip, `[global]\nindex-url = https://__token__:${pip}@pypi.internal.example.com/simple`);
  const proxy = r.password();
  url('url password', proxy, `export HTTPS_PROXY=http://jdoe:${proxy}@proxy.corp.example.com:3128`);
  const dsnKey = r.hex(32);
  url('sentry dsn key', dsnKey, `Sentry.init({ dsn: "https://${dsnKey}@o${r.digits(6)}.ingest.sentry.io/${r.digits(7)}" });`);
  const presigned = r.hex(64);
  url('s3 presigned signature', presigned, `https://assets.s3.amazonaws.com/report.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA${r.base32(16)}%2F20240502%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240502T100000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=${presigned}`);
  const gcs = r.hex(256);
  url('gcs signed url signature', gcs, `curl "https://storage.googleapis.com/acme-exports/x.csv?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=svc%40acme.iam.gserviceaccount.com%2F20240502%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20240502T100000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=${gcs}"`);
}

// Passwords and secrets by name
{
  const p = () => r.password();
  const named = (kind: string, secret: string, text: string) => add(kind, secret, text);
  let v = p();
  named('env password', v, `DB_PASSWORD=${v}`);
  v = p();
  named('compose password', v, `services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${v}`);
  v = p();
  named('json password', v, `{"username": "admin", "password": "${v}"}`);
  v = p();
  named('xml password element', v, `<server>\n  <id>nexus</id>\n  <username>deploy</username>\n  <password>${v}</password>\n</server>`);
  v = p();
  named('nuget cleartext password', v, `<packageSourceCredentials><acme><add key="Username" value="ci" /><add key="ClearTextPassword" value="${v}" /></acme></packageSourceCredentials>`);
  v = p();
  named('php array password', v, `'mysql' => ['host' => '127.0.0.1', 'password' => '${v}'],`);
  v = p();
  named('python kwarg password', v, `conn = psycopg2.connect(host="db", user="app", password="${v}")`);
  v = p();
  named('java properties password', v, `spring.datasource.password=${v}`);
  v = r.alnum(18);
  named('ini password', v, `[client]\nuser = backup\npassword = ${v}`);
  v = p();
  named('connection string password', v, `Server=tcp:sql.example.com,1433;Database=shop;User ID=sa;Password=${v};Encrypt=true`);
  v = p();
  named('mysql -p', v, `mysql -h db.internal -u root -p${v} shop < dump.sql`);
  v = p();
  named('pgpassword env', v, `PGPASSWORD=${v} psql -h db.internal -U app -c 'select 1'`);
  v = p();
  named('sshpass -p', v, `sshpass -p '${v}' ssh deploy@10.0.0.12 'sudo systemctl restart api'`);
  v = r.alnum(20);
  named('sshpass -p', v, `sshpass -p ${v} scp build.tar.gz deploy@web-1:/srv/`);
  v = r.alnum(32);
  named('redis-cli -a', v, `redis-cli -h cache.internal -a ${v} --no-auth-warning PING`);
  v = p();
  named('password in prose', v, `For the staging admin the password is ${v} until we rotate it.`);
  v = p();
  named('password in prose', v, `login: admin / password: ${v}`);
  v = p();
  named('kubectl from-literal', v, `kubectl create secret generic db-creds --from-literal=username=app --from-literal=password=${v}`);
  v = p();
  named('ansible become password', v, `ansible_become_password: ${v}`);
  v = r.alnum(32);
  named('redis requirepass', v, `# redis.conf\nrequirepass ${v}`);
  v = r.password();
  named('wget password', v, `wget --user=ci --password=${v} https://artifacts.example.com/app.tar.gz`);
  v = r.alnum(16);
  named('keytool storepass', v, `keytool -importcert -keystore app.jks -storepass ${v} -alias ca -file ca.pem`);
  v = r.alnum(12);
  named('openssl passin', v, `openssl pkcs12 -in cert.p12 -out cert.pem -nodes -passin pass:${v}`);
  v = r.alnum(16);
  named('ldapsearch -w', v, `ldapsearch -x -H ldaps://ldap.example.com -D "cn=admin,dc=example,dc=com" -w ${v} "(uid=jdoe)"`);
  v = r.alnum(50);
  named('django secret key', v, `SECRET_KEY=${v}`);
  v = r.base64(50);
  named('django secret key (settings.py)', v, `SECRET_KEY = '${v}'`);
  v = r.hex(64);
  named('encryption key', v, `ENCRYPTION_KEY=${v}`);
  v = `${r.base64(43)}=`;
  named('laravel app key', v, `APP_KEY=base64:${v}`);
  v = r.hex(64);
  named('ethereum private key', v, `PRIVATE_KEY=0x${v}`);
  v = r.hex(128);
  named('rails secret key base', v, `SECRET_KEY_BASE=${v}`);
  v = r.base64(32);
  named('jwt secret', v, `JWT_SECRET=${v}`);
  v = r.base64(32);
  named('nextauth secret', v, `NEXTAUTH_SECRET="${v}"`);
  v = r.hex(32);
  named('signing key', v, `WEBHOOK_SIGNING_KEY: "${v}"`);
  v = r.hex(64);
  named('master key', v, `config/master.key: ${v}`);
  v = r.alnum(40);
  named('client secret', v, `oauth2:\n  client_id: acme-web\n  client_secret: ${v}`);
  v = r.alnum(40);
  named('api key header', v, `curl -H "X-API-Key: ${v}" https://api.example.com/v2/orders`);
  v = r.alnum(32);
  named('session cookie', v, `Cookie: _ga=GA1.2.123.456; sessionid=${v}; csrftoken_seen=1`);
  v = r.hex(40);
  named('cloudflare api token', v, `CLOUDFLARE_API_TOKEN=${v}`);
  v = r.alnum(24);
  named('generic secret in yaml', v, `auth:\n  jwt:\n    secret: ${v}`);
  v = r.alnum(30);
  named('terraform variable', v, `db_password = "${v}"`);
}

// More providers with a recognisable format
{
  const token = (kind: string, value: string, text: (v: string) => string) => add(kind, value, text(value));
  token('anthropic api key', `sk-ant-api03-${r.base64url(93)}AA`, (v) => `ANTHROPIC_API_KEY=${v}`);
  token('openai project key', `sk-proj-${r.base64url(156)}`, (v) => `client = OpenAI(api_key="${v}")`);
  token('openai legacy key', `sk-${r.alnum(20)}T3BlbkFJ${r.alnum(20)}`, (v) => `Tried ${v} but got 401`);
  token('hugging face token', `hf_${r.alnum(34)}`, (v) => `huggingface-cli login --token ${v}`);
  token('atlassian api token', `ATATT3xFfGF0${r.base64url(180)}`, (v) => `JIRA_API_TOKEN=${v}`);
  token('atlassian api token', `ATATT3xFfGF0${r.base64url(180)}`, (v) => `curl -u jdoe@example.com:${v} https://acme.atlassian.net/rest/api/3/myself`);
  token('sentry user token', `sntryu_${r.hex(64)}`, (v) => `sentry-cli --auth-token ${v} releases list`);
  token('grafana cloud token', `glc_${r.base64(80)}`, (v) => `grafana token: ${v}`);
  token('grafana service account token', `glsa_${r.alnum(32)}_${r.hex(8)}`, (v) => `provider "grafana" { auth = "${v}" }`);
  token('new relic user key', `NRAK-${r.upperAlnum(27)}`, (v) => `newrelic profiles add --apiKey ${v} --region us`);
  token('databricks token', `dapi${r.hex(32)}`, (v) => `databricks configure --token # pasted ${v}`);
  token('planetscale password', `pscale_pw_${r.base64url(43)}`, (v) => `DATABASE_URL='mysql://${r.lowerAlnum(12)}:${v}@aws.connect.psdb.cloud/shop?sslaccept=strict'`);
  token('postman api key', `PMAK-${r.hex(24)}-${r.hex(34)}`, (v) => `postman login --with-api-key ${v}`);
  token('pulumi token', `pul-${r.hex(40)}`, (v) => `PULUMI_ACCESS_TOKEN=${v}`);
  token('terraform cloud token', `${r.lowerAlnum(14)}.atlasv1.${r.base64url(67)}`, (v) => `credentials "app.terraform.io" {\n  token = "${v}"\n}`);
  token('notion token', `ntn_${r.digits(11)}${r.alnum(35)}`, (v) => `const notion = new Client({ auth: "${v}" })`);
  token('groq key', `gsk_${r.alnum(52)}`, (v) => `Groq(api_key="${v}")`);
  token('replicate token', `r8_${r.alnum(37)}`, (v) => `export REPLICATE_API_TOKEN=${v}`);
  token('perplexity key', `pplx-${r.alnum(48)}`, (v) => `model key ${v} hit the rate limit`);
  token('tailscale auth key', `tskey-auth-k${r.alnum(16)}-${r.alnum(33)}`, (v) => `tailscale up --authkey=${v} --hostname=ci`);
  token('tailscale auth key', `tskey-auth-k${r.alnum(16)}-${r.alnum(33)}`, (v) => `sudo tailscale up --auth-key ${v}`);
  token('buildkite token', `bkua_${r.hex(40)}`, (v) => `bk configure --token ${v}`);
  token('supabase token', `sbp_${r.hex(40)}`, (v) => `supabase login --token ${v}`);
  token('figma token', `figd_${r.base64url(40)}`, (v) => `X-Figma-Token: ${v}`);
  token('fly.io token', `fo1_${r.base64url(43)}`, (v) => `flyctl deploy --access-token ${v}`);
  token('netlify token', `nfp_${r.alnum(36)}`, (v) => `netlify deploy --auth ${v} --prod`);
  token('square token', `EAAA${r.base64url(60)}`, (v) => `square_client = Client(access_token='${v}')`);
  token('shippo token', `shippo_live_${r.hex(40)}`, (v) => `shippo.config.api_key = "${v}"`);
  token('easypost key', `EZAK${r.alnum(54)}`, (v) => `EasyPost::Client.new(api_key: '${v}')`);
  token('langsmith key', `lsv2_pt_${r.hex(32)}_${r.hex(10)}`, (v) => `LANGCHAIN_API_KEY=${v}`);
  token('mapbox secret token', `sk.eyJ1Ijoi${r.base64url(50)}.${r.base64url(22)}`, (v) => `mapbox upload acme.tiles data.geojson --token ${v}`);
  token('twitter bearer token', `AAAAAAAAAAAAAAAAAAAAA${r.alnum(90)}`, (v) => `TWITTER_BEARER=${v}`);
  token('artifactory api key', `AKCp${r.alnum(69)}`, (v) => `curl -H "X-JFrog-Art-Api: ${v}" https://acme.jfrog.io/artifactory/api/repositories`);
  token('sourcegraph token', `sgp_${r.hex(16)}_${r.hex(40)}`, (v) => `src login https://sourcegraph.example.com --token ${v}`);
  token('prefect key', `pnu_${r.alnum(36)}`, (v) => `prefect cloud login -k ${v}`);
  token('readme key', `rdme_${r.lowerAlnum(70)}`, (v) => `rdme openapi --key=${v}`);
  token('1password service account token', `ops_eyJ${r.base64(300)}`, (v) => `OP_SERVICE_ACCOUNT_TOKEN=${v} op read op://ci/db/password`);
  token('dynatrace token', `dt0c01.${r.upperAlnum(24)}.${r.upperAlnum(64)}`, (v) => `curl -H "Authorization: Api-Token ${v}" https://acme.live.dynatrace.com/api/v2/metrics`);
  token('clojars token', `CLOJARS_${r.lowerAlnum(60)}`, (v) => `lein deploy clojars # with ${v}`);
  token('alibaba access key id', `LTAI${r.alnum(20)}`, (v) => `aliyun configure set --access-key-id ${v} --region cn-hangzhou`);
  token('flutterwave secret key', `FLWSECK_TEST-${r.hex(32)}-X`, (v) => `FLW_SECRET=${v}`);
  token('frame.io token', `fio-u-${r.base64url(64)}`, (v) => `frameio token ${v}`);
  token('typeform token', `tfp_${r.base64url(59)}`, (v) => `typeform.token = "${v}"`);
  token('octopus api key', `API-${r.upperAlnum(26)}`, (v) => `octo create-release --project web --apiKey ${v}`);
  token('docker hub oat', `dckr_oat_${r.base64url(32)}`, (v) => `token for the org: ${v}`);
}

// The same secrets in plain sentences, as a person types them into a session.
{
  const prose = (kind: string, value: string, text: (v: string) => string) => add(kind, value, text(value));
  prose('github pat in prose', `ghp_${r.alnum(36)}`, (v) => `here's my token: ${v} — can you check why the push fails?`);
  prose('stripe key in prose', `sk_live_${r.alnum(24)}`, (v) => `the prod key (${v}) is also in 1Password`);
  prose('slack token in prose', `xoxb-${r.digits(12)}-${r.digits(13)}-${r.alnum(24)}`, (v) => `Bot token is "${v}".`);
  prose('aws key id in prose', `AKIA${r.base32(16)}`, (v) => `Is ${v} still active in the prod account?`);
  prose('npm token in prose', `npm_${r.alnum(36)}`, (v) => `publish with \`${v}\` once, then revoke`);
  prose('jwt in markdown', `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'u1', role: 'admin' })).toString('base64url')}.${r.base64url(43)}`, (v) => `| token | \`${v}\` |`);
}

// A second batch, written after the rules it tests and scored before any rule changed for it (see the commit).
{
  const held = (kind: string, value: string, text: (v: string) => string) => add(kind, value, text(value));
  held('terraform tfvars password', r.password(), (v) => `admin_password = "${v}"`);
  held('helm --set password', r.alnum(20), (v) => `helm upgrade api ./chart --set postgresql.auth.password=${v} --set image.tag=1.4.2`);
  held('github actions env', `ghp_${r.alnum(36)}`, (v) => `      - run: npm publish\n        env:\n          GH_PAT: ${v}`);
  held('gitlab token in npmrc env', `glpat-${r.base64url(20)}`, (v) => `CI_JOB_TOKEN=${v} npm ci`);
  held('slack token in a python dict', `xoxb-${r.digits(11)}-${r.digits(12)}-${r.alnum(24)}`, (v) => `config = {"slack": {"token": "${v}", "channel": "#ops"}}`);
  held('stripe key in a ruby initializer', `sk_live_${r.alnum(24)}`, (v) => `Stripe.api_key = ENV.fetch("STRIPE_KEY", "${v}")`);
  held('openai key in a notebook', `sk-proj-${r.base64url(120)}`, (v) => `os.environ["OPENAI_API_KEY"] = "${v}"`);
  held('anthropic key in a shell history', `sk-ant-api03-${r.base64url(93)}AA`, (v) => `  512  export ANTHROPIC_API_KEY='${v}'`);
  held('aws key id in a terraform provider', `AKIA${r.base32(16)}`, (v) => `provider "aws" {\n  access_key = "${v}"\n  region     = "eu-central-1"\n}`);
  held('aws secret in a terraform provider', r.base64(40), (v) => `provider "aws" {\n  secret_key = "${v}"\n}`);
  held('azure storage key in a cli call', `${r.base64(86)}==`, (v) => `az storage blob upload --account-name assets --account-key ${v} -f a.txt -c c`);
  held('google api key in a url', `AIza${r.base64url(35)}`, (v) => `https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=${v}`);
  held('jwt in a json log', `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from(JSON.stringify({ sub: r.uuid() })).toString('base64url')}.${r.base64url(43)}`, (v) => `{"level":"debug","msg":"outgoing","headers":{"authorization":"Bearer ${v}"}}`);
  held('basic auth header', Buffer.from(`deploy:${r.alnum(16)}`).toString('base64'), (v) => `Authorization: Basic ${v}`);
  held('mongodb url in yaml', r.alnum(20), (v) => `spring:\n  data:\n    mongodb:\n      uri: mongodb://app:${v}@mongo-0.mongo:27017/app`);
  held('sqlalchemy url', r.password(), (v) => `SQLALCHEMY_DATABASE_URI = 'postgresql+psycopg2://app:${v}@localhost/app'`);
  held('password in a docker run', r.password(), (v) => `docker run -d -e MYSQL_ROOT_PASSWORD=${v} -p 3306:3306 mysql:8`);
  held('password in a compose list', r.password(), (v) => `    environment:\n      - RABBITMQ_DEFAULT_PASS=${v}`);
  held('password flag with equals', r.password(), (v) => `pg_dump --dbname=app --username=app --password=${v} > app.sql`);
  held('api key in a query string', r.hex(32), (v) => `curl "https://api.example.com/v1/forecast?lat=52.5&lon=13.4&appid=x&api_key=${v}"`);
  held('token in a .env with export and quotes', r.alnum(40), (v) => `export SENTRY_AUTH_TOKEN="${v}"`);
  held('secret in toml', r.alnum(32), (v) => `[auth]\nclient_id = "web"\nclient_secret = "${v}"`);
  held('npm token in yarnrc', `npm_${r.alnum(36)}`, (v) => `npmAuthToken: "${v}"`);
  held('hugging face token in prose', `hf_${r.alnum(34)}`, (v) => `Logged in with ${v}; the model download works now.`);
  held('twilio token in a python call', r.hex(32), (v) => `client = Client(account_sid, "${v}")  # auth token`);
  held('private key in json escaped', ['MIIEowIBAAKCAQEA' + r.base64(48), r.base64(64), r.base64(64)].join('\\n'), (v) => `{"key":"-----BEGIN RSA PRIVATE KEY-----\\n${v}\\n-----END RSA PRIVATE KEY-----"}`);
  held('vault token in a header', `hvs.${r.base64url(91)}`, (v) => `curl -H "X-Vault-Token: ${v}" https://vault.example.com/v1/secret/data/app`);
  held('digitalocean token in env', `dop_v1_${r.hex(64)}`, (v) => `DIGITALOCEAN_ACCESS_TOKEN=${v}`);
  held('sendgrid key in yaml', `SG.${r.base64url(22)}.${r.base64url(43)}`, (v) => `mail:\n  sendgrid_key: ${v}`);
  held('discord token in env', `M${r.alnum(25)}.${r.base64url(6)}.${r.base64url(38)}`, (v) => `DISCORD_BOT_TOKEN=${v}`);
}

export { secretCases };

/** Ordinary engineering text, each of which must come back exactly as it went in. */
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const sri = (text: string) => `sha512-${createHash('sha512').update(text).digest('base64')}`;
const o = synthetic(0x0bd1a);

export const ordinaryCases: OrdinaryCase[] = [
  // CSS and front-end
  { kind: 'css class', text: '.sk-folding-cube { margin: 20px auto; width: 40px; height: 40px; transform: rotateZ(45deg); }' },
  { kind: 'css class', text: '<div class="sk-folding-cube"><div class="sk-cube1 sk-cube"></div><div class="sk-cube2 sk-cube"></div></div>' },
  { kind: 'css class', text: '.sk-chasing-dots-container-rotate { animation: sk-chasingDotsRotate 2s infinite linear; }' },
  { kind: 'css class', text: 'import "spinkit/spinkit.min.css"; // provides sk-wandering-cubes-animation and sk-three-bounce' },
  { kind: 'css class', text: '.key-value-table__row--highlighted { background: var(--token-color-surface-strong); }' },
  { kind: 'css variable', text: ':root { --token-radius-large: 12px; --secret-panel-width: 320px; }' },
  { kind: 'tailwind', text: '<button class="rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm">Reset password</button>' },
  { kind: 'publishable key', text: `const stripe = Stripe('pk_live_${o.alnum(24)}'); // publishable, safe in the browser` },
  { kind: 'publishable key', text: `mapboxgl.accessToken = 'pk.eyJ1IjoiYWNtZSIsImEiOiJja2V4YW1wbGUifQ.${o.base64url(22)}';` },
  // Kubernetes and Helm
  { kind: 'k8s secret name', text: 'auth:\n  existingSecret: my-release-postgresql\n  secretKeys:\n    adminPasswordKey: postgres-password' },
  { kind: 'k8s secret name', text: 'envFrom:\n  - secretRef:\n      name: api-secrets\n  - configMapRef:\n      name: api-config' },
  { kind: 'k8s secret name', text: 'volumes:\n  - name: tls\n    secret:\n      secretName: ingress-tls-cert\n      defaultMode: 0400' },
  { kind: 'k8s secret name', text: 'env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db-credentials\n        key: password' },
  { kind: 'k8s secret name', text: 'helm install pg bitnami/postgresql --set auth.existingSecret=pg-auth --set primary.persistence.size=20Gi' },
  { kind: 'k8s secret name', text: 'redis:\n  auth:\n    enabled: true\n    existingSecret: redis-auth-secret\n    existingSecretPasswordKey: redis-password' },
  { kind: 'k8s secret name', text: 'kubectl get secret my-release-postgresql -o jsonpath="{.data.postgres-password}" | base64 -d' },
  { kind: 'k8s manifest', text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n  template:\n    spec:\n      serviceAccountName: api-runner' },
  { kind: 'k8s manifest', text: 'tokenSecretRef:\n  name: cloudflare-api-token\n  key: api-token' },
  { kind: 'k8s manifest', text: 'serviceAccount:\n  automountServiceAccountToken: false\n  create: true' },
  { kind: 'k8s manifest', text: 'image: ghcr.io/acme/api@sha256:' + createHash('sha256').update('api-image').digest('hex') },
  // Git, hashes, ids
  { kind: 'git sha', text: `commit ${sha1('first')}\nAuthor: Jane Doe <jane@example.com>\n\n    Rotate the token cache` },
  { kind: 'git sha', text: `git cherry-pick ${sha1('second')} ${sha1('third').slice(0, 7)}` },
  { kind: 'git log', text: `${sha1('fourth').slice(0, 7)} fix(auth): refresh the access token before it expires` },
  { kind: 'uuid', text: `request_id=${o.uuid()} user_id=${o.uuid()} status=401 msg="token expired"` },
  { kind: 'uuid', text: `{"id": "${o.uuid()}", "tokenType": "refresh", "expiresIn": 3600}` },
  { kind: 'lockfile integrity', text: `"node_modules/left-pad": {\n  "version": "1.3.0",\n  "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",\n  "integrity": "${sri('left-pad')}"\n}` },
  { kind: 'lockfile integrity', text: `left-pad@^1.3.0:\n  version "1.3.0"\n  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz#${sha1('lp')}"\n  integrity ${sri('left-pad-yarn')}` },
  { kind: 'subresource integrity', text: `<script src="https://cdn.example.com/lib.js" integrity="${sri('cdn-lib').replace('sha512', 'sha384')}" crossorigin="anonymous"></script>` },
  { kind: 'go.sum', text: `github.com/google/uuid v1.6.0 h1:${createHash('sha256').update('uuid').digest('base64')}` },
  { kind: 'checksum', text: `${createHash('sha256').update('release').digest('hex')}  app-linux-amd64.tar.gz` },
  { kind: 'base64 of non-secret', text: `echo ${Buffer.from('{"hello":"world","list":[1,2,3],"nested":{"a":true}}').toString('base64')} | base64 -d` },
  { kind: 'base64 of non-secret', text: `data:image/png;base64,${Buffer.from(Array.from({ length: 240 }, (_, i) => (i * 53) % 256)).toString('base64')}` },
  { kind: 'ssh public key', text: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${o.base64(43)} jane@laptop` },
  { kind: 'certificate', text: `-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE${o.base64(44)}\n${o.base64(64)}\n-----END CERTIFICATE-----` },
  { kind: 'public key', text: `-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE${o.base64(52)}\n-----END PUBLIC KEY-----` },
  { kind: 'age public key', text: `recipients: age1${o.bech32(58).toLowerCase()}` },
  { kind: 'aws arn', text: 'arn:aws:iam::123456789012:role/github-actions-deploy and arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf' },
  { kind: 'aws example', text: 'aws s3 cp build/ s3://acme-assets/ --recursive --profile prod --region us-east-1' },
  { kind: 'twilio account sid', text: `TWILIO_ACCOUNT_SID=AC${o.hex(32)}` },
  { kind: 'instrumentation key', text: `APPLICATIONINSIGHTS_CONNECTION_STRING=InstrumentationKey=${o.uuid()};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/` },
  { kind: 'google client id', text: `GOOGLE_CLIENT_ID=${o.digits(12)}-${o.lowerAlnum(32)}.apps.googleusercontent.com` },
  // Code that names secrets without holding one
  { kind: 'code', text: 'self.api_key = api_key' },
  { kind: 'code', text: 'const apiKey = config.apiKey;' },
  { kind: 'code', text: 'password = getpass.getpass("Password: ")' },
  { kind: 'code', text: 'const token = await getAccessToken({ scopes: ["repo"] });' },
  { kind: 'code', text: 'if (!process.env.STRIPE_SECRET_KEY) throw new Error("STRIPE_SECRET_KEY is not set");' },
  { kind: 'code', text: 'secret_key = os.environ["SECRET_KEY"]' },
  { kind: 'code', text: 'let encryptionKey = try KeyStore.load(named: keyAlias)' },
  { kind: 'code', text: 'def verify_password(plain_password: str, hashed_password: str) -> bool:' },
  { kind: 'code', text: 'type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };' },
  { kind: 'code', text: 'PASSWORD_MIN_LENGTH = 12\nTOKEN_TTL_SECONDS = 3600\nMAX_TOKENS = 4096' },
  { kind: 'code', text: 'token_count = len(tokenizer.encode(text))' },
  { kind: 'code', text: 'cache_key = f"user:{user_id}:profile"' },
  { kind: 'code', text: 'primary_key = "id"\nsort_key = "created_at"\npartition_key = "tenant_id"' },
  { kind: 'code', text: 'const idempotencyKey = crypto.randomUUID();' },
  { kind: 'code', text: 'secretsManager.getSecretValue({ SecretId: "prod/db" })' },
  { kind: 'code', text: 'expect(screen.getByLabelText("Password")).toHaveAttribute("type", "password");' },
  { kind: 'code', text: 'authToken: string | null = null;' },
  { kind: 'code', text: 'monkeypatch.setenv("API_KEY", "test")' },
  { kind: 'code', text: 'headers = {"Authorization": f"Bearer {token}"}' },
  { kind: 'code', text: 'client_secret = settings.OAUTH_CLIENT_SECRET' },
  { kind: 'code', text: 'password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())' },
  { kind: 'code', text: 'for key, value in secrets.items():' },
  { kind: 'code', text: 'const [token, setToken] = useState<string>("");' },
  { kind: 'code', text: 'router.post("/password-reset", requireAuth, resetPassword);' },
  // Shell
  { kind: 'shell', text: 'docker run --rm -u 1000:1000 -v "$PWD":/app -w /app node:20 npm test' },
  { kind: 'shell', text: 'docker run -d -p 8080:80 -p 5432:5432 --name web nginx:1.25' },
  { kind: 'shell', text: 'docker login -u "$REGISTRY_USER" -p "$REGISTRY_PASSWORD" registry.example.com' },
  { kind: 'shell', text: 'echo "$CR_PAT" | docker login ghcr.io -u acme --password-stdin' },
  { kind: 'shell', text: 'sshpass -e ssh deploy@web-1 uptime' },
  { kind: 'shell', text: 'mysql -u root -p shop < dump.sql' },
  { kind: 'shell', text: 'psql -h localhost -U postgres -d app -c "\\dt"' },
  { kind: 'shell', text: 'git push -u origin feature/token-refresh' },
  { kind: 'shell', text: 'tar -czf backup-2024-05-02.tar.gz -C /var/lib/postgresql/data .' },
  { kind: 'shell', text: 'ssh -p 2222 -i ~/.ssh/id_ed25519 deploy@bastion.example.com' },
  { kind: 'shell', text: 'openssl rand -hex 32 > secret.key && chmod 600 secret.key' },
  { kind: 'shell', text: 'kubectl create secret generic api-env --from-env-file=.env.production' },
  { kind: 'shell', text: 'gh secret set NPM_TOKEN --body "$NPM_TOKEN" --repo acme/web' },
  { kind: 'shell', text: 'curl -fsSL -u "$ARTIFACTORY_USER:$ARTIFACTORY_TOKEN" https://acme.jfrog.io/api/system/ping' },
  { kind: 'shell', text: 'redis-cli -h cache.internal -p 6379 INFO memory' },
  { kind: 'shell', text: 'ls -la ~/.aws/credentials ~/.docker/config.json ~/.npmrc' },
  { kind: 'shell', text: 'chmod -R u+rwX,go-rwx secrets/ && ls secrets/' },
  // Config that refers to secrets
  { kind: 'env reference', text: 'DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/app' },
  { kind: 'env reference', text: 'password: ${{ secrets.DB_PASSWORD }}\ntoken: ${{ github.token }}' },
  { kind: 'env reference', text: 'api_key: "{{ vault_api_key }}"\npassword: "{{ lookup(\'env\', \'DB_PASSWORD\') }}"' },
  { kind: 'env reference', text: 'secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>' },
  { kind: 'env reference', text: 'PASSWORD_FILE=/run/secrets/db_password\nTOKEN_PATH=/var/run/secrets/kubernetes.io/serviceaccount/token' },
  { kind: 'env example', text: 'DB_PASSWORD=\nSTRIPE_SECRET_KEY=\nJWT_SECRET=' },
  { kind: 'env example', text: 'API_KEY=your-api-key-here\nSECRET_KEY=changeme' },
  { kind: 'config', text: '"auth": {\n  "type": "oauth2",\n  "tokenUrl": "https://auth.example.com/oauth/token",\n  "scopes": ["read", "write"]\n}' },
  { kind: 'config', text: 'token_endpoint_auth_method: client_secret_basic\ngrant_types: [authorization_code, refresh_token]' },
  { kind: 'config', text: '[mysqld]\nport = 3306\nmax_connections = 200\ninnodb_buffer_pool_size = 2G' },
  { kind: 'config', text: 'session:\n  cookie_name: acme_session\n  secure: true\n  same_site: lax\n  ttl: 86400' },
  { kind: 'config', text: 'security:\n  password_policy:\n    min_length: 12\n    require_symbols: true' },
  { kind: 'config', text: 'jwt:\n  algorithm: RS256\n  issuer: https://auth.example.com\n  audience: api' },
  { kind: 'config', text: 'Cookie: theme=dark; lang=en-GB' },
  // Prose
  { kind: 'prose', text: 'Rotated the Stripe secret key and updated the webhook endpoint; the old key stops working tomorrow.' },
  { kind: 'prose', text: 'The password reset email now expires after 30 minutes, and tokens are single-use.' },
  { kind: 'prose', text: 'Bearer tokens go in the Authorization header; never log them.' },
  { kind: 'prose', text: 'We store API keys hashed with SHA-256 and show only the last four characters.' },
  { kind: 'prose', text: 'Secret scanning flagged a false positive in the fixtures; we added an allowlist entry.' },
  { kind: 'prose', text: 'The token limit is 200k; the secret to speed is caching the tokenizer.' },
  { kind: 'prose', text: 'Moved the signing key into KMS; the app now calls kms:Sign instead of loading a PEM.' },
  { kind: 'prose', text: 'the password is stored in the vault, not in the repo' },
  { kind: 'prose', text: 'Use a key-value store for sessions; monkey-patching the keyring broke the tests.' },
  // Paths and package names
  { kind: 'path', text: '/home/jane/projects/acme/src/auth/token-store.ts:42:7 - error TS2345' },
  { kind: 'path', text: 'C:\\Users\\jane\\AppData\\Roaming\\npm\\node_modules\\secretlint\\bin\\secretlint.js' },
  { kind: 'path', text: 'lib/secrets/password-policy.test.ts lib/keys/api-key-format.ts' },
  { kind: 'package names', text: 'npm install @secretlint/core jsonwebtoken passport-jwt bcrypt dotenv-safe' },
  { kind: 'package names', text: 'pip install python-dotenv keyring cryptography==42.0.5 pyjwt[crypto]' },
  { kind: 'package names', text: 'npm_config_cache=/tmp/npm-cache npm_package_version=1.2.3 npm ci' },
  // Logs
  { kind: 'log', text: '2024-05-02T10:11:12.345Z INFO  auth token refreshed for user 42 (expires_in=3600s)' },
  { kind: 'log', text: '[2024-05-02 10:11:12] WARN password attempt failed for user "jdoe" from 203.0.113.7' },
  { kind: 'log', text: 'POST /api/v1/sessions 201 12.3ms - request_id=7f3c2a1b trace_id=4bf92f3577b34da6a3ce929d0e0e4736' },
  { kind: 'log', text: 'Successfully tagged acme/api:1.4.2\nThe push refers to repository [registry.example.com/acme/api]' },
  { kind: 'log', text: '  ✓ redacts the token in headers (3 ms)\n  ✓ keeps the key name (1 ms)' },
  // A second batch, written with the second batch of secrets (see there).
  { kind: 'code', text: 'const { data: session } = await supabase.auth.getSession();' },
  { kind: 'code', text: 'if password != confirm_password:\n    raise ValidationError("passwords differ")' },
  { kind: 'code', text: 'export const SESSION_COOKIE_NAME = "__Host-session";' },
  { kind: 'code', text: 'jwt.sign(payload, process.env.JWT_SECRET!, { expiresIn: "15m" })' },
  { kind: 'code', text: 'resource "aws_secretsmanager_secret" "db" {\n  name = "prod/db/password"\n}' },
  { kind: 'code', text: 'client_secret = var.client_secret\napi_key       = var.api_key' },
  { kind: 'code', text: '<input type="password" name="password" autocomplete="current-password" />' },
  { kind: 'code', text: 'auth:\n  strategy: jwt\n  provider: github' },
  { kind: 'shell', text: 'docker compose exec db psql -U postgres -c "ALTER USER app WITH PASSWORD \'$NEW_DB_PASSWORD\'"' },
  { kind: 'shell', text: 'op read "op://Private/GitHub/token" | gh auth login --with-token' },
  { kind: 'shell', text: 'aws secretsmanager get-secret-value --secret-id prod/api/stripe --query SecretString --output text' },
  { kind: 'shell', text: 'vault kv get -field=password secret/data/db' },
  { kind: 'log', text: 'Login succeeded' },
  { kind: 'log', text: '2024-05-02 10:00:01 INFO Rotating API keys for 3 tenants (dry_run=false)' },
  { kind: 'log', text: 'WARN  [auth] token introspection took 812ms (threshold 500ms)' },
  { kind: 'prose', text: 'Set the token scopes to read:packages and write:packages, then regenerate it.' },
  { kind: 'prose', text: 'The secret key rotation runbook is in docs/runbooks/rotate-keys.md.' },
  { kind: 'prose', text: 'Passwords must be at least 12 characters; passphrases are encouraged.' },
  { kind: 'config', text: 'spring.datasource.password=${DB_PASSWORD}\nspring.datasource.username=${DB_USER}' },
  { kind: 'config', text: '[credential]\n\thelper = osxkeychain' },
  { kind: 'config', text: 'signing:\n  key_id: 0xA1B2C3D4E5F60789\n  algorithm: ed25519' },
  { kind: 'config', text: 'csrf_token_header: X-CSRF-Token\nsession_ttl: 3600' },
  { kind: 'url', text: 'https://api.github.com/repos/acme/api/actions/secrets/public-key' },
  { kind: 'url', text: 'https://example.com/reset-password?email=jane%40example.com' },
  { kind: 'hash', text: `sha256:${createHash('sha256').update('layer').digest('hex')}` },
  { kind: 'hash', text: `Merge ${sha1('m1')} into ${sha1('m2')}` },
  // URLs that carry no credential
  { kind: 'url', text: 'https://example.com:8443/path?query=1&next=/dashboard#section-2' },
  { kind: 'url', text: 'ssh://git@github.com/acme/api.git and git@gitlab.com:acme/web.git' },
  { kind: 'url', text: 'mailto:security@example.com?subject=token%20rotation' },
  { kind: 'url', text: 'https://console.cloud.google.com/apis/credentials?project=demo-project-123' },
  { kind: 'url', text: 'https://github.com/acme/api/settings/secrets/actions/new' },
  { kind: 'url', text: 'redis://cache.internal:6379/0' },
  { kind: 'url', text: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=00000000-0000-0000-0000-000000000000&response_type=code' },
];
