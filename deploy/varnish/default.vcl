#
# Varnish in front of Newsroom: Debian's varnish 7 with varnish-modules (the xkey vmod).
#
#   apt-get install varnish varnish-modules
#   cp deploy/varnish/default.vcl /etc/varnish/default.vcl && systemctl reload varnish
#
# What it does (the README's "Varnish in front" says the same for operators):
#
# - Caches what the app marks public (Cache-Control: public, s-maxage=S,
#   stale-while-revalidate=S), for s-maxage seconds, then serves it stale for up to
#   stale-while-revalidate more while it fetches a fresh copy in the background.
#   Varnish 7 reads both directives itself (s-maxage before max-age for the TTL,
#   stale-while-revalidate as the grace, RFC 5861), so this file sets neither.
# - Never caches the desk (/admin/, with its login) or staff previews (/preview/), nor any
#   response that is not marked public, is private or no-store, or sets a cookie.
# - Strips the Cookie header from readers' requests for public pages: the app's public
#   pages never read cookies, so a reader logged in to the desk still gets cache hits.
# - Edge Side Includes: tells the app it can assemble pages (Surrogate-Capability) and
#   assembles those the app answers with Surrogate-Control: content="ESI/1.0" (the
#   sidebar's latest news is one fragment, cached and purged on its own).
# - Surrogate keys: keeps each response's Surrogate-Key as the object's xkey, so that the
#   app purges by key only what a change touched (articles/site/varnish.py sends
#   "PURGE" with an "xkey-purge: key1 key2" header after each commit). Clients see neither.
# - X-Cache: HIT or MISS on every response, for curl -sI and the logs.
#

vcl 4.1;

import std;
import xkey;

# The app: gunicorn as the README's deploy runs it (newsroom/gunicorn.py, port 8000).
# Another address or port: change .host and .port here. Several app servers: declare one
# backend each and spread requests over them with the directors vmod
# (import directors; a round_robin director in vcl_init; set req.backend_hint in vcl_recv).
backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;  # gunicorn's own timeout (GUNICORN_TIMEOUT) is 30 s
}

# Who may purge: the app servers, which call PURGE after every change. Add each app
# server's address (or network, "10.0.0.0"/24) on a line of its own; anyone else gets 403.
# A TLS proxy on this machine makes every reader arrive from 127.0.0.1 too: have it refuse
# the PURGE method (nginx: if ($request_method = PURGE) { return 405; }).
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    # An absolute request target (GET http://host/admin/) is the same path as /admin/.
    set req.url = regsub(req.url, "^https?://[^/]+", "");

    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge) {
            # Every object carrying any of the space-separated keys goes at once.
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Purged " + req.http.n-gone + " objects"));
        }
        return (purge);  # no keys: the object at this URL (on this Host)
    }

    # Only Varnish says what it can assemble: what a client sent is replaced.
    set req.http.Surrogate-Capability = {"varnish="ESI/1.0""};

    if (req.url ~ "^/(admin|preview)([/?]|$)") {
        # The desk and previews: per user, with their session and CSRF cookies, never
        # cached. Passed with the Cookie header untouched.
        return (pass);
    }

    # Public pages never depend on cookies; without this, any reader with a cookie (an
    # editor, an analytics script) would be passed to the app by the built-in rules.
    unset req.http.Cookie;

    # Falls through to the built-in vcl_recv: only GET and HEAD are looked up in the
    # cache, requests with Authorization are passed, unknown methods piped.
}

sub vcl_backend_response {
    # ESI first: a passed response (a preview) may ask for assembly too.
    if (beresp.http.Surrogate-Control ~ "ESI/1.0") {
        set beresp.do_esi = true;
    }
    # Surrogate-Control is for us alone; Cache-Control still says what is cached.
    unset beresp.http.Surrogate-Control;

    # The surrogate keys go where xkey reads them: the object's own "xkey" header (it
    # must stay on the object; vcl_deliver hides it). Several Surrogate-Key headers are
    # joined into one space-separated list. A 304 (a revalidation: Django answers
    # If-None-Match from the ETag) carries no Surrogate-Key, and its object is made from
    # the stale one's headers: it keeps their xkey, or the page could never be purged again.
    if (beresp.http.Surrogate-Key) {
        std.collect(beresp.http.Surrogate-Key, " ");
        set beresp.http.xkey = beresp.http.Surrogate-Key;
        unset beresp.http.Surrogate-Key;
    } else if (!beresp.was_304) {
        unset beresp.http.xkey;
    }

    if (bereq.uncacheable) {
        return (deliver);  # passed (the desk, previews): nothing to decide
    }
    # Only what the app marks public is shared; private, no-store, no Cache-Control at all
    # and anything setting a cookie are fetched afresh for every request. "Hit-for-miss"
    # remembers that for two minutes without stopping a later public answer being cached.
    if (beresp.http.Cache-Control !~ "(?i)\bpublic\b"
        || beresp.http.Cache-Control ~ "(?i)private|no-store|no-cache"
        || beresp.http.Set-Cookie) {
        set beresp.ttl = 120s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # The rest falls through to the built-in rules (a TTL of 0 or less and Vary: * are
    # not cached either). The TTL and the grace stay what s-maxage and
    # stale-while-revalidate say.
}

sub vcl_deliver {
    # obj.hits counts the deliveries from cache, stale ones (grace) included.
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Surrogate-Control;
}

sub vcl_synth {
    # Purges answer in plain text: "Purged 3 objects", "Forbidden".
    if (req.method == "PURGE") {
        set resp.http.Content-Type = "text/plain; charset=utf-8";
        set resp.body = resp.reason + {"
"};
        return (deliver);
    }
}
