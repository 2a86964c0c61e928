"""Rapids on the mock (parser and evaluator), GET /3/DownloadDataset and DELETE /3/DKV, with the ASTs h2o-py sends."""

from __future__ import annotations

import csv
import io
import math
import statistics
from pathlib import Path
from typing import Any

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mockparts.rapids_parse import Call, Id, RapidsSyntaxError, Span, parse
from h2oharness.mocks.clock import ManualClock


def test_the_parser_reads_what_h2o_py_writes() -> None:
    tree = parse("(tmp= py_2_sid_a (rows train.hex (<= (tmp= py_1 (h2o.runif train.hex 1)) 0.75)))")
    assert isinstance(tree, Call)
    assert tree.op == "tmp="
    assert tree.args[0] == Id("py_2_sid_a")
    rows = tree.args[1]
    assert isinstance(rows, Call)
    assert rows.op == "rows"
    assert rows.args[0] == Id("train.hex")
    assert parse("(rows f [0:10])") == Call("rows", (Id("f"), Span(0, 10)))
    assert parse("(cols_py f ['x1' 'x2'])") == Call("cols_py", (Id("f"), ["x1", "x2"]))
    assert parse("(quantile f [0.01 0.5] 'interpolate' '_')").args[1] == [0.01, 0.5]  # type: ignore[union-attr]
    assert parse("(== (cols_py f 'c') \"it's\")").args[1] == "it's"  # type: ignore[union-attr]
    assert parse("(h2o.impute f -1 'mean' 'interpolate' [] '_' '_')").args[1:5] == (-1.0, "mean", "interpolate", [])  # type: ignore[union-attr]
    assert parse("(ls )") == Call("ls", ())


@pytest.mark.parametrize("text", ["(rows f", "(rows f))", "()", "(cols f ['a' 1:x])", "(f 'open)", ""])
def test_the_parser_refuses_malformed_text(text: str) -> None:
    with pytest.raises(RapidsSyntaxError):
        parse(text)


def _load(client: H2O3Client, clock: ManualClock, path: Path) -> str:
    raw = client.import_files(str(path))["destination_frames"]
    parse_job = client.parse(client.parse_setup(raw))
    clock.advance(10.0)
    return str(parse_job["destination_frame"]["name"])


def _rapids(http: httpx.Client, ast: str) -> dict[str, Any]:
    resp = http.post("/99/Rapids", data={"ast": ast, "session_id": "_sid_t"})
    assert resp.status_code == 200, resp.text[:400]
    body: dict[str, Any] = resp.json()
    return body


def _download(http: httpx.Client, frame: str) -> list[list[str]]:
    resp = http.get("/3/DownloadDataset", params={"frame_id": frame, "hex_string": "False", "escape_quotes": "True"})
    assert resp.status_code == 200, resp.text[:400]
    assert resp.headers["content-type"] == "application/octet-stream;charset=utf-8"
    return list(csv.reader(io.StringIO(resp.text)))


@pytest.fixture
def frame(client: H2O3Client, clock: ManualClock, train_csv: Path) -> str:
    """The 200-row classification CSV parsed on the mock."""
    return _load(client, clock, train_csv)


def _expected(train_csv: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(train_csv.read_text())))


def test_frame_results_are_published_under_their_tmp_name(http: httpx.Client, frame: str, train_csv: Path) -> None:
    head = _rapids(http, f"(tmp= py_1 (rows {frame} [0:10]))")
    assert head["__meta"]["schema_name"] == "RapidsFrameV3"
    assert (head["key"]["name"], head["num_rows"], head["num_cols"]) == ("py_1", 10, 5)
    assert http.get("/3/Frames/py_1").json()["frames"][0]["rows"] == 10
    tail = _rapids(http, f"(tmp= py_2 (rows {frame} [197:3]))")
    assert tail["num_rows"] == 3
    rows = _expected(train_csv)
    assert [r[0] for r in _download(http, "py_2")[1:]] == [r["x1"] for r in rows[197:]]


