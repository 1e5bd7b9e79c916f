import pytest

from backups.forms import BackupCreateForm, RestoreForm
from backups.models import Backup
from backups.services import backup_create
from backups.validators import backup_sections_clean, restore_conflict_clean
from core.exceptions import ValidationFailed


def test_backup_sections_clean_none_is_the_defaults_and_a_list_comes_back_in_order():
    assert backup_sections_clean(sections=None) == ["catalogue", "stock", "purchasing", "orders"]
    assert backup_sections_clean(sections=("users", "catalogue")) == ["catalogue", "users"]


@pytest.mark.parametrize("sections, message", [
    ("catalogue,stock", "must be a list"),
    ("catalogue", "must be a list"),
    (["catalogue", "gold", "silver"], "'gold', 'silver'"),
    ([], "Choose at least one section to back up."),
])
def test_backup_sections_clean_refuses_names_the_field(sections, message):
    with pytest.raises(ValidationFailed) as error:
        backup_sections_clean(sections=sections)

    assert error.value.field == "sections" and message in error.value.message


def test_backup_create_refuses_a_comma_separated_string_as_the_requests_do(db):
    with pytest.raises(ValidationFailed) as error:
        backup_create(sections="catalogue,stock")

    assert error.value.field == "sections"
    assert not Backup.objects.exists()


@pytest.mark.parametrize("conflict, expected", [(None, None), ("", None), ("skip", "skip"),
                                                 ("overwrite", "overwrite")])
def test_restore_conflict_clean_none_and_blank_both_mean_not_chosen(conflict, expected):
    assert restore_conflict_clean(conflict=conflict) == expected


def test_restore_conflict_clean_refuses_another_policy_naming_it():
    with pytest.raises(ValidationFailed) as error:
        restore_conflict_clean(conflict="merge")

    assert error.value.field == "conflict" and "'merge'" in error.value.message


def test_restore_form_without_a_policy_gives_none():
    form = RestoreForm({"mode": "dry_run", "conflict": ""})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["conflict"] is None


def test_backup_create_form_gives_the_sections_in_their_usual_order():
    form = BackupCreateForm({"sections": ["users", "stock", "catalogue"]})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["sections"] == ["catalogue", "stock", "users"]
