"""Partner systems: feeds, Server-Sent Events and webhook delivery of integration events."""