def test_boolean_filters_match_the_data(http: httpx.Client, frame: str, train_csv: Path) -> None:
    rows = _expected(train_csv)

    def positive(r: dict[str, str]) -> bool:
        return r["x1"] != "" and float(r["x1"]) > 0

    ast = f"(tmp= py_3 (rows {frame} (| (> (cols_py {frame} 'x1') 0) (== (cols_py {frame} 'color') 'red'))))"
    assert _rapids(http, ast)["num_rows"] == sum(1 for r in rows if positive(r) or r["color"] == "red")
    ast = f"(tmp= py_4 (rows {frame} (& (> (cols_py {frame} 'x1') 0) (< (cols_py {frame} 'size') 5))))"
    assert _rapids(http, ast)["num_rows"] == sum(1 for r in rows if positive(r) and int(r["size"]) < 5)


def test_split_frame_halves_partition_the_rows(http: httpx.Client, frame: str) -> None:
    first = _rapids(http, f"(tmp= py_6 (rows {frame} (<= (tmp= py_5 (h2o.runif {frame} 1)) 0.75)))")
    second = _rapids(http, f"(tmp= py_7 (rows {frame} (> py_5 0.75)))")
    assert first["num_rows"] + second["num_rows"] == 200
    assert 120 < first["num_rows"] < 180


def test_reductions_answer_numbers(http: httpx.Client, frame: str, train_csv: Path) -> None:
    x1 = [float(r["x1"]) for r in _expected(train_csv) if r["x1"] != ""]
    assert _rapids(http, f"(sumNA (cols_py {frame} 'x1'))") == {
        "__meta": {"schema_version": 3, "schema_name": "RapidsNumberV3", "schema_type": "Iced"},
        "_exclude_fields": "", "ast": None, "session_id": None, "id": None, "scalar": pytest.approx(math.fsum(x1)),
    }  # fmt: skip
    assert _rapids(http, f"(min (cols_py {frame} 'x1'))")["scalar"] == min(x1)
    assert _rapids(http, f"(max (cols_py {frame} 'x1'))")["scalar"] == max(x1)
    sd = _rapids(http, f"(sd (cols_py {frame} 'x1') False)")
    assert sd["__meta"]["schema_name"] == "RapidsNumbersV3"
    assert sd["scalar"] == [pytest.approx(statistics.stdev(x1))]
    mean = _rapids(http, f"(tmp= py_8 (mean {frame} True 0))")
    assert (mean["num_rows"], mean["num_cols"]) == (1, 5)
    means = _rapids(http, "(getrow py_8)")["scalar"]
    assert means[0] == pytest.approx(math.fsum(x1) / len(x1))
    assert means[2] == "NaN"  # three levels: no mean, as on a real server
    assert _rapids(http, "(getTimeZone)") == {**_rapids(http, "(getTimeZone)"), "string": "UTC"}


def test_table_levels_unique_and_asfactor(http: httpx.Client, frame: str, train_csv: Path) -> None:
    rows = _expected(train_csv)
    _rapids(http, f"(tmp= py_9 (table (cols_py {frame} 'color') True))")
    table = _download(http, "py_9")
    assert table[0] == ["color", "Count"]
    counts = {c: sum(r["color"] == c for r in rows) for c in ("blue", "green", "red")}
    assert {r[0]: int(r[1]) for r in table[1:]} == counts
    _rapids(http, f"(tmp= py_10 (levels (cols_py {frame} 'color')))")
    assert _download(http, "py_10") == [["C1"], ["blue"], ["green"], ["red"]]
    assert _rapids(http, f"(tmp= py_11 (unique (cols_py {frame} 'color') False))")["num_rows"] == 3
    _rapids(http, f"(tmp= py_12 (as.factor (cols_py {frame} 'size')))")
    col = http.get("/3/Frames/py_12").json()["frames"][0]["columns"][0]
    assert col["type"] == "enum"
    assert col["domain"] == sorted({r["size"] for r in rows if r["size"]}, key=int)
    error = http.post("/99/Rapids", data={"ast": f"(table {frame} True)"})
    assert error.status_code == 400
    assert "table expects one or two columns" in error.json()["msg"]


