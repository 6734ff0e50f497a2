"""Evaluation of trained models: likelihood, reduction, denoising, anomaly
detection and disentanglement."""
