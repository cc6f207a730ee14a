// Parse an iCalendar stream from stdin with Mozilla's ical.js (Thunderbird's parser) and
// print its events as JSON: [{uid, summary, start, end, sequence, description, categories,
// allDay}]. `start` is YYYY-MM-DD for all-day events, else an ISO date-time ("...Z" for UTC).
// Exits non-zero (message on stderr) when the stream does not parse.
"use strict";

const ICAL = require("ical.js");

// ICAL.Time#toString gives YYYY-MM-DD for a date and YYYY-MM-DDTHH:MM:SS[Z] otherwise.
function isoTime(t) {
  return t ? t.toString() : null;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  let events;
  try {
    const root = new ICAL.Component(ICAL.parse(input));
    if (root.name !== "vcalendar") throw new Error(`top component is ${root.name}`);
    events = root.getAllSubcomponents("vevent").map((comp) => {
      const ev = new ICAL.Event(comp);
      const cats = comp.getAllProperties("categories").flatMap((p) => p.getValues());
      return {
        uid: ev.uid,
        summary: ev.summary,
        description: ev.description,
        start: isoTime(ev.startDate),
        end: isoTime(ev.endDate),
        allDay: ev.startDate.isDate,
        sequence: ev.sequence,
        categories: cats,
        alarms: comp.getAllSubcomponents("valarm").length,
      };
    });
    const calendar = {
      name: root.getFirstPropertyValue("name"),
      wrCalname: root.getFirstPropertyValue("x-wr-calname"),
      refresh: String(root.getFirstPropertyValue("refresh-interval")),
    };
    process.stdout.write(JSON.stringify({ calendar, events }));
  } catch (err) {
    process.stderr.write(`ical.js: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  }
});
