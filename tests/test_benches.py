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
    assert "| conv_vae |" in result["markdown"]
    assert "| conditional_vae ¹ |" in result["markdown"]
    assert "NLL (K=1000, 10k)" in result["markdown"]
    assert all(row["test_nll_final"] > 0 for row in result["rows"])


@pytest.mark.slow
def test_latency_reports_p50_and_p99_per_signature_and_batch(results):
    from bench import latency

    latency.main(["--model", str(results / "none"), "--calls", "20",
                  "--threads", "default"])
    result = json.loads((results / "latency_threads_default.json").read_text())
    rows = result["threads"]["default"]["rows"]
    assert {(row["signature"], row["batch"], row["inputs"])
            for row in rows} == {
        (signature, batch, inputs) for signature in ("encode", "reconstruct")
        for batch, inputs in ((1, "numpy"), (1, "tensor"), (256, "tensor"))}
    assert all(0 < row["p50_ms"] <= row["p99_ms"] for row in rows)
    assert all(row["p99_spread_ms"][0] == row["p99_ms"] for row in rows)


def test_latency_summary_takes_medians_over_runs():
    from bench import latency

    def run(p50, p99):
        return {"model": "m", "rows": [{"signature": "encode", "batch": 1,
                                        "inputs": "numpy", "calls": 9,
                                        "p50_ms": p50, "p99_ms": p99}]}

    (row,) = latency.summarize(
        [run(1.0, 9.0), run(3.0, 2.0), run(2.0, 4.0)])["rows"]
    assert (row["p50_ms"], row["p99_ms"]) == (2.0, 4.0)
    assert row["p99_spread_ms"] == [2.0, 9.0]
    assert row["repetitions"] == 3


@pytest.mark.slow
def test_speed_options_compares_every_option_set(results):
    from bench import speed_options

    with pytest.raises(SystemExit):  # medians of fewer than five epochs
        speed_options.main(["--epochs", "5", "--images", "256"])
    speed_options.main(["--epochs", "6", "--images", "256"])
    rows = json.loads((results / "speed_options.json").read_text())["rows"]
    assert [row["options"] for row in rows] == list(speed_options.OPTION_SETS)
    for row in rows:
        assert len(row["epoch_seconds"]) == 6
        low, high = row["images_per_second_spread"]
        assert 0 < low <= row["images_per_second"] <= high


@pytest.mark.slow
def test_final_nll_smoke_writes_each_model_and_resumes(results,
                                                       monkeypatch):
    """Each model's JSON and the tables are written as models finish, with
    "pending" rows for the rest; a rerun scores only what is missing."""
    from bench import final_nll

    shipped = final_nll.shipped_models()
    assert {"conv_vae_long", "vq_vae"} <= set(shipped)
    output = ["--smoke", "--output-dir", str(results)]
    final_nll.main(output + ["--models", "conv_vae_long", "vq_vae"])
    folder = results / "final_nll"
    gaussian = json.loads((folder / "conv_vae_long.json").read_text())
    assert gaussian["examples"] == 20 and gaussian["num_samples"] == 5
    assert gaussian["version"] == final_nll.latest_version("conv_vae_long")
    assert gaussian["machine"]["cores"] > 0
    assert 0 < gaussian["test_nll"] <= gaussian["test_negative_elbo"] + 5
    codebook = json.loads((folder / "vq_vae.json").read_text())
    assert codebook["signature"] == "score(x)"
    assert codebook["num_samples"] is None
    assert codebook["test_nll"] == codebook["test_negative_elbo"]
    table = (results / "final_nll.md").read_text()
    assert "test NLL (K=5, 20 images)" in table
    assert table.count("| pending | pending |") == len(shipped) - 2
    page = (results / "results.md").read_text()
    assert f"2 of {len(shipped)} shipped models are scored" in page
    assert table.strip() in page

    scored = []
    score = final_nll.score
    monkeypatch.setattr(final_nll, "score", lambda name, *args: (
        scored.append(name) or score(name, *args)))
    final_nll.main(output)
    assert sorted(scored) == sorted(set(shipped) - {"conv_vae_long",
                                                    "vq_vae"})
    assert "pending" not in (results / "final_nll.md").read_text()
    assert f"All {len(shipped)} shipped models are scored." in (
        results / "results.md").read_text()


