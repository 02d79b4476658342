import reversion
from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Stories"

    def ready(self):
        from taggit.models import Tag

        # Their receivers: ASCII tag slugs; stories loaded from fixtures made searchable.
        from articles import slugs  # noqa: F401
        from articles.services import effects  # noqa: F401

        # Story revisions follow their tags, so a restored revision can bring a tag back.
        if not reversion.is_registered(Tag):
            reversion.register(Tag)
