"""Evaluation of trained models: likelihood, generation (FID,
precision/recall, the classifier score), reduction, denoising, anomaly
detection, disentanglement, pre-training and semi-supervised learning."""
