"""Use cases, the HTTP API, the projector and the CLI."""
