"""Fitting pactwatch's optional event-coding models (outside the runtime package :mod:`pactwatch.events`, which
never imports it): the supervised CAMEO root layer (:mod:`pactwatch.events_train.rootmodel`)."""
from pactwatch.events_train.rootmodel import cross_validate, train

__all__ = ["cross_validate", "train"]
