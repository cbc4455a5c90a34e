#!/usr/bin/env python3
"""Write N form bodies `signed_request=<sig>.<payload>` for POST /tab (bench/tab.lua).

The signed_request is Facebook's: base64url(HMAC-SHA256(payload_part, app secret))
"." base64url(JSON payload), unpadded. Fan k of N (user_id 6000000+k) on the
given page; `issued_at` is now, so use the file within a day.

usage: gen_signed_requests.py N OUT [--secret S] [--page P] [--anonymous]
"""
import argparse
import base64
import hashlib
import hmac
import json
import time
import urllib.parse


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--secret", default="sandbox-app-secret")
    ap.add_argument("--page", default="1111222233334444")
    ap.add_argument("--anonymous", action="store_true", help="no user_id (fan has not authorised the app)")
    a = ap.parse_args()
    now = int(time.time())
    with open(a.out, "w") as f:
        for k in range(a.n):
            p = {"algorithm": "HMAC-SHA256", "issued_at": now,
                 "user": {"country": "se", "locale": "sv_SE", "age": {"min": 21}},
                 "page": {"id": a.page, "liked": k % 2 == 0, "admin": False}}
            if not a.anonymous:
                p["user_id"] = str(6_000_000 + k)
            part = b64(json.dumps(p, separators=(",", ":")).encode())
            sig = b64(hmac.new(a.secret.encode(), part.encode(), hashlib.sha256).digest())
            f.write("signed_request=" + urllib.parse.quote(f"{sig}.{part}") + "\n")


if __name__ == "__main__":
    main()
