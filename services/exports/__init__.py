"""Exports of listed items (API.md v1.1, "Exports"): CSV, PLOVER JSON lines, iCalendar.

The renderers (`tabular`, `plover`, `ics`) turn answer items (the dicts the read model
gives) into text and know nothing of HTTP, so the API (`services.api.exports`) and the CLI
(`ntrack export`) share them; `listings` says what each listing offers.
"""
