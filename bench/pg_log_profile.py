#!/usr/bin/env python3
"""Sums the durations of logged statements per statement text.

Reads the server log written with `log_min_duration_statement = 0` (stderr
format, prefix `%m [%p]`), from byte OFFSET on, keeping only backends whose pid
is listed in PIDS_FILE (one pid a line: the bench database's connections, so
other databases' logging on a shared server does not mix in), or, with
`db=NAME` instead of a file, whose log prefix names that database (`%u@%d`). Parse, bind and
execute of the same extended-protocol statement count together; numbers in the
text are folded so that statements differing only in literals group together.

  usage: pg_log_profile.py LOGFILE OFFSET PIDS_FILE [TOP=25]
"""
import re
import sys
from collections import defaultdict

log, offset, pids_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
top = int(sys.argv[4]) if len(sys.argv) > 4 else 25
by_db = pids_file[3:] if pids_file.startswith("db=") else None
pids = set() if by_db else {l.strip() for l in open(pids_file) if l.strip()}
head = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \w+ \[(\d+)\] (?:\S*@(\S*) )?(\w+):\s+(.*)$"
)
dur = re.compile(r"duration: ([\d.]+) ms\s+(?:statement|(?:parse|bind|execute) [^:]*): (.*)$", re.S)

entries = []
with open(log, "rb") as f:
    f.seek(offset)
    cur = None
    for raw in f:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        m = head.match(line)
        if m:
            cur = [m.group(1), m.group(2), m.group(3), m.group(4)]
            entries.append(cur)
        elif cur is not None:
            cur[3] += " " + line.strip()

total = defaultdict(float)
calls = defaultdict(int)
for pid, db, level, text in entries:
    if (db != by_db if by_db else pid not in pids) or level != "LOG":
        continue
    m = dur.match(text)
    if not m:
        continue
    ms, sql = float(m.group(1)), m.group(2)
    key = re.sub(r"\s+", " ", sql)
    key = re.sub(r"\$\d+", "$n", key)
    key = re.sub(r"\b\d+\b", "N", key)
    key = re.sub(r"(\$n, )+\$n", "$n...", key)
    key = re.sub(r"(\(\$n\.\.\.\), )+\(\$n\.\.\.\)", "(...)...", key)
    key = key[:140]
    total[key] += ms
    # parse/bind/execute each log a line; count executions only once.
    if "parse " not in text[:40] and "bind " not in text[:40]:
        calls[key] += 1

grand = sum(total.values())
print(f"{sum(calls.values())} statements, {grand / 1000:.1f} s of logged database time")
print("| share | seconds | calls | statement |")
print("|---|---|---|---|")
for key, ms in sorted(total.items(), key=lambda kv: -kv[1])[:top]:
    print(f"| {100 * ms / grand:.0f}% | {ms / 1000:.2f} | {calls[key]} | `{key}` |")
