"""The HTTP API v1 (shared/API.md): thin routes over the use cases and the read model."""
