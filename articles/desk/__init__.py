"""The editors' desk, in Django's admin. Every change it makes goes through
``articles.services``; it never refreshes search or purges caches itself.

- ``stories``: the story admin (list, change form, publishing buttons and actions) and its
  sections inline.
- ``forms``: the story and section forms, the schedule, kill and correction forms, and the
  text checks every desk form shares.
- ``filters``: the story list's sidebar (publication, lifecycle, tag, dateline place,
  credit).
- ``history``: a story's revisions, takes and corrections; comparing, restoring and
  recovering revisions, and the pages that give an editor their text back when a save
  cannot go in.
- ``kills``: killing and reinstating stories (a confirmation page, list actions).
- ``corrections``: corrections and clarifications written in the desk, prepared and
  published.
- ``wire_desk``: paste or upload agency copy, preview it, save it as a draft.
- ``tags``: the tag admin (rename, merge, delete).
"""
