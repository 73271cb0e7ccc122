"""The negotiation tracker's domain: pure, no I/O.

A negotiation track is one event stream (the `Track` aggregate). Everything the service
shows is derived from that stream by the functions in `views`.
"""
