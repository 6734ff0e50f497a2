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


def covering_subset(cases, project):
    """The indices of a subset of `cases` that still covers every pair of
    values of `project(case)` (a dict axis -> value) that `cases` cover:
    greedy, the case covering the most uncovered pairs first. For a check
    that depends on fewer axes, or on coarser values, than the cases vary.
    """
    projected = [project(case) for case in cases]
    pairs = [_pairs(case, list(case)) for case in projected]
    uncovered = set().union(*pairs)
    chosen = []
    while uncovered:
        best = max(range(len(cases)),
                   key=lambda index: len(pairs[index] & uncovered))
        chosen.append(best)
        uncovered -= pairs[best]
    return sorted(chosen)


def first_of_each_value(cases):
    """The indices of the cases that are the first to take some value of
    some axis: together they take every value of every axis."""
    seen, chosen = set(), []
    for index, case in enumerate(cases):
        values = set(case.items())
        if values - seen:
            chosen.append(index)
            seen |= values
    return chosen
