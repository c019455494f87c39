"""`pactwatch data fetch` against a local HTTP server on 127.0.0.1 serving files built from the shared data.

No test here touches the internet: every fetch goes to --base-url (the local server), and PACTWATCH_MIRROR points
at a closed local port so that a test that forgot --base-url fails instead of going out.
"""
import gzip
import hashlib
import io
import zipfile

import pandas as pd
import pyreadr
import pytest

from pactwatch.data.fetch import FetchError, fetch, mirror_url
from pactwatch.data.readers import read_table
from pactwatch.data.registry import find_file, registry
from pactwatch.errors import DataError
from tests.helpers.data import Server, copy_real, leftovers, run_cli, url_path


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch):
    monkeypatch.setenv("PACTWATCH_MIRROR", "http://127.0.0.1:9")


@pytest.fixture
def server():
    with Server() as s:
        yield s


def serve_plain(server, data_dir, dataset):
    for f in registry()[dataset].files:
        server.routes[url_path(f.source.url)] = (data_dir / f.path).read_bytes()


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def rda_of(df: pd.DataFrame, name: str, tmp_path) -> bytes:
    p = tmp_path / f"{name}.rda"
    pyreadr.write_rdata(str(p), df, df_name=name)
    return p.read_bytes()


def test_mirror_url():
    u = "https://correlatesofwar.org/wp-content/uploads/states2016.csv"
    assert mirror_url(u, None) == u
    assert mirror_url(u, "http://127.0.0.1:8000") == "http://127.0.0.1:8000/wp-content/uploads/states2016.csv"
    assert mirror_url(u, "https://m.example/cow/") == "https://m.example/cow/wp-content/uploads/states2016.csv"
    with pytest.raises(DataError, match="base URL"):
        mirror_url(u, "not a url")


def test_plain_files_are_fetched_and_verified(data_dir, tmp_path, server):
    serve_plain(server, data_dir, "cow-states-2016")
    root = tmp_path / "new" / "data"  # created by fetch
    results = fetch(root, ["cow-states-2016"], base_url=server.url, progress=False, backoff=0)
    assert [r.status for r in results] == ["fetched"] * 3
    assert all(r.verified == "sha256 matches" for r in results)
    for f in registry()["cow-states-2016"].files:
        assert (root / f.path).read_bytes() == (data_dir / f.path).read_bytes()
        assert all(r.url.startswith(server.url) for r in results)
    assert leftovers(root) == []
    assert len(read_table("cow_states", root)) == 243
    # Second run: present and verified -> skipped, no request made.
    n = len(server.log)
    again = fetch(root, ["cow-states-2016"], base_url=server.url, progress=False)
    assert [r.status for r in again] == ["skipped"] * 3 and len(server.log) == n


def test_zip_members_are_extracted_and_the_archive_downloaded_once(data_dir, tmp_path, server):
    atop = registry()["atop-5.1"].files
    members = {f.source.member: (data_dir / f.path).read_bytes() for f in atop if f.source.member}
    members["ATOP 5.1 (.csv)/readme.txt"] = b"other member"
    (zip_url,) = {f.source.url for f in atop if f.source.member}
    server.routes[url_path(zip_url)] = zip_of(members)
    pdf = next(f for f in atop if not f.source.member)
    server.routes[url_path(pdf.source.url)] = (data_dir / pdf.path).read_bytes()
    root = tmp_path / "data"
    results = fetch(root, ["atop-5.1"], base_url=server.url, progress=False, backoff=0)
    assert [r.status for r in results] == ["fetched"] * len(atop)
    assert server.log.count(url_path(zip_url)) == 1
    for f in atop:
        assert hashlib.sha256((root / f.path).read_bytes()).hexdigest() == f.sha256
    assert leftovers(root) == []


