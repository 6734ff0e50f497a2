"""Evaluation of trained models: likelihood, reduction, denoising, anomaly
detection, disentanglement, pre-training and semi-supervised learning."""