def test_final_nll_names_the_shipped_models_for_an_unknown_one(capsys):
    from bench import final_nll

    with pytest.raises(SystemExit):
        final_nll.main(["--models", "conv_vae", "no_such_vae"])
    message = capsys.readouterr().err
    assert "unknown model(s) no_such_vae" in message
    assert "conv_vae_long, dense_vae" in message


def test_final_nll_keeps_other_settings_out_of_the_final_results(capsys):
    from bench import final_nll

    with pytest.raises(SystemExit):
        final_nll.main(["--smoke"])
    assert "needs --output-dir" in capsys.readouterr().err


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


@pytest.mark.slow
def test_speed_smoke_alternates_every_loop_and_tracks_quality(results):
    from bench import speed

    speed.main(["--smoke"])
    result = json.loads((results / "speed_smoke.json").read_text())
    loops = result["loops"]
    for name in ("fit", "bare", "fit_steps_per_execution", "train_step",
                 "reference", *speed.DESIGNS):
        # one warm-up pass, then the alternated repetitions
        assert len(loops[name]["wall_seconds"]) == 6
        low, high = loops[name]["images_per_second_spread"]
        assert 0 < low <= loops[name]["images_per_second"] <= high
    assert loops["fit"]["parameters"] == loops["bare"]["parameters"]
    assert loops["fit_over_train_step_time"] > 0
    for arm in ("fit", "fit_steps_per_execution"):
        for clock in ("wall", "cpu"):
            paired = loops[f"{arm}_over_bare_paired"][clock]
            expected = [fit / bare for fit, bare in zip(
                loops[arm][f"{clock}_seconds"][1:],
                loops["bare"][f"{clock}_seconds"][1:])]
            assert paired["values"] == pytest.approx(expected)
            assert paired["median"] == pytest.approx(sorted(expected)[2])
    assert result["xla"]["xla_over_no_xla_time"] > 0
    assert not any(f"xla_{name}" in result
                   for name in speed.XLA_ENVIRONMENTS)  # smoke: no subprocess
    quality = result["time_to_quality"]
    for run in ("conv_vae", "previous_default", "conv_vae_at_1e-3"):
        assert [point["step"] for point in quality[f"{run}_curve"]] == [2, 4]
        assert quality[f"{run}_nll_quick_final"] > 0
    assert quality["reference_nll_quick_final"] > 0
    for run in ("fit", "bare"):
        groups = result["profile"][run]["ms_per_step"]
        assert any(name.startswith("decoder/") for name in groups)
    pipeline = result["pipeline"]
    for run in ("autotune_on", "autotune_off"):
        assert len(pipeline[run]["wall_seconds"]) == 6
    assert pipeline["on_over_off_time"] > 0


def test_speed_groups_ops_by_layer_and_pass():
    from bench import speed

    assert speed.op_group(
        "StatefulPartitionedCall/gradient_tape/vae_1/decoder_1/deconv_1_1/"
        "conv_transpose/Conv2DBackpropFilter") == "decoder/deconv_1 (gradient)"
    assert speed.op_group(
        "StatefulPartitionedCall/vae_1/encoder_1/conv_0_1/Relu"
    ) == "encoder/conv_0 (forward)"
    assert speed.op_group("StatefulPartitionedCall/adam/Sqrt_9") == "optimizer"


def test_speed_ratio_from_medians_uses_step_counts():
    from bench import speed

    quality = {"conv_vae_reached": {"step": 300, "train_seconds": 30.0},
               "reference_train_seconds": 240.0, "steps_per_epoch": 400}
    loops = {"fit": {"images_per_second": 128 / 0.1},  # 0.1 s a step
             "reference": {"images_per_second": 128 / 0.05}}
    ratios = speed.ratios(quality, loops, {"epochs": 5})
    assert ratios["time_to_252_over_reference"] == pytest.approx(0.125)
    # 300 steps x 0.1 s / (2,000 steps x 0.05 s)
    assert ratios["time_to_252_over_reference_from_medians"] == (
        pytest.approx(0.3))