def test_cbind_rbind_and_ls(http: httpx.Client, frame: str) -> None:
    both = _rapids(http, f"(tmp= py_13 (cbind (cols_py {frame} 'x1') (cols_py {frame} 'x1')))")
    assert both["num_cols"] == 2
    assert [c["label"] for c in http.get("/3/Frames/py_13").json()["frames"][0]["columns"]] == [
        "x1",
        "x10",
    ]  # as a real server names it
    assert _rapids(http, f"(tmp= py_14 (rbind {frame} {frame}))")["num_rows"] == 400
    _rapids(http, "(tmp= py_15 (ls ))")
    listed = [r[0] for r in _download(http, "py_15")[1:]]
    assert {frame, "py_13", "py_14"} <= set(listed)
    assert _rapids(http, "(rm py_13)")["scalar"] == 1.0
    assert http.get("/3/Frames/py_13").status_code == 404


def test_download_dataset_writes_the_frame_as_the_real_server(http: httpx.Client, frame: str, train_csv: Path) -> None:
    rows = _download(http, frame)
    assert rows[0] == ["x1", "x2", "color", "size", "label"]
    expected = _expected(train_csv)
    assert len(rows) == 201
    assert [r[2] for r in rows[1:]] == [r["color"] for r in expected]
    assert [r[3] for r in rows[1:]] == [r["size"] for r in expected]  # ints without a fraction, blanks for NA
    raw = http.get("/3/DownloadDataset", params={"frame_id": frame}).text
    assert raw.splitlines()[0] == '"x1","x2","color","size","label"'
    assert http.get("/3/DownloadDataset", params={"frame_id": "nope"}).status_code == 404


def test_dkv_removes_one_key_or_everything(http: httpx.Client, frame: str) -> None:
    _rapids(http, f"(tmp= py_16 (rows {frame} [0:5]))")
    one = http.delete("/3/DKV/py_16")
    assert one.status_code == 200
    assert one.json()["__meta"]["schema_name"] == "RemoveV3"
    assert http.get("/3/Frames/py_16").status_code == 404
    assert http.delete("/3/DKV/py_16").status_code == 404
    everything = http.delete("/3/DKV").json()
    assert everything["__meta"]["schema_name"] == "RemoveAllV3"
    assert http.get("/3/Frames").json()["frames"] == []


def test_group_by_reduces_each_group_as_ast_group(http: httpx.Client, frame: str, train_csv: Path) -> None:
    """GB sorts the groups, names its columns as AstGroup does, and treats missing values per its NA handling: 'all'
    makes a group's result NA, 'rm' leaves them out, 'ignore' leaves them out of the sum but counts them."""
    rows = _expected(train_csv)
    ast = (
        f"(tmp= py_gb (GB {frame} [2] 'nrow' 0 'all' 'mean' 1 'all' 'mean' 1 'rm' 'mean' 1 'ignore' "
        "'median' 3 'rm' 'sdev' 0 'rm'))"
    )
    assert _rapids(http, ast)["num_cols"] == 7
    table = _download(http, "py_gb")
    assert table[0] == ["color", "nrow", "mean_x2", "mean_x2", "mean_x2", "median_size", "sdev_x1"]
    colors = sorted({r["color"] for r in rows})
    assert [line[0] for line in table[1:]] == colors
    for line, color in zip(table[1:], colors, strict=True):
        group = [r for r in rows if r["color"] == color]
        x2 = [float(r["x2"]) for r in group if r["x2"] != ""]
        assert float(line[1]) == len(group)
        assert (line[2] == "") is (len(x2) < len(group))
        assert float(line[3]) == pytest.approx(sum(x2) / len(x2))
        assert float(line[4]) == pytest.approx(sum(x2) / len(group))
        assert float(line[5]) == statistics.median(int(r["size"]) for r in group)
        assert float(line[6]) == pytest.approx(statistics.stdev(float(r["x1"]) for r in group))
    refused = http.post("/99/Rapids", data={"ast": f"(GB {frame} [2] 'mode' 0 'all')"})
    assert refused.status_code == 400
    assert "Mode only allowed on categorical columns" in refused.json()["msg"]


