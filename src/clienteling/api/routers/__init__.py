"""One router module per domain app. Timeline (activities, notes, activity types) comes with
the timeline app: add ``routers/timeline.py`` and register it in ``api.py``."""
