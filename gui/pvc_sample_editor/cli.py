"""Command line: ``pvc-sample-editor [AUDIO] [--voice-id V --sample-id S] [--api-base URL]``.

``--demo`` starts the offline demo.

Also ``pvc-sample-editor emulator …`` (the local API emulator), the headless verbs
``check FILE…`` (the audio checks), ``voice VOICE_ID`` (a voice's samples and
minutes) and ``split FILE --out DIR`` (a long recording cut in pauses), see
:mod:`pvc_sample_editor.commands`, and ``--self-test``. Qt is imported
only when the window is really started, so the emulator and the verbs run without a
display.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from pathlib import Path

from pvc_sample_editor import APP_NAME, __version__
from pvc_sample_editor.options import AppOptions

#: The headless verbs (no Qt): each module's ``run(argv) -> int`` is the verb.
HEADLESS_VERBS = {
    "check": "pvc_sample_editor.commands.check",
    "voice": "pvc_sample_editor.commands.voice",
    "split": "pvc_sample_editor.commands.split",
}

__all__ = ["AppOptions", "main", "parse_args"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pvc-sample-editor",
        description=f"{APP_NAME}: trim, choose speakers, and rename ElevenLabs PVC samples.",
        epilog="Run 'pvc-sample-editor emulator --help' for the local API emulator, "
        "'pvc-sample-editor check --help' for the audio checks, "
        "'pvc-sample-editor voice --help' for a voice's samples and minutes, "
        "'pvc-sample-editor split --help' to split a long recording at pauses.",
    )
    p.add_argument("audio", nargs="?", type=Path, help="local copy of the sample's audio")
    p.add_argument(
        "--voice-id",
        help="the professional voice to open: its samples are listed and the first opens",
    )
    p.add_argument("--sample-id", help="the sample of --voice-id to open instead of the first")
    p.add_argument(
        "--api-base", help="API base URL (a region, or http://127.0.0.1:PORT for an emulator)"
    )
    p.add_argument(
        "--demo", action="store_true", help="offline demo: local emulator and demo voice"
    )
    p.add_argument("--self-test", action="store_true", help="run the demo end to end and exit")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def parse_args(argv: list[str]) -> AppOptions:
    """Parse and check the arguments; exits with a usage message on a mistake."""
    parser = _parser()
    ns = parser.parse_args(argv)
    if ns.sample_id and not ns.voice_id:
        parser.error("--sample-id needs the --voice-id of the voice that holds it.")
    if ns.audio is not None and ns.voice_id and not ns.sample_id:
        parser.error(
            "a local copy is one sample's: give its --sample-id too, or open the file alone."
        )
    return AppOptions(
        audio=ns.audio,
        voice_id=ns.voice_id,
        sample_id=ns.sample_id,
        api_base=ns.api_base,
        demo=ns.demo,
        self_test=ns.self_test,
    )


def _mistyped_command(args: list[str]) -> str:
    """What to say when the first word is no file and close to a command ("chek"), else "".

    Anything else that is not a file still opens the window, which says it is missing.
    """
    if not args or args[0].startswith("-") or Path(args[0]).exists():
        return ""
    word = args[0]
    if Path(word).suffix or "/" in word or "\\" in word:
        return ""
    commands = [*HEADLESS_VERBS, "emulator"]
    close = difflib.get_close_matches(word, commands, n=1, cutoff=0.6)
    if not close:
        return ""
    return (
        f"there is no command or file '{word}'. Did you mean '{close[0]}'? The commands are "
        f"{', '.join(commands)}; 'pvc-sample-editor FILE' opens a recording."
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pvc-sample-editor`` command."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "emulator":
        from pvc_sample_editor.emulator.cli import run_cli

        return run_cli(args[1:])
    if args and args[0] in HEADLESS_VERBS:
        verb = importlib.import_module(HEADLESS_VERBS[args[0]])
        status: int = verb.run(args[1:])
        return status
    mistyped = _mistyped_command(args)
    if mistyped:
        print(f"pvc-sample-editor: {mistyped}", file=sys.stderr)
        return 2
    options = parse_args(args)
    if options.self_test:
        from pvc_sample_editor.ui.selftest import run_self_test

        return run_self_test()
    from pvc_sample_editor.ui.app import run_app

    return run_app(options)
