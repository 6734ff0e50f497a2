"""The speed, scale and serving benches run end to end in their small modes
(their full runs write the JSON the README quotes)."""

import json
import pathlib

import numpy as np
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

    headline.main(
        ["--smoke", "--final", "--models", "conv_vae", "conditional_vae"])
    result = json.loads((results / "headline_smoke.json").read_text())
    assert [row["model"] for row in result["rows"]] == [
        "reference (TF tutorial CVAE)", "conv_vae", "conditional_vae"]
    for row in result["rows"]:
        assert row["images_per_second"] > 0
        assert row["test_nll_quick"] <= row["test_negative_elbo"] + 5
    assert [len(row["nll_curve"]) for row in result["rows"][:2]] == [2, 2]
    # log p(x) >= log p(x|y) - log C: the marginal NLL is at most log 10 above
    conditional = result["rows"][2]
    assert (conditional["test_nll_quick"]
            <= conditional["test_conditional_nll_quick"] + np.log(10) + 1)
    overhead = result["conv_vae_fit_over_bare"]
    assert len(overhead["fit_epoch_seconds"]) == len(
        overhead["bare_epoch_seconds"]) == 4
    assert overhead["fit_over_bare_time"] > 0
    assert overhead["fit_over_bare_time_fastest_epoch"] > 0
    assert "| conv_vae |" in result["markdown"]
    assert "| conditional_vae ¹ |" in result["markdown"]
    assert "NLL (K=1000, 10k)" in result["markdown"]
    assert all(row["test_nll_final"] > 0 for row in result["rows"])


@pytest.mark.slow
def test_latency_reports_p50_and_p99_per_signature_and_batch(results):
    from bench import latency

    latency.main(["--model", str(results / "none"), "--calls", "20"])
    rows = json.loads((results / "latency.json").read_text())["rows"]
    assert {(row["signature"], row["batch"]) for row in rows} == {
        ("encode", 1), ("encode", 256), ("reconstruct", 1),
        ("reconstruct", 256)}
    assert all(0 < row["p50_ms"] <= row["p99_ms"] for row in rows)


@pytest.mark.slow
def test_speed_options_compares_every_option_set(results):
    from bench import speed_options

    speed_options.main(["--epochs", "2", "--images", "256"])
    rows = json.loads((results / "speed_options.json").read_text())["rows"]
    assert [row["options"] for row in rows] == list(speed_options.OPTION_SETS)
    assert all(row["images_per_second"] > 0 for row in rows)
    assert all(len(row["epoch_seconds"]) == 2 for row in rows)


@pytest.mark.slow
def test_final_nll_scores_a_shipped_model_through_its_signature(results):
    from bench import final_nll

    final_nll.main(["--model", str(REPOSITORY / "saved_models/conv_vae/1"),
                    "--num-samples", "5", "--examples", "20",
                    "--batch-size", "10"])
    result = json.loads((results / "final_nll.json").read_text())
    assert result["examples"] == 20 and result["num_samples"] == 5
    assert 0 < result["test_nll"] <= result["test_negative_elbo"] + 5


@pytest.mark.slow
def test_refactor_speed_finds_release_0_1s_numbers(results):
    """The composable conv_vae starts from 0.1's weights and first loss."""
    import subprocess

    if subprocess.run(["git", "-C", str(REPOSITORY), "cat-file", "-e",
                       "8b36ebc^{commit}"], capture_output=True).returncode:
        pytest.skip("needs the repository's history (commit 8b36ebc)")
    from bench import refactor_speed

    refactor_speed.main(["--steps", "2", "--repeats", "1"])
    record = json.loads((results / "refactor_speed.json").read_text())
    assert record["initial_weights_equal"]
    assert record["first_step_loss"]["equal"]


@pytest.mark.slow
def test_semi_supervised_smoke_writes_every_arm_and_the_plot(results,
                                                             tmp_path):
    from bench import semi_supervised

    semi_supervised.main(["--smoke", "--cache-dir", str(tmp_path / "cache")])
    result = json.loads((results / "semi_supervised_smoke.json").read_text())
    assert set(result["arms"]) == set(semi_supervised.ARMS)
    for arm in semi_supervised.ARMS:
        stats = result["arms"][arm]["5"]
        assert len(stats["accuracies"]) == 2
        assert 0 <= stats["mean"] <= 1
        assert stats["chosen"] in (
            semi_supervised.SETTINGS["smoke"]["alphas"]
            + semi_supervised.SETTINGS["smoke"]["dropouts"])
    assert result["machine"]["cores"] > 0
    assert (results / "semi_supervised_smoke.png").stat().st_size > 0
