"""The schedules assign the model's non-trainable weights batch by batch."""

import keras
import numpy as np
import pytest

import zoo
from conftest import real_images


def test_beta_warm_up_ramps_beta_linearly_then_holds():
    model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2)
    model.compile()
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(float(model.beta))

    x = real_images((8, 8, 1), count=64)
    model.fit(x, epochs=2, batch_size=16, verbose=0, callbacks=[
        zoo.training.callbacks.BetaWarmUp(steps=4, start=0.0, end=1.0), Record()])
    np.testing.assert_allclose(seen, [0.0, 0.25, 0.5, 0.75, 1, 1, 1, 1])


def test_capacity_schedule_ramps_capacity_and_needs_the_capacity_objective():
    x = real_images((28, 28, 1), count=32)
    model = zoo.get("beta_vae", input_shape=(28, 28, 1), latent_dim=2,
                    capacity=0.0)
    model.compile()
    model.fit(x, epochs=1, batch_size=8, verbose=0, callbacks=[
        zoo.training.callbacks.CapacitySchedule(steps=2, end=10.0)])
    assert float(model.capacity) == 10.0

    plain = zoo.get("beta_vae", input_shape=(28, 28, 1), latent_dim=2)
    plain.compile()
    with pytest.raises(ValueError, match="capacity"):
        plain.fit(x, epochs=1, verbose=0, callbacks=[
            zoo.training.callbacks.CapacitySchedule(steps=2, end=10.0)])


def test_beta_warm_up_ends_at_the_models_own_beta_by_default():
    model = zoo.get("beta_vae", input_shape=(8, 8, 1), latent_dim=2,
                    filters=(4,), hidden_units=(8,))
    model.compile()
    x = real_images((8, 8, 1), count=32)
    model.fit(x, epochs=1, batch_size=8, verbose=0,
              callbacks=[zoo.training.callbacks.BetaWarmUp(steps=2)])
    assert float(model.beta) == 4.0


def test_beta_warm_up_refuses_the_capacity_objective_with_the_fix():
    model = zoo.get("beta_vae", input_shape=(8, 8, 1), latent_dim=2,
                    filters=(4,), hidden_units=(8,), capacity=0.0)
    assert model.beta is None
    assert "beta" not in model.get_config()["objective"]["config"]
    model.compile()
    with pytest.raises(ValueError, match="CapacitySchedule"):
        model.fit(real_images((8, 8, 1), count=16), epochs=1, verbose=0,
                  callbacks=[zoo.training.callbacks.BetaWarmUp(steps=2)])


def test_beta_warm_up_goes_on_along_the_ramp_after_a_resume(tmp_path):
    """A run killed after epoch 1 and resumed by BackupAndRestore continues
    the ramp at the optimizer's restored step (4 of 8), not at step 0. The
    fresh model is not built first: `fit` creates its variables and its
    optimizer's before the callback restores them."""
    x = real_images((8, 8, 1), count=64)  # 4 batches of 16 per epoch

    def fresh_model():
        model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2,
                        hidden_units=(8,), seed=0)
        model.compile()
        return model

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("killed")

    def killed_after_epoch_1(backup):
        with pytest.raises(RuntimeError, match="killed"):
            fresh_model().fit(x, epochs=2, batch_size=16, verbose=0,
                              callbacks=[
                                  zoo.training.callbacks.BetaWarmUp(steps=8, end=1.0),
                                  zoo.training.distribute.BackupAndRestore(backup),
                                  Interrupt()])

    backup = str(tmp_path / "backup")
    killed_after_epoch_1(backup)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backup"]

    model, seen = fresh_model(), []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(float(model.beta))

    model.fit(x, epochs=2, batch_size=16, verbose=0, callbacks=[
        zoo.training.distribute.BackupAndRestore(backup),
        zoo.training.callbacks.BetaWarmUp(steps=8, end=1.0), Record()])
    np.testing.assert_allclose(seen, [0.5, 0.625, 0.75, 0.875])

    # Without `end`, the restored beta is a value from the ramp: refused.
    killed_after_epoch_1(backup)
    with pytest.raises(ValueError, match="end="):
        fresh_model().fit(x, epochs=2, batch_size=16, verbose=0, callbacks=[
            zoo.training.distribute.BackupAndRestore(backup),
            zoo.training.callbacks.BetaWarmUp(steps=8)])



def test_backup_into_an_unbuilt_keras_model_is_refused_and_kept(tmp_path):
    """A zoo model builds itself in `fit`; another Keras model that `fit`
    leaves unbuilt until its first step cannot take the backup's weights
    when `BackupAndRestore` restores: refused with the fix, and the backup
    is left as it is (not set aside as damaged)."""
    x = np.linspace(0.0, 1.0, 32, dtype="float32")[:, None]
    backup = str(tmp_path / "backup")

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("killed")

    built = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    built.compile(optimizer="sgd", loss="mse")
    with pytest.raises(RuntimeError, match="killed"):
        built.fit(x, x, epochs=2, batch_size=8, verbose=0, callbacks=[
            zoo.training.distribute.BackupAndRestore(backup), Interrupt()])
    kept = sorted(path.name for path in tmp_path.rglob("*"))
    unbuilt = keras.Sequential([keras.layers.Dense(1)])
    unbuilt.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="must be built"):
        unbuilt.fit(x, x, epochs=2, batch_size=8, verbose=0, callbacks=[
            zoo.training.distribute.BackupAndRestore(backup)])
    assert sorted(path.name for path in tmp_path.rglob("*")) == kept
    assert "training_metadata.json" in kept
