#!/usr/bin/env python3
"""Write N unique, signed ~2 KB webhook deliveries for wrk (bench/webhook.lua).

Each output line is `sha256=<hex>\t<body>`: the X-Hub-Signature-256 header value
and the exact body bytes (HMAC-SHA256 of the body with the app secret, as
Facebook signs). Every body differs (a unique comment id and sender), because
identical bodies are deduplicated by Fanfare.

usage: gen_webhooks.py N OUT [--tag T] [--secret S] [--page P] [--size BYTES]
"""
import argparse
import hashlib
import hmac
import json
import random
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--tag", default="r")
    ap.add_argument("--secret", default="sandbox-app-secret")
    ap.add_argument("--page", default="1111222233334444")
    ap.add_argument("--size", type=int, default=2048)
    a = ap.parse_args()
    secret = a.secret.encode()
    rnd = random.Random(a.tag)
    words = ["love", "this", "shirt", "great", "idea", "contest", "design", "blue",
             "summer", "vote", "for", "me", "please", "awesome", "brand", "wow"]
    now = int(time.time())
    text = " ".join(rnd.choice(words) for _ in range(2 * a.size))
    with open(a.out, "w") as f:
        for i in range(a.n):
            sender = str(7_000_000 + rnd.randrange(50_000))
            value = {
                "item": "comment", "verb": "add",
                "comment_id": f"555_{a.tag}{i}",
                "post_id": f"{a.page}_555", "parent_id": f"{a.page}_555",
                "from": {"id": sender, "name": f"Bench Fan {sender}"},
                "created_time": now, "message": "",
            }
            env = {"object": "page", "entry": [{"id": a.page, "time": now,
                                               "changes": [{"field": "feed", "value": value}]}]}
            base = len(json.dumps(env, separators=(",", ":")))
            need = max(0, a.size - base)
            start = rnd.randrange(len(text) - need - 1)
            value["message"] = text[start:start + need]
            body = json.dumps(env, separators=(",", ":"))
            sig = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
            f.write(f"sha256={sig}\t{body}\n")


if __name__ == "__main__":
    main()
