"""``python -m inferecon check-data``: every bundled file with its own schema; a user's file
with the schema its name (or ``--schema``) selects; every problem printed; exit status 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from inferecon import datasets as ds
from inferecon.__main__ import main

DATA = Path(__file__).resolve().parents[2] / "data"


def test_every_bundled_csv_has_a_dataset_in_the_table():
    """A new file in data/ must be added to ``DATASETS`` (and so to check-data)."""
    on_disk = {p.name for p in DATA.glob("*.csv")}
    assert on_disk == set(ds.BUNDLED_FILES)
    for name, d in ds.BUNDLED_FILES.items():
        assert ds.dataset_for_file(DATA / name) is d
        assert d.file == name and ds.DATASETS[d.name] is d
        assert len(d.load(None)) > 0, name


def test_every_loader_is_in_the_table():
    loaders = {n for n in ds.__all__ if n.startswith(("load_", "read_"))}
    assert loaders == {d.load.__name__ for d in ds.DATASETS.values()}


def test_check_data_validates_every_bundled_file(capsys):
    assert main(["check-data"]) == 0
    out = capsys.readouterr().out
    for name, d in ds.BUNDLED_FILES.items():
        assert f"{name}: {len(d.load(None))} rows ok ({d.name} schema)" in out


def test_check_data_entry_point_runs():
    ok = subprocess.run(
        [sys.executable, "-m", "inferecon", "check-data"], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert "chinchilla_points.csv: 234 rows ok" in ok.stdout
    assert "sardana_runs.csv: 47 rows ok" in ok.stdout


def _broken_models(path: Path) -> Path:
    df = pd.read_csv(DATA / "models.csv", dtype=str, keep_default_na=False)
    df.loc[0, "n_kv_heads"] = "64"  # more KV heads than query heads: a models-schema rule
    df.loc[2, "hidden_size"] = "big"
    df.to_csv(path, index=False)
    return path


def test_a_users_file_is_checked_with_the_schema_its_name_selects(tmp_path, capsys):
    bad = _broken_models(tmp_path / "models.csv")
    assert main(["check-data", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "FAILED (models schema)" in err
    assert "line 2, column 'n_kv_heads': n_kv_heads=64 exceeds n_heads=32" in err
    assert "line 4, column 'hidden_size': not a number: 'big'" in err
    good = tmp_path / "sampling_counts.csv"
    good.write_text("model,problem_idx,n_samples,n_correct\nm,1,10,3\n")
    assert main(["check-data", str(good)]) == 0
    assert "1 rows ok (sampling_counts schema)" in capsys.readouterr().out


def test_schema_flag_overrides_the_name_and_every_file_is_reported(tmp_path, capsys):
    a = _broken_models(tmp_path / "mine.csv")
    b = tmp_path / "also_mine.csv"
    b.write_text("model,problem_idx,n_samples,n_correct\nm,1,10,30\n")
    assert main(["check-data", "--schema", "models", str(a), str(b)]) == 1
    err = capsys.readouterr().err
    assert f"{a}: FAILED (models schema)" in err and "n_kv_heads=64" in err
    assert f"{b}: FAILED (models schema)" in err  # the second file is checked too
    assert main(["check-data", "--schema", "sampling_counts", str(b)]) == 1
    assert "n_correct=30 exceeds n_samples=10" in capsys.readouterr().err


def test_a_bundled_schema_is_never_swapped_for_the_prices_one(tmp_path, capsys):
    # a valid gpus.csv copy fails the prices schema, so checking it with prices would fail
    src = DATA / "gpus.csv"
    dst = tmp_path / "gpus.csv"
    dst.write_bytes(src.read_bytes())
    assert main(["check-data", str(dst)]) == 0
    assert "(gpus schema)" in capsys.readouterr().out


def test_unknown_schema_names_list_the_valid_ones(tmp_path, capsys):
    f = tmp_path / "x.csv"
    f.write_text("a\n1\n")
    with pytest.raises(SystemExit) as info:
        main(["check-data", "--schema", "nope", str(f)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nope'" in err
    for name in ds.DATASETS:
        assert name in err
    assert main(["check-data", str(f)]) == 2  # the name selects nothing
    err = capsys.readouterr().err
    assert "its name selects no schema; pass --schema NAME" in err
    for name in ds.DATASETS:
        assert name in err


def test_a_missing_file_fails(tmp_path, capsys):
    assert main(["check-data", str(tmp_path / "models.csv")]) == 1
    assert "not found" in capsys.readouterr().err


def test_a_bundled_csv_without_a_dataset_fails(tmp_path, monkeypatch, capsys):
    # a copy of the bundled folder with one extra CSV that no dataset claims
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ds.BUNDLED_FILES:
        (folder / name).write_bytes((DATA / name).read_bytes())
    (folder / "orphan.csv").write_text("a\n1\n")
    monkeypatch.setattr(ds, "data_path", lambda name: folder / name)
    assert main(["check-data"]) == 1
    assert "orphan.csv: FAILED: a bundled CSV with no entry in DATASETS" in capsys.readouterr().err
