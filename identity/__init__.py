"""Identity: local accounts, sessions, personal access tokens, OpenID Connect sign-in and role grants."""
