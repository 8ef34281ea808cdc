"""The scrape target of the Prometheus tests, given on their command line.

    SCRIPT --url http://HOST:PORT/metrics          an exporter that is already running
    SCRIPT [--url URL] -- COMMAND ARG...           start COMMAND first; "{port}" in its arguments
                                                   becomes a free loopback port, and the URL
                                                   defaults to http://127.0.0.1:{port}/metrics

The command is stopped (SIGTERM, then SIGKILL) when the test ends, pass or fail.
"""

import argparse
import contextlib
import socket
import subprocess
import sys
import time
import urllib.request

SKIP = 77  # ctest's SKIP_RETURN_CODE


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", help="metrics URL of a running exporter")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for it")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARG...")
    args = parser.parse_args()
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.url and not args.command:
        parser.error("give --url URL or -- COMMAND")
    return args


def fetch(url, timeout=5.0):
    """(status, content type, body) of a GET."""
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return reply.status, reply.headers.get("Content-Type", ""), reply.read().decode()


@contextlib.contextmanager
def exporter(args):
    """Yields the metrics URL, with the exporter running and answering."""
    process = None
    url = args.url
    if args.command:
        port = str(free_port())
        command = [part.replace("{port}", port) for part in args.command]
        url = url or f"http://127.0.0.1:{port}/metrics"
        print("starting:", " ".join(command), flush=True)
        process = subprocess.Popen(command, stdout=sys.stdout, stderr=sys.stderr)
    try:
        deadline = time.monotonic() + args.timeout
        while True:
            if process is not None and process.poll() is not None:
                raise SystemExit(f"FAIL: the exporter exited with {process.returncode}")
            try:
                fetch(url, timeout=1.0)
                break
            except OSError as error:
                if time.monotonic() > deadline:
                    raise SystemExit(f"FAIL: {url} did not answer: {error}")
                time.sleep(0.05)
        yield url
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
