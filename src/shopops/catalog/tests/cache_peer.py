"""A second process for the cross-process cache tests: it reads and edits when told to.

test_cache.py starts it with the test database and the test's cache prefix and Redis DB (so it
shares Redis keys and the invalidation channel with the test process) and sends one JSON command
per line on stdin; each answer is one JSON line on stdout:

    {"get": "/api/v1/catalog/products/7"} -> {"status": 200, "body": {...}, "redis_calls": 0}
    {"price": [shop_id, sku_id, "129.00"]} -> {"ok": true}

`redis_calls` counts the Redis commands the request sent (0: answered from the near copy).
"""

from __future__ import annotations

import json
import sys

import django


def main() -> None:
    django.setup()
    import redis
    from django.test import Client

    from shopops.catalog import services

    calls = [0]
    original = redis.Redis.execute_command

    def counting(self, *args, **kwargs):
        calls[0] += 1
        return original(self, *args, **kwargs)

    redis.Redis.execute_command = counting
    client = Client()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if "get" in command:
            calls[0] = 0
            response = client.get(command["get"])
            answer = {"status": response.status_code, "body": response.json(), "redis_calls": calls[0]}
        else:
            shop_id, sku_id, price = command["price"]
            services.update_sku(shop_id=shop_id, sku_id=sku_id, actor=None, price=price)
            answer = {"ok": True}
        print(json.dumps(answer, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
