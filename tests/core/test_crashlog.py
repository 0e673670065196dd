"""Crash log: unexpected errors are recorded, redacted, and never leak the API key."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

import pvc_sample_editor
from pvc_sample_editor.system import crashlog
from pvc_sample_editor.system.crashlog import (
    LOG_FILE_NAME,
    REDACTED,
    SECRETS,
    CrashReport,
    SecretRegistry,
    handle_exception,
    install_excepthook,
    install_logging,
    installed_log_path,
    redact,
    uninstall_excepthook,
    uninstall_logging,
)

# Not shaped like an ElevenLabs key, so only registration can catch it.
KEY = "Quokka-93f1c2d4e5b6-secret"
ELEVEN_KEY = "sk_0123456789abcdefABCDEF0123456789"


@pytest.fixture(autouse=True)
def _clean_slate() -> Iterator[None]:
    """Every test starts and ends with no handler, no hook and no secret of ours."""
    root_level = logging.getLogger().level
    yield
    uninstall_excepthook()
    uninstall_logging()
    SECRETS.clear()
    assert logging.getLogger().level == root_level


def _our_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, crashlog._CrashLogHandler)]


def _raise_with_key() -> None:
    accounts: dict[str, int] = {}
    try:
        accounts["Quokka-93f1c2d4e5b6-secret"]  # the key in the traceback's source line
    except KeyError as exc:
        raise RuntimeError(f"login failed with {KEY!r}\nsecond line {KEY}") from exc


def _exc_info() -> tuple[type[BaseException], BaseException, TracebackType | None]:
    try:
        _raise_with_key()
    except RuntimeError as exc:
        return type(exc), exc, exc.__traceback__
    raise AssertionError("did not raise")


# ---------------------------------------------------------------- redact


def test_redact_removes_each_secret() -> None:
    assert redact(f"key={KEY}; again {KEY}.", [KEY]) == f"key={REDACTED}; again {REDACTED}."


def test_redact_ignores_secrets_too_short_to_be_keys() -> None:
    assert redact("the cat sat", ["cat", ""]) == "the cat sat"
    assert redact("the cats sat", ["cats"]) == f"the {REDACTED} sat"


def test_redact_removes_a_longer_secret_whole() -> None:
    assert redact("abcdefgh", ["abcd", "abcdefgh"]) == REDACTED


def test_redact_finds_a_secret_as_repr_escapes_it() -> None:
    secret = 'ab\\cd"ef\n'
    assert secret not in redact(repr({"k": secret}), [secret])
    assert "cd" not in redact(repr({"k": secret}), [secret])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"using {ELEVEN_KEY} now", f"using {REDACTED} now"),
        (f"key={ELEVEN_KEY}", f"key={REDACTED}"),
        ("xi-api-key: abc123", f"xi-api-key: {REDACTED}"),
        ("XI-API-KEY=abc123 next", f"XI-API-KEY={REDACTED} next"),
        ("{'xi-api-key': 'abc123', 'a': 1}", f"{{'xi-api-key': '{REDACTED}', 'a': 1}}"),
        ('{"xi-api-key":"abc123"}', f'{{"xi-api-key":"{REDACTED}"}}'),
        ("xi_api_key=abc123", f"xi_api_key={REDACTED}"),
        (f"xi-api-key: {REDACTED}", f"xi-api-key: {REDACTED}"),
        # Ordinary words that merely contain "sk_" stay readable.
        ("task_0123456789abcdefghijklmnop", "task_0123456789abcdefghijklmnop"),
        ("sk_short", "sk_short"),
    ],
)
def test_redact_catches_unregistered_keys_and_headers(text: str, expected: str) -> None:
    assert redact(text, []) == expected


def test_the_registry_keeps_each_real_secret_once() -> None:
    registry = SecretRegistry()
    registry.add(KEY)
    registry.add(KEY)
    registry.add("abc")
    assert registry.secrets() == (KEY,)
    registry.clear()
    assert registry.secrets() == ()


# ---------------------------------------------------------------- install_logging


def test_install_logging_defaults_to_the_user_log_folder() -> None:
    path = install_logging()
    assert path == Path(os.environ["PVC_SAMPLE_EDITOR_HOME"]) / "logs" / LOG_FILE_NAME
    assert installed_log_path() == path
    logging.getLogger("pvc_sample_editor.test").info("hello from the test")
    assert "hello from the test" in path.read_text(encoding="utf-8")


def test_installing_twice_adds_no_second_handler(tmp_path: Path) -> None:
    first = install_logging(tmp_path)
    second = install_logging(tmp_path, logging.DEBUG)
    assert first == second
    assert len(_our_handlers()) == 1
    logging.getLogger("pvc_sample_editor.test").debug("once")
    assert first.read_text(encoding="utf-8").count("once") == 1


def test_installing_elsewhere_moves_the_log(tmp_path: Path) -> None:
    install_logging(tmp_path / "a")
    moved = install_logging(tmp_path / "b")
    assert len(_our_handlers()) == 1
    assert installed_log_path() == moved == tmp_path / "b" / LOG_FILE_NAME


def test_uninstall_closes_the_file(tmp_path: Path) -> None:
    install_logging(tmp_path)
    (handler,) = _our_handlers()
    assert isinstance(handler, logging.FileHandler)
    uninstall_logging()
    assert handler.stream is None
    assert _our_handlers() == []
    assert installed_log_path() is None


def test_the_key_never_reaches_the_log(tmp_path: Path) -> None:
    SECRETS.add(KEY)
    path = install_logging(tmp_path)
    log = logging.getLogger("pvc_sample_editor.test")
    log.warning("request with key %s failed", KEY)
    log.info("headers: %r", {"xi-api-key": ELEVEN_KEY})
    log.error("while saving", exc_info=_exc_info())
    log.warning("where %s", KEY, stack_info=True)
    text = path.read_text(encoding="utf-8")
    assert KEY not in text
    assert ELEVEN_KEY not in text
    assert text.count(REDACTED) >= 6
    # The traceback itself is there, cause and all, only without the key.
    assert "Traceback (most recent call last)" in text
    assert "KeyError" in text
    assert "RuntimeError: login failed with '[redacted]'" in text
    assert "Stack (most recent call last)" in text


def test_the_log_rotates_and_no_backup_holds_the_key(tmp_path: Path) -> None:
    SECRETS.add(KEY)
    path = install_logging(tmp_path, max_bytes=2_000, backup_count=2)
    log = logging.getLogger("pvc_sample_editor.test")
    for i in range(200):
        log.info("line %03d with %s and some padding to fill the file", i, KEY)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [LOG_FILE_NAME, f"{LOG_FILE_NAME}.1", f"{LOG_FILE_NAME}.2"]
    for name in files:
        content = (tmp_path / name).read_text(encoding="utf-8")
        assert KEY not in content
        assert len(content.encode()) <= 2_000
    assert "line 199" in path.read_text(encoding="utf-8")


def test_a_failed_write_does_not_print_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install_logging(tmp_path)
    (handler,) = _our_handlers()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key %s", (KEY,), None)
    try:
        raise OSError(28, "No space left on device")
    except OSError:
        handler.handleError(record)
    err = capsys.readouterr().err
    assert "could not write" in err
    assert KEY not in err


# ---------------------------------------------------------------- handle_exception


def test_handle_exception_logs_and_summarises_without_the_key(tmp_path: Path) -> None:
    SECRETS.add(KEY)
    path = install_logging(tmp_path)
    report = handle_exception(*_exc_info())
    assert report == CrashReport(f"RuntimeError: login failed with '{REDACTED}'", path)
    text = path.read_text(encoding="utf-8")
    assert "Unexpected error" in text
    assert "_raise_with_key" in text
    assert KEY not in text


def test_handle_exception_installs_the_log_if_needed() -> None:
    report = handle_exception(ValueError, ValueError("bad thing"), None)
    assert report.summary == "ValueError: bad thing"
    assert report.log_path == installed_log_path()
    assert report.log_path.parent == Path(os.environ["PVC_SAMPLE_EDITOR_HOME"]) / "logs"
    assert "ValueError: bad thing" in report.log_path.read_text(encoding="utf-8")


class _UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no")


@pytest.mark.parametrize(
    ("exc", "summary"),
    [
        (ValueError(), "ValueError"),
        (ValueError("  \n "), "ValueError"),
        (_UnprintableError(), "_UnprintableError"),
        (ValueError("x" * 1000), "ValueError: " + "x" * 287 + "…"),
        # Cut after redaction: a cut key would no longer match, and leak in part.
        (ValueError("y" * 280 + KEY), "ValueError: " + "y" * 280 + REDACTED[:7] + "…"),
    ],
)
def test_the_summary_is_one_short_redacted_line(
    tmp_path: Path, exc: BaseException, summary: str
) -> None:
    SECRETS.add(KEY)
    install_logging(tmp_path)
    report = handle_exception(type(exc), exc, None)
    assert report.summary == summary
    assert len(report.summary) <= crashlog.MAX_SUMMARY_LENGTH


def test_a_missing_exception_object_is_still_reported(tmp_path: Path) -> None:
    path = install_logging(tmp_path)
    assert handle_exception(ValueError, None, None).summary == "ValueError"
    assert "ValueError (no exception object)" in path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- hooks, in process


def test_the_excepthook_logs_and_calls_on_crash_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    SECRETS.add(KEY)
    path = install_logging(tmp_path)
    reports: list[CrashReport] = []
    install_excepthook(reports.append)
    sys.excepthook(*_exc_info())
    assert reports == [CrashReport(f"RuntimeError: login failed with '{REDACTED}'", path)]
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert KEY not in err
    assert "Unexpected error: RuntimeError" in err


def test_keyboard_interrupt_goes_to_the_previous_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "excepthook", lambda t, e, tb: seen.append(t))
    path = install_logging(tmp_path)
    reports: list[CrashReport] = []
    install_excepthook(reports.append)
    sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert seen == [KeyboardInterrupt]
    assert reports == []
    assert "Unexpected error" not in path.read_text(encoding="utf-8")


def test_a_thread_crash_is_logged_with_the_thread_name(tmp_path: Path) -> None:
    SECRETS.add(KEY)
    path = install_logging(tmp_path)
    reports: list[CrashReport] = []
    install_excepthook(reports.append)

    def work() -> None:
        raise ValueError(f"worker saw {KEY}")

    thread = threading.Thread(target=work, name="peaks-worker")
    thread.start()
    thread.join()
    uninstall_excepthook()
    assert [r.summary for r in reports] == [f"ValueError: worker saw {REDACTED}"]
    text = path.read_text(encoding="utf-8")
    assert "[peaks-worker]" in text
    assert "in work" in text
    assert KEY not in text


def test_a_broken_crash_handler_is_logged_not_raised(tmp_path: Path) -> None:
    path = install_logging(tmp_path)

    def broken(report: CrashReport) -> None:
        raise RuntimeError("dialog failed")

    install_excepthook(broken)
    sys.excepthook(ValueError, ValueError("first"), None)
    text = path.read_text(encoding="utf-8")
    assert "The crash handler itself failed" in text
    assert "RuntimeError: dialog failed" in text


def test_reinstalling_the_hook_does_not_chain_it_and_uninstall_restores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def original(t: object, e: object, tb: object) -> None:
        pass

    monkeypatch.setattr(sys, "excepthook", original)
    before_thread = threading.excepthook
    calls: list[str] = []
    install_excepthook(lambda r: calls.append("first"))
    install_excepthook(lambda r: calls.append("second"))
    sys.excepthook(ValueError, ValueError("x"), None)
    assert calls == ["second"]
    uninstall_excepthook()
    assert sys.excepthook is original
    assert threading.excepthook is before_thread


# ---------------------------------------------------------------- hooks, in a real process

_CHILD = """
import sys, threading
from pathlib import Path
from pvc_sample_editor.system import crashlog

