from django.contrib import admin
from django.urls import include, path

from articles import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("", include("articles.urls")),
]
