"""Training schedules for a VAE's non-trainable weights.

Both callbacks assign a model variable at the start of every batch, so the
new value is used by the next training step without retracing.
"""

import keras


def _linear(step, start, end, steps):
    fraction = min(step / steps, 1.0) if steps else 1.0
    return start + (end - start) * fraction


def _check_steps(steps, argument="steps"):
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(
            f"`{argument}` must be an int >= 0 (a number of training steps). "
            f"Received: {argument}={steps!r}"
        )


class BetaWarmUp(keras.callbacks.Callback):
    """Raise `model.beta` linearly from `start` to `end` over `steps` batches.

    KL warm-up (Bowman et al., 2016; Sonderby et al., 2016): early in training
    the KL weight is small, so the decoder learns to use z before the KL term
    pulls q(z|x) to the prior; this reduces posterior collapse.

        beta(t) = start + (end - start) * min(t / steps, 1)

    Args:
        steps: int >= 0, number of training batches of the ramp.
        start: float, beta at step 0 (default 0.0).
        end: float, beta after the ramp (default 1.0).

    Example:

    >>> import zoo
    >>> model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2)
    >>> warm_up = zoo.callbacks.BetaWarmUp(steps=1000)
    >>> # model.fit(x, epochs=10, callbacks=[warm_up])
    """

    def __init__(self, steps, start=0.0, end=1.0):
        super().__init__()
        _check_steps(steps)
        self.steps = steps
        self.start = float(start)
        self.end = float(end)
        self.step = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.beta.assign(
            _linear(self.step, self.start, self.end, self.steps)
        )
        self.step += 1


class CapacitySchedule(keras.callbacks.Callback):
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
        super().__init__()
        _check_steps(steps)
        self.steps = steps
        self.start = float(start)
        self.end = float(end)
        self.step = 0

    def on_train_begin(self, logs=None):
        if getattr(self.model, "capacity", None) is None:
            raise ValueError(
                "CapacitySchedule needs a model with the capacity objective; "
                "build it with zoo.get('beta_vae', ..., capacity=0.0)."
            )

    def on_train_batch_begin(self, batch, logs=None):
        self.model.capacity.assign(
            _linear(self.step, self.start, self.end, self.steps)
        )
        self.step += 1
