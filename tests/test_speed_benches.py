"""The sampling, roofline and serving benches run end to end in their smoke
modes (their full runs write the JSON that docs/speed.md quotes)."""

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
def test_fast_sampling_smoke_compares_old_and_cached_samplers(results):
    from bench import fast_sampling

    fast_sampling.main(["--smoke"])
    rows = json.loads(
        (results / "fast_sampling_smoke.json").read_text())["rows"]
    assert [row["case"].split()[0] for row in rows] == [
        "hierarchical_vae", "hierarchical_vae", "vq_vae"]
    for row in rows:
        assert row["same_draws"]
        assert row["old_seconds"] > 0 and row["new_seconds"] > 0


@pytest.mark.slow
def test_roofline_smoke_counts_flops_from_the_graph(results):
    from bench import roofline

    roofline.main(["--smoke"])
    result = json.loads((results / "roofline_smoke.json").read_text())
    assert {row["dtype"] for row in result["peaks"]} == {"float32",
                                                         "bfloat16"}
    arms = {row["arm"]: row for row in result["training"]}
    assert set(arms) == {*roofline.ARMS, roofline.FIT}
    base = arms["float32, batch 128"]
    assert base["gflop_per_step"] > 0.5  # forward, gradients, optimizer
    # FLOPs scale with the batch; the graph is counted, not guessed.
    assert abs(arms["float32, batch 512 (lr x4)"]["gflop_per_step"]
               / base["gflop_per_step"] - 4) < 0.1
    groups = {row["group"] for row in result["profile"]["by_layer"]}
    assert "optimizer" in groups


def test_flops_of_a_matmul_are_counted_from_its_graph(monkeypatch):
    monkeypatch.syspath_prepend(str(REPOSITORY))
    import tensorflow as tf

    from bench import roofline

    a = tf.ones((8, 16))
    b = tf.ones((16, 4))
    total, per_op = roofline.graph_flops(
        tf.function(tf.matmul).get_concrete_function(a, b))
    assert total == 2 * 8 * 16 * 4 == sum(per_op.values())


@pytest.mark.slow
def test_serving_smoke_reports_each_signature(results):
    from bench import serving

    serving.main(["--smoke"])
    result = json.loads((results / "serving_smoke.json").read_text())
    cells = {(row["signature"], row["K"]) for row in result["rows"]}
    assert cells == {("encode", ""), ("score", 1), ("score", 100),
                     ("sample", "")}
    assert all(0 < row["p50_ms"] <= row["p99_ms"] for row in result["rows"])
    assert "| conv_vae | 1 |" in result["markdown"]
