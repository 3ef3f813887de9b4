"""Independent toxicity judges: classifiers that score summaries but are *not* the reward model.

A policy can learn to please the classifier it is optimised against without becoming less rude
(reward hacking), so before/after numbers are also given by judges trained by others.
`profanity-check` (the `alt-profanity-check` package) is a linear model over word n-grams
trained on about 200k human-labelled offensive and clean comments: it works offline and in
milliseconds.
"""

from __future__ import annotations

import numpy as np

PROFANITY_CHECK = "profanity-check"


class JudgeUnavailable(RuntimeError):
    """A judge that cannot be used here (its package is missing), with what to install."""


def profanity_check(texts: list[str]) -> np.ndarray:
    """P(offensive) of each text by alt-profanity-check, in input order."""
    try:
        from profanity_check import predict_prob
    except ImportError as e:
        raise JudgeUnavailable("the profanity-check judge needs the alt-profanity-check package: "
                               "pip install alt-profanity-check") from e
    if not texts:
        return np.zeros(0)
    return np.asarray(predict_prob(list(texts)), dtype=np.float64)
