"""Floor for ``gradtrack calendar export``: build and serialize the same events with the
icalendar library from plain data.

Usage: ``python ical_export.py EVENTS.json OUT.ics``.  EVENTS.json holds the events of the
app's own feed (UID, stamp, sequence, summary, description, all-day date or UTC instant,
categories, URL), dumped by the harness outside the timing.
"""

import json
import sys
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, vDuration

with open(sys.argv[1], encoding="utf-8") as f:
    data = json.load(f)
refresh = vDuration(timedelta(hours=12))
cal = Calendar()
cal.add("prodid", data["prodid"])
cal.add("version", "2.0")
cal.add("calscale", "GREGORIAN")
cal.add("name", data["name"])
cal.add("x-wr-calname", data["name"])
cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
cal.add("x-published-ttl", refresh)
for item in data["events"]:
    event = Event()
    event.add("uid", item["uid"])
    stamp = datetime.fromisoformat(item["stamp"])
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", item["sequence"])
    if item["day"]:
        day = date.fromisoformat(item["day"])
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    else:
        event.add("dtstart", datetime.fromisoformat(item["instant"]))
    event.add("summary", item["summary"])
    if item["description"]:
        event.add("description", item["description"])
    if item["categories"]:
        event.add("categories", item["categories"])
    if item["url"]:
        event.add("url", item["url"])
    event.add("transp", "TRANSPARENT")
    cal.add_component(event)
with open(sys.argv[2], "wb") as f:
    f.write(cal.to_ical())
