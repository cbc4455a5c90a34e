#!/usr/bin/env python3
"""Reconciles what webhook_load.py saw acknowledged with what Postgres holds.

Checks, for every delivery answered 200 at least once:
  * its body (by SHA-256) is in webhook_deliveries exactly once;
  * each of its events is in webhook_events exactly once and processed;
  * each event's CRM effect, the timeline row in `activities` with
    dedupe_key 'comment:<comment id>', exists exactly once.
And, once the queue has drained: no process_deliveries or process_event job is left
queued or dead.
With --audit (horizontal_scale.sh installs it): no event's effect was
committed by more than one job run.

Prints a table and exits 1 on any mismatch. Python standard library + psql.
"""

import argparse
import json
import subprocess
import sys


def psql(db, sql):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-d", db, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--load", required=True, nargs="+", help="webhook_load.py output files")
    ap.add_argument("--run", required=True, help="comment id prefix of this run")
    ap.add_argument("--audit", action="store_true")
    args = ap.parse_args()

    acked = {}      # sha -> comments
    attempted = {}
    statuses = {}
    for path in args.load:
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                attempted[r["sha256"]] = r["comments"]
                statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
                if r["status"] == 200:
                    acked[r["sha256"]] = r["comments"]

    stored = {sha: int(n) for sha, n in psql(
        args.db, "SELECT encode(body_sha256, 'hex'), count(*) FROM webhook_deliveries GROUP BY 1")}
    like = args.run.replace("_", "\\_") + "\\_%"
    events = {cid: (int(n), int(p)) for cid, n, p in psql(
        args.db,
        "SELECT comment_id, count(*), count(processed_at) FROM webhook_events "
        f"WHERE comment_id LIKE '{like}' GROUP BY 1")}
    effects = {key[len("comment:"):]: int(n) for key, n in psql(
        args.db,
        "SELECT dedupe_key, count(*) FROM activities "
        f"WHERE dedupe_key LIKE 'comment:{like}' GROUP BY 1")}
    jobs = dict(psql(args.db, "SELECT state, count(*) FROM jobs WHERE kind IN ('process_deliveries', 'process_event') GROUP BY 1"))
    runs = {}
    if args.audit:
        runs = {cid: int(n) for cid, n in psql(
            args.db,
            "SELECT substr(dedupe_key, 9), count(*) FROM reliability_effect_runs "
            f"WHERE dedupe_key LIKE 'comment:{like}' GROUP BY 1")}

    acked_comments = [c for cs in acked.values() for c in cs]
    rows = []

    def row(check, expected, found, bad):
        rows.append((check, expected, found, bad))

    row("deliveries acked 200", len(acked), len(acked), 0)
    missing = [s for s in acked if stored.get(s, 0) == 0]
    dup = [s for s in acked if stored.get(s, 0) > 1]
    row("acked deliveries stored exactly once", len(acked), sum(1 for s in acked if stored.get(s) == 1),
        len(missing) + len(dup))
    stored_unacked = [s for s in attempted if s not in acked and stored.get(s, 0) > 0]
    row("stored but never acked (allowed: the 200 was lost)", "-", len(stored_unacked), 0)
    ev_bad = [c for c in acked_comments if events.get(c, (0, 0))[0] != 1]
    row("events of acked deliveries stored once", len(acked_comments),
        len(acked_comments) - len(ev_bad), len(ev_bad))
    unproc = [c for c in acked_comments if events.get(c, (0, 0))[1] != 1]
    row("events processed", len(acked_comments), len(acked_comments) - len(unproc), len(unproc))
    eff_bad = [c for c in acked_comments if effects.get(c, 0) != 1]
    row("CRM effect (activities row) exactly once", len(acked_comments),
        len(acked_comments) - len(eff_bad), len(eff_bad))
    extra = [c for c, n in effects.items() if n > 1]
    row("effects duplicated (any event of the run)", 0, len(extra), len(extra))
    left = sum(int(v) for v in jobs.values())
    row("event jobs left (queued or dead)", 0, left, left)
    if args.audit:
        twice = [c for c, n in runs.items() if n > 1]
        row("events whose effect was committed by >1 job run", 0, len(twice), len(twice))
        never = [c for c in acked_comments if runs.get(c, 0) == 0]
        row("events with a recorded job run", len(acked_comments),
            len(acked_comments) - len(never), len(never))

    w = max(len(r[0]) for r in rows)
    print(f"{'check'.ljust(w)}  {'expected':>9}  {'found':>9}  {'mismatch':>8}")
    for check, expected, found, bad in rows:
        print(f"{check.ljust(w)}  {str(expected):>9}  {str(found):>9}  {bad:>8}")
    print("attempts by answer:", json.dumps(statuses, sort_keys=True))
    bad = sum(r[3] for r in rows)
    for name, items in [("missing", missing), ("duplicated", dup), ("events", ev_bad),
                        ("unprocessed", unproc), ("effects", eff_bad)]:
        if items:
            print(f"  first {name}: {items[:5]}")
    print("RECONCILED: OK" if bad == 0 else f"RECONCILED: {bad} MISMATCHES")
    sys.exit(0 if bad == 0 else 1)


if __name__ == "__main__":
    main()
