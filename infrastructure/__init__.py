"""Adapters to the outside world: the PostgreSQL event store, its codec, migrations, clock."""
