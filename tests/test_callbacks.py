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
    the ramp at the optimizer's restored step (4 of 8), not at step 0."""
    x = real_images((8, 8, 1), count=64)  # 4 batches of 16 per epoch

    def fresh_model(build=True):
        model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2,
                        hidden_units=(8,), seed=0)
        if build:
            model.build((None, 8, 8, 1))  # BackupAndRestore restores into it
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
    with pytest.raises(ValueError, match="must be built"):  # not "damaged"
        fresh_model(build=False).fit(x, epochs=2, batch_size=16, verbose=0,
                                     callbacks=[
                                         zoo.training.distribute.BackupAndRestore(
                                             backup)])
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
