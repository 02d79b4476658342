"""The login lockout keys on the real client's address, read through our trusted proxies."""

import re
import runpy
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from newsroom.client_address import client_address

SETTINGS = Path(__file__).resolve().parent.parent / "newsroom" / "settings.py"
PROXY = "10.0.0.1"
PASSWORD = "correct horse battery"


def request(forwarded_for: str | None = None, remote_addr: str = PROXY):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


# client_address itself


def test_no_proxies_uses_remote_addr_even_with_a_forwarded_header(settings):
    """With no trusted proxy, X-Forwarded-For is the client's own word and is ignored."""
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request("203.0.113.5", remote_addr="198.51.100.7")) == "198.51.100.7"


def test_one_proxy_takes_the_rightmost_entry_and_ignores_a_forged_left_part(settings):
    """Behind one proxy the client is the entry it appended, whatever the client wrote."""
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request("203.0.113.5")) == "203.0.113.5"
    assert client_address(request("1.2.3.4, 192.0.2.9 ,  203.0.113.5 ")) == "203.0.113.5"


def test_two_proxies_take_the_second_entry_from_the_right(settings):
    """Behind a load balancer and the TLS proxy, the client is second from the right."""
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request("1.2.3.4, 203.0.113.5, 10.0.0.2")) == "203.0.113.5"
    assert client_address(request("2001:db8::5, 10.0.0.2")) == "2001:db8::5"


def test_a_port_after_the_address_is_dropped(settings):
    """Load balancers that write ``address:port`` still name the client."""
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request("203.0.113.5:4711")) == "203.0.113.5"
    assert client_address(request("[2001:db8::5]:443")) == "2001:db8::5"


def test_an_ipv6_address_is_normalised(settings):
    """One IPv6 address spelled two ways is one client."""
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request("2001:DB8:0:0::5")) == "2001:db8::5"


@pytest.mark.parametrize(
    ("proxies", "forwarded_for"),
    [
        (1, None),  # no header
        (1, ""),  # empty header
        (2, "203.0.113.5"),  # fewer entries than proxies
        (1, "203.0.113.5, not-an-address"),  # garbage where the client should be
        (1, "203.0.113.5:port"),  # a port that is not a number
        (2, "203.0.113.5, , 10.0.0.2"),  # an empty entry where the client should be
    ],
)
def test_an_unusable_forwarded_header_falls_back_to_remote_addr(settings, proxies, forwarded_for):
    """A missing, short or garbled X-Forwarded-For gives REMOTE_ADDR, never garbage."""
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_address(request(forwarded_for)) == PROXY


# TRUSTED_PROXIES in the environment


def trusted_proxy_count(monkeypatch, **env: str) -> int:
    """TRUSTED_PROXY_COUNT as settings.py computes it from this environment."""
    for name in ("TRUSTED_PROXIES", "SECURE_PROXY_SSL_HEADER", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))["TRUSTED_PROXY_COUNT"]


def test_trusted_proxies_defaults_to_one_behind_the_tls_proxy_and_none_otherwise(monkeypatch):
    """One trusted proxy with SECURE_PROXY_SSL_HEADER on, none without; TRUSTED_PROXIES wins."""
    assert trusted_proxy_count(monkeypatch) == 0
    assert trusted_proxy_count(monkeypatch, SECURE_PROXY_SSL_HEADER="true") == 1
    assert trusted_proxy_count(monkeypatch, TRUSTED_PROXIES="2") == 2
    assert (
        trusted_proxy_count(monkeypatch, SECURE_PROXY_SSL_HEADER="true", TRUSTED_PROXIES="0") == 0
    )


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "2 proxies", "²"])
def test_a_bad_trusted_proxies_value_is_an_error(monkeypatch, value):
    """TRUSTED_PROXIES that is not a whole number, 0 or more, stops the site with a message."""
    message = f"TRUSTED_PROXIES must be a whole number, 0 or more, not {value!r}"
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        trusted_proxy_count(monkeypatch, TRUSTED_PROXIES=value)


# The lockout, through the admin login


@pytest.fixture
def editor(db, settings):
    """A staff user "editor"; passwords hashed fast, as the lockout tests try many."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return get_user_model().objects.create_user(
        username="editor", password=PASSWORD, is_staff=True
    )


def log_in(client, password: str, **addresses: str):
    return client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "editor", "password": password, "next": "/admin/"},
        **addresses,
    )


def test_behind_a_proxy_a_lockout_holds_only_for_the_attackers_address(client, settings, editor):
    """Behind a proxy, five wrong passwords lock out that client's address, not the editor."""
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    answers = [log_in(client, "guess", **attacker).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    assert log_in(client, PASSWORD, **attacker).status_code == 429
    forged = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.5"}
    assert log_in(client, PASSWORD, **forged).status_code == 429
    assert "_auth_user_id" not in client.session

    response = log_in(client, PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(editor.pk)


def test_without_a_proxy_the_lockout_keys_on_remote_addr(client, settings, editor):
    """With no proxy, the lockout is per REMOTE_ADDR, whatever X-Forwarded-For says."""
    settings.TRUSTED_PROXY_COUNT = 0
    answers = [
        log_in(
            client, "guess", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).status_code
        for n in range(5)
    ]
    assert answers == [200, 200, 200, 200, 429]
    dodge = log_in(client, PASSWORD, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="192.0.2.9")
    assert dodge.status_code == 429
    assert "_auth_user_id" not in client.session

    response = log_in(client, PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(editor.pk)
