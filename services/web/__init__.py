"""Pages for people (HTML), served by the same process as the JSON API under /v1."""
