// tests/idp/server.js - a real OpenID provider (oidc-provider) on 127.0.0.1
// for tokengate's tests. Usage: node server.js OUTDIR [PUBLIC_URL]
// (PUBLIC_URL: the issuer as seen through a proxy, e.g. the fault proxy)
// Prints "URL http://127.0.0.1:PORT" when ready. Writes the current signing
// key as OUTDIR/<kid>.pem so tests can mint user tokens with the provider's
// own key. Test-only routes (never part of a real provider):
//   POST /test/rotate   new RS256 signing key first, old one still published
//   GET  /test/stats    requests seen per path, as JSON
//   POST /test/reset    forget the counters
//   POST /test/ttl?at=N access token lifetime in seconds (default 600)
//   POST /test/revoke?user=NAME  revoke every grant of a user (an admin
//                       disabling the account): its refresh tokens die
//   POST /test/device/approve?user_code=C&user=NAME  what the person does at
//                       the verification page: the device code is bound to
//                       a grant of NAME (openid offline_access + the hosts
//                       resource), as the provider's own device_resume does
//   POST /test/device/deny?user_code=C   the person refuses (access_denied)
//   POST /test/user?name=NAME[&password=P][&groups=a,b][&disabled=1|0][&username=U]
//                       create or change a user (what an administrator does
//                       at the provider): password, groups (comma list, empty
//                       for none; seen in tokens issued from now on), username
//                       (the preferred_username tokens carry from now on, such
//                       as a UPN alice@corp.example; empty: NAME), disabled
//                       (password grants and device approvals refused, every
//                       grant revoked at once, so refreshes get invalid_grant)
//   POST /test/scopes?resource=0|1  whether grants from now on (password,
//                       device approvals) include the resource scope hosts
//                       (default 1). With 0 the person grants what a client
//                       asking for the minimal scope openid gets: OIDC
//                       scopes only; oidc-provider's own refresh_token and
//                       device_code grants then answer "scope": "" (the
//                       access token for urn:linux-hosts has no scope)
//   POST /test/resource?none=1|0  with 1, grants from now on carry no
//                       resource at all: what a provider set up with the
//                       minimal scope openid gives a client that names no
//                       API: an opaque access token (for userinfo) and an
//                       ID token for the client; tokengate's session then
//                       rests on the ID token (session_token = auto)
//   POST /test/device/config?interval=N&slow_down=M  send interval N with
//                       device authorizations; answer the next M token
//                       requests with slow_down (they must be device polls)
//   POST /test/authn?user=NAME[&age=S][&acr=A][&amr=a,b][&stepup_acr=A][&stepup_amr=a,b][&ignore_max_age=1]
//                       the person's login at the provider (the browser session
//                       a device approval rests on): made S seconds ago (default
//                       0: every approval is a fresh login, as before), with acr
//                       A and amr a,b (default: none). A device authorization
//                       asking max_age M (OIDC Core 3.1.2.1; max_age=0 is
//                       prompt=login) re-authenticates the person when that
//                       login is older than M, and one asking acr_values
//                       re-authenticates when the login's acr is not among them;
//                       a re-authentication is a new login now, with
//                       stepup_acr / stepup_amr when set (what an MFA prompt
//                       gives), else the same acr / amr. ignore_max_age=1: a
//                       provider that approves from the old login whatever is
//                       asked. Password grants are fresh logins (auth_time now,
//                       acr / amr as set). Tokens carry auth_time, acr and amr
//                       of the login behind their grant (access tokens too, as
//                       RFC 9068 2.2.1 allows; a refresh keeps the original
//                       login's). Counter "device:reauth" per re-authentication
//   POST /test/quirk?mode=none|keycloak|entra|entra-overage|google|okta-custom|okta-org
//                       what tokens and replies look like from now on, as each
//                       provider documents them (QUIRKS below; none: as above,
//                       the default). In every mode but none the password grant
//                       also returns an ID token (scope openid, RS256, aud =
//                       client_id, the mode's claims), as real providers do, and
//                       the refresh token it issues carries openid, so that
//                       refreshes return one too
// Counters: requests per path, "grant:TYPE" per successful grant and
// "grant_error:TYPE:ERROR" per failed one, "password_for:NAME" per password
// grant request naming NAME (answered or refused).
// Stops by itself after 15 minutes.
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Provider, { errors } from 'oidc-provider';

const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: node server.js OUTDIR');
  process.exit(2);
}

