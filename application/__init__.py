"""Use cases: commands, their handlers and the ports they need. Depends only on the domain."""
