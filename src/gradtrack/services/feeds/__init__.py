"""Calendar feeds from the store (docs/calendar.md), one module per concern.

- :mod:`.scopes`: which feed (the applicant's, one program's, one recommender's).
- :mod:`.content`: a feed's events, cut from the plan of the stored data.
- :mod:`.published`: the published state (SEQUENCE, stamps, Last-Modified) and the rendered
  bytes; :func:`.published.publish` is the one way a feed is made, so an export, a published
  file, ``calendar serve`` and ``calendar push`` agree on every byte.
- :mod:`.files`: ``calendar export`` and ``calendar publish`` files (re-exported after every
  change).
- :mod:`.subscriptions`: the secret subscription URLs ``calendar serve`` answers.

The services take a session, or the small protocol :class:`.published.FeedStore` (a read, a
state write and a clock), never the :class:`gradtrack.app.App`; every transaction is opened
in app.py.  Nothing is imported here: ``import gradtrack.services.feeds.scopes`` loads no
planner, and the unchanged ``calendar export`` (services/feedcheck.py) none of this package.
"""
