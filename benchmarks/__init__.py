"""Load tools: `python -m benchmarks.run` measures the service against its anchors."""
