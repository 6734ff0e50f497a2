"""beta-VAE: a weight on KL, or a target KL capacity."""

import keras
from keras import ops

from zoo.models.conv import ConvVAE


@keras.saving.register_keras_serializable(package="zoo")
class BetaVAE(ConvVAE):
    """Convolutional VAE with a KL weight beta != 1 or a KL capacity target.

    Mathematical details:

    With `capacity=None` (default) the loss is the beta-VAE objective of
    Higgins et al.,

        loss = -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z)),   beta > 1,

    which trades reconstruction for a posterior closer to the factorised
    prior. With a float `capacity` the loss is the capacity objective of
    Burgess et al.,

        loss = -E_q[log p(x|z)] + gamma * |KL(q(z|x) || p(z)) - C|,

    where C starts at `capacity` and is raised during training by
    `zoo.callbacks.CapacitySchedule` through the non-trainable variable
    `model.capacity`.

    Args:
        input_shape, latent_dim, filters, hidden_units: as `ConvVAE`.
        beta: float >= 0, KL weight of the beta objective (default 4.0
            when `capacity` is None). Not taken with `capacity`: the
            capacity objective has no KL weight, and `model.beta` is None.
        capacity: None for the beta objective, or the initial capacity C in
            nats (float >= 0) for the capacity objective.
        gamma: float > 0, weight of |KL - C| (default 100.0); only with
            `capacity`.
        **kwargs: the base class's options.

    Example:

    >>> import zoo
    >>> model = zoo.get("beta_vae", input_shape=(28, 28, 1), latent_dim=8,
    ...                 capacity=0.0)
    >>> float(model.capacity.numpy())
    0.0

    References:
        Higgins et al., beta-VAE: Learning Basic Visual Concepts with a
        Constrained Variational Framework, ICLR 2017.
        Burgess et al., Understanding disentangling in beta-VAE, 2018,
        https://arxiv.org/abs/1804.03599.
    """

    def __init__(self, input_shape, latent_dim, beta=None, capacity=None,
                 gamma=None, **kwargs):
        if capacity is None and gamma is not None:
            raise ValueError(
                "`gamma` weighs |KL - C| in the capacity objective; pass "
                "`capacity` too, or drop `gamma` and set `beta`. "
                f"Received: gamma={gamma!r}, capacity=None"
            )
        if capacity is not None and beta is not None:
            raise ValueError(
                "`beta` and `capacity` choose different objectives: beta * KL "
                "or gamma * |KL - C|; pass one of them. "
                f"Received: beta={beta!r}, capacity={capacity!r}"
            )
        if capacity is None and beta is None:
            beta = 4.0
        if capacity is not None and gamma is None:
            gamma = 100.0
        super().__init__(input_shape=input_shape, latent_dim=latent_dim,
                         beta=beta, **kwargs)
        if capacity is not None and (
            not isinstance(capacity, (int, float))
            or not 0 <= capacity < float("inf")
        ):
            raise ValueError(
                "`capacity` must be None or a float >= 0 (nats). "
                f"Received: capacity={capacity!r}"
            )
        if gamma is not None and (
            isinstance(gamma, bool) or not isinstance(gamma, (int, float))
            or not 0 < gamma < float("inf")
        ):
            raise ValueError(
                f"`gamma` must be a finite float > 0. Received: gamma={gamma!r}"
            )
        self.gamma = None if gamma is None else float(gamma)
        self.capacity = None
        if capacity is not None:
            self.capacity = self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(float(capacity)),
                dtype="float32",
                trainable=False,
                name="capacity",
            )

    def kl_penalty(self, kl):
        if self.capacity is None:
            return super().kl_penalty(kl)
        return self.gamma * ops.abs(kl - self.capacity)

    def get_config(self):
        capacity = None
        if self.capacity is not None:
            capacity = float(ops.convert_to_numpy(self.capacity))
        return {**super().get_config(), "capacity": capacity,
                "gamma": self.gamma}
