"""Opt-outs while a large contacts import runs: how long until each objection is durable.

Starts ``konform import contacts BIG.csv`` (``--rows`` generated rows, in a temporary folder) in a
subprocess and, while it runs, takes opt-outs (a) through ``konform optout NUMBER`` subprocesses
and (b) through the FastAGI opt-out route (``konform agi serve`` on a free loopback port, spoken
to as Asterisk would for ``agi://127.0.0.1:PORT/optout,<number>``: the agi_ headers, ``200
result=9`` to GET DATA, ``200 result=0`` to everything else). Per opt-out it measures the time
until a separate read connection sees the number's key on the internal list (durable), and the
time until the route answered (the CLI exits; the AGI route sends its next command, which it
does only after the commit). The two routes run side by side, each one opt-out after another.
Prints median / p99 / max per route and the import's own time.

    python -m bench.optout_under_import --rows 5000000 --optouts 20
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from konform.numbers import Keyer

PYTHON = sys.executable
TIMEOUT_S = 120.0


def konform(db: Path, *args: str) -> list[str]:
    return [PYTHON, "-m", "konform.cli.main", "--db", str(db), *args]


def write_contacts(path: Path, rows: int) -> None:
    with path.open("w", encoding="ascii") as out:
        out.write("number,name,region,kind,customer_until,basis\n")
        chunk = []
        for i in range(rows):
            chunk.append(f"+49301{i:07d},Person {i},DE-BE,b2c,,\n")
            if len(chunk) == 100_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keyer_of(db: Path) -> Keyer:
    return Keyer(bytes.fromhex(db.with_name(db.name + ".key").read_text().strip()))


def wait_durable(db: Path, key: bytes, started: float) -> float:
    """Seconds from ``started`` until a separate reader sees ``key`` on the internal list."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=TIMEOUT_S)
    try:
        while time.perf_counter() - started < TIMEOUT_S:
            if conn.execute("SELECT 1 FROM dnc_internal WHERE key = ?", (key,)).fetchone():
                return time.perf_counter() - started
            time.sleep(0.002)
    finally:
        conn.close()
    return float("inf")


def optout_cli(db: Path, number: str, env: dict[str, str]) -> tuple[float, float, str]:
    """(durable s, answered s, note) for ``konform optout NUMBER``."""
    key = keyer_of(db).number_key(number)
    started = time.perf_counter()
    durable: list[float] = []
    watcher = threading.Thread(target=lambda: durable.append(wait_durable(db, key, started)))
    watcher.start()
    done = subprocess.run(
        konform(db, "optout", number, "--source", "bench"),
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    answered = time.perf_counter() - started
    watcher.join()
    note = "" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr.strip()}"
    return durable[0], answered, note


def _agi_line(sock: socket.socket, buffer: bytearray) -> str:
    while b"\n" not in buffer:
        data = sock.recv(4096)
        if not data:
            raise ConnectionError("closed")
        buffer.extend(data)
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    return line.decode()


def optout_agi(db: Path, port: int, number: str) -> tuple[float, float, str]:
    """(durable s, answered s, note) for the FastAGI route, spoken as Asterisk would."""
    key = keyer_of(db).number_key(number)
    headers = {
        "agi_network": "yes",
        "agi_network_script": "optout",
        "agi_request": f"agi://127.0.0.1:{port}/optout,{number}",
        "agi_channel": "PJSIP/trunk-00000001",
        "agi_language": "de",
        "agi_type": "PJSIP",
        "agi_uniqueid": f"{time.time():.6f}",
        "agi_callerid": number,
        "agi_context": "konform-optout",
        "agi_extension": "s",
        "agi_priority": "1",
        "agi_arg_1": number,
    }
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as sock:
        sock.sendall("".join(f"{k}: {v}\n" for k, v in headers.items()).encode() + b"\n")
        buffer = bytearray()
        command = _agi_line(sock, buffer)
        while command.startswith("SET VARIABLE"):  # what the route sets before its menu
            sock.sendall(b"200 result=1\n")
            command = _agi_line(sock, buffer)
        if not command.startswith("GET DATA"):
            return float("inf"), float("inf"), f"unexpected {command!r}"
        started = time.perf_counter()
        durable: list[float] = []
        watcher = threading.Thread(target=lambda: durable.append(wait_durable(db, key, started)))
        watcher.start()
        sock.sendall(b"200 result=9\n")
        answered = float("inf")
        note = ""
        try:
            while True:
                command = _agi_line(sock, buffer)
                if answered == float("inf"):  # the route goes on only after the commit
                    answered = time.perf_counter() - started
                sock.sendall(b"200 result=0\n")
        except (ConnectionError, TimeoutError, OSError) as exc:
            if answered == float("inf"):
                note = f"no answer: {exc}"
        watcher.join()
    return durable[0], answered, note


