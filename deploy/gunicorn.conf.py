"""gunicorn settings for Screening behind nginx (see docs/deploy.md)."""

import multiprocessing
import os

bind = os.environ.get("SCREENING_BIND", "127.0.0.1:8000")
# One process per core; threads let a worker serve other requests while one waits on the
# database or hashes a password (argon2 releases the GIL while it hashes).
workers = int(os.environ.get("SCREENING_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("SCREENING_THREADS", 8))
# Load the app once in the master: start-up checks (key ring, questionnaires) fail fast,
# and workers share the imported code's memory pages.
preload_app = True
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
# Access logs carry paths only; Screening's URLs never contain personal data.
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("SCREENING_FORWARDED_ALLOW_IPS", "127.0.0.1")