// Test users for the password grant (the provider has none built in).
const USERS = {
  alice: { password: 'alice-password', groups: ['devs'] },
  bob: { password: 'bob-password', groups: ['admins'] },
};
const RESOURCE = 'urn:linux-hosts';
const RS_INFO = {
  scope: 'hosts',
  audience: 'linux-hosts',
  accessTokenFormat: 'jwt',
  jwt: { sign: { alg: 'RS256' } },
};

// ---- quirk modes: other providers' documented tokens and replies ----
// The issuer stays this provider's URL (a tenant- or server-style path
// cannot be faked under oidc-provider); sub stays the account id (tokengate
// keys sessions on (iss, sub); real providers' subs are opaque ids). Each
// mode follows the provider's documentation:
//  keycloak: access token header typ "JWT", payload typ "Bearer", roles in
//    realm_access.roles (client roles in resource_access), azp = the client,
//    aud = the audience an Audience mapper adds plus "account" (Audience
//    Resolve, for the account client's roles); no groups claim.
//    https://www.keycloak.org/docs/latest/server_admin/#audience-support
//    https://www.keycloak.org/docs/latest/server_admin/#_protocol-mappers
//    https://www.keycloak.org/docs-api/latest/javadocs/org/keycloak/representations/AccessToken.html
//  entra: a v2.0 access token (header typ "JWT"; ver "2.0", aud = the API's
//    application (client) id, azp, azpacr, scp, tid, oid, uti, a UPN-style
//    preferred_username, groups as object ids (GUIDs)); entra-overage: the
//    same for a user in more than 200 groups: no groups claim, _claim_names
//    {"groups": "src1"} and _claim_sources pointing at Microsoft Graph.
//    https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
//    https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
//    https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/get-signed-in-users-groups-in-access-token
//  google: opaque access tokens; the device authorization answers
//    verification_url (no verification_uri, no verification_uri_complete);
//    the ID token carries email, email_verified, hd (the Workspace domain)
//    and no preferred_username; refreshes do not rotate the refresh token
//    (the answer has none). Google has no password grant: the harness
//    answers it as the others, so that the same checks run in every mode.
//    https://developers.google.com/identity/protocols/oauth2/limited-input-device
//    https://developers.google.com/identity/openid-connect/openid-connect
//    https://developers.google.com/identity/openid-connect/reference
//  okta-custom: a custom authorization server (such as "default"): JWT
//    access token without typ, ver 1, jti "AT.", aud "api://default", cid,
//    uid, scp as an array, sub = the user's login (an email), a groups claim
//    the administrator added; okta-org: the org authorization server: its
//    access token's aud is the org URL, meant for Okta's own APIs only
//    ("you can't validate it yourself"): no host may take it as a session.
//    https://developer.okta.com/docs/concepts/auth-servers/
//    https://developer.okta.com/docs/guides/validate-access-tokens/
//    https://developer.okta.com/docs/guides/customize-tokens-groups-claim/
const QUIRKS = ['none', 'keycloak', 'entra', 'entra-overage', 'google', 'okta-custom', 'okta-org'];
let quirk = 'none';
const DOMAIN = 'corp.example';
const KEYCLOAK_AUD = 'linux-hosts-api';
const ENTRA_TENANT = '5f0c3e8a-2d7b-4c1e-9a4f-6b8d2e1c7a90';
const ENTRA_API = '3c9a7e21-8b4d-4f6a-b1e2-7d5c9f0a4e18'; // the API's client id
const OKTA_AUD = 'api://default';
// a stable GUID for a name (Entra object ids)
function guid(name) {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
const login = (id) => (USERS[id] && USERS[id].username) || `${id}@${DOMAIN}`;
const groupsOf = (id) => (USERS[id] ? USERS[id].groups : []);
const entraGroups = (id) => groupsOf(id).map((g) => guid(`group:${g}`));
const oktaUid = (id) => `00u${createHash('sha256').update(id).digest('hex').slice(0, 17)}`;
function overage(id) {
  return {
    _claim_names: { groups: 'src1' },
    _claim_sources: { src1: { endpoint: `https://graph.microsoft.com/v1.0/users/${guid(`oid:${id}`)}/getMemberObjects` } },
  };
}
function entraClaims(id, client) {
  return {
    ver: '2.0', tid: ENTRA_TENANT, oid: guid(`oid:${id}`), preferred_username: login(id),
    name: id, azp: client, azpacr: '1', rh: '0.AAAA', uti: guid(`uti:${Date.now()}:${Math.random()}`),
    ...(quirk === 'entra-overage' ? overage(id) : { groups: entraGroups(id) }),
  };
}
// The access token as the mode writes it (formats.customizers.jwt).
function quirkAccessToken(token, jwt) {
  const id = token.accountId;
  const p = jwt.payload;
  const client = p.client_id;
  if (!id || quirk === 'none' || quirk === 'google') return;
  delete p.client_id;
  if (quirk === 'keycloak') {
    jwt.header = { typ: 'JWT' }; // eslint-disable-line no-param-reassign
    Object.assign(p, {
      aud: [KEYCLOAK_AUD, 'account'], typ: 'Bearer', azp: client,
      preferred_username: (USERS[id] && USERS[id].username) || id,
      email: login(id), email_verified: true, scope: 'openid profile email hosts',
      realm_access: { roles: [...groupsOf(id), 'default-roles-corp', 'offline_access', 'uma_authorization'] },
      resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
    });
  } else if (quirk.startsWith('entra')) {
    jwt.header = { typ: 'JWT' }; // eslint-disable-line no-param-reassign
    delete p.scope;
    Object.assign(p, { aud: ENTRA_API, scp: 'hosts', ...entraClaims(id, client) });
  } else if (quirk === 'okta-custom' || quirk === 'okta-org') {
    jwt.header = { typ: undefined }; // eslint-disable-line no-param-reassign
    delete p.scope;
    Object.assign(p, {
      ver: 1, jti: `AT.${p.jti}`, aud: quirk === 'okta-org' ? issuer : OKTA_AUD, cid: client,
      uid: oktaUid(id), scp: ['openid', 'offline_access', 'hosts'], sub: login(id),
      auth_time: p.iat, ...(quirk === 'okta-custom' ? { groups: groupsOf(id) } : {}),
    });
  }
}
// The ID token's claims in the mode (findAccount and the password grant;
// none: preferred_username and groups, as access tokens carry them).
function quirkIdClaims(id) {
  const u = { preferred_username: (USERS[id] && USERS[id].username) || id, groups: groupsOf(id) };
  switch (quirk) {
    case 'keycloak': return { ...u, email: login(id), email_verified: true, typ: 'ID' };
    case 'entra': case 'entra-overage': {
      const c = entraClaims(id, 'linux-hosts');
      delete c.azp; delete c.azpacr; delete c.uti; delete c.rh;
      return c;
    }
    case 'google': return { email: login(id), email_verified: true, hd: DOMAIN, name: id };
    case 'okta-custom': case 'okta-org':
      return { ver: 1, preferred_username: login(id), email: login(id), name: id, groups: groupsOf(id) };
    default: return u;
  }
}
const ID_CLAIMS = ['sub', 'preferred_username', 'groups', 'email', 'email_verified', 'hd', 'name',
  'typ', 'ver', 'tid', 'oid'];
// The access token's resource server in the mode (Google's are opaque).
const rsInfo = () => (quirk === 'google'
  ? { scope: 'hosts', audience: 'linux-hosts', accessTokenFormat: 'opaque' } : RS_INFO);

let keys = [];
let serial = 0;
let stats = {};
let handler = null;
let current = null;
let issuer = null;
let atTtl = 600;
const grantsOf = {}; // user -> grant ids
let deviceInterval = 0;
let slowDowns = 0;
let grantResource = true;
let noResource = false;
const authnOf = {}; // user -> the provider-side login: { at, acr, amr, stepupAcr, stepupAmr, ignore }
const loginOf = {}; // grant id -> { auth_time, acr, amr }: the login behind a grant
const nowS = () => Math.floor(Date.now() / 1000);
const list = (v) => (v ? v.split(',').filter(Boolean) : undefined);
// The login a device approval rests on, given what the client asked for.
function approvalLogin(user, params) {
  const a = authnOf[user];
  if (!a) return { auth_time: nowS() };
  const maxAge = params.max_age !== undefined ? Number(params.max_age) : undefined;
  const forced = String(params.prompt || '').split(' ').includes('login') || maxAge === 0;
  const acrs = params.acr_values ? String(params.acr_values).split(' ') : [];
  const stale = forced || (maxAge !== undefined && nowS() - a.at > maxAge);
  const weak = acrs.length > 0 && !acrs.includes(a.acr);
  if (!a.ignore && (stale || weak)) {
    stats['device:reauth'] = (stats['device:reauth'] || 0) + 1;
    a.at = nowS();
    if (weak && a.stepupAcr && acrs.includes(a.stepupAcr)) a.acr = a.stepupAcr;
    if (a.stepupAmr) a.amr = a.stepupAmr;
  }
  return { auth_time: a.at, acr: a.acr, amr: a.amr };
}

function addKey() {
  serial += 1;
  const kid = `k${serial}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  fs.writeFileSync(path.join(outdir, `${kid}.pem`),
    privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  keys = [jwk, ...keys]; // the first key signs
  fs.writeFileSync(path.join(outdir, 'current-kid'), kid);
  return kid;
}

function build() {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'linux-hosts',
      client_secret: 'linux-hosts-secret',
      grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:device_code',
        'refresh_token', 'password'],
      redirect_uris: [],
      response_types: [],
    }, {
      client_id: 'linux-post',
      client_secret: 'linux-post-secret',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    }],
    jwks: { keys },
    // the acr values tests give logins (POST /test/authn): ID tokens carry
    // only the ones the provider knows
    acrValues: ['basic', 'strong'],
    // ID tokens name the person as access tokens do (OIDC Core 5.1:
    // preferred_username; groups is what a Linux host maps); in a quirk
    // mode, with the mode's claims
    findAccount: (ctx, id) => (USERS[id] ? {
      accountId: id,
      claims: async () => ({ sub: id, ...quirkIdClaims(id) }),
    } : undefined),
    claims: {
      acr: null, amr: null, sid: null, auth_time: null, iss: null, openid: ID_CLAIMS,
    },
    ttl: { AccessToken: () => atTtl, IdToken: () => atTtl, RefreshToken: 14 * 24 * 3600, Grant: 14 * 24 * 3600 },
    // Every refresh rotates the refresh token; a used one presented again
    // revokes the whole grant (reuse detection), so a test can prove that
    // tokengate never sends an old refresh token twice.
    // (Google: refresh tokens are not rotated.)
    rotateRefreshToken: () => quirk !== 'google',
    // What a Linux host maps: the login name and the groups.
    extraTokenClaims: (ctx, token) => (quirk === 'none' && token.accountId && USERS[token.accountId]
      ? { preferred_username: USERS[token.accountId].username || token.accountId,
          groups: USERS[token.accountId].groups,
          ...(loginOf[token.grantId] || {}) }
      : undefined),
    // Quirk modes: the access token and ID token claims of the mode.
    formats: { customizers: { jwt: async (ctx, token, jwt) => quirkAccessToken(token, jwt) } },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => (noResource ? undefined : 'urn:linux-hosts'),
        useGrantedResource: () => true,
        // urn:opaque issues opaque tokens: JWT access tokens cannot be
        // introspected here, opaque ones can (and be revoked).
        getResourceServerInfo: (ctx, resource) => (resource === 'urn:opaque'
          ? { scope: 'hosts', audience: 'linux-hosts', accessTokenFormat: 'opaque' }
          : rsInfo()),
      },
    },
  });
  registerPasswordGrant(provider);
  provider.on('grant.success', (ctx) => {
    const k = `grant:${ctx.oidc.params.grant_type}`;
    stats[k] = (stats[k] || 0) + 1;
    // Google's refresh answer has no refresh_token (it is not rotated)
    if (quirk === 'google' && ctx.oidc.params.grant_type === 'refresh_token') delete ctx.body.refresh_token;
  });
  provider.on('device_authorization.success', (ctx, body) => {
    if (deviceInterval) body.interval = deviceInterval; // eslint-disable-line no-param-reassign
    if (quirk === 'google') { // eslint-disable-next-line no-param-reassign
      body.verification_url = body.verification_uri;
      delete body.verification_uri; // eslint-disable-line no-param-reassign
      delete body.verification_uri_complete; // eslint-disable-line no-param-reassign
    }
  });
  provider.on('grant.error', (ctx, err) => {
    const k = `grant_error:${ctx.oidc.params && ctx.oidc.params.grant_type}:${err.error}`;
    stats[k] = (stats[k] || 0) + 1;
  });
  current = provider;
  handler = provider.callback();
}

async function revokeUser(user) {
  const { RefreshToken, AccessToken, Grant } = current;
  for (const gid of grantsOf[user] || []) {
    await RefreshToken.revokeByGrantId(gid);
    await AccessToken.revokeByGrantId(gid);
    await Grant.adapter.destroy(gid);
  }
  const n = (grantsOf[user] || []).length;
  grantsOf[user] = [];
  return n;
}

// The verification page's outcome, without the HTML: bind the device code
// to a grant of the user (approve) or mark it denied.
async function decideDevice(userCode, user, approve) {
  const { DeviceCode, Grant } = current;
  const code = await DeviceCode.findByUserCode(userCode.toUpperCase().replace(/\W/g, ''));
  if (!code) return { status: 404, body: { error: 'no such user code' } };
  if (!approve) {
    code.error = 'access_denied';
    code.errorDescription = 'the user denied the login';
  } else {
    if (!USERS[user] || USERS[user].disabled) return { status: 400, body: { error: 'no such user' } };
    const grant = new Grant({ accountId: user, clientId: code.clientId });
    grant.addOIDCScope('openid offline_access');
    // the ID token says when and how the person logged in (as the
    // authorization endpoint does when max_age or acr_values is asked)
    grant.addOIDCClaims(['auth_time', 'acr', 'amr']);
    if (grantResource && !noResource) grant.addResourceScope(RESOURCE, 'hosts');
    const grantId = await grant.save();
    (grantsOf[user] ||= []).push(grantId);
    code.accountId = user;
    code.grantId = grantId;
    const l = approvalLogin(user, code.params || {});
    loginOf[grantId] = l;
    code.authTime = l.auth_time;
    if (l.acr) code.acr = l.acr;
    if (l.amr) code.amr = l.amr;
    code.claims = { id_token: { auth_time: null, acr: null, amr: null } };
    code.scope = grantResource && !noResource ? 'openid offline_access hosts' : 'openid offline_access';
    if (!noResource) code.resource = RESOURCE;
  }
  await code.save();
  stats[`device:${approve ? 'approve' : 'deny'}`] = (stats[`device:${approve ? 'approve' : 'deny'}`] || 0) + 1;
  return { status: 200, body: { ok: true } };
}

// The resource-owner password grant, registered as the tests need it.
function registerPasswordGrant(provider) {
  provider.registerGrantType('password', async (ctx) => {
    const { params, client } = ctx.oidc;
    const user = USERS[params.username];
    const asked = `password_for:${params.username}`;
    stats[asked] = (stats[asked] || 0) + 1;
    if (!user || user.disabled || user.password !== params.password) {
      throw new errors.InvalidGrant('invalid username or password');
    }
    const {
      Grant, AccessToken, RefreshToken, ResourceServer, IdToken,
    } = ctx.oidc.provider;
    const grant = new Grant({ accountId: params.username, clientId: client.clientId });
    grant.addOIDCScope('openid');
    const resource = grantResource && !noResource;
    if (resource) grant.addResourceScope(RESOURCE, 'hosts');
    const grantId = await grant.save();
    (grantsOf[params.username] ||= []).push(grantId);
    const scope = resource ? 'hosts' : '';
    const authTime = nowS();
    const a = authnOf[params.username];
    loginOf[grantId] = { auth_time: authTime, ...(a && a.acr ? { acr: a.acr } : {}), ...(a && a.amr ? { amr: a.amr } : {}) };
    const at = new AccessToken({
      accountId: params.username, client, grantId, gty: 'password', scope: noResource ? 'openid' : scope,
    });
    if (!noResource) at.resourceServer = new ResourceServer(RESOURCE, rsInfo());
    const value = await at.save();
    // quirk modes: the refresh token carries openid, so that refreshes
    // answer an ID token too (as real providers do with scope openid)
    const rtScope = quirk === 'none' ? 'hosts' : 'openid hosts';
    const rt = new RefreshToken({
      accountId: params.username, client, grantId, gty: 'password',
      scope: resource ? rtScope : 'openid',
      resource: noResource ? undefined : RESOURCE, authTime,
    });
    const refresh = await rt.save();
    // the ID token a provider gives with scope openid (OIDC Core 3.1.3.3),
    // as oidc-provider's own grants make it: the account's claims (the
    // quirk mode's) masked by scope, RS256, aud = client_id
    const id = new IdToken({ sub: params.username, ...quirkIdClaims(params.username) }, { ctx });
    id.scope = 'openid';
    id.set('auth_time', authTime);
    if (loginOf[grantId].acr) id.set('acr', loginOf[grantId].acr);
    if (loginOf[grantId].amr) id.set('amr', loginOf[grantId].amr);
    const idToken = await id.issue({ use: 'idtoken' });
    // as oidc-provider's own grants answer: the access token's scope,
    // "" when the grant has no resource scope
    ctx.body = {
      access_token: value, token_type: 'Bearer', expires_in: at.expiration,
      scope: noResource ? 'openid' : scope, refresh_token: refresh, id_token: idToken,
    };
  }, ['username', 'password', 'scope']);
}

function json(res, code, body) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  const p = new URL(req.url, 'http://x').pathname;
  if (p.startsWith('/test/')) {
    if (p === '/test/stats') return json(res, 200, stats);
    if (p === '/test/reset' && req.method === 'POST') { stats = {}; return json(res, 200, {}); }
    const q = new URL(req.url, 'http://x').searchParams;
    if (p === '/test/ttl' && req.method === 'POST') {
      atTtl = Number(q.get('at')) || 600;
      return json(res, 200, { at: atTtl });
    }
    if (p === '/test/revoke' && req.method === 'POST') {
      revokeUser(q.get('user')).then((n) => json(res, 200, { revoked: n }),
        (e) => json(res, 500, { error: String(e) }));
      return undefined;
    }
    if ((p === '/test/device/approve' || p === '/test/device/deny') && req.method === 'POST') {
      decideDevice(q.get('user_code') || '', q.get('user'), p.endsWith('approve'))
        .then((r) => json(res, r.status, r.body), (e) => json(res, 500, { error: String(e) }));
      return undefined;
    }
    if (p === '/test/user' && req.method === 'POST') {
      const name = q.get('name') || '';
      if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name)) return json(res, 400, { error: 'bad name' });
      USERS[name] ||= { password: `${name}-password`, groups: [] };
      const u = USERS[name];
      if (q.has('password')) u.password = q.get('password');
      if (q.has('username')) u.username = q.get('username');
      if (q.has('groups')) u.groups = q.get('groups') ? q.get('groups').split(',') : [];
      const disable = q.get('disabled') === '1' && !u.disabled;
      if (q.has('disabled')) u.disabled = q.get('disabled') === '1';
      const body = { name, groups: u.groups, disabled: !!u.disabled };
      if (!disable) return json(res, 200, body);
      revokeUser(name).then((n) => json(res, 200, { ...body, revoked: n }),
        (e) => json(res, 500, { error: String(e) }));
      return undefined;
    }
    if (p === '/test/authn' && req.method === 'POST') {
      const user = q.get('user') || '';
      if (!USERS[user]) return json(res, 400, { error: 'no such user' });
      authnOf[user] = {
        at: nowS() - (Number(q.get('age')) || 0), acr: q.get('acr') || undefined, amr: list(q.get('amr')),
        stepupAcr: q.get('stepup_acr') || undefined, stepupAmr: list(q.get('stepup_amr')),
        ignore: q.get('ignore_max_age') === '1',
      };
      return json(res, 200, authnOf[user]);
    }
    if (p === '/test/quirk' && req.method === 'POST') {
      if (!QUIRKS.includes(q.get('mode'))) return json(res, 400, { error: 'bad mode', modes: QUIRKS });
      quirk = q.get('mode');
      return json(res, 200, { mode: quirk });
    }
    if (p === '/test/scopes' && req.method === 'POST') {
      grantResource = q.get('resource') !== '0';
      return json(res, 200, { resource: grantResource });
    }
    if (p === '/test/resource' && req.method === 'POST') {
      noResource = q.get('none') === '1';
      return json(res, 200, { none: noResource });
    }
    if (p === '/test/device/config' && req.method === 'POST') {
      deviceInterval = Number(q.get('interval')) || 0;
      slowDowns = Number(q.get('slow_down')) || 0;
      return json(res, 200, { interval: deviceInterval, slow_down: slowDowns });
    }
    if (p === '/test/rotate' && req.method === 'POST') {
      const kid = addKey();
      build();
      return json(res, 200, { kid });
    }
    return json(res, 404, {});
  }
  stats[p] = (stats[p] || 0) + 1;
  if (p === '/token' && slowDowns > 0) {
    slowDowns -= 1;
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const device = Buffer.concat(chunks).toString().includes('device_code');
      stats['device:slow_down'] = (stats['device:slow_down'] || 0) + 1;
      json(res, device ? 400 : 503, device ? { error: 'slow_down' } : { error: 'test misuse' });
    });
    return undefined;
  }
  return handler(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  issuer = process.argv[3] || `http://127.0.0.1:${port}`;
  fs.writeFileSync(path.join(outdir, 'upstream'), `http://127.0.0.1:${port}`);
  addKey();
  build();
  fs.writeFileSync(path.join(outdir, 'url'), issuer);
  console.log(`URL ${issuer}`);
});
setTimeout(() => process.exit(0), 15 * 60 * 1000).unref();
process.on('SIGTERM', () => process.exit(0));
