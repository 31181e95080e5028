"""The editing pipelines: each composes registered stages into a finished ad and computes nothing."""
