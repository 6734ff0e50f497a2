"""Callbacks for training a VAE: schedules and TensorBoard images.

`BetaWarmUp`, `CapacitySchedule` and `TemperatureSchedule` assign a model
variable at the start of every batch, so the new value is used by the next training step without
retracing. `TensorBoardImages` logs reconstructions and prior samples as
images at the end of every epoch.
"""

import math
import os

import keras
import numpy as np
import tensorflow as tf

from zoo import validation


class LinearSchedule(keras.callbacks.Callback):
    """Assign the model variable `model.<variable>` a linear ramp.

        value(t) = start + (end - start) * min(t / steps, 1)

    at the start of every training batch, t being the optimizer's step
    count (`model.optimizer.iterations`: across epochs and `fit` calls,
    and restored with the optimizer by `keras.callbacks.BackupAndRestore`,
    so a resumed run goes on along the ramp instead of starting it again),
    so the next step uses the new value without retracing.

    Args:
        variable: str, the name of a non-trainable variable of the model
            (e.g. `"beta"`).
        steps: int >= 0, number of training batches of the ramp.
        start: float, the value at step 0.
        end: float, the value after the ramp, or None for the variable's
            value when training first begins (the model's configured one).
            Pass it when training resumes part-way along the ramp: the
            variable then holds a value from the middle of the ramp.
    """

    def __init__(self, variable, steps, start, end):
        super().__init__()
        validation.check_number(steps, "steps", integer=True, minimum=0,
                                fix="A number of training steps.")
        self.variable = variable
        self.steps = steps
        self.start = float(start)
        self.end = None if end is None else float(end)

    def on_train_begin(self, logs=None):
        variable = getattr(self.model, self.variable, None)
        if variable is None:
            raise ValueError(
                f"{type(self).__name__} needs a model with a `{self.variable}` "
                f"variable; this {type(self.model).__name__} has none"
                f"{self.missing_hint()}."
            )
        if self.end is None:
            step = self.training_step()
            if 0 < step < self.steps:
                raise ValueError(
                    f"{type(self).__name__} starts at optimizer step {step}, "
                    f"part-way along its {self.steps}-step ramp, where "
                    f"`{self.variable}` holds a value from the ramp, not its "
                    f"end; pass `end=` explicitly (e.g. end=1.0)."
                )
            self.end = float(keras.ops.convert_to_numpy(variable))

    def missing_hint(self):
        """Appended to the error for a model without the variable."""
        return ""

    def training_step(self):
        """t: the optimizer's step count."""
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_train_batch_begin(self, batch, logs=None):
        step = self.training_step()
        fraction = min(step / self.steps, 1.0) if self.steps else 1.0
        getattr(self.model, self.variable).assign(
            self.start + (self.end - self.start) * fraction
        )


class BetaWarmUp(LinearSchedule):
    """Raise `model.beta` linearly from `start` to `end` over `steps` batches.

    KL warm-up (Bowman et al., 2016; Sonderby et al., 2016): early in training
    the KL weight is small, so the decoder learns to use z before the KL term
    pulls q(z|x) to the prior; this reduces posterior collapse. `beta` is the
    weight on the whole KL term in every zoo model (for `objective="beta_tc"`, on all
    three of its terms; its total-correlation weight is `tc_weight`).

        beta(t) = start + (end - start) * min(t / steps, 1)

    Args:
        steps: int >= 0, number of training batches of the ramp.
        start: float, beta at step 0 (default 0.0).
        end: float, beta after the ramp, or None (default) for the model's
            own beta when training begins (1.0 for a VAE, 4.0 for the
            default `beta_vae`).

    Raises:
        ValueError: at the start of training, for a model without a KL
            weight (the capacity objective, `objective="capacity"`).

    Example:

    >>> import zoo
    >>> model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2)
    >>> warm_up = zoo.training.callbacks.BetaWarmUp(steps=1000)
    >>> # model.fit(x, epochs=10, callbacks=[warm_up])
    """

    def __init__(self, steps, start=0.0, end=None):
        super().__init__("beta", steps, start, end)

    def missing_hint(self):
        return (" (the capacity objective weighs |KL - C|; schedule C with "
                "CapacitySchedule)")


