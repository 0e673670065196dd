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


def test_a_mistyped_command_is_named_with_the_nearest_one_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pvc_sample_editor.cli import main

    assert main(["chek", "take.wav"]) == 2
    err = capsys.readouterr().err
    assert "there is no command or file 'chek'. Did you mean 'check'?" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("word", ["take.wav", "recordings/take", "--demo"])
def test_what_looks_like_a_file_or_an_option_is_not_taken_for_a_command(word: str) -> None:
    from pvc_sample_editor.cli import _mistyped_command

    assert _mistyped_command([word]) == ""


def test_a_file_named_like_a_command_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pvc_sample_editor.cli import _mistyped_command

    monkeypatch.chdir(tmp_path)
    (tmp_path / "chek").write_bytes(b"RIFF")
    assert _mistyped_command(["chek"]) == ""
    assert "Did you mean 'voice'" in _mistyped_command(["voise"])
