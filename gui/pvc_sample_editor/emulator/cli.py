"""``pvc-sample-editor emulator``: serve the local emulator until Ctrl+C or SIGTERM.

Prints two lines to stdout once it is listening, for people and for scripts::

    URL: http://127.0.0.1:8765
    API key: offline-demo-key

(the key is the local demo key, not a secret). Request lines and warnings go to stderr.
"""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from pvc_sample_editor.emulator.demo import DEMO_API_KEY
from pvc_sample_editor.emulator.server import EmulatorServer
from pvc_sample_editor.emulator.training import TrainingSettings
from pvc_sample_editor.system.resources import ResourceNotFoundError

__all__ = ["DEFAULT_PORT", "run_cli"]

DEFAULT_PORT = 8765


def _port(text: str) -> int:
    """A TCP port number for argparse: 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 1 to 65535, or 0 for any")
    return port


def _start_problem(exc: Exception, ns: argparse.Namespace) -> str:
    """What stopped the emulator from starting, said for the command line."""
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (
            f"port {ns.port} on {ns.host} is in use (another emulator?): choose another "
            "with --port, or --port 0 for any free one."
        )
    if isinstance(exc, OSError) and exc.errno in (errno.EEXIST, errno.ENOTDIR):
        return f"--data must be a folder (made if missing), and {ns.data} is a file."
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
        where = exc.filename if exc.filename else f"port {ns.port}"
        return f"not allowed to use {where}: {exc.strerror}."
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pvc-sample-editor emulator",
        description="Serve a local emulator of the ElevenLabs PVC sample API.",
    )
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help="port (0: any free one)")
    p.add_argument("--data", type=Path, required=True, help="folder for the emulator's state")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    p.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (not advised)"
    )
    p.add_argument("--api-key", default=DEMO_API_KEY, help="the xi-api-key clients must send")
    p.add_argument(
        "--separation-delay",
        type=float,
        default=3.0,
        help="seconds speaker separation stays pending",
    )
    p.add_argument(
        "--training-seconds",
        type=float,
        default=TrainingSettings.seconds,
        help="seconds a voice takes to train (queued, then fine-tuning, then fine-tuned)",
    )
    p.add_argument(
        "--min-dataset-minutes",
        type=float,
        default=TrainingSettings.min_dataset_seconds / 60,
        help="kept audio a voice needs before it can be trained",
    )
    p.add_argument("--no-demo", action="store_true", help="do not seed the demo voices")
    return p


def run_cli(argv: list[str]) -> int:
    """Run the emulator command; returns the exit status (0 after SIGINT/SIGTERM).

    Must run on the main thread, which receives the signals.
    """
    ns = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        server = EmulatorServer(
            ns.data,
            host=ns.host,
            port=ns.port,
            api_key=ns.api_key,
            separation_delay=ns.separation_delay,
            training=TrainingSettings(ns.training_seconds, ns.min_dataset_minutes * 60),
            allow_remote=ns.allow_remote,
        )
        server.start()
    except (ValueError, OSError) as exc:
        print(f"pvc-sample-editor emulator: {_start_problem(exc, ns)}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if not ns.no_demo:
            try:
                server.seed_demo()
            except ResourceNotFoundError as exc:
                logging.getLogger(__name__).warning("serving without the demo voice: %s", exc)
        print(f"URL: {server.base_url}", flush=True)
        print(f"API key: {server.api_key}", flush=True)
        # wait() with a timeout so the main thread keeps running Python signal handlers.
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
