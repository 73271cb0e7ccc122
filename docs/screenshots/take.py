"""Re-make the screenshots of the pages (docs/pages.md, the README) from the first example.

    .venv/bin/python docs/screenshots/take.py [--out docs/screenshots]

Loads examples/security-guarantees-2021-22.json into a temporary SQLite store, serves the
app on a free local port (uvicorn, in this process) and photographs, 1280 px wide with
Debian's Chromium (/usr/bin/chromium, as the browser tests use), the overview and the track
page of the US-Russia dialogue, the latter as an auditor sees it (with the hash chain's badge).
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from infra.settings import Settings
from services.api.app import create_app
from services.bootstrap import build
from services.scenarios import load_scenario, read_scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "security-guarantees-2021-22.json"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
AUDITOR = "screenshots:auditor:screenshot-secret"  # a throw-away token for this run only
WIDTH = 1280


def loaded_store(folder: str) -> Settings:
    settings = Settings(database_url=f"sqlite:///{folder}/ntrack.sqlite3", api_tokens=AUDITOR)
    tracker = build(settings)
    try:
        load_scenario(tracker.app, read_scenario(EXAMPLE), recorded_by="loader")
        tracker.projector().catch_up()
    finally:
        tracker.close()
    return settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    out = parser.parse_args().out
    with tempfile.TemporaryDirectory() as folder:
        settings = loaded_store(folder)
        port = free_port()
        config = uvicorn.Config(create_app(settings), port=port, log_config=None)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        site = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": WIDTH, "height": 900})
                page.goto(site + "/")
                page.screenshot(path=str(out / "overview.png"), full_page=True)
                auditor = browser.new_page(
                    viewport={"width": WIDTH, "height": 1500},
                    extra_http_headers={"Authorization": "Bearer screenshot-secret"},
                )
                auditor.goto(site + "/tracks/us-russia-ssd")
                auditor.screenshot(path=str(out / "track.png"))
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    print(f"wrote {out / 'overview.png'} and {out / 'track.png'}")


if __name__ == "__main__":
    main()
