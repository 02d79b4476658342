"""The address of the client that sent a request, seen through our own reverse proxies.

Behind a proxy, ``REMOTE_ADDR`` is the proxy's address, so everything keyed on it (the
login lockout: django-axes calls ``client_address`` through ``AXES_CLIENT_IP_CALLABLE``)
would treat every client as one. Each proxy appends the address it received the request
from to ``X-Forwarded-For``; with ``TRUSTED_PROXY_COUNT`` = N of them in front of the app
(the ``TRUSTED_PROXIES`` environment variable, see settings.py), the client is the N-th
entry from the right. Anything further left came from the client, who can write whatever
it likes there, and is ignored.

Not django-ipware: its "best attempt" skips private addresses, which is wrong behind a
load balancer on a private network.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The real client's IP address, or ``REMOTE_ADDR`` when the proxies' header is unusable
    (missing, shorter than the number of trusted proxies, or not holding an IP address there).
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies < 1:
        return remote_addr
    forwarded = [
        entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    ]
    if len(forwarded) < proxies:
        return remote_addr
    try:
        # Normalised, so one address always locks out under one spelling.
        return str(ipaddress.ip_address(_without_port(forwarded[-proxies])))
    except ValueError:
        return remote_addr


def _without_port(entry: str) -> str:
    """``203.0.113.5:4711`` and ``[2001:db8::5]:443``, as some load balancers write them."""
    host, colon, port = entry.rpartition(":")
    if not (colon and port.isascii() and port.isdigit()):
        return entry
    if host.startswith("[") and host.endswith("]"):
        return host[1:-1]
    return host if ":" not in host else entry
