"""A small greedy pairwise covering array: test cases in which every pair
of values of any two axes occurs at least once.

    cases = pairwise({"network": [...], "objective": [...], ...},
                     allowed=lambda case: ...)

Greedy (after AETG, Cohen et al. 1997): repeatedly add the allowed full
case that covers the most pairs not yet covered, trying each value of each
axis in turn from a case seeded by an uncovered pair, until every allowed
pair is covered. Deterministic: the same axes give the same cases.
"""

import itertools


def pairwise(axes, allowed=lambda case: True):
    """A list of dicts (axis -> value) covering every allowed pair.

    Args:
        axes: dict, axis name -> list of values (hashable).
        allowed: function of a (partial or full) case dict -> bool, False
            for combinations that cannot be built; a pair it refuses need
            not be covered.
    """
    names = list(axes)
    uncovered = {
        ((a, x), (b, y))
        for a, b in itertools.combinations(names, 2)
        for x in axes[a] for y in axes[b]
        if allowed({a: x, b: y})
    }
    cases = []
    while uncovered:
        (a, x), (b, y) = min(uncovered, key=lambda pair: _order(pair, axes))
        case = {a: x, b: y}
        for name in names:
            if name in case:
                continue
            best = max(
                (value for value in axes[name]
                 if allowed({**case, name: value})),
                key=lambda value: _gain({**case, name: value}, uncovered),
            )
            case[name] = best
        cases.append({name: case[name] for name in names})
        uncovered -= _pairs(case, names)
    return cases


def _pairs(case, names):
    return {
        ((a, case[a]), (b, case[b]))
        for a, b in itertools.combinations(names, 2)
        if a in case and b in case
    }


def _gain(case, uncovered):
    return len(_pairs(case, list(case)) & uncovered)


def _order(pair, axes):
    """Sort key that makes the choice of the seed pair deterministic."""
    (a, x), (b, y) = pair
    names = list(axes)
    return (names.index(a), axes[a].index(x), names.index(b),
            axes[b].index(y))
