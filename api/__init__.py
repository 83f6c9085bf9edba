"""The HTTP API: routes built from command tables, tokens, problems; ``api.app`` composes it."""
