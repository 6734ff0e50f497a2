"""The capacity objective of Burgess et al.: the KL held near a target C."""

import keras
from keras import ops

from zoo.objectives.objective import Objective
from zoo.validation import FLOAT32_MAX

@keras.saving.register_keras_serializable(package="zoo.objectives")
class Capacity(Objective):
    """The capacity objective of Burgess et al.: the KL held near a target.

    Mathematical details:

        loss = -E_q[log p(x|z)] + gamma * |KL(q(z|x) || p(z)) - C|,

    where C starts at `capacity` and is raised during training by
    `zoo.training.callbacks.CapacitySchedule` through the non-trainable variable
    `model.capacity`. The objective has no KL weight: `model.beta` is None.

    Args:
        capacity: float >= 0, the initial capacity C in nats (default 0.0).
        gamma: float > 0, weight of |KL - C| (default 100.0).

    References:
        Burgess et al., Understanding disentangling in beta-VAE, 2018,
        https://arxiv.org/abs/1804.03599.
    """

    def __init__(self, capacity=0.0, gamma=100.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(capacity, bool) or not isinstance(
            capacity, (int, float)
        ) or not 0 <= capacity <= FLOAT32_MAX:
            raise ValueError(
                "`capacity` must be a finite float >= 0 (nats; a float32). "
                f"Received: capacity={capacity!r}"
            )
        if isinstance(gamma, bool) or not isinstance(
            gamma, (int, float)
        ) or not 0 < gamma <= FLOAT32_MAX:
            raise ValueError(
                f"`gamma` must be a finite float > 0 (a float32). "
                f"Received: gamma={gamma!r}"
            )
        self.gamma = float(gamma)
        self.capacity = self.schedulable(capacity, "capacity")

    def penalty(self, kl):
        return self.gamma * ops.abs(kl - self.capacity)

    def get_config(self):
        return {**super().get_config(),
                "capacity": self.value_of(self.capacity), "gamma": self.gamma}
