"""Forms for the backup pages. They parse input; the backup services check it again and act."""
from django import forms
from django.conf import settings

from backups.models import DEFAULT_SECTIONS, BackupSection, ConflictPolicy
from backups.services.schedule import WEEKDAYS
from backups.validators import backup_sections_clean, restore_conflict_clean
from core.exceptions import ValidationFailed

CONFIRM_WORD = "RESTORE"


def _sections_clean(sections: list[str]) -> list[str]:
    """The ticked sections through the services' own check (canonical order)."""
    try:
        return backup_sections_clean(sections=sections)
    except ValidationFailed as exc:
        raise forms.ValidationError(exc.message) from exc


class BackupCreateForm(forms.Form):
    sections = forms.MultipleChoiceField(
        label="What to include", choices=BackupSection.choices, initial=[str(s) for s in DEFAULT_SECTIONS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one section to back up.",
                        "invalid_choice": "Unknown section %(value)s."},
        help_text="Users and roles are left out unless you tick them: a restore then brings back logins too.",
    )

    def clean_sections(self):
        return _sections_clean(self.cleaned_data["sections"])


class RestoreForm(forms.Form):
    """Dry run or real restore, the conflict policy, and the confirmation of a real one."""

    MODE_DRY_RUN = "dry_run"
    MODE_RESTORE = "restore"

    mode = forms.ChoiceField(
        label="What to do", widget=forms.RadioSelect, initial=MODE_DRY_RUN,
        choices=[(MODE_DRY_RUN, "Preview (dry run): show what would change, change nothing"),
                 (MODE_RESTORE, "Restore: write the backup's data into the database")],
        error_messages={"required": "Choose a preview or a restore.",
                        "invalid_choice": "Choose a preview or a restore."},
    )
    conflict = forms.ChoiceField(
        label="Rows that exist in both", widget=forms.RadioSelect, required=False,
        choices=ConflictPolicy.choices,
        error_messages={"invalid_choice": "Choose skip or overwrite."},
        help_text="Needed for a restore into a database that already holds data: nothing is overwritten "
                  "unless you choose so.",
    )
    confirm = forms.CharField(
        label=f"Type {CONFIRM_WORD} to confirm a restore", required=False, max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    confirm_box = forms.BooleanField(
        label="Or tick: I understand a restore changes the database (a backup of it is taken first)",
        required=False,
    )

    def clean_conflict(self):
        """None when no policy is chosen, as everywhere else."""
        try:
            return restore_conflict_clean(conflict=self.cleaned_data["conflict"])
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self):
        data = super().clean()
        if data.get("mode") == self.MODE_RESTORE:
            typed = (data.get("confirm") or "").strip()
            if typed.upper() != CONFIRM_WORD and not data.get("confirm_box"):
                self.add_error("confirm", f"Type {CONFIRM_WORD} (or tick the box) to confirm the restore.")
        return data

    @property
    def dry_run(self) -> bool:
        return self.cleaned_data["mode"] != self.MODE_RESTORE


class RestoreUploadForm(RestoreForm):
    file = forms.FileField(
        label="Backup archive",
        help_text=f"A file downloaded from a backups page; at most {settings.BACKUP_UPLOAD_MAX_MB:,} MB.",
        error_messages={"required": "Choose a backup file to upload.", "empty": "The file is empty."},
    )

    field_order = ["file", "mode", "conflict", "confirm", "confirm_box"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.BACKUP_UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"The file is larger than {settings.BACKUP_UPLOAD_MAX_MB:,} MB.")
        return upload


class ScheduleForm(forms.Form):
    daily_enabled = forms.BooleanField(label="Take a backup every day", required=False)
    daily_time = forms.TimeField(label="Daily at", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                                 error_messages={"required": "Enter the daily time as HH:MM.",
                                                 "invalid": "Enter the daily time as HH:MM."})
    weekly_enabled = forms.BooleanField(label="Take a backup every week", required=False)
    weekly_day = forms.TypedChoiceField(label="On", coerce=int, choices=list(enumerate(WEEKDAYS)),
                                        error_messages={"required": "Choose a day of the week.",
                                                        "invalid_choice": "Choose a day of the week."})
    weekly_time = forms.TimeField(label="Weekly at", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                                  error_messages={"required": "Enter the weekly time as HH:MM.",
                                                  "invalid": "Enter the weekly time as HH:MM."})
    sections = forms.MultipleChoiceField(
        label="What to include", choices=BackupSection.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one section to back up.",
                        "invalid_choice": "Unknown section %(value)s."},
    )

    def clean_sections(self):
        return _sections_clean(self.cleaned_data["sections"])