def figures(values: list[float]) -> str:
    finite = sorted(v for v in values if v != float("inf"))
    lost = len(values) - len(finite)
    if not finite:
        return f"none durable ({lost} not within {TIMEOUT_S:.0f} s)"
    p99 = finite[min(len(finite) - 1, round(0.99 * (len(finite) - 1)))]
    text = f"median {statistics.median(finite):7.3f} s  p99 {p99:7.3f} s  max {finite[-1]:7.3f} s"
    return text + (f"  ({lost} not within {TIMEOUT_S:.0f} s)" if lost else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="contacts to import")
    parser.add_argument("--optouts", type=int, default=20, help="opt-outs per route")
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between opt-outs")
    args = parser.parse_args()
    if args.rows < 1 or args.optouts < 1:
        parser.error("--rows and --optouts must be at least 1")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KONFORM_")}
    with tempfile.TemporaryDirectory(prefix="konform-optout-bench-") as tmp:
        folder = Path(tmp)
        db = folder / "konform.db"
        big = folder / "big.csv"
        started = time.perf_counter()
        write_contacts(big, args.rows)
        print(f"generated {args.rows} rows in {time.perf_counter() - started:.1f} s")
        subprocess.run(konform(db, "optout", "+4940555000000"), env=env, check=True)  # create db
        port = free_port()
        agi = subprocess.Popen(
            konform(db, "agi", "serve", "--host", "127.0.0.1", "--port", str(port)),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        import_started = time.perf_counter()
        importer = subprocess.Popen(
            konform(db, "import", "contacts", str(big)),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)  # the import is under way
        results: dict[str, list[float]] = {"cli": [], "agi": []}
        answers: dict[str, list[float]] = {"cli": [], "agi": []}
        during = {"cli": 0, "agi": 0}

        def route_loop(route: str) -> None:
            """One route's opt-outs, one after another; the two routes run side by side."""
            for i in range(args.optouts):
                number = f"+494055{1 if route == 'cli' else 2}{i:06d}"
                running = importer.poll() is None
                if route == "cli":
                    durable, answered, note = optout_cli(db, number, env)
                else:
                    durable, answered, note = optout_agi(db, port, number)
                results[route].append(durable)
                answers[route].append(answered)
                during[route] += running
                print(
                    f"{route} {i:3d}: durable {durable:8.3f} s, answered {answered:8.3f} s"
                    f"{'' if running else ' (import already done)'} {note}",
                    flush=True,
                )
                time.sleep(args.gap)

        try:
            loops = [threading.Thread(target=route_loop, args=(r,)) for r in ("cli", "agi")]
            for loop in loops:
                loop.start()
            for loop in loops:
                loop.join()
            importer.communicate()
            import_s = time.perf_counter() - import_started
        finally:
            if importer.poll() is None:
                importer.kill()
                importer.wait()
            agi.terminate()
            agi.wait()
        print()
        print(f"import of {args.rows} rows: {import_s:.1f} s, exit {importer.returncode}")
        for route, label in (("cli", "konform optout"), ("agi", "FastAGI optout")):
            print(f"{label:15s} durable:  {figures(results[route])}"
                  f"  ({during[route]} of {len(results[route])} during the import)")  # fmt: skip
            print(f"{label:15s} answered: {figures(answers[route])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
