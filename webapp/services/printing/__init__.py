"""Printing: a helper's monthly diary and a village team's attendance sheet as PDF.

- `documents`: what every document shares (Document, the templates' plain Jinja environment,
  thumbnails, one document for a web request within bounds);
- `diary`, `sheet`: the two documents, from the records to HTML and PDF bytes;
- `render`: WeasyPrint behind a restrictive URL fetcher (no Flask, no models: worker processes);
- `pool`: bounds on one document for a web request (a lock per user, N slots, a separate process);
- `worker_preload`: the fork server's warm-up, shared by `pool` and the batch jobs;
- `jobs`: batch printing (all diaries of a month), run by the Huey task in webapp/jobs.py.

Nothing is imported here, so a worker process imports only the module it needs.
"""