def test_zip_without_the_member_is_an_error(data_dir, tmp_path, server):
    spec = find_file("cow_nmc")
    server.routes[url_path(spec.source.url)] = zip_of({"something-else.csv": b"a,b\n1,2\n"})
    with pytest.raises(FetchError, match="no member 'NMC-60-abridged.csv'"):
        fetch(tmp_path / "d", ["cow-nmc-6.0"], base_url=server.url, progress=False, backoff=0)
    assert not (tmp_path / "d" / spec.path).exists() and leftovers(tmp_path / "d") == []


def test_checksum_mismatch_leaves_no_file_and_keeps_a_good_one(data_dir, tmp_path, server):
    serve_plain(server, data_dir, "cow-states-2016")
    spec = find_file("cow_states")
    good = (data_dir / spec.path).read_bytes()
    server.routes[url_path(spec.source.url)] = good.replace(b"United States", b"United Statez", 1)
    root = tmp_path / "data"
    with pytest.raises(FetchError) as ei:
        fetch(root, ["cow-states-2016"], base_url=server.url, progress=False, backoff=0)
    msg = str(ei.value)
    assert "sha256" in msg and spec.path in msg and server.url in msg and "1 of 3" in msg
    assert not (root / spec.path).exists()
    assert (root / "cow/system2016.csv").exists()  # the others were fetched
    assert [r.status for r in ei.value.results] == ["failed", "fetched", "fetched"]
    # An existing good file survives a --force fetch whose download does not verify.
    copy_real(data_dir, root, spec.path)
    with pytest.raises(FetchError):
        fetch(root, ["cow-states-2016"], base_url=server.url, progress=False, force=True, backoff=0)
    assert (root / spec.path).read_bytes() == good
    assert leftovers(root) == []


def test_interrupted_download_is_retried_then_fails_without_a_partial_file(data_dir, tmp_path, server):
    spec = find_file("cow_system")
    server.routes[url_path(spec.source.url)] = ("truncate", (data_dir / spec.path).read_bytes())
    root = tmp_path / "data"
    with pytest.raises(FetchError) as ei:
        fetch(root, ["cow-states-2016"], base_url=server.url, progress=False, retries=2, backoff=0)
    assert "download failed after 3 attempt(s)" in str(ei.value) and spec.path in str(ei.value)
    assert server.log.count(url_path(spec.source.url)) == 3
    assert not (root / spec.path).exists() and leftovers(root) == []


def test_transient_errors_are_retried(data_dir, tmp_path, server):
    spec = find_file("cow_majors")
    serve_plain(server, data_dir, "cow-states-2016")
    server.routes[url_path(spec.source.url)] = ("flaky", 2, (data_dir / spec.path).read_bytes())
    results = fetch(tmp_path / "d", ["cow-states-2016"], base_url=server.url, progress=False, retries=3, backoff=0)
    assert [r.status for r in results] == ["fetched"] * 3
    assert server.log.count(url_path(spec.source.url)) == 3


def test_404_names_the_url(tmp_path, server):
    with pytest.raises(FetchError) as ei:
        fetch(tmp_path / "d", ["cow-wars"], base_url=server.url, progress=False, backoff=0)
    url = server.url + url_path(find_file("cow_war_inter").source.url)
    assert f"{url}: HTTP 404" in str(ei.value)
    assert not any((tmp_path / "d").rglob("*.csv")) and leftovers(tmp_path / "d") == []


def test_present_but_damaged_file_is_refetched(data_dir, tmp_path, server):
    serve_plain(server, data_dir, "cow-states-2016")
    root = tmp_path / "data"
    spec = find_file("cow_majors")
    (root / "cow").mkdir(parents=True)
    (root / spec.path).write_bytes((data_dir / spec.path).read_bytes()[:100])
    results = {r.path: r for r in fetch(root, ["cow-states-2016"], base_url=server.url, progress=False)}
    assert results[spec.path].status == "fetched" and "replaced" in results[spec.path].message
    assert (root / spec.path).read_bytes() == (data_dir / spec.path).read_bytes()


