"""User text printed through rich is shown as written: every table and bar the CLI prints.

rich reads ``[x]`` as markup and ``:smile:`` as an emoji code; a product name, a script line or
a file name is neither. Each line of :data:`HOSTILE_TEXT` goes through every rich surface the
commands use and must come out character for character.
"""

from __future__ import annotations

import io

import pytest

from autocut_core.cli import display
from autocut_core.cli.run import _report
from autocut_core.pipelines.request import EditResult
from autocut_core.types import EditPlan, MusicCue, Slot

HOSTILE_TEXT = (
    "a\\,b\\:c\\'d [x] {y} ;z",
    "[red]not red[/red] and [bold]not bold",
    "[/] closes nothing",
    "\\[already escaped]",
    "[link=https://example.com]a link[/link]",
    ":thumbs_up: :smile: are words here",
    "100% off [today only]",
    "{task.fields[current]} %s %d {0}",
    "<b>html</b> &amp; &lt;",
    "新品上市 [限时] 【第一】",
    "emoji 🎉 [🎉]",
)


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    """Wide enough that no cell folds, so each text appears on one line."""
    monkeypatch.setenv("COLUMNS", "400")


def _file_name(text: str) -> str:
    return text.replace("/", "|")  # a file name cannot hold a slash


def _plan(texts) -> EditPlan:
    slots = tuple(
        Slot(f"c{index}", f"/footage/{_file_name(text)}.mp4", 0.0, 2.0, sentence=text, score=0.5)
        for index, text in enumerate(texts)
    )
    return EditPlan(slots=slots, music=MusicCue("t", f"/music/{texts[0]}.ogg"))


def test_the_plan_table_shows_every_sentence_file_note_and_track_verbatim(capsys):
    result = EditResult(plan=_plan(HOSTILE_TEXT), notes=HOSTILE_TEXT)
    _report(result, as_json=False)
    out = capsys.readouterr().out
    for text in HOSTILE_TEXT:
        assert out.count(text) >= 2, f"{text!r} not shown verbatim in:\n{out}"  # cell, note
        assert f"{_file_name(text)}.mp4" in out
    assert f"music: {HOSTILE_TEXT[0]}.ogg" in out


def test_the_training_summary_table_shows_values_verbatim(capsys):
    from autocut_plugins.lm.cli import print_summary

    for text in HOSTILE_TEXT:
        summary = {
            "stage": text, "mode": "lora", "status": "done", "steps": 1, "total_steps": 1,
            "processes": 1, "trainable_parameters": 1, "tokens": 1, "tokens_per_s": 1.0,
            "first_loss": 1.0, "last_loss": 1.0, "first_val_loss": None, "last_val_loss": None,
            "load_seconds": 1.0, "artefact": text, "artefact_bytes": None,
        }  # fmt: skip
        print_summary(summary)
        out = capsys.readouterr().out
        assert f"train {text} (lora): done" in out and text in out.split("\n", 2)[-1], out


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_progress_bars_show_the_current_item_verbatim(text):
    from rich.progress import TextColumn

    buffer = io.StringIO()
    console = display.console(file=buffer, width=400, force_terminal=False)
    extra = TextColumn("{task.fields[status]}", markup=False)
    bar = display.progress_bar(
        text, extra, current=True, console=console, auto_refresh=False, transient=False
    )
    with bar:
        task = bar.add_task("x", total=2, current=text, status=text)
        bar.update(task, completed=1)
        bar.refresh()
    assert buffer.getvalue().count(text) >= 3, buffer.getvalue()  # label, status, current


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_the_display_console_prints_plain_strings_as_written(text):
    buffer = io.StringIO()
    display.console(file=buffer, width=400).print(text)
    assert buffer.getvalue() == text + "\n"
