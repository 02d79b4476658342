"""gunicorn settings for production: ``gunicorn -c newsroom/gunicorn.py newsroom.wsgi``.

Every value can be set from the environment, so one file serves a small machine and a big
one:

    WEB_CONCURRENCY   worker processes (default: 2 per CPU core + 1, gunicorn's own advice)
    GUNICORN_THREADS  threads per worker (default 2: a worker keeps serving while one
                      thread waits on PostgreSQL)
    PORT / BIND       where to listen (default 0.0.0.0:8000, behind the load balancer)
    GUNICORN_TIMEOUT  seconds before a stuck worker is replaced (default 30)
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so a slow leak never becomes an outage.
max_requests = 10_000
max_requests_jitter = 1_000
# Load the app before forking: workers share its memory and a broken deploy fails at once.
preload_app = True
# gunicorn 27's control socket (runtime management) is off: its default path is one per user,
# so two servers on one machine would share it, and nothing here uses it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
