"""Read models: each module owns one (tables, projector, queries); the runner keeps them current."""
