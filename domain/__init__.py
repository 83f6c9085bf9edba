"""The domain model of Passend. Pure and synchronous; imports nothing from other layers."""
