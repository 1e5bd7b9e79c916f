"""The checks on what a backup or a restore is asked for, shared by the services, the
pages' forms, the API's serializers and the `backup` command, so each says the same.

- Sections: a list of section names (a string is refused, not split: "catalogue,stock"
  is not a list), each a known section, at least one; None means the default sections.
  The answer is in the sections' usual order.
- Conflict policy: None and "" both mean "not chosen" and come back as None; otherwise
  "skip" or "overwrite". A RestoreRun stores "not chosen" as "" (its column is text).
"""
from backups.models import DEFAULT_SECTIONS, BackupSection, ConflictPolicy
from core.exceptions import ValidationFailed


def backup_sections_clean(*, sections: list[str] | tuple[str, ...] | None) -> list[str]:
    """The sections asked for, checked and in the canonical order; None means the defaults."""
    if sections is None:
        return [str(section) for section in DEFAULT_SECTIONS]
    if isinstance(sections, str) or not isinstance(sections, (list, tuple)):
        raise ValidationFailed("Sections must be a list, e.g. [\"catalogue\", \"stock\"].", field="sections")
    unknown = [str(name) for name in sections if name not in BackupSection.values]
    if unknown:
        raise ValidationFailed(
            f"Unknown section {', '.join(repr(name) for name in unknown)}: choose from "
            f"{', '.join(BackupSection.values)}.",
            field="sections", details={"unknown": unknown},
        )
    if not sections:
        raise ValidationFailed("Choose at least one section to back up.", field="sections")
    return [value for value in BackupSection.values if value in sections]


def restore_conflict_clean(*, conflict: str | None) -> str | None:
    """None when no policy is chosen (None or ""), else "skip" or "overwrite"."""
    if conflict is None or conflict == "":
        return None
    if conflict not in ConflictPolicy.values:
        raise ValidationFailed(
            f"Unknown conflict policy {conflict!r}: choose {' or '.join(ConflictPolicy.values)}.", field="conflict")
    return str(conflict)