log_dir, key, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
crashlog.SECRETS.add(key)
crashlog.install_logging(log_dir)
crashlog.install_excepthook(lambda r: print("CRASH", r.summary, "|", r.log_path, flush=True))
if mode == "interrupt":
    raise KeyboardInterrupt

def work():
    raise RuntimeError("thread saw " + key)

worker = threading.Thread(target=work, name="upload-worker")
worker.start()
worker.join()
print("main goes on", flush=True)
raise ValueError("main saw " + key)
"""


def _run_child(tmp_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    gui_dir = str(Path(pvc_sample_editor.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([gui_dir, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path), KEY, mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_uncaught_errors_in_a_real_process_are_logged_redacted(tmp_path: Path) -> None:
    result = _run_child(tmp_path, "crash")
    log_path = tmp_path / LOG_FILE_NAME
    # A thread's crash is reported and the program goes on; the main thread's ends it.
    assert result.stdout.splitlines() == [
        f"CRASH RuntimeError: thread saw {REDACTED} | {log_path}",
        "main goes on",
        f"CRASH ValueError: main saw {REDACTED} | {log_path}",
    ]
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert KEY not in result.stderr
    assert f"Unexpected error: ValueError: main saw {REDACTED}" in result.stderr
    text = log_path.read_text(encoding="utf-8")
    assert text.count("Traceback (most recent call last)") == 2
    assert "[upload-worker]" in text
    assert KEY not in text


def test_ctrl_c_in_a_real_process_still_interrupts_it(tmp_path: Path) -> None:
    result = _run_child(tmp_path, "interrupt")
    assert result.returncode != 0
    assert "KeyboardInterrupt" in result.stderr
    assert "CRASH" not in result.stdout
    assert "Unexpected error" not in (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")
