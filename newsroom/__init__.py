"""The Django project: settings from the environment, URLs, WSGI/ASGI, the Jinja2 environment."""
