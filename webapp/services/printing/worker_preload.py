"""Imported once by the batch jobs' fork server (services/printing/jobs.py): every worker process is
forked from a process that has already imported WeasyPrint and rendered a Chinese page, so a fresh
worker (a new one every PDF_TASKS_PER_CHILD documents) costs a fork, not seconds of start-up."""
from .render import warm_up

warm_up()

import gc  # noqa: E402

gc.freeze()  # what the fork server has loaded is never collected: forked processes do not copy it on gc
