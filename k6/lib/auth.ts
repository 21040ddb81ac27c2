// Bearer tokens for the scripts, fetched once in setup() like any client would: OAuth 2.0 client credentials
// against the OIDC provider's token endpoint, or a token handed in directly (for `bin/sluice start-dev`, whose dev
// issuer mints tokens with `bin/sluice token <tenant>`).
//
// For a principal named e.g. `tenant-a` the environment is read as:
//   SLUICE_TOKEN_TENANT_A                  a ready bearer token (wins when set), or
//   SLUICE_TOKEN_URL                       the provider's token endpoint, with
//   SLUICE_CLIENT_ID_TENANT_A / SLUICE_CLIENT_SECRET_TENANT_A   that principal's client credentials.
// The token endpoint is the provider's, not Sluice's, so it is not part of the Sluice contract.
import http from 'k6/http';

function envKey(principal: string): string {
  return principal.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** A bearer token for `principal`; stops the run with a readable message when none can be had. */
export function tokenFor(principal: string): string {
  const key = envKey(principal);
  const direct = __ENV[`SLUICE_TOKEN_${key}`];
  if (direct) {
    return direct.trim();
  }
  const tokenUrl = __ENV.SLUICE_TOKEN_URL;
  const clientId = __ENV[`SLUICE_CLIENT_ID_${key}`];
  const clientSecret = __ENV[`SLUICE_CLIENT_SECRET_${key}`];
  if (!tokenUrl || !clientId || !clientSecret) {
    throw new Error(
      `no token for ${principal}: set SLUICE_TOKEN_${key}, or SLUICE_TOKEN_URL with ` +
        `SLUICE_CLIENT_ID_${key} and SLUICE_CLIENT_SECRET_${key} (see k6/README.md)`,
    );
  }
  const res = http.post(
    tokenUrl,
    { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: __ENV.SLUICE_SCOPE || 'openid' },
    { tags: { endpoint: 'oidc-token' } },
  );
  if (res.status !== 200) {
    throw new Error(`token endpoint answered ${res.status} for ${principal}: ${String(res.body).slice(0, 200)}`);
  }
  const token = (res.json() as { access_token?: string }).access_token;
  if (!token) {
    throw new Error(`token endpoint gave no access_token for ${principal}`);
  }
  return token;
}
