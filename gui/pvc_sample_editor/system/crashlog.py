"""Crash logging: unexpected errors go to a log file, redacted, never to the user as a traceback.

Qt-free. At start-up the app calls :func:`install_logging` and :func:`install_excepthook`;
whoever learns the API key (the key store, the settings dialog) calls
``SECRETS.add(key)`` at once, so that no later log line, message or traceback can
carry it. On an unexpected error the hook writes the traceback to the log and hands the
UI a :class:`CrashReport`: one redacted line and where the details are.

Redaction is applied to the *final* text of every record written by our handler (the
message, its arguments, the traceback and the stack), so it does not matter which
part the key ended up in. Tracebacks are logged without local variables: they may hold
the key in some other shape, or the user's audio.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from pvc_sample_editor.system.paths import user_log_dir

__all__ = [
    "LOG_FILE_NAME",
    "REDACTED",
    "SECRETS",
    "CrashReport",
    "RedactingFormatter",
    "SecretRegistry",
    "handle_exception",
    "install_excepthook",
    "install_logging",
    "installed_log_path",
    "redact",
    "uninstall_excepthook",
    "uninstall_logging",
]

LOG_FILE_NAME = "pvc-sample-editor.log"
REDACTED = "[redacted]"
# Shorter "secrets" would blank out ordinary words all over the log.
MIN_SECRET_LENGTH = 4
MAX_SUMMARY_LENGTH = 300

# What an ElevenLabs key looks like, to catch one that was never registered (e.g. pasted
# into a field). The look-behind keeps "task_..." and the like intact.
_KEY_RE = re.compile(r"(?<![A-Za-z0-9])sk_[A-Za-z0-9]{20,}")
# The header in any spelling a log line may show: "xi-api-key: v", "'xi-api-key': 'v'",
# "xi_api_key=v". A value already redacted is left alone.
_HEADER_RE = re.compile(
    r"""(xi[-_]api[-_]key['"]?\s*[:=]\s*['"]?)(?!\[redacted\])[^\s'",;}\]]+""",
    re.IGNORECASE,
)

_log = logging.getLogger("pvc_sample_editor.crash")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret (of 4+ characters) and anything key-like replaced.

    Longer secrets go first so that a secret containing another is removed whole. A
    secret is also found in its backslash-escaped form, as ``repr`` shows it.
    """
    variants: set[str] = set()
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            variants.add(secret)
            variants.add(secret.encode("unicode_escape").decode("ascii"))
    for secret in sorted(variants, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _KEY_RE.sub(REDACTED, text)
    return _HEADER_RE.sub(lambda m: m.group(1) + REDACTED, text)


class SecretRegistry:
    """The secrets to keep out of the log. Thread-safe; secrets are only ever added.

    A replaced key stays registered: old log lines and exceptions may still carry it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, None] = {}

    def add(self, secret: str) -> None:
        """Redact ``secret`` from now on (ignored if shorter than 4 characters)."""
        if isinstance(secret, str) and len(secret) >= MIN_SECRET_LENGTH:
            with self._lock:
                self._secrets[secret] = None

    def secrets(self) -> tuple[str, ...]:
        """The registered secrets."""
        with self._lock:
            return tuple(self._secrets)

    def clear(self) -> None:
        """Forget every secret (for tests)."""
        with self._lock:
            self._secrets.clear()


#: The app's registry: the key store adds the API key here.
SECRETS = SecretRegistry()


class RedactingFormatter(logging.Formatter):
    """A formatter whose every output, tracebacks included, has the secrets redacted."""

    def __init__(self, registry: SecretRegistry, fmt: str | None = None) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
        self._registry = registry

    def format(self, record: logging.LogRecord) -> str:
        """The record's full text, redacted."""
        return redact(super().format(record), self._registry.secrets())

    def formatException(self, ei: ExcInfo | tuple[None, None, None]) -> str:
        """The traceback, redacted (it is cached on the record, where other handlers see it)."""
        return redact(super().formatException(ei), self._registry.secrets())

    def formatStack(self, stack_info: str) -> str:
        """The stack, redacted."""
        return redact(super().formatStack(stack_info), self._registry.secrets())


class _CrashLogHandler(RotatingFileHandler):
    """Our handler on the root logger; its class is how install_logging finds it again."""

    previous_root_level = logging.WARNING

    def handleError(self, record: logging.LogRecord) -> None:
        # The default prints the unredacted message and arguments to stderr.
        if sys.stderr is not None:
            # Reporting a failure must not become a failure of its own.
            with contextlib.suppress(Exception):
                sys.stderr.write(f"{LOG_FILE_NAME}: could not write a log record\n")


_install_lock = threading.RLock()


def _installed_handler() -> _CrashLogHandler | None:
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _CrashLogHandler):
            return handler
    return None


def installed_log_path() -> Path | None:
    """The log file in use, or None before :func:`install_logging`."""
    handler = _installed_handler()
    return Path(handler.baseFilename) if handler else None


