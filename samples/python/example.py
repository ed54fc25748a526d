"""procx & pushx from Python, end to end on the fs driver in a temporary folder.

Run from the repository root with the binding on the path and the executables in PROCX_BIN / PUSHX_BIN
(or procx / pushx on PATH):

    PYTHONPATH=bindings/python/src python3 samples/python/example.py

1. pushx queues three orders as JSON files in inbox/.
2. procx() takes one order back (the file is removed once it is read).
3. take() handles the rest at least once: each order is cleared when its with-block ends and its result
   is pushed to outbox/; an order whose handling raises is failed (moved to failed/).
"""

import json
import os
import shutil
import sys
import tempfile

from procx_dotnet import ProcxError, procx, pushx, take


class OutOfStock(Exception):
    pass


def handle(order: dict) -> dict:
    if order["item"] == "unicorn":
        raise OutOfStock(order["item"])
    return {"order": order["id"], "total": order["qty"] * order["price"]}


def main() -> int:
    root = tempfile.mkdtemp(prefix="procx-python-sample-")
    try:
        inbox, outbox = os.path.join(root, "inbox"), os.path.join(root, "outbox")
        sink = ["-driver", "fs", "-fs-folder", inbox, "-fs-key", "order-{{id}}.json"]
        for order in [{"id": 1, "item": "tea", "qty": 2, "price": 3},
                      {"id": 2, "item": "unicorn", "qty": 1, "price": 1000},
                      {"id": 3, "item": "cake", "qty": 1, "price": 5}]:
            pushx(json.dumps(order), sink)

        # One order, the simple way: procx prints the payload and removes the file.
        first = json.loads(procx(["-driver", "fs", "-fs-folder", inbox, "-fs-key", "order-1.json",
                                  "-fs-clear-op", "rm"]))
        print("procx took order", first["id"], "->", handle(first))

        # The rest at least once: an order is cleared (moved to done/) only when its block ends without an
        # exception; one whose handling raises is failed (moved to failed/ here; without -fs-fail-op it
        # would stay in inbox/ for the next take).
        source = ["-driver", "fs", "-fs-folder", inbox, "-fs-key-prefix", "order-",
                  "-fs-clear-op", "mv", "-fs-clear-folder", os.path.join(root, "done"),
                  "-fs-fail-op", "mv", "-fs-fail-folder", os.path.join(root, "failed")]
        while True:
            try:
                with take(source) as work:
                    if work is None:
                        break
                    order = json.loads(work.text())
                    result = handle(order)
                    pushx(json.dumps(result), ["-driver", "fs", "-fs-folder", outbox,
                                               "-fs-key", "result-{{order}}.json"])
                    print("take handled order", order["id"], "->", result)
            except OutOfStock as err:
                print("take failed an order, it was moved to failed/:", err)

        state = {name: sorted(os.listdir(os.path.join(root, name)))
                 for name in ("inbox", "done", "failed", "outbox")}
        print(state)
        if state != {"inbox": [], "done": ["order-3.json"], "failed": ["order-2.json"],
                     "outbox": ["result-3.json"]}:
            print("unexpected state", file=sys.stderr)
            return 1
        return 0
    except ProcxError as err:
        print("procx failed with exit code %d:\n%s" % (err.exit_code, err.stderr), file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
