"""A plain, usable admin for stories; the editors' desk builds on it."""

from django.contrib import admin

from articles.models import Section, Story


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = ["position", "subheading", "body"]


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ["headline", "status", "published_at", "dateline_place", "dateline_credit"]
    list_filter = ["status", "dateline_credit"]
    search_fields = ["headline", "dateline_place"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    readonly_fields = ["source_text", "created_at", "updated_at"]
    inlines = [SectionInline]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "byline", "tags"]}),
        ("Publishing", {"fields": ["status", "published_at"]}),
        ("Dateline", {"fields": ["dateline_place", "dateline_date", "dateline_credit"]}),
        (
            "Source",
            {
                "classes": ["collapse"],
                "fields": ["source_text", "created_at", "updated_at"],
            },
        ),
    ]

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.is_public else None
