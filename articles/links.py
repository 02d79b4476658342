"""Addresses of public pages, reversed once and remembered.

A story page names about twenty addresses (its tags, the related and latest stories, the
site's own links), and ``django.urls.reverse`` costs some 25 µs each: a good part of what
rendering the page costs. An address depends only on the URL configuration, the script
prefix and the arguments, so each is reversed once per process and remembered (a bounded
number of them); a change of URL configuration in tests forgets them all.
"""

from __future__ import annotations

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse


def link(viewname: str, *args) -> str:
    """``reverse(viewname, args=args)``, remembered."""
    return _reverse(get_script_prefix(), get_urlconf(), viewname, args)


@lru_cache(maxsize=8192)
def _reverse(prefix: str, urlconf, viewname: str, args: tuple) -> str:
    return reverse(viewname, urlconf=urlconf, args=args or None)


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs) -> None:
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _reverse.cache_clear()