class CapacitySchedule(LinearSchedule):
    """Raise `model.capacity` linearly from `start` to `end` nats.

    For the capacity objective gamma * |KL - C| of Burgess et al. (2018): the
    KL budget C grows during training so that factors are encoded one by one.

        C(t) = start + (end - start) * min(t / steps, 1)

    Args:
        steps: int >= 0, number of training batches of the ramp.
        end: float, the final capacity in nats (e.g. 25.0).
        start: float, the capacity at step 0 (default 0.0).

    Raises:
        ValueError: at the start of training, if the model has no capacity
            variable (build it with `zoo.get("beta_vae", ..., capacity=0.0)`).
    """

    def __init__(self, steps, end, start=0.0):
        super().__init__("capacity", steps, start, end)


class TemperatureSchedule(keras.callbacks.Callback):
    """Anneal `model.temperature`, the Gumbel-softmax temperature of a
    relaxed categorical or joint latent (`zoo.latents`), as Jang et al.:

        tau(t) = max(minimum, start * exp(-rate * t)),

    assigned at the start of every training batch, t being the optimizer's
    step count (so a resumed run goes on along the schedule).

    Args:
        start: float > 0, tau at step 0 (default 1.0).
        minimum: float > 0, the floor (default 0.5).
        rate: float >= 0, r per training step (default 1e-4; Jang et al.
            used 1e-5 per step, annealed every 1,000 steps, on longer runs).

    Raises:
        ValueError: at the start of training, for a model without a
            temperature (a latent other than "relaxed_categorical" or
            "joint").

    References:
        Jang, Gu & Poole, Categorical Reparameterization with
        Gumbel-Softmax, ICLR 2017.

    Example:

    >>> import zoo
    >>> model = zoo.get("categorical_vae", input_shape=(28, 28, 1),
    ...                 latent_dim=30, num_categories=10)
    >>> schedule = zoo.training.callbacks.TemperatureSchedule(rate=1e-4)
    >>> # model.fit(x, epochs=10, callbacks=[schedule])
    """

    def __init__(self, start=1.0, minimum=0.5, rate=1e-4):
        super().__init__()
        self.start = validation.check_number(start, "start", minimum=0.0,
                                             above=True)
        self.minimum = validation.check_number(minimum, "minimum",
                                               minimum=0.0, above=True)
        self.rate = validation.check_number(rate, "rate", minimum=0.0)

    def on_train_begin(self, logs=None):
        if getattr(self.model, "temperature", None) is None:
            raise ValueError(
                "TemperatureSchedule needs a model with a `temperature` "
                "variable (latent='relaxed_categorical' or 'joint'); this "
                f"{type(self.model).__name__} has none."
            )

    def on_train_batch_begin(self, batch, logs=None):
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        self.model.temperature.assign(
            max(self.minimum, self.start * math.exp(-self.rate * step)))


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop training at the first non-finite loss term, weight or optimizer
    variable, with an error that names it.

    Keras's `TerminateOnNaN` watches `loss` only and stops quietly, so the
    script goes on to save a broken model. After every training batch this
    callback checks the logged terms of the negative ELBO (`reconstruction`,
    `kl`, `loss`), then the model's weights and the optimizer's variables.
    A non-finite variable after a finite loss means that the step's
    gradients (or its update) were non-finite. Either way it raises
    `FloatingPointError` out of `fit`, so nothing after `fit` runs.

    Args:
        terms: the log entries to check, in order (default
            `("reconstruction", "kl", "loss")`).

    Raises:
        FloatingPointError: from `fit`, at the first batch with a
            non-finite term or variable; the message gives the epoch, the
            batch, the terms (or variables) and how to fix it.

    Example:

    >>> model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2)
    >>> model.compile()
    >>> # model.fit(x, epochs=5, callbacks=[zoo.training.callbacks.StopOnNonFinite()])
    """

    def __init__(self, terms=("reconstruction", "kl", "loss")):
        super().__init__()
        self.terms = tuple(terms)
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        terms = [
            f"{term}={float(logs[term])}" for term in self.terms
            if term in logs and not math.isfinite(float(logs[term]))
        ]
        if terms:
            cause = f"the loss went non-finite ({', '.join(terms)})"
        else:
            variables = [
                variable.path
                for variable in self.model.weights + self.model.optimizer.variables
                if not np.all(np.isfinite(keras.ops.convert_to_numpy(variable)))
            ]
            if not variables:
                return
            cause = (
                "the gradients went non-finite: the loss was finite but the "
                f"update made {', '.join(variables[:3])} non-finite"
            )
        raise FloatingPointError(
            f"Training stopped at epoch {self.epoch + 1}, batch {batch + 1}: "
            f"{cause}. Lower the learning rate or clip the gradients, e.g. "
            "compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0))."
        )


class TensorBoardImages(keras.callbacks.Callback):
    """Log reconstructions and prior samples to TensorBoard every epoch.

    At the end of each epoch two images are written with `tf.summary.image`
    to a file writer in `log_dir/images`: `reconstructions`, the inputs `x`
    (top row) above their reconstructions (bottom row), and `samples`, a
    grid of `num_samples` decodes of prior samples drawn with the same
    `seed` every epoch, so the images show how the decoder changes. Use it
    beside `keras.callbacks.TensorBoard(log_dir)`; the images appear in
    TensorBoard's Images tab (`tensorboard --logdir LOG_DIR`).

    Args:
        log_dir: str or path, TensorBoard's log directory.
        x: images `(N, H, W, C)` in [0, 1] to reconstruct, e.g. the first
            8 test images.
        num_samples: int > 0 (default 16), prior samples per grid.
        seed: int (default 0), the seed of the prior samples.

    Example:

    >>> data = zoo.datasets.digits()
    >>> model = zoo.get("conv_vae", input_shape=(8, 8, 1), latent_dim=2)
    >>> model.compile()
    >>> images = zoo.training.callbacks.TensorBoardImages("logs", data.x_test[:8])
    >>> model.fit(data.x_train, epochs=2, callbacks=[
    ...     keras.callbacks.TensorBoard("logs"), images])
    """

    def __init__(self, log_dir, x, num_samples=16, seed=0):
        super().__init__()
        validation.check_positive_int(num_samples, "num_samples")
        x = np.asarray(x, "float32")
        if x.ndim != 4 or len(x) == 0:
            raise ValueError(
                "`x` must be a non-empty batch of images (N, H, W, C). "
                f"Received: x.shape={x.shape}"
            )
        self.log_dir = os.fspath(log_dir)
        self.x = x
        self.num_samples = num_samples
        self.seed = seed
        self.writer = None

    def on_train_begin(self, logs=None):
        self.writer = tf.summary.create_file_writer(
            os.path.join(self.log_dir, "images")
        )

    def on_epoch_end(self, epoch, logs=None):
        reconstructions = np.asarray(self.model.reconstruct(self.x))
        samples = np.asarray(
            self.model.sample(self.num_samples, seed=self.seed)
        )
        with self.writer.as_default(step=epoch):
            tf.summary.image(
                "reconstructions",
                _tile([self.x, reconstructions], columns=len(self.x)),
            )
            tf.summary.image(
                "samples",
                _tile([samples], columns=math.ceil(math.sqrt(len(samples)))),
            )
        self.writer.flush()

    def on_train_end(self, logs=None):
        self.writer.close()


def _tile(batches, columns):
    """Tile image batches `(N, H, W, C)`, one after another, into a single
    image `(1, rows * H, columns * W, C)` with a 1-pixel white border,
    the shape `tf.summary.image` takes."""
    images = np.concatenate(batches)
    rows = math.ceil(len(images) / columns)
    height, width, channels = images.shape[1:]
    padded = np.ones(
        (rows * columns, height + 2, width + 2, channels), images.dtype
    )
    padded[:len(images), 1:-1, 1:-1] = np.clip(images, 0.0, 1.0)
    grid = padded.reshape(rows, columns, height + 2, width + 2, channels)
    grid = grid.transpose(0, 2, 1, 3, 4)
    return grid.reshape(1, rows * (height + 2), columns * (width + 2),
                        channels)
