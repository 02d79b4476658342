"""The editors' desk, in Django's admin: the story admin, its forms and filters, the wire
desk, history views and tags. Every change it makes goes through ``articles.services``."""
