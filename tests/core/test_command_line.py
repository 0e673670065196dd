"""The window's command line: which combinations of voice, sample and file it accepts, and
what it says about the others (argparse's usage line and exit status 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvc_sample_editor.cli import parse_args


def test_a_voice_alone_opens_the_voice() -> None:
    options = parse_args(["--voice-id", "V1"])
    assert (options.voice_id, options.sample_id, options.audio) == ("V1", None, None)


def test_a_sample_with_its_voice_and_its_file() -> None:
    options = parse_args(["take.wav", "--voice-id", "V1", "--sample-id", "S1"])
    assert (options.voice_id, options.sample_id, options.audio) == ("V1", "S1", Path("take.wav"))


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--sample-id", "S1"], "--sample-id needs the --voice-id of the voice that holds it."),
        (
            ["take.wav", "--voice-id", "V1"],
            "a local copy is one sample's: give its --sample-id too, or open the file alone.",
        ),
    ],
)
def test_a_combination_that_names_no_one_sample_is_refused_with_the_fix(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert said in err
    assert "Traceback" not in err