def test_rda_conversion_reproducing_the_reference_bytes(data_dir, tmp_path, server):
    spec = find_file("td_rivalries")
    df = pd.read_csv(data_dir / spec.path)
    server.routes[url_path(spec.source.url)] = rda_of(df, "td_rivalries", tmp_path)
    root = tmp_path / "data"
    (r,) = fetch(root, ["rivalries-td"], base_url=server.url, progress=False)
    assert r.status == "fetched" and r.verified == "sha256 matches"
    assert (root / spec.path).read_bytes() == (data_dir / spec.path).read_bytes()


def test_rda_conversion_with_other_bytes_is_checked_by_columns_and_rows(data_dir, tmp_path, server):
    spec = find_file("cw_democracy")
    df = pd.read_csv(data_dir / spec.path).round(6)  # same table, fewer digits: other bytes
    server.routes[url_path(spec.source.url)] = rda_of(df, "cw_democracy", tmp_path)
    root = tmp_path / "data"
    (r,) = fetch(root, ["democracy"], base_url=server.url, progress=False)
    assert r.status == "fetched"
    assert r.verified == f"converted from rda: bytes differ from the reference copy; checked {len(spec.columns)} columns and {spec.rows} rows"
    got = read_table("cw_democracy", root)  # readers accept it: columns and rows as registered
    assert len(got) == spec.rows == 17706
    assert (got["ccode"] == df["ccode"]).all()
    # A conversion that lost rows is refused, and nothing is written.
    server.routes[url_path(spec.source.url)] = rda_of(df.iloc[:-5], "cw_democracy", tmp_path)
    with pytest.raises(FetchError, match=f"{spec.rows - 5} data rows, expected {spec.rows}"):
        fetch(root, ["democracy"], base_url=server.url, progress=False, force=True)
    assert len(read_table("cw_democracy", root)) == 17706 and leftovers(root) == []


def test_rda_to_gzip_target_is_verified_by_decompressed_content(data_dir, tmp_path, server):
    spec = find_file("ps_atop_alliance")
    assert spec.path.endswith(".csv.gz") and spec.content_sha256
    df = pd.read_csv(data_dir / spec.path)
    server.routes[url_path(spec.source.url)] = rda_of(df, "atop_alliance", tmp_path)
    root = tmp_path / "data"
    results = fetch(root, ["peacesciencer-tables"], base_url=server.url, progress=False, raise_on_error=False, backoff=0)
    (r,) = [x for x in results if x.path == spec.path]
    assert r.status == "fetched" and r.verified == "sha256 of the decompressed content matches"
    assert gzip.decompress((root / spec.path).read_bytes()) == gzip.decompress((data_dir / spec.path).read_bytes())
    assert {x.status for x in results if x.path != spec.path} == {"failed"}  # not served: 404s, reported


def test_cli_fetch(data_dir, tmp_path, server, capsys, monkeypatch):
    serve_plain(server, data_dir, "cow-states-2016")
    root = tmp_path / "data"
    code, out, err = run_cli(["data", "fetch", "--data-dir", root, "--dataset", "cow-states-2016", "--base-url", server.url],
                             capsys, monkeypatch)
    assert code == 0, err
    assert "fetched" in out and (root / "cow/states2016.csv").exists()
    code, out, err = run_cli(["data", "fetch", "--data-dir", root, "--dataset", "cow-wars", "--base-url", server.url],
                             capsys, monkeypatch)
    assert code == DataError.exit_code
    assert "HTTP 404" in err and server.url in err and "Traceback" not in out + err
    # PACTWATCH_MIRROR works as --base-url
    monkeypatch.setenv("PACTWATCH_MIRROR", server.url)
    code, out, err = run_cli(["data", "fetch", "--data-dir", root, "--dataset", "cow-states-2016", "--force"], capsys, monkeypatch)
    assert code == 0 and out.count("fetched") == 3
    code, out, err = run_cli(["data", "fetch", "--data-dir", root, "--dataset", "no-such-dataset"], capsys, monkeypatch)
    assert code == DataError.exit_code and "unknown dataset(s) no-such-dataset" in err