def install_logging(
    log_dir: Path | None = None,
    level: int = logging.INFO,
    *,
    max_bytes: int = 1_000_000,
    backup_count: int = 5,
) -> Path:
    """Log to a redacting rotating file (1 MB × 5) in ``log_dir``; returns the file's path.

    Idempotent: a second call with the same folder changes only the level; with another
    folder it moves the log there. Undo with :func:`uninstall_logging`.
    """
    directory = log_dir if log_dir is not None else user_log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = (directory / LOG_FILE_NAME).absolute()
    root = logging.getLogger()
    with _install_lock:
        handler = _installed_handler()
        if handler is not None and Path(handler.baseFilename) == path:
            handler.setLevel(level)
            if root.getEffectiveLevel() > level:
                root.setLevel(level)
            return path
        if handler is not None:
            uninstall_logging()
        handler = _CrashLogHandler(
            path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
        )
        handler.setFormatter(RedactingFormatter(SECRETS))
        handler.setLevel(level)
        handler.previous_root_level = root.level
        if root.getEffectiveLevel() > level:
            root.setLevel(level)
        root.addHandler(handler)
    return path


def uninstall_logging() -> None:
    """Remove and close the handler of :func:`install_logging` (if any); restore the level."""
    root = logging.getLogger()
    with _install_lock:
        handler = _installed_handler()
        if handler is None:
            return
        root.removeHandler(handler)
        handler.close()
        root.setLevel(handler.previous_root_level)


@dataclass(frozen=True)
class CrashReport:
    """What the UI shows about an unexpected error: one redacted line, and the log."""

    summary: str
    log_path: Path


def _summary(exc_type: type[BaseException], exc: BaseException | None) -> str:
    try:
        message = str(exc) if exc is not None else ""
    except Exception:
        message = ""
    # Redact before cutting: a cut could leave part of a secret that no longer matches.
    message = redact(message, SECRETS.secrets()).strip()
    first = message.splitlines()[0] if message else ""
    line = f"{exc_type.__name__}: {first}" if first else exc_type.__name__
    if len(line) > MAX_SUMMARY_LENGTH:
        line = line[: MAX_SUMMARY_LENGTH - 1] + "…"
    return line


def handle_exception(
    exc_type: type[BaseException],
    exc: BaseException | None,
    tb: TracebackType | None,
) -> CrashReport:
    """Log an unexpected exception with its traceback (redacted) and describe it.

    Installs the default log first if nothing is installed, so that no crash goes
    unrecorded.
    """
    path = installed_log_path()
    if path is None:
        try:
            path = install_logging()
        except OSError:
            # Nowhere to write; the report still says where the log would have been.
            path = user_log_dir(create=False) / LOG_FILE_NAME
    if exc is None:
        _log.error("Unexpected error: %s (no exception object)", exc_type.__name__)
    else:
        _log.error("Unexpected error", exc_info=(exc_type, exc, tb))
    return CrashReport(summary=_summary(exc_type, exc), log_path=path)


SysHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]
ThreadHook = Callable[[threading.ExceptHookArgs], object]

_previous_hooks: tuple[SysHook, ThreadHook] | None = None


def _report(
    exc_type: type[BaseException],
    exc: BaseException | None,
    tb: TracebackType | None,
    on_crash: Callable[[CrashReport], None],
) -> None:
    report = handle_exception(exc_type, exc, tb)
    if sys.stderr is not None:
        # One line for whoever started us from a terminal; the details are in the log.
        with contextlib.suppress(Exception):
            sys.stderr.write(f"Unexpected error: {report.summary} (details in {report.log_path})\n")
    try:
        on_crash(report)
    except Exception:
        # Not passed to the hook again: a broken crash dialog must not loop.
        _log.exception("The crash handler itself failed")


def install_excepthook(on_crash: Callable[[CrashReport], None]) -> None:
    """Route uncaught exceptions (main thread and other threads) to the log and ``on_crash``.

    ``on_crash`` is called in the thread that failed: a Qt UI must hand it to the main
    thread (a queued signal). KeyboardInterrupt, and SystemExit in a thread, go to the
    hooks that were there before, so Ctrl+C still ends the program as usual.
    """
    global _previous_hooks
    if _previous_hooks is None:
        # Remember the hooks from before the first install only: reinstalling must not
        # chain our hook to itself.
        _previous_hooks = (sys.excepthook, threading.excepthook)
    previous_sys, previous_thread = _previous_hooks

    def sys_hook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous_sys(exc_type, exc, tb)
            return
        _report(exc_type, exc, tb, on_crash)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if issubclass(args.exc_type, (KeyboardInterrupt, SystemExit)):
            previous_thread(args)
            return
        _report(args.exc_type, args.exc_value, args.exc_traceback, on_crash)

    sys.excepthook = sys_hook
    threading.excepthook = thread_hook


def uninstall_excepthook() -> None:
    """Put back the hooks that were there before :func:`install_excepthook`."""
    global _previous_hooks
    if _previous_hooks is None:
        return
    sys.excepthook, threading.excepthook = _previous_hooks
    _previous_hooks = None
