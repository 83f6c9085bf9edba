"""One async handler per command, grouped by the aggregate it changes. Each uses ports only."""
