"""The readers' site: views, feeds, sitemaps, structured data, pagination, page caching and
the public URLs. Every story it shows comes through ``Story.objects.published()``."""
