"""The purge client (``articles/site/varnish.py``) alone: fake Varnishes that answer every
purge, or none at all. ``test_varnish.py`` tries it against a real varnishd."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from articles.site import varnish
from tests.site.servers import free_port


class FakeVarnish:
    """An HTTP server that answers every PURGE 200 and keeps its xkey-purge headers."""

    def __init__(self, port: int = 0):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self):
                received.append(self.headers["xkey-purge"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def keys(self) -> list[str]:
        return [key for header in self.received for key in header.split()]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_varnish():
    server = FakeVarnish()
    yield server
    server.stop()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """Retries on a clock the test moves, and only when the test flushes them."""
    now = Clock()
    monkeypatch.setattr(varnish, "retries", varnish.Retries(clock=now, background=False))
    return now


def test_purge_sends_the_keys_to_every_varnish(settings, fake_varnish, clock):
    """One PURGE per Varnish with the keys; ``all`` alone stands for everything."""
    second = FakeVarnish()
    settings.VARNISH_PURGE_URLS = [fake_varnish.url, second.url]
    try:
        varnish.purge(["story-12", "tag-3", "story-12", "bad key", ""])
        assert fake_varnish.received == second.received == ["story-12 tag-3"]
        varnish.purge_all()
        varnish.purge(["story-1", "all"])
        assert second.received[1:] == ["all", "all"]
    finally:
        second.stop()


def test_many_keys_are_split_into_headers_under_4_kb(settings, fake_varnish, clock):
    keys = [f"story-{n}-with-a-long-name" for n in range(1000)]
    settings.VARNISH_PURGE_URLS = [fake_varnish.url]
    varnish.purge(keys)
    assert len(fake_varnish.received) > 1
    assert all(len(header) <= varnish.HEADER_BUDGET for header in fake_varnish.received)
    assert fake_varnish.keys() == keys


def test_without_purge_urls_nothing_is_sent(settings, fake_varnish, clock):
    settings.VARNISH_PURGE_URLS = []
    varnish.purge(["story-1"])
    assert fake_varnish.received == [] and varnish.retries.pending() == []


def test_a_varnish_that_is_down_is_retried_until_purging_is_pointless(settings, clock, caplog):
    """A closed port: purge() does not raise, logs a warning, and owes the purge; retries
    back off; once twice PAGE_CACHE_SECONDS has passed it gives up with an error."""
    settings.VARNISH_PURGE_URLS = [f"http://127.0.0.1:{free_port()}/"]
    settings.PAGE_CACHE_SECONDS = 300
    varnish.purge(["story-1"])
    assert "retrying in the background" in caplog.text
    [owed] = varnish.retries.pending()
    assert (owed.keys, owed.next_try, owed.give_up_at) == (["story-1"], 1001.0, 1600.0)
    varnish.purge(["story-2"])  # joins the purge owed, without trying a dead Varnish again
    clock.now = 1001.0
    [owed] = varnish.retries.flush()
    assert (owed.keys, owed.attempts, owed.next_try) == (["story-1", "story-2"], 1, 1003.0)
    clock.now = 1600.0
    assert varnish.retries.flush() == []
    assert "retrying is pointless" in caplog.text


def test_a_retried_purge_reaches_varnish_once_it_is_back(settings, clock):
    port = free_port()
    settings.VARNISH_PURGE_URLS = [f"http://127.0.0.1:{port}/"]
    varnish.purge(["story-7"])
    assert len(varnish.retries.pending()) == 1
    server = FakeVarnish(port)
    try:
        assert varnish.retries.flush() == []
        assert server.received == ["story-7"]
    finally:
        server.stop()


def test_the_background_thread_retries_by_itself(settings, monkeypatch):
    """With the real clock and a short first delay, the daemon thread sends it."""
    monkeypatch.setattr(varnish, "retries", varnish.Retries(first_delay=0.05))
    port = free_port()
    settings.VARNISH_PURGE_URLS = [f"http://127.0.0.1:{port}/"]
    varnish.purge(["story-8"])
    server = FakeVarnish(port)
    try:
        deadline = time.monotonic() + 3
        while varnish.retries.pending() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.received == ["story-8"]
    finally:
        server.stop()