@pytest.mark.slow
def test_hierarchy_ablation_smoke_writes_each_variant_and_resumes(
        results, monkeypatch):
    """Each variant's JSON (groups, active units and KL per group) and the
    table are written as variants finish; a rerun trains nothing."""
    from bench import hierarchy

    variants = ["1_group", "3_groups"]
    output = ["--smoke", "--output-dir", str(results), "--variants",
              *variants]
    hierarchy.main(output)
    three = json.loads((results / "hierarchy" / "3_groups.json").read_text())
    assert [total for _, total in three["active_units"]] == [16, 196, 784]
    assert len(three["kl_per_group"]) == 3
    assert three["validation_nll"] <= three["validation_negative_elbo"] + 5
    one = json.loads((results / "hierarchy" / "1_group.json").read_text())
    assert len(one["active_units"]) == 1
    table = (results / "hierarchy.md").read_text()
    assert "| 3_groups | 3 |" in table and "| 1_group | 1 |" in table
    assert three["active_units_rule"] == hierarchy.DEPARTURE_RULE
    assert hierarchy.FORMER_RULE_NOTE not in table
    former = {key: value for key, value in three.items()
              if key != "active_units_rule"}
    assert hierarchy.FORMER_RULE_NOTE in hierarchy.table({"3_groups": former})
    trained = []
    monkeypatch.setattr(hierarchy, "run", lambda *args: trained.append(args))
    hierarchy.main(output)
    assert trained == []


def test_hierarchy_ablation_refuses_smoke_over_the_results(capsys):
    from bench import hierarchy

    with pytest.raises(SystemExit):
        hierarchy.main(["--smoke"])
    assert "--output-dir" in capsys.readouterr().err


@pytest.mark.slow
def test_layout_refactor_finds_the_same_numbers_as_before(results):
    """conv_vae and iwae start from the same weights and give the same
    first loss and 1-epoch validation loss as before the layout refactor.
    (The hierarchy's equality is in the full run's record,
    bench/results/layout_refactor.json; its smoke took 34 s of 85.)"""
    import subprocess

    from bench import layout_refactor

    if subprocess.run(["git", "-C", str(REPOSITORY), "cat-file", "-e",
                       f"{layout_refactor.OLD_COMMIT}^{{commit}}"],
                      capture_output=True).returncode:
        pytest.skip(f"needs the repository's history "
                    f"(commit {layout_refactor.OLD_COMMIT})")
    import keras

    registered = dict(keras.saving.get_custom_objects())
    layout_refactor.main(["--smoke", "--models", "conv_vae", "iwae"])
    record = json.loads((results / "layout_refactor_smoke.json").read_text())
    assert set(record["models"]) == {"conv_vae", "iwae"}
    for row in record["models"].values():
        assert row["initial_weights_equal"]
        assert row["first_step_loss"]["equal_to_round_off"]
        assert row["validation_loss_after_one_epoch"]["equal_to_round_off"]
    # The old package's classes stay under its own names: this zoo's
    # (release 0.1's aliases "zoo>ConvVAE" included) still load its files.
    replaced = [name for name, value in keras.saving.get_custom_objects(
    ).items() if name in registered and value is not registered[name]]
    assert replaced == []


