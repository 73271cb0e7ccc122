"""The FastAPI hello-world anchor, served like the service (uvicorn, httptools, uvloop).

uvicorn benchmarks.hello:app --http httptools --loop uvloop --workers 2
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def root() -> dict[str, str]:
    return {"message": "Hello World"}
