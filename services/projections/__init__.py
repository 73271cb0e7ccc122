"""The read models: the projector that follows the log, and rebuilding them from it."""