@pytest.mark.slow
@pytest.mark.parametrize("row,options", [
    ("vae", {"latent_dim": 40, "network": "gated_mlp"}),
    ("hvae", {"latent_dim": 40, "model": "hierarchical_vae",
              "network": "gated_mlp", "width": 300, "group_channels": 40,
              "scales": 1, "groups_per_scale": 1}),
])
def test_published_table_smoke_writes_its_row_and_resumes_early_stopping(
        tmp_path, monkeypatch, row, options):
    monkeypatch.syspath_prepend(str(REPOSITORY))
    from bench import published_table

    monkeypatch.setattr(published_table, "KEEP_MODEL", {"vae"})
    result = published_table.train_row(row, 1, smoke=True,
                                       output_dir=tmp_path)
    written = json.loads(
        (tmp_path / "results" / f"{row}.json").read_text())
    # A KEEP_MODEL row keeps its trained model, the one its numbers are
    # of (the smoke's 50 test images); the other rows do not.
    kept = tmp_path / "results" / f"{row}.keras"
    assert kept.exists() == (row == "vae")
    if row == "vae":
        import keras

        test = published_table.data()[2][:50]
        reloaded = keras.saving.load_model(kept)
        assert -float(np.mean(reloaded.elbo(test))) == pytest.approx(
            written["test_negative_elbo"], rel=1e-6)
        # Scored at K = 10, below the protocol's K (20 in smoke mode): the
        # first 20 test images at both K, the same images and draws as
        # the row's number.
        per_image = -published_table.bound_per_image(reloaded, test, 10)
        assert written["test_nll"] == pytest.approx(np.mean(per_image),
                                                    rel=1e-6)
        difference = written["k_difference"]
        assert difference["images"] == 20
        assert difference["nll"]["10"] == pytest.approx(
            np.mean(per_image[:20]), rel=1e-6)
        assert difference["nll"]["20"] == pytest.approx(-np.mean(
            published_table.bound_per_image(reloaded, test[:20], 20)),
            rel=1e-6)
    assert written["test_nll"] == result["test_nll"]
    assert written["test_nll"] <= written["test_negative_elbo"]
    assert written["options"] == options
    # A finished row removes its checkpoint.
    assert not (tmp_path / "checkpoints" / row).exists()
    # The curve: one record for the one epoch, its training seconds and,
    # in smoke mode every epoch, the validation NLL.
    (record,) = written["curve"]
    assert record["epoch"] == 0 and record["seconds"] > 0
    assert np.isfinite(record["validation_nll"])
    assert written["train_seconds"] == round(record["seconds"], 1)
    # The check scored again on the best weights (here epoch 0's) gives the
    # curve's value, and the offset puts it on the test set's scale.
    assert written["check_at_best_weights"] == pytest.approx(
        record["validation_nll"], rel=1e-6)
    assert written["check_offset"] == pytest.approx(
        written["test_nll"] - written["check_at_best_weights"], rel=1e-6)
    assert written["epochs_trained"] == 1
    assert written["curve_starts_at_epoch"] == 1
    # Their recipe, as no row of these replaces it.
    assert {key: written["protocol"][key] for key in published_table.PROTOCOL
            } == {**published_table.PROTOCOL, "epochs": None,
                  "test_samples": 10}
    assert written["protocol"]["protocol_test_samples"] == 20
    assert written["protocol"]["learning_rate"] == 5e-4


class StubModel:
    """What the early-stopping callback reads of a model."""

    def __init__(self):
        self.beta = np.float32(0.5)
        self.stop_training = False
        self.saved = 0

    def save_weights(self, path):
        self.saved += 1


def test_published_table_curve_counts_an_epoch_run_again_once(
        tmp_path, monkeypatch):
    """A restart that runs an epoch again (killed between the state's
    write and the backup's) replaces its record: the training seconds
    count it once. The clock stops while validating, and the state (best,
    epochs, curve) survives a restart."""
    monkeypatch.syspath_prepend(str(REPOSITORY))
    from bench import published_table

    state = published_table.EarlyStoppingState(tmp_path)
    model = StubModel()
    clock = iter([0.0, 10.0, 200.0, 203.0])
    monkeypatch.setattr(published_table.time, "perf_counter",
                        lambda: next(clock))
    logs = {"loss": 230.0, "val_reconstruction": 200.0, "val_kl": 30.0}
    callback = state.callback(patience=50)
    callback.set_model(model)
    for epoch in (0, 1):
        callback.on_epoch_begin(epoch)
        callback.on_test_begin()
        callback.on_epoch_end(epoch, dict(logs))
    again = published_table.EarlyStoppingState(tmp_path)
    assert [r["seconds"] for r in again.curve] == [10.0, 3.0]
    assert (again.best, again.best_epoch, again.epochs) == (230.0, 0, 2)
    # Epoch 1 again, after a restart, 5 seconds this time.
    callback = again.callback(patience=50)
    callback.set_model(model)
    monkeypatch.setattr(published_table.time, "perf_counter",
                        iter([400.0, 405.0]).__next__)
    callback.on_epoch_begin(1)
    callback.on_test_begin()
    callback.on_epoch_end(1, {**logs, "val_kl": 20.0})
    assert [r["epoch"] for r in again.curve] == [0, 1]
    assert again.train_seconds == 15.0
    assert (again.best, again.best_epoch) == (220.0, 1)
    assert model.saved == 2 and not model.stop_training


