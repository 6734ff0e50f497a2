"""`HierarchicalVAE`: a top-down hierarchy of latent groups.

A third latent structure beside the zoo's Gaussian vector (`zoo.VAE`) and
discrete codebook (`zoo.VQVAE`): a vector group z_0 at the top and groups
z_1..z_L below it, in the spirit of the Ladder VAE, NVAE and VDVAE. With
`network="conv"` (the default) the lower groups are spatial, on two or more
resolutions (`zoo.networks.hierarchy`); with `network="gated_mlp"` they are
vectors, over gated dense layers (`zoo.networks.dense_hierarchy`).
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo import conditions
from zoo import objectives
from zoo import priors
from zoo import validation
from zoo.bounds import chunked_bound
from zoo.bounds import importance_weighted_bound
from zoo.bounds import stateless_seed
from zoo.latents import gaussian
from zoo.likelihoods import tfd
from zoo.models.autoencoder import Autoencoder
from zoo.networks import dense_hierarchy
from zoo.networks import hierarchy

#: The most latent groups per resolution.
MAX_GROUPS_PER_SCALE = 16

#: The networks of a hierarchy: `"conv"`, spatial groups over residual
#: cells (`zoo.networks.hierarchy`), and `"gated_mlp"`, vector groups over
#: gated dense layers (`zoo.networks.dense_hierarchy`).
NETWORKS = ("conv", "gated_mlp")


@keras.saving.register_keras_serializable(package="zoo")
class HierarchicalVAE(Autoencoder):
    """Hierarchical VAE: p(z_0) p(z_1|z_0) ... p(z_L|z_<L) p(x|z).

    Mathematical details:

    The generative model is top-down: z_0 ~ p(z_0) (`latent_dim`; N(0, I)
    by default, or a learned prior, `prior`), then each lower group
    z_l ~ p(z_l | z_<l) = N(mu_p, sigma_p^2), whose parameters the top-down
    network computes from the groups above, and x ~ p(x | z_0..z_L). The
    posterior follows the same order,

        q(z|x) = q(z_0|x) prod_l q(z_l | x, z_<l),

    each q(z_l | x, z_<l) = N(mu_p + dmu, (sigma_p * s)^2) a residual to the
    group's prior (NVAE's parameterisation; `zoo.networks.hierarchy`). The
    ELBO sums one KL per group (summed over the group's dimensions,
    spatial or not):

        ELBO(x) = E_q[log p(x|z)] - KL(q(z_0|x) || p(z_0))
                  - sum_l E_q[KL(q(z_l|x, z_<l) || p(z_l|z_<l))].

    Each lower group's KL is analytic, between two Gaussians at the
    sampled groups above; so is the top group's under N(0, I). A learned
    prior p(z_0) (`"mixture"`, `"vamp"`, `"maf"`; `zoo.priors`) has no
    closed form, so the top group's KL is the one-sample Monte Carlo
    estimate at the sampled z_0 ~ q(z_0|x), as in `zoo.VAE`:

        KL(q(z_0|x) || p(z_0)) ~ log q(z_0|x) - log p(z_0).

    With `prior="vamp"` this is the "HVAE + VampPrior" of Tomczak &
    Welling (2018): the VampPrior on the top group only,
    p(z_0) = (1/K) sum_k q(z_0 | u_k), the K pseudo-inputs u_k pushed
    through the model's encoder; the lower groups keep their conditional
    priors.

    Training minimises reconstruction + beta * sum_l max(KL_l, free_bits)
    (batch means; the objective `zoo.objectives.ELBO(beta, free_bits)`,
    whose `beta` is a non-trainable variable, so
    `zoo.training.callbacks.BetaWarmUp` warms the KL up; `free_bits` > 0 stops a
    group's KL from being pushed below that many nats, against posterior
    collapse). The `kl` metric is the plain sum of the groups' KL.

    With `kl_balance=True`, while the KL is warmed up (beta < 1) each
    group's term is weighted by NVAE's KL balancing coefficient (Vahdat &
    Kautz 2020, Appendix A; `zoo.objectives.ELBO`),

        gamma_l = (L + 1) * c_l / sum_k c_k,   c_l = (|KL_l| + 0.01) / n_l,

    over the L + 1 groups, n_l the number of dimensions of group l
    (`group_sizes`) and gamma_l held constant in the gradient: a group
    with more KL per dimension than the others is charged more, so the
    groups with little are not shut before they open. At beta >= 1 the
    loss is the plain sum again, the ELBO.

    `log_likelihood` is the importance-weighted bound over all groups
    jointly (Burda et al., 2016):

        log p(x) >= log (1/K) sum_k p(x|z^k) p(z^k) / q(z^k|x),

    with z^k = (z_0^k, ..., z_L^k) drawn ancestrally from q and
    p(z) / q(z|x) the product of every group's density ratio, the top
    group's p(z_0) the model's prior (learned or not).

    The two networks (`network`):

    - `"conv"` (the default): spatial groups of `group_channels` channels,
      `groups_per_scale` of them at each of `scales` resolutions H/2,
      H/4, ..., over residual cells (`zoo.networks.hierarchy`).
    - `"gated_mlp"`: vector groups of `group_channels` dimensions over gated
      dense layers of `width` units (`zoo.networks.dense_hierarchy`); x is
      flattened, so any `input_shape` works. A vector has no resolutions:
      the `scales * groups_per_scale` lower groups form one chain, and the
      two options only set how many there are (`scales=1,
      groups_per_scale=1` gives one lower group, the two-stochastic-layer
      HVAE of Tomczak & Welling, 2018). `cells` and `residual` are the
      convolutional cells' and are refused if given.

    Args:
        input_shape: `(H, W, C)`, the shape of one image; with
            `network="gated_mlp"`, any shape (flattened).
        latent_dim: int > 0, the size of the top group z_0 (what `encode`
            gives and `decode` takes).
        network: `"conv"` (default) or `"gated_mlp"`, the networks and
            the shape of the lower groups (above).
        width: int > 0, the channels of every feature map, or with
            `"gated_mlp"` the units of every gated dense layer (default 32).
        scales: int > 0, the resolutions with latent groups, H/2, H/4, ...
            (default 2: 14x14 and 7x7 for 28x28 images); with
            `"gated_mlp"`, a factor of the number of lower groups.
        groups_per_scale: int >= 0, latent groups per resolution (default
            1: with z_0, 3 groups for 2 scales; 0 leaves z_0 alone, a
            one-group VAE with this network, for the ablation); with
            `"gated_mlp"`, the other factor of the number of lower groups.
        group_channels: int > 0, the channels of each spatial group, or
            the size of each vector group (default 4).
        cells: int >= 0, residual cells per stage and per group (None,
            the default, is 1; `"conv"` only: `"gated_mlp"` refuses any).
        residual: bool, whether cells have skip connections (None, the
            default, is True; False is the ablation's plain convolution
            stack; `"conv"` only: `"gated_mlp"` refuses any).
        free_bits: float >= 0, the least KL in nats each group is charged
            in training (default 0.0, none).
        beta: float >= 0, the initial KL weight (default 1.0).
        likelihood: `"bernoulli"` (default), `"continuous_bernoulli"`,
            `"gaussian"` or `"pixelcnn"` (an autoregressive Bernoulli,
            `zoo.likelihoods.pixelcnn`).
        likelihood_scale: for `"gaussian"`, a fixed standard deviation or
            None (learned).
        seed: int or None, seeds the training-time samples.
        prior: the top group's prior p(z_0): `"standard_normal"` (default,
            N(0, I), the analytic KL), `"mixture"` (a learned mixture of
            Gaussians), `"vamp"` (the VampPrior) or `"maf"` (a masked
            autoregressive flow); see `zoo.priors`. A learned prior makes
            the top group's KL Monte Carlo (above) and adds the uniform
            `u` to a mixture's `noise_inputs`.
        prior_components: int > 0, the mixture's components or the
            VampPrior's pseudo-inputs (None: 10); refused with
            `prior="standard_normal"` or `"maf"`, which have none.
        kl_balance: bool, NVAE's KL balancing while beta < 1 (default
            False; above).
        pixelcnn_blocks: for `likelihood="pixelcnn"` only: int >= 0, the
            gated blocks of its context network (None, the default: 3). The
            context at a pixel reads the `2 + pixelcnn_blocks` rows above
            it; fewer blocks leave more of the image's structure to the
            latent groups (`zoo.likelihoods.pixelcnn`). Refused with the
            other likelihoods.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> import numpy as np, zoo
    >>> model = zoo.get("hierarchical_vae", input_shape=(28, 28, 1),
    ...                 latent_dim=8, width=16)
    >>> model.compile()
    >>> x = np.random.default_rng(0).uniform(size=(64, 28, 28, 1))
    >>> history = model.fit(x.astype("float32"), epochs=1, verbose=0)
    >>> [group.event_shape for group in model.encode(x, all_groups=True)]
    [TensorShape([8]), TensorShape([7, 7, 4]), TensorShape([14, 14, 4])]
    >>> dense = zoo.get("hierarchical_vae", input_shape=(28, 28, 1),
    ...                 latent_dim=8, network="gated_mlp", width=16,
    ...                 scales=1, groups_per_scale=1)
    >>> [group.event_shape for group in dense.encode(x, all_groups=True)]
    [TensorShape([8]), TensorShape([4])]
    >>> vamp = zoo.get("hierarchical_vae", input_shape=(28, 28, 1),
    ...                latent_dim=8, network="gated_mlp", width=16,
    ...                scales=1, groups_per_scale=1, prior="vamp",
    ...                prior_components=5)
    >>> vamp.noise_inputs
    ('eps', 'u')

    References:
        Sønderby, Raiko, Maaløe, Sønderby & Winther, Ladder Variational
        Autoencoders, NeurIPS 2016.
        Vahdat & Kautz, NVAE: A Deep Hierarchical Variational Autoencoder,
        NeurIPS 2020.
        Child, Very Deep VAEs Generalize Autoregressive Models and Can
        Outperform Them on Images, ICLR 2021.
        Kingma et al., Improved Variational Inference with Inverse
        Autoregressive Flow, NeurIPS 2016 (free bits).
        Burda, Grosse & Salakhutdinov, Importance Weighted Autoencoders,
        ICLR 2016.
        Tomczak & Welling, VAE with a VampPrior, AISTATS 2018 (the dense
        two-layer HVAE, and the VampPrior on its top group).
    """


    def __init__(
        self,
        input_shape,
        latent_dim,
        network="conv",
        width=32,
        scales=2,
        groups_per_scale=1,
        group_channels=4,
        cells=None,
        residual=None,
        free_bits=0.0,
        beta=1.0,
        likelihood="bernoulli",
        likelihood_scale=None,
        seed=None,
        prior="standard_normal",
        prior_components=None,
        kl_balance=False,
        pixelcnn_blocks=None,
        **kwargs,
    ):
        super().__init__(input_shape, latent_dim, likelihood,
                         likelihood_scale, seed,
                         pixelcnn_blocks=pixelcnn_blocks, **kwargs)
        if network not in NETWORKS:
            raise ValueError(
                f"`network` of a hierarchical VAE must be one of "
                f"{list(NETWORKS)}. Received: network={network!r}"
            )
        self.network = network
        if network == "conv" and len(self.image_shape) != 3:
            raise ValueError(
                "A hierarchical VAE with network='conv' has spatial latent "
                "groups, so it takes images (H, W, C); pass "
                "network='gated_mlp' (vector groups) for flat data. "
                f"Received: input_shape={input_shape!r}"
            )
        self.width = validation.check_size(
            width, "width", 4096, "a few hundred channels suffice.")
        self.scales = validation.check_size(
            scales, "scales", 8, "each scale halves the resolution.")
        self.groups_per_scale = validation.check_number(
            groups_per_scale, "groups_per_scale", integer=True, minimum=0,
            maximum=MAX_GROUPS_PER_SCALE)
        self.group_channels = validation.check_size(
            group_channels, "group_channels", 1024,
            "groups have a few to tens of channels.",
        )
        if network == "gated_mlp":
            refuse_conv_options(cells, residual)
        else:
            cells = 1 if cells is None else validation.check_number(
                cells, "cells", integer=True, minimum=0, maximum=64)
            residual = True if residual is None else residual
            if not isinstance(residual, bool):
                raise ValueError(
                    "`residual` must be True or False. "
                    f"Received: residual={residual!r}"
                )
        self.cells, self.residual = cells, residual
        self.conditioning = conditions.get(None, None)
        self.seed_generator = keras.random.SeedGenerator(seed)
        if network == "conv":
            self.encoder, self.bottom_up = hierarchy.bottom_up(
                self.image_shape, self.latent_dim, self.width, self.scales,
                self.cells, self.residual,
            )
            self.top_down = hierarchy.TopDown(
                self.parameter_shape, self.latent_dim, self.width,
                self.scales, self.groups_per_scale, self.group_channels,
                self.cells, self.residual, name="top_down",
            )
        else:
            self.encoder, self.bottom_up = dense_hierarchy.bottom_up(
                self.image_shape, self.latent_dim, self.width)
            self.top_down = dense_hierarchy.TopDown(
                self.parameter_shape, self.latent_dim, self.width,
                self.scales * self.groups_per_scale, self.group_channels,
                name="top_down",
            )
        # Made after the networks, which give the groups' sizes.
        self.objective = objectives.ELBO(
            beta=beta, free_bits=free_bits, kl_balance=kl_balance,
            group_sizes=self.group_sizes if kl_balance else None,
        )
        priors.check_combination(prior, self.objective, self.num_classes)
        # Made after the networks, so that they start from the same weights
        # whatever the prior.
        self.prior_name = prior
        self.prior_components = prior_components
        self.prior_layer = priors.make_prior(
            prior, self.latent_dim, self.image_shape, prior_components,
            unit_interval=self.likelihood_family.unit_interval, seed=seed,
        )
        z = keras.Input(shape=(self.latent_dim,), name="z")
        self.decoder = keras.Model(z, self.top_down(z), name="decoder")
        self.track_objective()
        self.built = True

    @property
    def beta(self):
        """The KL weight, the objective's non-trainable variable."""
        return self.objective.beta

    @property
    def free_bits(self):
        """The least KL in nats each group is charged in training."""
        return self.objective.free_bits

    @property
    def kl_balance(self):
        """Whether the groups' KLs are balanced while beta < 1."""
        return self.objective.kl_balance

    @property
    def num_classes(self):
        """None: a hierarchical VAE here is unconditional."""
        return None

    @property
    def group_shapes(self):
        """The event shape of every group, top first: `(latent_dim,)`,
        then `(h, w, group_channels)` per spatial group (`"conv"`) or
        `(group_channels,)` per vector group (`"gated_mlp"`)."""
        return [(self.latent_dim,), *self.top_down.group_shapes]

    @property
    def group_sizes(self):
        """The number of dimensions of every group, top first (the product
        of its `group_shapes` entry)."""
        return [int(np.prod(shape)) for shape in self.group_shapes]

    @property
    def noise_inputs(self):
        """The noise `compute_samples_from_noise` takes: `("eps",)`, every
        group's standard normal numbers, flat; with a mixture prior on z_0
        (`"mixture"`, `"vamp"`) `("eps", "u")`, `u` picking its
        component."""
        if self.prior_layer is None:
            return ("eps",)
        return self.prior_layer.noise_inputs

    #: ONNX and LiteRT conversion is written for `zoo.VAE` only so far.
    conversion_refused = (
        "a hierarchical VAE is not converted yet: export it for TF Serving "
        "with zoo.export.export_for_serving."
    )

    @property
    def noise_dim(self):
        """The standard normal numbers one sample of all groups takes."""
        return sum(self.group_sizes)

    # Distributions and the pass ------------------------------------------

    def prior(self):
        """p(z_0), a `tfd.Distribution` over `(latent_dim,)`: the learned
        `prior_layer`'s (the VampPrior's pseudo-inputs go through the
        model's encoder), else N(0, I)."""
        if self.prior_layer is None:
            return priors.standard_normal_prior(self.latent_dim)
        return self.prior_layer.distribution(self.encoder)

    def posterior(self, z_mean, z_stddev):
        """q(z_0|x) from the encoder's outputs."""
        return gaussian.diagonal_gaussian_posterior(z_mean, z_stddev)

    def prior_from_noise(self, eps, u=None):
        """z_0 `(batch, latent_dim)` from standard normal `eps` of the same
        shape: `eps` itself under N(0, I), else the learned prior's
        `sample_from_noise` (a mixture's z_0 = mu_k + sigma_k * eps, the
        component k picked by the uniform `u` `(batch,)`,
        `zoo.priors.mixture_from_noise`; a flow's z_0 = f(eps)).

        Raises:
            ValueError: for `u` missing where the prior needs it, or given
                where it takes none (`noise_inputs`).
        """
        takes_u = "u" in self.noise_inputs
        if takes_u and u is None:
            raise ValueError(
                f"prior={self.prior_name!r} picks z_0's mixture component "
                "with uniform noise: pass `u` of shape (batch,), e.g. "
                "numpy.random.default_rng(seed).uniform(size=batch) "
                "(noise_inputs)."
            )
        if not takes_u and u is not None:
            raise ValueError(
                f"prior={self.prior_name!r} makes z_0 from `eps` alone "
                f"(noise_inputs). Pass u=None. Received: u={u!r}"
            )
        if self.prior_layer is None:
            return eps
        return self.prior_layer.sample_from_noise(eps, u, self.encoder)

    def split_noise(self, eps):
        """Flat standard normal noise `(batch, noise_dim)` -> one tensor
        per group, `(batch, *shape)`, top first."""
        pieces = tf.split(eps, self.group_sizes, axis=-1)
        return [tf.reshape(piece, (-1, *shape))
                for piece, shape in zip(pieces, self.group_shapes)]

    def posterior_pass(self, x, eps, training=None):
        """Every group drawn from q given x and the flat noise `eps`
        `(batch, noise_dim)` (None: every group at its posterior mean).

        Returns:
            `(parameters, z_mean, z_stddev, z_top, groups)`: the
            likelihood's parameters, q(z_0|x)'s parameters and sample, and
            the lower groups (`zoo.networks.hierarchy.Group`).
        """
        *maps, z_mean, z_stddev = self.bottom_up(x, training=training)
        if eps is None:
            z_top, noise = z_mean, None
        else:
            eps_top, *noise = self.split_noise(eps)
            z_top = z_mean + z_stddev * eps_top
        parameters, groups = self.top_down.run(z_top, maps, noise)
        return parameters, z_mean, z_stddev, z_top, groups

    def kl_per_group(self, z_mean, z_stddev, z_top, groups):
        """The KL of every group, top first, each `(batch,)`: the top
        group's KL(q(z_0|x) || p(z_0)), then the analytic
        KL(q(z_l|x, z_<l) || p(z_l|z_<l)) of each lower group.

        The top group's is analytic under N(0, I); a learned prior has no
        closed form, so it is the one-sample Monte Carlo estimate
        log q(z_0|x) - log p(z_0) at `z_top`, which must then be a sample
        of q(z_0|x) (`posterior_pass` with noise; at the posterior mean,
        `eps=None`, it estimates nothing).
        """
        if self.prior_layer is None:
            top = ops.sum(tfd.kl_divergence(
                tfd.Normal(z_mean, z_stddev), tfd.Normal(0.0, 1.0)), axis=-1)
        else:
            top = -self.top_log_density_ratio(z_mean, z_stddev, z_top)
        result = [top]
        for group in groups:
            kl = tfd.kl_divergence(
                tfd.Normal(group.posterior_loc, group.posterior_scale),
                tfd.Normal(group.prior_loc, group.prior_scale),
            )
            result.append(sum_over_event(kl))
        return result

    def top_log_density_ratio(self, z_mean, z_stddev, z_top):
        """log p(z_0) - log q(z_0|x) at `z_top`, `(batch,)`, p(z_0) the
        model's prior (`prior`)."""
        log_posterior = tfd.Normal(z_mean, z_stddev).log_prob(z_top)
        if self.prior_layer is None:
            return ops.sum(
                tfd.Normal(0.0, 1.0).log_prob(z_top) - log_posterior, axis=-1)
        return self.prior().log_prob(z_top) - ops.sum(log_posterior, axis=-1)

    def log_density_ratio(self, z_mean, z_stddev, z_top, groups):
        """log p(z) - log q(z|x) of the sampled groups, `(batch,)`: the top
        group's (`top_log_density_ratio`) plus every lower group's."""
        ratio = self.top_log_density_ratio(z_mean, z_stddev, z_top)
        for group in groups:
            ratio += sum_over_event(
                tfd.Normal(group.prior_loc, group.prior_scale).log_prob(
                    group.z)
                - tfd.Normal(group.posterior_loc,
                             group.posterior_scale).log_prob(group.z)
            )
        return ratio

    # Training ------------------------------------------------------------

    def call(self, inputs, training=None):
        """One posterior sample of every group; hands the groups' KLs to
        the objective (beta times their sum with free bits, balanced while
        beta < 1 with `kl_balance`, through `add_loss`); returns p(x|z)'s
        parameters."""
        eps = keras.random.normal(
            (ops.shape(inputs)[0], self.noise_dim), seed=self.seed_generator
        )
        parameters, z_mean, z_stddev, z_top, groups = self.posterior_pass(
            inputs, eps, training=training)
        self.add_latent_loss(
            {"kl": self.kl_per_group(z_mean, z_stddev, z_top, groups)},
            ops.shape(inputs)[0],
        )
        return parameters

    # Inference -------------------------------------------------------

    def encode(self, inputs, all_groups=False):
        """The posterior of x's top group, q(z_0|x), a `tfd.Distribution`
        with event shape `(latent_dim,)`.

        With `all_groups=True`: a list of every group's posterior, top
        first, each lower group's q(z_l | x, z_<l) taken at the posterior
        means of the groups above it.
        """
        x = validation.check_model_inputs(self, inputs, "x")
        x = ops.convert_to_tensor(x, "float32")
        if not all_groups:
            return self.posterior(*self.encoder(x))
        _, z_mean, z_stddev, _, groups = self.posterior_pass(x, None)
        return [self.posterior(z_mean, z_stddev)] + [
            tfd.Independent(
                tfd.Normal(group.posterior_loc, group.posterior_scale),
                reinterpreted_batch_ndims=len(shape),
            )
            for group, shape in zip(groups, self.top_down.group_shapes)
        ]

    def decode(self, latents):
        """The likelihood p(x|z) for top-group latents z_0
        `(batch, latent_dim)`, every lower group at the mean of its
        prior."""
        z = validation.check_model_latents(self, latents)
        return self.likelihood_distribution(
            self.decoder(ops.convert_to_tensor(z, "float32")))

    def compute_reconstruction(self, inputs):
        """`reconstruct` on tensors: E[x|z], the likelihood mean with every
        group at its posterior mean."""
        return self.likelihood_distribution(
            self.posterior_pass(inputs, None)[0]).mean()

    def sample(self, num_samples, seed=None, temperature=1.0):
        """`num_samples` new images drawn ancestrally from the priors,
        returned as the likelihood mean. The same `seed` gives the same
        samples. `temperature` (> 0, default 1.0) multiplies every group's
        prior standard deviation (the top group's too); below 1 trades
        diversity for cleaner samples.

        With a learned prior on z_0 the temperature multiplies z_0's
        standard normal noise (`compute_samples_from_noise`): a mixture's
        (`"mixture"`, `"vamp"`) z_0 = mu_k + temperature * sigma_k * eps,
        the component k drawn as at temperature 1, so near 0 the samples
        sit at the components' means (not at `decode(0)`); a flow's
        (`"maf"`) z_0 = f(temperature * eps)."""
        num_samples = validation.check_size(
            num_samples, "num_samples", validation.MAX_SAMPLES,
            "draw more in several calls.",
        )
        temperature = validation.check_number(
            temperature, "temperature", minimum=0.0, above=True,
            fix="0 would give one image; decode(zeros) gives the prior means.")
        return self.compute_samples(
            num_samples, stateless_seed(seed), temperature=temperature)

    def elbo(self, inputs, seed=0):
        """Per-example ELBO (beta = 1, no free bits) from one sample of
        every group, in nats; under a learned prior the top group's KL is
        log q(z_0|x) - log p(z_0) at that sample (`kl_per_group`)."""
        x = validation.check_model_inputs(self, inputs, "x")
        return self.compute_elbo(
            ops.convert_to_tensor(x, "float32"), stateless_seed(seed))

    def log_likelihood(self, inputs, num_samples=1000, chunk_size=100,
                       seed=0):
        """The importance-weighted bound on log p(x) over all groups
        jointly, per example, in nats; drawn `chunk_size` samples at a
        time (`zoo.bounds.chunked_bound`)."""
        validation.check_size(
            num_samples, "num_samples", validation.MAX_SAMPLES,
            "the bound barely tightens past a few thousand samples.",
        )
        validation.check_positive_int(chunk_size, "chunk_size")
        x = validation.check_model_inputs(self, inputs, "x")
        validation.check_size(
            chunk_size * len(x), "chunk_size * batch", validation.MAX_SAMPLES,
            "pass a smaller chunk_size or fewer examples per call.",
        )
        x = ops.convert_to_tensor(x, "float32")
        return chunked_bound(
            lambda size, seed: self.compute_log_likelihood(x, size, seed),
            num_samples, chunk_size, stateless_seed(seed),
        )

    def active_units(self, x, threshold=0.01, batch_size=500):
        """Active units per group: the dimensions whose posterior moves
        away from its prior with x, every group at its posterior mean.

        The top group follows Burda et al. (2016), Var_x(E_q[z_d]) >
        `threshold` (its prior does not move with x). A lower group's
        prior moves with the groups above, so its posterior mean varies
        with x even when the group is collapsed (q = p, KL 0); it counts
        instead the departure from the prior,
        Var_x(E_q[z_d] - E_p[z_d | z_<l]) > `threshold`, which is 0 for a
        collapsed group.

        Returns:
            list of `(active, total)` per group, top first.
        """
        x = validation.check_model_inputs(self, x, "x")
        x = np.asarray(x, "float32")
        departures = [[] for _ in self.group_shapes]
        for start in range(0, len(x), batch_size):
            _, z_mean, _, _, groups = self.posterior_pass(
                x[start:start + batch_size], None)
            departures[0].append(np.asarray(z_mean))
            for index, group in enumerate(groups, start=1):
                departures[index].append(np.asarray(
                    group.posterior_loc - group.prior_loc))
        result = []
        for group_departures in departures:
            variance = np.concatenate(group_departures).var(axis=0)
            result.append((int((variance > threshold).sum()), variance.size))
        return result

    # Graph-safe cores (tensors in, no checks), also used by the serving
    # signatures (`zoo.models.endpoints`).

    # Each takes the `condition` argument of the zoo's other models, so
    # the serving signatures call every model alike; a hierarchical VAE is
    # unconditional and refuses one (`refuse_condition`).

    def posterior_parameters(self, x, condition=None):
        """q(z_0|x)'s `[z_mean, z_stddev]`."""
        refuse_condition(condition)
        return self.encoder(x)

    def likelihood_parameters(self, z, condition=None):
        """The decoder's output for top-group latents z (lower groups at
        their prior means)."""
        refuse_condition(condition)
        return self.decoder(z)

    def compute_samples(self, num_samples, seed, condition=None,
                        temperature=1.0):
        """`sample` on tensors: `seed` is a stateless `(2,)` int seed; the
        noise of `compute_samples_from_noise` is drawn from it (`eps` with
        `seed` itself, a mixture prior's `u` with `seed` folded in with
        1)."""
        refuse_condition(condition)
        eps = tf.random.stateless_normal(
            tf.stack([num_samples, self.noise_dim]), seed=seed)
        u = None
        if "u" in self.noise_inputs:
            u = tf.random.stateless_uniform(
                [num_samples],
                seed=tf.random.experimental.stateless_fold_in(seed, 1))
        return self.compute_samples_from_noise(
            eps, u, temperature=temperature)

    def compute_samples_from_noise(self, eps, u=None, condition=None,
                                   temperature=1.0):
        """Images from flat standard normal noise `eps` `(batch,
        noise_dim)` (and, for a mixture prior on z_0, uniform `u`
        `(batch,)`; `noise_inputs`):
        z_0 = `prior_from_noise(temperature * eps_0, u)`, which is
        temperature * eps_0 under N(0, I), then each lower group
        z_l = mu_p + temperature * sigma_p * eps_l."""
        refuse_condition(condition)
        eps_top, *noise = self.split_noise(eps)
        z_top = self.prior_from_noise(temperature * eps_top, u)
        parameters, _ = self.top_down.run(
            z_top, noise=noise, temperature=temperature)
        return self.likelihood_distribution(parameters).mean()

    def compute_elbo(self, x, seed, condition=None):
        """`elbo` on tensors, with the stateless `seed`."""
        refuse_condition(condition)
        eps = tf.random.stateless_normal(
            tf.stack([tf.shape(x)[0], self.noise_dim]), seed=seed)
        return self.compute_scores_from_noise(x, eps[None])["elbo"]

    # Straight-line TensorFlow (no Python control flow on tensors):
    # autograph's conversion of the call tree would only add trace time.
    @tf.function(reduce_retracing=True, autograph=False)
    def compute_log_likelihood(self, x, num_samples, seed, condition=None):
        """The importance-weighted bound with K = `num_samples` in one
        pass, per example."""
        refuse_condition(condition)
        eps = tf.random.stateless_normal(
            tf.stack([num_samples, tf.shape(x)[0], self.noise_dim]),
            seed=seed)
        return self.compute_scores_from_noise(x, eps)["log_likelihood"]

    def compute_scores_from_noise(self, x, eps, condition=None):
        """`{"elbo", "log_likelihood"}` per example from the posterior
        noise `eps` `(K, batch, noise_dim)`: the ELBO (`kl_per_group`: the
        analytic KL per group, the top group's Monte Carlo estimate under a
        learned prior) at the first row's sample, and the
        importance-weighted bound over all K rows (`log_density_ratio`,
        with log p(z_0) of the model's prior)."""
        refuse_condition(condition)
        num_samples = tf.shape(eps)[0]
        batch = tf.shape(x)[0]
        tiled = tf.tile(x, tf.concat([[num_samples], tf.ones(
            [len(self.image_shape)], tf.int32)], 0))
        parameters, z_mean, z_stddev, z_top, groups = self.posterior_pass(
            tiled, tf.reshape(eps, (-1, self.noise_dim)))
        # x broadcast against the K rows' parameters: a likelihood with a
        # pass over x alone makes it once (`VAE.log_weights`).
        log_prob = tf.reshape(self.likelihood_distribution(tf.reshape(
            parameters, tf.concat([[num_samples, batch],
                                   tf.shape(parameters)[1:]], 0)),
        ).log_prob(x), [-1])
        log_weights = tf.reshape(
            log_prob + self.log_density_ratio(
                z_mean, z_stddev, z_top, groups),
            (num_samples, batch),
        )
        kl = tf.add_n(self.kl_per_group(z_mean, z_stddev, z_top, groups))
        return {
            "elbo": (log_prob - kl)[:batch],
            "log_likelihood": importance_weighted_bound(log_weights),
        }

    # Config ----------------------------------------------------------

    def get_config(self):
        return {
            **super().get_config(),
            "network": self.network,
            "width": self.width,
            "scales": self.scales,
            "groups_per_scale": self.groups_per_scale,
            "group_channels": self.group_channels,
            "cells": self.cells,
            "residual": self.residual,
            "free_bits": self.free_bits,
            "beta": self.objective.value_of(self.beta),
            "prior": self.prior_name,
            "prior_components": self.prior_components,
            "kl_balance": self.kl_balance,
        }

    def load_own_variables(self, store):
        """Keras's loading (the model holds no variables of its own), and
        zoo 0.2's files, whose model held `beta` itself: it goes to the
        objective."""
        if len(store.keys()):
            self.objective.beta.assign(store["0"])


def sum_over_event(tensor):
    """The sum of a group's `(batch, *shape)` tensor over its event axes,
    every axis but the batch: `(batch,)`."""
    return ops.sum(tensor, axis=tuple(range(1, len(tensor.shape))))


def refuse_conv_options(cells, residual):
    """Raise `ValueError` for convolutional options given to
    `network="gated_mlp"`, which has no cells (None: not given)."""
    if cells is not None:
        raise ValueError(
            "`cells` counts the residual cells of network='conv'; "
            "network='gated_mlp' has none (its depth is fixed, its size is "
            f"`width`). Drop `cells`. Received: cells={cells!r}"
        )
    if residual is not None:
        raise ValueError(
            "`residual` switches the skip connections of the cells of "
            "network='conv'; network='gated_mlp' has no cells. Drop "
            "`residual`. "
            f"Received: residual={residual!r}"
        )


def refuse_condition(condition):
    """Raise `ValueError` for a condition given to a hierarchical VAE,
    which is unconditional."""
    if condition is not None:
        raise ValueError(
            "A hierarchical VAE is unconditional: it takes no labels. Pass "
            f"condition=None. Received: condition={condition!r}"
        )
