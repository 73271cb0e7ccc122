"""The `ntrack` command line: serve, project, load, audit and token commands."""
