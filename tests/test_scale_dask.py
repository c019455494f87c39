"""Scale-out on a Dask local cluster of two worker processes (issue 15): a partitioned corpus coded on Dask equals the
in-process run; a worker killed mid-run still gives the complete, identical result; a rerun after an interruption
codes only the partitions that were missing; GDELT bulk import into partitions equals the DuckDB-store import, and
the dyad series from the partitions equals the store's. Articles are synthetic (written here)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from pactwatch.events.corpus import CoderSpec, code_corpus, read_events  # noqa: E402
from pactwatch.news.corpus import ARTICLES, EVENTS, attach, parquet_files, write_articles  # noqa: E402
from pactwatch.news.ingest import Article  # noqa: E402

PAIRS = [("Russia", "North Korea"), ("China", "Japan"), ("the United States", "Iran"), ("India", "Pakistan"),
         ("France", "Germany"), ("Turkey", "Greece")]
ACTS = ["{a} signed a defence agreement with {b}.", "{a} condemned {b} over the border incident.",
        "{a} accused {b} of violating the ceasefire.", "{a} praised {b} for its help after the floods.",
        "{a} imposed sanctions on {b}.", "{a} met with {b} to discuss trade."]


def _articles(n_parts: int, per_part: int) -> list[Article]:
    """Distinct synthetic articles spread over months and two outlets (n_parts partitions of per_part articles)."""
    out = []
    for p in range(n_parts):
        month, site = 1 + p // 2, f"outlet{p % 2}.example"
        for i in range(per_part):
            k = p * per_part + i
            sents = []
            for j in range(4):
                a, b = PAIRS[(k + j) % len(PAIRS)]
                sents.append(ACTS[(k * 3 + j) % len(ACTS)].format(a=a, b=b)[0].upper()
                             + ACTS[(k * 3 + j) % len(ACTS)].format(a=a, b=b)[1:])
            text = f"Report number {k} from the desk.\n" + " ".join(sents)
            out.append(Article(text=text, title=f"story {k}", date=f"2024-{month:02d}-{1 + i % 27:02d}",
                               url=f"https://www.{site}/story/{k}", source="synthetic"))
    return out


from tests.helpers.dask_cluster import cluster, engine  # noqa: E402,F401 - module-scoped fixtures


@pytest.fixture(scope="module")
def spec(events_dir):
    return CoderSpec.resolved(events_dir=events_dir, root_model=False)


@pytest.fixture(scope="module")
def articles_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus_src")
    rep = write_articles(_articles(8, 12), root)
    assert len(rep.added) == 96 and len(rep.files) == 8
    return root


@pytest.fixture(scope="module")
def in_process(articles_dir, spec, tmp_path_factory):
    """The corpus coded in this process: the reference output."""
    root = tmp_path_factory.mktemp("inproc")
    shutil.copytree(articles_dir / ARTICLES, root / ARTICLES)
    rep = code_corpus(root, spec)
    assert rep["coded"] == rep["partitions"] == 8 and rep["articles"] == 96 and not rep["articles_failed"]
    return root, read_events(root)


def _copy(articles_dir, tmp_path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(articles_dir / ARTICLES, root / ARTICLES)
    return root


def _names(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in parquet_files(root, EVENTS))


def test_corpus_keyed_by_content_hash_and_readable_from_the_news_store(articles_dir, tmp_path):
    arts = _articles(8, 12)
    rep = write_articles(arts[:5] + arts[:5], tmp_path / "c")  # one text twice in a batch: stored once
    assert (len(rep.added), len(rep.unchanged)) == (5, 5)
    again = write_articles(arts[:10], tmp_path / "c")  # the five stored ones are unchanged, anywhere in the corpus
    assert (len(again.added), len(again.unchanged)) == (5, 5)
    from pactwatch.news.store import connect

    con = connect(tmp_path / "news.duckdb")
    try:
        assert attach(con, articles_dir) == ["corpus_articles"]
        got = con.execute("select article_id, ym, source, pub_date from corpus_articles order by article_id").df()
    finally:
        con.close()
    want = sorted((a.content_hash, a.date[:7], a.url.split("/")[2][4:]) for a in arts)
    assert [tuple(r) for r in got[["article_id", "ym", "source"]].itertuples(index=False)] == want


def test_dask_coding_equals_in_process(articles_dir, in_process, spec, engine, tmp_path):
    ref_root, ref = in_process
    assert len(ref) > 96  # the synthetic sentences do code into events
    root = _copy(articles_dir, tmp_path)
    rep = code_corpus(root, spec, engine)
    assert (rep["coded"], rep["skipped"], rep["articles"]) == (8, 0, 96)
    assert os.getpid() not in {t["pid"] for t in rep["tasks"]}  # coded on the workers
    got = read_events(root)
    pd.testing.assert_frame_equal(got, ref)
    assert _names(root) == _names(ref_root)  # same names: same input hashes, same coder version
    with distributed.Client(engine.scheduler) as client:  # one pipeline per worker process, not one per task
        loaded = client.run(lambda: len(__import__("pactwatch.events.pipeline", fromlist=["_"])._NLP_CACHE))
    assert len(loaded) == 2 and set(loaded.values()) <= {0, 1} and sum(loaded.values()) >= 1


def _worker_pids(client) -> dict[str, int]:
    return client.run(os.getpid)


def test_killed_worker_partition_is_redone(articles_dir, in_process, spec, engine, cluster, tmp_path):
    _, ref = in_process
    root = _copy(articles_dir, tmp_path)
    result, errors = {}, []

    def run():
        try:
            result.update(code_corpus(root, spec, engine))
        except BaseException as exc:  # reported below
            errors.append(exc)

    t = threading.Thread(target=run)
    with distributed.Client(cluster) as client:
        before = _worker_pids(client)
        t.start()
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and t.is_alive():
            n_done = len(parquet_files(root, EVENTS))
            busy = {w: ts for w, ts in client.processing().items() if ts}
            if 1 <= n_done < 8 and busy:
                addr = sorted(busy)[0]
                os.kill(before[addr], signal.SIGKILL)  # the worker dies with a partition in hand
                killed = (addr, n_done)
            time.sleep(0.02)
        t.join(300)
        after = _worker_pids(client)
    assert not errors, errors
    assert killed is not None, "the run finished before a worker could be killed mid-run"
    assert before[killed[0]] not in after.values()  # that worker process is gone (its nanny started a new one)
    assert (result["coded"] + result["skipped"], result["partitions"]) == (8, 8)
    pd.testing.assert_frame_equal(read_events(root), ref)
    # no half file is ever read: temporary files are not *.parquet, and the next run removes a dead writer's
    code_corpus(root, spec)
    assert not list(root.rglob("*.tmp-*"))


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_rerun_after_interruption_codes_only_what_was_missing(in_process, spec, engine, tmp_path):
    ref_root, ref = in_process
    root = tmp_path / "corpus"
    shutil.copytree(ref_root, root)
    files = parquet_files(root, EVENTS)
    lost = files[1:4]
    for f in lost:  # as if the run had stopped before these three partitions
        f.unlink()
    half = lost[0].with_name(lost[0].name + f".tmp-{socket.gethostname()}-{_dead_pid()}")
    half.write_bytes(b"PAR1 half a file")  # a writer killed mid-file
    rep = code_corpus(root, spec, engine)
    assert (rep["coded"], rep["skipped"], rep["partitions"]) == (3, 5, 8)
    assert sorted(Path(t["event_file"]) for t in rep["tasks"]) == sorted(lost)
    assert rep["stale_temps_removed"] == 1 and not half.exists()
    pd.testing.assert_frame_equal(read_events(root), ref)
    again = code_corpus(root, spec)  # nothing left to do
    assert (again["coded"], again["skipped"]) == (0, 8)


def test_new_coder_version_replaces_old_event_files(in_process, spec, tmp_path):
    ref_root, ref = in_process
    root = tmp_path / "corpus"
    shutil.copytree(ref_root, root)
    old = _names(root)
    other = CoderSpec(spec.model, spec.verbs, spec.people, spec.phoenix, spec.events_dir, spec.root_model)
    import pactwatch.events.corpus as ec

    rev = ec.CORPUS_CODER_REVISION
    ec.CORPUS_CODER_REVISION = rev + 1
    try:
        rep = code_corpus(root, other)
    finally:
        ec.CORPUS_CODER_REVISION = rev
    assert rep["coded"] == 8
    new = _names(root)
    assert len(new) == 8 and not set(new) & set(old)  # replaced, never both
    pd.testing.assert_frame_equal(read_events(root), ref)


def _daily_gdelt_files(events_dir: Path, out: Path) -> tuple[list[Path], list[str]]:
    """The shared GDELT 1.0 sample split into one file per day (read at run time), plus its raw lines."""
    lines = [ln for ln in (events_dir / "samples" / "gdelt" / "gdelt1_events_sample.tsv").read_text(
        encoding="utf-8").splitlines() if ln.strip()]
    days: dict[str, list[str]] = {}
    for ln in lines:
        days.setdefault(ln.split("\t")[1], []).append(ln)
    out.mkdir()
    files = []
    for d, ls in sorted(days.items()):
        f = out / f"{d}.export.CSV"
        f.write_text("\n".join(ls) + "\n", encoding="utf-8")
        files.append(f)
    return files, lines


def test_bulk_import_to_partitions_equals_store_import(events_dir, engine, tmp_path):
    from pactwatch.events.bulk import import_to_corpus
    from pactwatch.events.corpus import EVENT_COLUMNS
    from pactwatch.events.importers import import_file
    from pactwatch.monitor.corpus_series import corpus_dyad_series
    from pactwatch.monitor.dyad import dyad_series
    from pactwatch.news.store import connect

    files, lines = _daily_gdelt_files(events_dir, tmp_path / "daily")
    assert len(files) > 1
    local = import_to_corpus(files, tmp_path / "c1")
    dask = import_to_corpus(files, tmp_path / "c2", engine=engine)
    assert local["rows"] == dask["rows"] == local["added"] == len(lines) and local["duplicate_event_ids"] == 0
    con = connect(tmp_path / "news.duckdb")
    try:
        for f in files:
            import_file(f, con=con)
        cols = ", ".join(c for c in EVENT_COLUMNS if c != "file")
        store = con.execute(f"select {cols} from events order by event_id").df()
        pair = con.execute("select source_country, target_country from events where source_country is not null and "
                           "target_country is not null and source_country <> target_country group by all "
                           "order by count(*) desc, 1, 2 limit 1").fetchone()
        want = dyad_series(con, *pair)
    finally:
        con.close()
    for c in ("c1", "c2"):
        got = read_events(tmp_path / c)
        pd.testing.assert_frame_equal(got[store.columns.tolist()].reset_index(drop=True), store, check_dtype=False)
    again = import_to_corpus(files, tmp_path / "c1")  # the same files again: nothing written
    assert again["added"] == 0 and again["already_present"] == len(lines)
    assert again["duplicate_event_ids"] == 0
    for eng in (None, engine):
        got = corpus_dyad_series(tmp_path / "c1", *pair, engine=eng)
        pd.testing.assert_frame_equal(got, want)
        assert got.attrs["pactwatch_log"] == want.attrs["pactwatch_log"]


def test_bulk_import_bad_row_names_the_line_and_writes_nothing_of_that_file(events_dir, tmp_path):
    from pactwatch.errors import DataError
    from pactwatch.events.bulk import import_to_corpus

    files, _ = _daily_gdelt_files(events_dir, tmp_path / "daily")
    bad = files[0]
    rows = bad.read_text(encoding="utf-8").splitlines()
    vals = rows[-1].split("\t")
    vals[26] = "1x"  # EventCode
    rows[-1] = "\t".join(vals)
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"{bad.name} line {len(rows)}: EventCode '1x'"):
        import_to_corpus([bad], tmp_path / "c")
    assert not parquet_files(tmp_path / "c", EVENTS)


def test_cli_ingest_corpus_and_code_on_dask_equal_in_process(cluster, events_dir, tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from pactwatch.cli.events import app

    monkeypatch.setenv("PACTWATCH_ROOT_MODEL", "0")
    inputs = tmp_path / "in"
    inputs.mkdir()
    for k, a in enumerate(_articles(3, 2)):
        (inputs / f"wire-{a.date}-{k}.txt").write_text(f"{a.title}\n{a.text}\n", encoding="utf-8")
    (inputs / "empty.txt").write_text("", encoding="utf-8")  # unreadable: reported, the rest coded
    run = CliRunner().invoke
    ed = ["--events-dir", str(events_dir)]
    dask = ["--engine", "dask", "--scheduler", cluster.scheduler_address]
    # a folder of article files: the same JSON lines in the same order, in-process and on Dask
    local = run(app, ["code", str(inputs), *ed])
    remote = run(app, ["code", str(inputs), *ed, *dask])
    assert local.exit_code == remote.exit_code == 0, local.output + remote.output
    assert local.stdout == remote.stdout and len(local.stdout.splitlines()) > 6
    assert "skipped" in remote.stderr and "empty.txt" in remote.stderr
    # ingest into corpora (on Dask and in-process), code them, compare
    for name, eng in (("c_local", []), ("c_dask", dask)):
        r = run(app, ["ingest", str(inputs), "--corpus", str(tmp_path / name), "--source", "Wire Desk", "--json", *eng])
        assert r.exit_code == 0, r.output
        s = json.loads(r.stdout)
        assert (s["added"], s["skipped"]) == (6, 1)
        r = run(app, ["code", str(tmp_path / name), *ed, *eng])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["coded"] == len(parquet_files(tmp_path / name, ARTICLES)) == 2  # two months
    assert {p.parent.name for p in parquet_files(tmp_path / "c_dask", ARTICLES)} == {"source=wire-desk"}
    pd.testing.assert_frame_equal(read_events(tmp_path / "c_local"), read_events(tmp_path / "c_dask"))
    bad = run(app, ["code", str(inputs), "--workers", "2"])
    assert bad.exit_code != 0 and "--engine dask" in str(bad.exception or bad.output)


def test_rerun_after_killed_run_codes_only_what_was_missing(articles_dir, in_process, spec, engine, tmp_path):
    """A real interruption: an in-process run killed with SIGKILL part-way; the Dask rerun codes only the rest."""
    _, ref = in_process
    root = _copy(articles_dir, tmp_path)
    code = ("import sys; from pactwatch.events.corpus import CoderSpec, code_corpus; "
            "code_corpus(sys.argv[1], CoderSpec.resolved(events_dir=sys.argv[2], root_model=False))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1] / "src"),
                                                        os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", code, str(root), spec.events_dir], env=env)
    deadline = time.monotonic() + 120
    while not parquet_files(root, EVENTS) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_done = len(parquet_files(root, EVENTS))
    assert 1 <= n_done < 8, f"{n_done} partitions were done when the run was killed"
    rep = code_corpus(root, spec, engine)
    assert (rep["coded"], rep["skipped"]) == (8 - n_done, n_done)
    pd.testing.assert_frame_equal(read_events(root), ref)
