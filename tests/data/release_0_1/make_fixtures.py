"""Run once with zoo 0.1 (commit 8b36ebc) on the path to write these fixtures:
`.keras` files of 0.1 classes and their outputs on fixed inputs."""
import json, numpy as np, zoo
out = {}
x = np.random.default_rng(0).uniform(size=(2, 8, 8, 1)).astype("float32")
for name, opts in [("conv_vae", {"beta": 2.5}), ("dense_vae", {"hidden_units": (8,)}), ("beta_vae", {"capacity": 3.0, "gamma": 7.0}), ("beta_tcvae", {"tc_weight": 2.0, "dataset_size": 100}), ("conditional_vae", {"num_classes": 3, "label_embedding_dim": 2}), ("vamp_prior_vae", {"prior_components": 2})]:
    net = {} if name == "dense_vae" else {"filters": (4,), "hidden_units": (8,)}
    m = zoo.get(name, input_shape=(8, 8, 1), latent_dim=2, seed=0, **{**net, **opts})
    inputs = [x, np.array([0, 2])] if name == "conditional_vae" else x
    m.save(f"{name}.keras")
    out[name] = {"z_mean": m.encode(inputs).mean().numpy().tolist(),
                 "reconstruction": m.reconstruct(inputs).numpy().reshape(2, -1)[:, :5].tolist()}
json.dump({"x_seed": 0, "expected": out}, open("expected.json", "w"), indent=1)
