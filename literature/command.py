"""The `forge literature` subcommand's arguments. Kept apart from the flow: the CLI builds its parser
before Prefect is configured, and `flows/literature.py` imports Prefect."""

from __future__ import annotations

import argparse

from literature.engines import DEFAULT_ENGINE, ENGINES


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = sub.add_parser("literature", help="PDFs/page images to pages, verified code snippets and tables")
    parser.add_argument("sources", nargs="*", help="PDF or image files; FILE#5-7,28 picks pages (default: bundled)")
    parser.add_argument("--from-run", help="re-read the documents of an earlier literature run")
    parser.add_argument("--engine", default=DEFAULT_ENGINE, choices=sorted(ENGINES))
    parser.add_argument("--dpi", type=int, default=200, help="raster resolution for OCR")
    parser.add_argument("--no-verify", action="store_true", help="skip the front-end verification")
    parser.add_argument("--run-id")
    parser.add_argument("--force", action="store_true", help="redo even if cached")
    return parser
