"""Template tags for the few Django templates that show stories (the admin, sitemaps)."""
