from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Stories"

    def ready(self):
        import reversion
        from taggit.models import Tag

        # slugs and search connect their receivers (ASCII tag slugs; fixtures made searchable).
        from articles import connections, search, slugs  # noqa: F401

        connections.install()

        # Story revisions follow their tags, so a restored revision can bring a tag back.
        if not reversion.is_registered(Tag):
            reversion.register(Tag)
