// A real OpenID provider (panva's oidc-provider) for Kinerja's sign-in tests: discovery, JWKS, the authorization
// endpoint with its development login and consent forms, and the token endpoint, on 127.0.0.1.
//
//   node tests/oidc/provider.mjs PORT
//
// Environment:
//   OIDC_CLIENTS   JSON list of the clients Kinerja signs in as: [{"client_id", "redirect_uris": [...],
//                  "token_endpoint_auth_method": "none" | "client_secret_basic", "client_secret"?}]
//   OIDC_ACCOUNTS  JSON object of the people who may sign in, by login name: {"sri": {"nip": "...", "name": "..."}};
//                  the login form takes the name (any password), and the ID token carries the person's claims.
// Prints "ready <issuer>" on stdout once it listens.
//
// Test controls, outside the OpenID endpoints (never part of a real provider):
//   POST /__test/fault  body: one of FAULTS; the next token response carries an ID token with that fault, signed
//                       (where the fault is not the signature) by the provider's own current key.
//   POST /__test/rotate the signing key is replaced by a new one with a new kid: the JWKS then lists only the new key.
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const FAULTS = new Set([
  'issuer', // iss is another issuer's
  'audience', // aud is another client's
  'expired', // exp passed ten minutes ago
  'signature', // signed by a key outside the JWKS, under the kid of the key inside it
  'unknown-key', // signed by a key outside the JWKS, under a kid the JWKS does not know
  'alg-none', // unsigned (alg "none")
  'replay', // the ID token of the previous sign-in, whole (its nonce is that sign-in's)
  'no-nip', // the nip claim left out
]);

const port = Number(process.argv[2] ?? process.env.OIDC_PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node provider.mjs PORT (with OIDC_CLIENTS and OIDC_ACCOUNTS in the environment)');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS ?? '[]').map((client) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  ...client,
}));
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS ?? '{}');

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, jwk: { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' } };
}

const b64 = (value) => Buffer.from(value).toString('base64url');
const json = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

function signJwt(header, payload, privateKey) {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

let signing = newKey();
let nextFault = null;
let previousIdToken = null;

function withFault(idToken, fault) {
  const [headerPart, payloadPart] = idToken.split('.');
  const header = json(headerPart);
  const payload = json(payloadPart);
  const now = Math.floor(Date.now() / 1000);
  switch (fault) {
    case 'issuer':
      return signJwt(header, { ...payload, iss: `${issuer}/penyedia-lain` }, signing.privateKey);
    case 'audience':
      return signJwt(header, { ...payload, aud: 'aplikasi-lain' }, signing.privateKey);
    case 'expired':
      return signJwt(header, { ...payload, iat: now - 1200, exp: now - 600 }, signing.privateKey);
    case 'signature':
      return signJwt(header, payload, newKey().privateKey);
    case 'unknown-key':
      return signJwt({ ...header, kid: randomUUID() }, payload, newKey().privateKey);
    case 'alg-none':
      return `${b64(JSON.stringify({ ...header, alg: 'none' }))}.${payloadPart}.`;
    case 'replay':
      return previousIdToken;
    case 'no-nip': {
      const { nip, ...rest } = payload;
      return signJwt(header, rest, signing.privateKey);
    }
    default:
      throw new Error(`unknown fault ${fault}`);
  }
}

function build() {
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [signing.jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    // Claims of the granted scopes go into the ID token itself, as the instansi's provider is configured to do:
    // Kinerja reads the NIP from the ID token, never from the userinfo endpoint.
    conformIdTokenClaims: false,
    claims: { openid: ['sub', 'nip'], profile: ['name'] },
    features: { devInteractions: { enabled: true } },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    async findAccount(_ctx, id) {
      const person = accounts[id];
      if (!person) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...person }) };
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== '/token' || ctx.status !== 200 || typeof ctx.body?.id_token !== 'string') return;
    const issued = ctx.body.id_token;
    if (nextFault !== null) {
      ctx.body = { ...ctx.body, id_token: withFault(issued, nextFault) };
      nextFault = null;
    }
    previousIdToken = issued;
  });
  return provider;
}

let handler = build().callback();

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/__test/fault') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const fault = body.trim();
      if (!FAULTS.has(fault)) {
        res.writeHead(400).end(`unknown fault; one of: ${[...FAULTS].join(', ')}`);
        return;
      }
      nextFault = fault;
      res.writeHead(204).end();
    });
    return;
  }
  if (req.method === 'POST' && req.url === '/__test/rotate') {
    signing = newKey();
    handler = build().callback();
    res.writeHead(204).end();
    return;
  }
  handler(req, res);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
