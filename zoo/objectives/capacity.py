"""The capacity objective of Burgess et al.: the KL held near a target C."""

import keras
from keras import ops

from zoo.objectives.objective import Objective
from zoo.validation import FLOAT32_MAX
from zoo.validation import check_number
from zoo.validation import check_weight

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
        self.gamma = check_number(gamma, "gamma", minimum=0,
                                  maximum=FLOAT32_MAX, above=True)
        self.capacity = self.schedulable(check_weight(capacity, "capacity"),
                                         "capacity")

    def penalty(self, kls):
        return self.gamma * ops.abs(sum(kls) - self.capacity)

    def get_config(self):
        return {**super().get_config(),
                "capacity": self.value_of(self.capacity), "gamma": self.gamma}
