// A real OpenID Connect provider for the single sign-on tests: the npm package
// oidc-provider on loopback, with its development login and consent pages.
//
//   node oidc_provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
//
// Whatever login is typed is the account: its e-mail address is the login, verified
// unless the login starts with "unverified".
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['signflow-oidc-test'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: id.replace(/^unverified-/, ''),
          email_verified: !id.startsWith('unverified'),
          name: `SSO ${id.split('@')[0]}`,
        };
      },
    };
  },
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
