"""The speed, scale and serving benches run end to end in their small modes
(their full runs write the JSON the README quotes)."""

import json
import pathlib

import pytest

REPOSITORY = pathlib.Path(__file__).parent.parent


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPOSITORY))
    from bench import common

    monkeypatch.setattr(common, "RESULTS", tmp_path)
    return tmp_path


@pytest.mark.slow
def test_headline_smoke_writes_the_side_by_side_rows(results):
    from bench import headline

    headline.main(["--smoke", "--models", "conv_vae"])
    result = json.loads((results / "headline_smoke.json").read_text())
    assert [row["model"] for row in result["rows"]] == [
        "reference (TF tutorial CVAE)", "conv_vae"]
    for row in result["rows"]:
        assert row["images_per_second"] > 0
        assert row["test_nll_quick"] <= row["test_negative_elbo"] + 5
        assert len(row["nll_curve"]) == 2
    assert result["conv_vae_bare_loop"]["fit_over_bare_time"] > 0
    assert "| conv_vae |" in result["markdown"]


@pytest.mark.slow
def test_latency_reports_p50_and_p99_per_signature_and_batch(results):
    from bench import latency

    latency.main(["--model", str(results / "none"), "--calls", "20"])
    rows = json.loads((results / "latency.json").read_text())["rows"]
    assert {(row["signature"], row["batch"]) for row in rows} == {
        ("encode", 1), ("encode", 256), ("reconstruct", 1),
        ("reconstruct", 256)}
    assert all(0 < row["p50_ms"] <= row["p99_ms"] for row in rows)
