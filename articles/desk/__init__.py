"""The editors' desk, in Django's admin. Every change it makes goes through
``articles.services``; it never refreshes search or purges caches itself.

- ``stories``: the story admin (list, change form, publishing buttons and actions) and its
  sections inline.
- ``forms``: the story and section forms, the schedule action's form, and the text checks
  every desk form shares.
- ``filters``: the story list's sidebar (publication, tag, dateline place, credit).
- ``history``: comparing, restoring and recovering revisions, and the pages that give an
  editor their text back when a save cannot go in.
- ``wire_desk``: paste or upload agency copy, preview it, save it as a draft.
- ``tags``: the tag admin (rename, merge, delete).
"""
