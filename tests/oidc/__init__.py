"""A real OpenID provider for the sign-in tests: `provider.mjs` (oidc-provider under Node.js) and its driver."""
