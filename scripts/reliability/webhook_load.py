#!/usr/bin/env python3
"""Signed webhook load, the way Facebook sends it, recording every answer.

Each delivery is one `{"object":"page","entry":[...]}` envelope with
`--events` feed comments on the brand page, every comment id unique to this run,
signed with `sha256=HMAC(app secret, body)`. Deliveries go round-robin to the
given base URLs from `--concurrency` threads. A delivery that is not answered
200 (503, connection refused or reset, timeout) is sent again later with the
same bytes, like Facebook does, until it is answered 200 or the run ends.

Writes one JSON object per line to `--out`, one per attempt:
  {"key", "sha256", "comments": [...], "url", "t0", "t1", "status"}
status is the HTTP status, or "conn" / "timeout" / "error:<kind>" when there
was no HTTP answer. `t0`/`t1` are time.time() before sending and after the
answer. Python standard library only.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import queue
import random
import socket
import sys
import threading
import time
import urllib.parse


def envelope(page, run, n, events):
    changes = []
    comments = []
    for k in range(events):
        cid = f"{run}_{n}_{k}"
        comments.append(cid)
        changes.append({
            "field": "feed",
            "value": {
                "item": "comment", "verb": "add", "comment_id": cid,
                "post_id": f"{page}_555", "parent_id": f"{page}_555",
                "from": {"id": str(6000 + (n * events + k) % 500), "name": f"Load Fan {n % 500}"},
                "created_time": int(time.time()),
                "message": f"Load comment {n}/{k}: love it \u00e9\u2713",
            },
        })
    body = json.dumps({"object": "page", "entry": [
        {"id": page, "time": int(time.time()), "changes": changes}]},
        ensure_ascii=True, separators=(",", ":")).encode()
    return body, comments


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--urls", required=True, help="comma-separated base URLs")
    ap.add_argument("--secret", default="sandbox-app-secret")
    ap.add_argument("--page", default="1111222233334444")
    ap.add_argument("--run", default=f"r{int(time.time())}")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of new deliveries")
    ap.add_argument("--retry-for", type=float, default=20.0,
                    help="after the load, keep redelivering unanswered ones this long")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--events", type=int, default=2, help="events per delivery")
    ap.add_argument("--rate", type=float, default=0.0, help="new deliveries per second (0: as fast as possible)")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    urls = [u.strip().rstrip("/") for u in args.urls.split(",") if u.strip()]
    secret = args.secret.encode()
    out = open(args.out, "w", buffering=1)
    out_lock = threading.Lock()
    pending = queue.Queue()          # (key, body, sha, comments, not_before)
    acked = set()
    acked_lock = threading.Lock()
    start = time.time()
    stop_new = start + args.duration
    stop_all = stop_new + args.retry_for
    counter = {"n": 0}
    counter_lock = threading.Lock()
    totals = {}

    def next_new():
        if time.time() >= stop_new:
            return None
        with counter_lock:
            n = counter["n"]
            counter["n"] += 1
        if args.rate > 0:
            due = start + n / args.rate
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
        body, comments = envelope(args.page, args.run, n, args.events)
        return (f"{args.run}_{n}", body, hashlib.sha256(body).hexdigest(), comments, 0.0)

    def send(url, body):
        u = urllib.parse.urlsplit(url)
        sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=args.timeout)
        try:
            conn.request("POST", "/webhooks/facebook", body=body, headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": sig,
                "User-Agent": "facebookexternalua", "Connection": "close"})
            r = conn.getresponse()
            r.read()
            return r.status
        except socket.timeout:
            return "timeout"
        except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError,
                http.client.RemoteDisconnected):
            return "conn"
        except Exception as e:  # noqa: BLE001 - recorded, never fatal
            return f"error:{type(e).__name__}"
        finally:
            conn.close()

    def take_due():
        """A redelivery that is due, or None."""
        try:
            item = pending.get_nowait()
        except queue.Empty:
            return None
        if item[4] > time.time():
            pending.put(item)
            return None
        return item

    def worker(i):
        rr = i
        while time.time() < stop_all:
            item = take_due()
            if item is None and time.time() < stop_new:
                item = next_new()
            if item is None:
                if time.time() >= stop_new and pending.empty():
                    return
                time.sleep(0.05)
                continue
            key, body, sha, comments, _ = item
            url = urls[rr % len(urls)]
            rr += 1
            t0 = time.time()
            status = send(url, body)
            t1 = time.time()
            with out_lock:
                out.write(json.dumps({"key": key, "sha256": sha, "comments": comments,
                                      "url": url, "t0": t0, "t1": t1, "status": status}) + "\n")
                totals[str(status)] = totals.get(str(status), 0) + 1
            if status == 200:
                with acked_lock:
                    acked.add(key)
            else:
                # Facebook retries with backoff; so do we (short, for the test).
                pending.put((key, body, sha, comments, time.time() + random.uniform(0.2, 1.0)))

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    left = pending.qsize()
    summary = {"deliveries": counter["n"], "acked": len(acked), "unacked_at_end": left,
               "attempts_by_status": totals, "seconds": round(time.time() - start, 1)}
    print(json.dumps(summary), file=sys.stderr)
    out.close()


if __name__ == "__main__":
    main()
