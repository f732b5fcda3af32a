"""Prefect settings for embedded runs; `configure` must run before prefect is first imported.

- results (the stage cache) are stored under the data root, so deleting the data forgets the cache;
- the ephemeral API server gets time to start on a fresh machine (first start migrates its DB);
- analytics off, and httpx request logs quiet.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

RESULTS_DIR = ".prefect-results"


def configure(data_root: str) -> None:
    os.environ.setdefault("PREFECT_RESULTS_LOCAL_STORAGE_PATH", str(Path(data_root) / RESULTS_DIR))
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    logging.getLogger("httpx").setLevel(logging.WARNING)
