/**
 * A real OpenID provider (npm oidc-provider, Koa inside) started in-process by a test on a free
 * loopback port. One static confidential client, PKCE required, accounts from a map, and a
 * headless interaction: the login prompt signs in the account named by `login_hint`, the consent
 * prompt grants what was asked. No HTML, so a test drives it with fetch and a cookie jar. Email
 * and groups come only from userinfo (conformIdTokenClaims, its default), as with many real IdPs.
 */
// oidc-provider ships no types; DefinitelyTyped's (9.12.1) match its 9.x API.
// @ts-types="@types/oidc-provider"
import Provider, { type Configuration } from "oidc-provider";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface TestAccount {
  email: string;
  email_verified: boolean;
  name?: string;
  groups?: string[];
}

export interface TestProvider {
  issuer: string; // no trailing slash: exactly what discovery returns as `issuer`
  clientId: string;
  clientSecret: string;
  provider: Provider;
  close(): Promise<void>;
}

export async function startTestProvider(opts: {
  redirectUris: string[];
  accounts: Record<string, TestAccount>;
  clientId?: string;
  clientSecret?: string;
  /** client_secret_basic (default, oidc-provider's default too) or client_secret_post */
  tokenEndpointAuthMethod?: "client_secret_basic" | "client_secret_post";
}): Promise<TestProvider> {
  const clientId = opts.clientId ?? "glassbox";
  const clientSecret = opts.clientSecret ?? crypto.randomUUID();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const issuer = `http://127.0.0.1:${port}`;

  const configuration: Configuration = {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: opts.redirectUris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: opts.tokenEndpointAuthMethod ?? "client_secret_basic",
    }],
    // Default requires PKCE only for public clients; Glassbox is confidential and sends it anyway.
    pkce: { required: () => true },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
      groups: ["groups"],
    },
    scopes: ["openid", "email", "profile", "groups"],
    findAccount(_ctx, sub) {
      const account = opts.accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...account }) };
    },
    features: { devInteractions: { enabled: false } },
    // explicit lifetimes (seconds) silence the "default ttl function called" notices
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Own keys instead of the dev keystore (which warns): one RS256 signing key, cookie keys.
    jwks: { keys: [await (signingKey ??= rsaSigningJwk())] },
    cookies: { keys: [crypto.randomUUID()] },
    // Leave conformIdTokenClaims at its default (true): email/groups then come from userinfo,
    // not the ID token, which is what many real IdPs do too, so the RP must handle both.
  };

  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith("/interaction/")) {
      headlessInteraction(provider, opts.accounts, req, res).catch((e) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    } else {
      callback(req, res);
    }
  });

  return {
    issuer,
    clientId,
    clientSecret,
    provider,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The provider redirects the browser here for each prompt; finish it without a page. */
async function headlessInteraction(
  provider: Provider,
  accounts: Record<string, TestAccount>,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  if (prompt.name === "login") {
    const accountId = String(params.login_hint ?? "");
    if (!Object.hasOwn(accounts, accountId)) {
      return provider.interactionFinished(req, res, {
        error: "access_denied",
        error_description: "unknown account",
      }, { mergeWithLastSubmission: false });
    }
    return provider.interactionFinished(req, res, { login: { accountId } }, {
      mergeWithLastSubmission: false,
    });
  }
  if (prompt.name === "consent") {
    const grant = grantId
      ? (await provider.Grant.find(grantId))!
      : new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
    const details = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(" "));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, {
      mergeWithLastSubmission: true,
    });
  }
  res.statusCode = 501;
  res.end(`prompt ${prompt.name} not implemented`);
}

// RSA key generation costs 60–450 ms here; one key per test process is plenty.
let signingKey: Promise<Record<string, unknown>> | undefined;

async function rsaSigningJwk(): Promise<Record<string, unknown>> {
  const { privateKey } = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  return {
    ...jwk,
    kid: crypto.randomUUID(),
    use: "sig",
    alg: "RS256",
    key_ops: undefined,
    ext: undefined,
  };
}
