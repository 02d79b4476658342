"""A calm 503 when the database is away, instead of an error page or a traceback: an HTML
page for readers, a JSON error under the API."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

from articles import api

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    """Outermost: whatever part of the request met the unreachable database, the reader
    gets a friendly 503 with Retry-After (a JSON error under the API). The next request
    tries the database again (connections are health-checked), so the site recovers by
    itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as error:
            return self.unavailable(request, error)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            return self.unavailable(request, exception)
        return None

    def unavailable(self, request, error):
        logger.error("Database unavailable: %s", error)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if api.is_api_request(request):
            message = f"temporarily unavailable: try again in {RETRY_AFTER_SECONDS} seconds"
            return api.error_response(message, status=503, headers=headers)
        return HttpResponse(render_to_string("503.html"), status=503, headers=headers)