def test_column_assignment_copies_the_frame(http: httpx.Client, frame: str, train_csv: Path) -> None:
    """append adds named columns (pairs of them at once), := writes some rows or whole columns; the named frame
    keeps its values."""
    rows = _expected(train_csv)
    added = _rapids(http, f"(tmp= py_a (append {frame} (* (cols_py {frame} 'x1') 2) 'twice' 7 'seven'))")
    assert added["num_cols"] == 7
    red = "(== (cols_py py_a 'color') 'red')"
    _rapids(http, f"(tmp= py_b (:= py_a -1 'size' {red}))")
    table = _download(http, "py_b")
    assert table[0] == ["x1", "x2", "color", "size", "label", "twice", "seven"]
    for line, row in zip(table[1:], rows, strict=True):
        assert float(line[5]) == pytest.approx(2 * float(row["x1"]))
        assert line[6] == "7"
        assert line[3] == ("-1" if row["color"] == "red" else row["size"])
    assert [line[3] for line in _download(http, frame)[1:]] == [r["size"] for r in rows]
    refused = http.post("/99/Rapids", data={"ast": f"(append {frame} (cols_py {frame} ['x1' 'x2']) 'two')"})
    assert refused.status_code == 400


def test_ifelse_to_strings_makes_levels_as_ast_if_else(http: httpx.Client, frame: str, train_csv: Path) -> None:
    """Two strings give the levels [no, yes] (not sorted), a string and a categorical column their levels sorted,
    each kept only when used; a string facing a number, or a side no row takes, is refused (AstIfElse: unimpl)."""
    rows = _expected(train_csv)
    test = f"(> (cols_py {frame} 'x1') 0)"
    assert _rapids(http, f"(tmp= py_s (ifelse {test} 'a' 'z'))")["num_cols"] == 1
    assert http.get("/3/Frames/py_s").json()["frames"][0]["columns"][0]["domain"] == ["z", "a"]
    assert [line[0] for line in _download(http, "py_s")[1:]] == ["a" if float(r["x1"]) > 0 else "z" for r in rows]
    _rapids(http, f"(tmp= py_c (ifelse {test} 'hot' (cols_py {frame} 'color')))")
    assert http.get("/3/Frames/py_c").json()["frames"][0]["columns"][0]["domain"] == ["blue", "green", "hot", "red"]
    assert [line[0] for line in _download(http, "py_c")[1:]] == [
        "hot" if float(r["x1"]) > 0 else r["color"] for r in rows
    ]
    for ast in (f"(ifelse {test} 'a' 1)", f"(ifelse (> (cols_py {frame} 'x1') -100) 'a' 'b')"):
        assert http.post("/99/Rapids", data={"ast": ast}).status_code == 400


