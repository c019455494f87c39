"""Survival models for alliance durability: one fit/predict interface (see :mod:`pactwatch.models.base`)."""