def test_published_table_first_reaching_and_report(tmp_path, monkeypatch):
    """`first_reaching` sums the seconds up to the first validation NLL at
    or below the target; the report shows a finished row with its
    difference, a running row with its best epoch, a row not started, and
    a row the zoo has no model for with the reason."""
    monkeypatch.syspath_prepend(str(REPOSITORY))
    from bench import published_table

    curve = [{"epoch": 0, "seconds": 5.0},
             {"epoch": 1, "seconds": 5.0, "validation_nll": 229.0},
             {"epoch": 2, "seconds": 6.0},
             {"epoch": 3, "seconds": 6.0, "validation_nll": 228.5},
             {"epoch": 4, "seconds": 6.0, "validation_nll": 228.0}]
    assert published_table.first_reaching(curve, 228.70, offset=0.0) == {
        "epochs": 4, "train_seconds": 22.0}
    # The check put on the test set's scale: test NLL = check + offset.
    assert published_table.first_reaching(curve, 228.70, offset=0.6) == {
        "epochs": 5, "train_seconds": 28.0}
    assert published_table.first_reaching(curve, 228.70, offset=-0.5) == {
        "epochs": 2, "train_seconds": 10.0}
    assert published_table.first_reaching(curve, 220.0, offset=0.0) is None
    monkeypatch.setattr(published_table, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(published_table, "CHECKPOINTS", tmp_path / "runs")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "vae.json").write_text(json.dumps({
        "test_nll": 228.5, "test_nll_standard_error": 0.4,
        "epochs_trained": 600, "best_epoch": 550, "train_seconds": 7200.0,
        "curve_starts_at_epoch": 333}))
    running = published_table.EarlyStoppingState(tmp_path / "runs" / "hvae")
    running.folder.mkdir(parents=True)
    running.best, running.best_epoch, running.epochs = 229.5, 40, 45
    running.curve = [{"epoch": 39, "seconds": 9.0, "validation_nll": 230.1},
                     {"epoch": 44, "seconds": 9.0}]
    (tmp_path / "results" / "interim").mkdir()
    (tmp_path / "results" / "interim" / "hvae.json").write_text(json.dumps({
        "epoch": 41, "images": 2000, "nll": {"1000": 229.9, "5000": 229.6},
        "validation_check": 226.4}))
    running.save()
    lines = {line.split(" | ")[0].strip("| "): line
             for line in published_table.report().splitlines()[2:]}
    assert ("| 228.50 ± 0.40 | -0.20 | 600 (550) | 2.0 (epochs 333 on) | "
            "not timed (the curve starts at epoch 333) |") in (
        lines["VAE, Gaussian prior"])
    # A row scored at K = 1,000 says so, with what K = 5,000 changed on
    # its subset (JSON keys are strings).
    assert published_table.zoo_nll({
        "test_nll": 224.0, "test_nll_standard_error": 0.6,
        "k_difference": {"images": 1000,
                         "nll": {"5000": 223.9, "1000": 224.15}}}) == (
        "224.00 ± 0.60 (K=1,000; K=5,000 on the first 1,000 test images: "
        "-0.25)")
    timed = {"curve_starts_at_epoch": 1,
             "first_reaching_target": {"epochs": 40, "train_seconds": 1500.0}}
    assert published_table.time_to_target(timed) == "epoch 40, 25 min"
    assert published_table.time_to_target(
        {**timed, "first_reaching_target": None}) == "not reached"
    assert ("in progress, 45 epochs so far, best validation −ELBO 229.50 at "
            "epoch 41, validation NLL 230.10 at epoch 40 (K=1,000, 1,000 "
            "images); epoch 41's weights score 229.60 on the first 2,000 test "
            "images at K=5,000 (+0.30 at K=1,000, +3.50 against the "
            "validation check; `--interim hvae`)") in lines[
                "HVAE (two stochastic layers), Gaussian prior"]
    assert "--row vae_vampprior`: not started" in lines["VAE, VampPrior"]
    assert "not built: the Exemplar VAE's prior" in lines["Exemplar VAE"]
    # The zoo's own recipes follow, each against the row of theirs it names.
    assert "| 223.26 ± 0.01 (their best) |" in lines[
        "zoo: the PixelSNAIL row's model, a faster recipe"]
    assert ("| 227.37 ± 0.1 (HVAE (two stochastic layers), Gaussian prior) |"
            in lines["zoo: the HVAE row's model, a faster recipe"])