def test_apply_runs_a_lambda_per_column_as_ast_apply(http: httpx.Client, frame: str, train_csv: Path) -> None:
    """Column-wise apply binds the lambda's argument to each column: numbers make a one-row frame, one-column frames
    are bound side by side, named as the columns; a lambda the mock cannot read, or row-wise apply, is a 400."""
    rows = _expected(train_csv)
    assert _rapids(http, f"(tmp= py_id (apply {frame} 2 {{ x . x }}))")["num_rows"] == len(rows)
    assert _download(http, "py_id") == _download(http, frame)
    means = _rapids(http, f"(tmp= py_m (apply (cols_py {frame} ['x1' 'size']) 2 {{ c . (mean c True 0) }}))")
    assert (means["num_rows"], means["num_cols"]) == (1, 2)
    header, line = _download(http, "py_m")
    assert header == ["x1", "size"]
    assert float(line[0]) == pytest.approx(statistics.mean(float(r["x1"]) for r in rows))
    assert float(line[1]) == pytest.approx(statistics.mean(int(r["size"]) for r in rows))
    for ast in (
        f"(apply {frame} 1 {{ r . (sumNA r True 0) }})",
        f"(apply {frame} 2 {{x.x}})",
        f"(apply {frame} 3 {{ x . x }})",
    ):
        assert http.post("/99/Rapids", data={"ast": ast}).status_code == 400


def test_levels_are_renamed_reordered_and_set_as_h2o_does(http: httpx.Client, frame: str, train_csv: Path) -> None:
    """relevel puts a level first, setDomain renames the levels (in place when asked), setLevel sets every row; a
    level the column lacks, a numeric column or a wrong number of names is a 400 with H2O-3's words."""
    rows = _expected(train_csv)
    color = f"(cols_py {frame} 'color')"
    _rapids(http, f"(tmp= py_r (relevel {color} 'red'))")
    assert http.get("/3/Frames/py_r").json()["frames"][0]["columns"][0]["domain"] == ["red", "blue", "green"]
    assert [line[0] for line in _download(http, "py_r")[1:]] == [r["color"] for r in rows]
    _rapids(http, f"(tmp= py_d (setDomain {color} False ['B' 'G' 'R']))")
    renamed = {"blue": "B", "green": "G", "red": "R"}
    assert [line[0] for line in _download(http, "py_d")[1:]] == [renamed[r["color"]] for r in rows]
    assert [line[2] for line in _download(http, frame)[1:]] == [r["color"] for r in rows]
    _rapids(http, f"(tmp= py_l (setLevel {color} 'green'))")
    assert {line[0] for line in _download(http, "py_l")[1:]} == {"green"}
    for ast, words in [
        (f"(relevel {color} 'purple')", "Did not find level `purple` in the column."),
        (f"(setLevel (cols_py {frame} 'x1') 'a')", "Cannot set the level on a non-factor column!"),
        (f"(setDomain {color} False ['a' 'b'])", "Number of replacement factors must equal current number of levels"),
    ]:
        refused = http.post("/99/Rapids", data={"ast": ast})
        assert refused.status_code == 400
        assert words in refused.json()["msg"]


def test_a_name_a_real_server_does_not_know_is_its_name_lookup_error(http: httpx.Client, frame: str) -> None:
    """What a real 3.46.0.12 answered for nchar and ! (h2o-py sends strlen and not); a function the server knows
    and the mock does not evaluate is the mock's own 400."""
    for name in ("nchar", "!"):
        refused = http.post("/99/Rapids", data={"ast": f"({name} (cols_py {frame} 'x1'))", "session_id": "_sid_t"})
        body = refused.json()
        assert (refused.status_code, body["exception_type"]) == (400, "java.lang.IllegalArgumentException")
        assert body["msg"].strip() == f"ERROR MESSAGE:\n\nName lookup of '{name}' failed"
    unevaluated = http.post("/99/Rapids", data={"ast": f"(tokenize (cols_py {frame} 'color') ' ')"})
    assert "The mock does not evaluate the Rapids function 'tokenize'" in unevaluated.json()["msg"]


def test_strlen_names_its_columns_by_position_as_a_real_server_does(http: httpx.Client, frame: str) -> None:
    _rapids(http, f"(tmp= py_len (strlen (cols_py {frame} ['color' 'label'])))")
    rows = _download(http, "py_len")
    assert rows[0] == ["C1", "C2"]
    assert [float(v) for v in rows[1]] == [5.0, 2.0]  # green, no
