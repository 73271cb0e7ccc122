"""Infrastructure: settings, store selection, read-model tables."""
