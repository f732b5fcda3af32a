"""Technical literature to rows: PDF and image pages to text blocks, verified code snippets and tables.

Stage logic only (no Prefect, no Ray): `ingest.ingest_document` turns one file into records;
`flows/literature.py` schedules it and writes the rows. docs/literature.md describes the stage.
"""