def test_published_table_smoke_refuses_to_write_beside_the_rows(
        monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(REPOSITORY))
    from bench import published_table

    with pytest.raises(SystemExit):
        published_table.main(["--row", "vae", "--smoke"])
    assert "--smoke needs --output-dir" in capsys.readouterr().err


def test_published_table_rows_build_the_model_their_options_name(
        monkeypatch):
    """The VAE rows build `zoo.VAE`; the HVAE row names
    `hierarchical_vae`: their two stochastic layers of 40 (z_2 on top,
    one lower group z_1) over gated dense layers of 300."""
    monkeypatch.syspath_prepend(str(REPOSITORY))
    from bench import published_table

    import zoo

    vae = published_table.build_model(published_table.ROWS["vae"][3])
    assert type(vae) is zoo.VAE and vae.network == "gated_mlp"
    hvae = published_table.build_model(published_table.ROWS["hvae"][3])
    assert isinstance(hvae, zoo.HierarchicalVAE)
    assert hvae.network == "gated_mlp" and hvae.width == 300
    assert hvae.group_shapes == [(40,), (40,)]
    assert hvae.image_shape == (28, 28, 1) and hvae.seed == 0
    assert hvae.prior_layer is None
    # The VampPrior rows: 500 pseudo-inputs on the (top) latent.
    for row in ("vae_vampprior", "hvae_vampprior"):
        model = published_table.build_model(published_table.ROWS[row][3])
        assert isinstance(model.prior_layer, zoo.priors.VampPrior)
        assert model.prior_layer.num_components == 500
    conv = published_table.build_model(published_table.ROWS["conv_hvae"][3])
    assert conv.network == "conv" and conv.likelihood == "bernoulli"
    pixelcnn = published_table.build_model(
        published_table.ROWS["pixelcnn_hvae"][3])
    assert pixelcnn.likelihood == "pixelcnn"
    # A row's recipe is the training's, not the model's.
    fast = published_table.ROWS["pixelcnn_hvae_fast"][3]
    config = published_table.build_model(fast).get_config()
    assert {**config, "name": None} == {**pixelcnn.get_config(), "name": None}


def test_catalogue_rows_take_the_one_size_a_latent_allows(results):
    """The von Mises-Fisher preset (`svae`) is refused at the table's
    latent size 16, so its row runs at 3 and the table says so."""
    from bench import catalogue

    import zoo

    settings = catalogue.SETTINGS["full"]
    assert catalogue.row_latent_dim("conv_vae", settings) == 16
    size = catalogue.row_latent_dim("svae", settings)
    assert size == 3
    zoo.get("svae", input_shape=(28, 28, 1), latent_dim=size)  # builds
    with pytest.raises(ValueError, match="latent_dim=3"):
        zoo.get("svae", input_shape=(28, 28, 1),
                latent_dim=settings["latent_dim"])
    record = {"model": "svae", "settings": settings, "latent_dim": 3,
              "test_negative_elbo": 250.0, "test_nll": 245.0,
              "reconstruction_squared_error": 70.0, "active_units": 3,
              "training_seconds": 100.0, "samplers": {},
              "prior": {"fid": 50.0, "precision": 0.5, "recall": 0.5}}
    table = catalogue.markdown([record, {**record, "model": "conv_vae",
                                         "latent_dim": 16}])
    assert "| `svae` (latent 3) |" in table
    assert "| `conv_vae` |" in table


