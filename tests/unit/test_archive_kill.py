"""kill -9 during an import or an export: the store is as before or fully imported, the index in
step after reconcile, and no half archive under the real name."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from memory.archive.reader import read_archive
from memory.archive.writer import export_archive
from tests.unit.archive_util import dump, populate
from tests.unit.fakes import T0, make_bank

ROOT = Path(__file__).resolve().parents[2]
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from memory.archive.restore import import_archive
    from memory.archive.reader import read_archive
    from memory.archive.writer import export_archive
    from tests.unit.fakes import T0, make_bank

    action, data, archive, stop_at = sys.argv[1:5]
    bank = make_bank(Path(data))

    def on_phase(phase):
        if phase == stop_at:
            print("PAUSED", flush=True)
            time.sleep(600)

    if action == "import":
        import_archive(bank, read_archive(Path(archive)), T0, on_phase=on_phase)
    else:
        export_archive(bank.store, Path(archive), T0, bank=bank, on_phase=on_phase)
    print("DONE", flush=True)
    """
)


def _run_and_kill(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == "PAUSED"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()


@pytest.mark.slow
@pytest.mark.parametrize("stop_at", ["inserting", "committed"])
def test_kill_during_import(stop_at: str, tmp_path: Path) -> None:
    source = make_bank(tmp_path / "source")
    populate(source)
    archive = export_archive(source.store, tmp_path / "a.membank", T0, bank=source).path
    expected = read_archive(archive).records["memories"]
    source.close()
    source.store.close()
    target = make_bank(tmp_path / "target")
    before = dump(target)
    target.close()
    target.store.close()

    _run_and_kill("import", str(tmp_path / "target"), str(archive), stop_at)

    after = make_bank(tmp_path / "target")  # a restart: reconcile heals the index
    after.reconcile()
    if stop_at == "inserting":
        assert dump(after) == before  # mid-transaction: nothing happened
    else:
        assert {m["id"] for m in expected} == after.store.all_memory_ids()  # all of it
    assert after.index.ids() == after.store.all_memory_ids()
    assert after.store.unindexed() == []
    after.close()
    after.store.close()


@pytest.mark.slow
def test_kill_during_export_leaves_no_archive(tmp_path: Path) -> None:
    data = make_bank(tmp_path / "data")
    populate(data)
    data.close()
    data.store.close()
    out = tmp_path / "out"
    out.mkdir()
    _run_and_kill("export", str(tmp_path / "data"), str(out / "x.membank"), "written")
    assert not (out / "x.membank").exists()
    assert all(p.name.endswith(".part") for p in out.iterdir())  # only the temporary file
