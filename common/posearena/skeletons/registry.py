"""The skeleton registry: names -> `Skeleton`, with the tables checked once at import."""

from __future__ import annotations

from posearena.errors import InvalidInputError
from posearena.skeletons.canonical import CANONICAL_JOINTS, canonical_mirror
from posearena.skeletons.defs_image import IMAGE_TABLES
from posearena.skeletons.defs_sensor import SENSOR_TABLES
from posearena.skeletons.skeleton import Skeleton, SkeletonTable, build

_TABLES: dict[str, SkeletonTable] = {t.name: t for t in (*IMAGE_TABLES, *SENSOR_TABLES)}

#: Registry keys, in a fixed order.
SKELETON_NAMES: tuple[str, ...] = tuple(_TABLES)


def _check_table(table: SkeletonTable, skeleton: Skeleton) -> None:
    """Raise InvalidInputError if a table's canonical names or derived weights are inconsistent."""
    where = f"skeleton {table.name}"
    canon = table.canonical
    bad = [c for c in (*canon, *table.derived, *table.notes) if c not in CANONICAL_JOINTS]
    if bad:
        raise InvalidInputError(f"{where} canonical names", bad, "names from CANONICAL_JOINTS")
    if len(set(canon)) != len(canon):
        raise InvalidInputError(f"{where} canonical names", canon, "one joint per canonical name")
    both = set(canon) & set(table.derived)
    if both:
        raise InvalidInputError(f"{where} derived", sorted(both), "canonical joints it lacks")
    for c, terms in table.derived.items():
        names = [n for n, _ in terms]
        weights = [w for _, w in terms]
        field = f"{where} derived[{c}]"
        if (
            not names
            or any(n not in skeleton.joints for n in names)
            or len(set(names)) < len(names)
        ):
            raise InvalidInputError(field, names, "distinct joints of it")
        if any(w <= 0 for w in weights) or abs(sum(weights) - 1.0) > 1e-9:
            raise InvalidInputError(field, weights, "positive weights summing to 1")
    perm = skeleton.flip_permutation()
    for j, c in enumerate(canon):  # a joint's mirror must be the mirror landmark
        if canon[perm[j]] != canonical_mirror(c) and canonical_mirror(c) in canon:
            raise InvalidInputError(
                f"{where} joint {skeleton.joints[j]}", c, f"mirror {canonical_mirror(c)}"
            )


def _build_all() -> dict[str, Skeleton]:
    out: dict[str, Skeleton] = {}
    for name, table in _TABLES.items():
        skeleton = build(table)
        _check_table(table, skeleton)
        out[name] = skeleton
    return out


_SKELETONS: dict[str, Skeleton] = _build_all()


def get_skeleton(name: str | Skeleton) -> Skeleton:
    """Look up a skeleton by registry name.

    Args:
        name: one of SKELETON_NAMES (e.g. "coco17"), or a registry `Skeleton` (returned as is
            after checking it matches the registry entry of its name).

    Returns:
        the registered `Skeleton`.

    Raises:
        InvalidInputError: unknown name (the message lists the known names), or a `Skeleton`
            that differs from the registry entry with its name.
    """
    if isinstance(name, Skeleton):
        known = _SKELETONS.get(name.name)
        if known != name:
            raise InvalidInputError(
                "skeleton", name.name, f"a registry skeleton, one of {list(SKELETON_NAMES)}"
            )
        return name
    if not isinstance(name, str) or name not in _SKELETONS:
        raise InvalidInputError("skeleton", name, f"one of {list(SKELETON_NAMES)}")
    return _SKELETONS[name]


def get_table(name: str | Skeleton) -> SkeletonTable:
    """The source table (canonical names, derived joints, notes) of a registered skeleton.

    Args:
        name: registry name or registry `Skeleton`.

    Returns:
        the `SkeletonTable` it was built from.
    """
    return _TABLES[get_skeleton(name).name]


def canonical_names(name: str | Skeleton) -> tuple[str, ...]:
    """Canonical anatomical name of each joint of a skeleton (see `canonical.CANONICAL_JOINTS`).

    Args:
        name: registry name or registry `Skeleton`.

    Returns:
        (J,) canonical names in the skeleton's joint order.
    """
    return get_table(name).canonical
