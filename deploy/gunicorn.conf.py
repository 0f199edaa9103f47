"""gunicorn settings for Screening behind nginx (see docs/deploy.md)."""

import multiprocessing
import os

bind = os.environ.get("SCREENING_BIND", "127.0.0.1:8000")
# One process per core; threads let a worker serve other requests while one waits on the
# database or hashes a password (argon2 releases the GIL while it hashes).
workers = int(os.environ.get("SCREENING_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
# 16: log-ins waiting for the password hasher hold threads; the app lets at most 12 of them
# wait per worker (PASSWORD_HASH_WAITING), so four are always left for every other page.
threads = int(os.environ.get("SCREENING_THREADS", 16))
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


def post_fork(server, worker):
    """Keep argon2's large buffers out of glibc's heap so a worker's memory stays bounded.

    glibc raises its mmap threshold after the first large free, after which every password
    hash (19 MiB) is carved from a per-thread arena and kept there: 8 threads x 19 MiB of
    retained memory. A fixed threshold makes large buffers mmap'ed and returned on free.
    """
    import ctypes
    import ctypes.util

    libc_name = ctypes.util.find_library("c")
    if libc_name:
        m_mmap_threshold = -3
        ctypes.CDLL(libc_name).mallopt(m_mmap_threshold, 128 * 1024)