@pytest.mark.slow
def test_catalogue_fits_ex_post_samplers_where_the_latent_takes_them():
    """Every sampler for an unconditional VAE with a latent in R^d; none,
    with the reason, for one-hot or spherical codes (which a density over
    R^d would draw between), a conditional model or a codebook."""
    import zoo
    from bench import catalogue

    def samplers(name):
        return catalogue.ex_post_samplers(zoo.get(
            name, input_shape=(28, 28, 1), latent_dim=3, seed=0))

    assert samplers("conv_vae") == (tuple(zoo.samplers.SAMPLERS), None)
    assert samplers("autoencoder")[0] == tuple(zoo.samplers.SAMPLERS)
    for name, reason in [("categorical_vae", "one-hot"),
                         ("joint_vae", "one-hot"), ("svae", "sphere"),
                         ("conditional_vae", "labels"),
                         ("vq_vae", "VQVAE")]:
        names, why = samplers(name)
        assert names == () and reason in why, (name, why)


def test_catalogue_table_shows_active_units_per_group_and_a_dash_for_none():
    from bench import catalogue

    assert catalogue.active_cell(16) == "16"
    assert catalogue.active_cell([[16, 16], [0, 196]]) == "16/16, 0/196"
    assert catalogue.active_cell(None) == "–"


def test_catalogue_smoke_writes_a_row_per_preset_and_resumes(tmp_path,
                                                            capsys):
    from bench import catalogue

    output = tmp_path / "catalogue"
    catalogue.main(["--smoke", "--models", "conv_vae", "--output-dir",
                    str(output)])
    record = json.loads((output / "conv_vae.json").read_text())
    assert record["test_nll"] <= record["test_negative_elbo"] + 5
    assert sorted(record["samplers"]) == ["gmm", "maf", "two_stage"]
    for scores in [record["prior"], *record["samplers"].values()]:
        assert scores["fid"] > 0 and 0 <= scores["precision"] <= 1
    assert (output / "conv_vae_gmm.png").exists()
    assert "| `conv_vae` |" in (tmp_path / "catalogue.md").read_text()
    catalogue.main(["--smoke", "--models", "conv_vae", "--output-dir",
                    str(output)])
    assert "conv_vae: done before" in capsys.readouterr().out


def test_published_table_interim_scores_the_best_weights_so_far(
        tmp_path, monkeypatch):
    """`--interim` loads an unfinished row's best weights and writes their
    test bound at each K, the model's own `log_likelihood` on those
    images."""
    monkeypatch.syspath_prepend(str(REPOSITORY))
    from bench import published_table

    images = (np.random.default_rng(0).uniform(size=(6, 28, 28, 1))
              > 0.5).astype("float32")
    validation = images[::-1].copy()
    monkeypatch.setattr(published_table, "data",
                        lambda: (None, validation, images))
    monkeypatch.setattr(published_table, "NLL_IMAGES", 3)
    monkeypatch.setattr(published_table, "NLL_SAMPLES", 2)
    monkeypatch.setattr(published_table, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(published_table, "CHECKPOINTS", tmp_path / "runs")
    state = published_table.EarlyStoppingState(tmp_path / "runs" / "vae")
    state.folder.mkdir(parents=True)
    with pytest.raises(SystemExit, match="no best weights yet"):
        published_table.interim_score("vae", images=4, samples=(2, 4))
    model = published_table.build_model(published_table.ROWS["vae"][3])
    model.build((None, 28, 28, 1))
    model.save_weights(state.weights)
    state.best, state.best_epoch = 300.0, 6
    state.save()
    result = published_table.interim_score("vae", images=4, samples=(2, 4))
    written = json.loads(
        (tmp_path / "results" / "interim" / "vae.json").read_text())
    assert written["epoch"] == 7 and written["images"] == 4
    for count in (2, 4):
        expected = -np.mean(model.log_likelihood(
            images[:4], num_samples=count, chunk_size=50, seed=0))
        assert written["nll"][str(count)] == pytest.approx(expected,
                                                           rel=1e-6)
        assert result["nll"][count] == written["nll"][str(count)]
    # The curve's check on the same weights: the first NLL_IMAGES
    # validation images at K = NLL_SAMPLES.
    assert written["validation_check"] == pytest.approx(-np.mean(
        model.log_likelihood(validation[:3], num_samples=2, chunk_size=50,
                             seed=0)), rel=1e-6)
