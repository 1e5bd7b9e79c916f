"""Who sees which import and export jobs (dataio.selectors): the owner, Managers and Admins."""
import pytest

from core.exceptions import NotFound
from dataio.models import ExportJob, ImportJob
from dataio.selectors_exports import export_job_get, export_job_list
from dataio.selectors_imports import import_job_get, import_job_list
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    return {name: factories.UserFactory(username=name, role=role)
            for name, role in (("staff-a", "Staff"), ("staff-b", "Staff"), ("manager", "Manager"), ("admin", "Admin"))}


@pytest.fixture
def jobs(people):
    """An import and an export by each Staff member, and one of each by nobody."""
    made = {}
    for owner in ("staff-a", "staff-b", None):
        user = people[owner] if owner else None
        made[owner] = (ImportJob.objects.create(type="stock_counts", created_by=user),
                       ExportJob.objects.create(type="stock", format="csv", created_by=user))
    return made


@pytest.mark.parametrize("viewer, sees", [
    ("staff-a", ["staff-a"]),
    ("staff-b", ["staff-b"]),
    ("manager", ["staff-a", "staff-b", None]),
    ("admin", ["staff-a", "staff-b", None]),
])
def test_import_and_export_job_list_show_the_owner_managers_and_admins(people, jobs, viewer, sees):
    user = people[viewer]

    assert set(import_job_list(user=user)) == {jobs[owner][0] for owner in sees}
    assert set(export_job_list(user=user)) == {jobs[owner][1] for owner in sees}


def test_import_and_export_job_get_someone_elses_is_not_found(people, jobs):
    staff_a = people["staff-a"]
    theirs_import, theirs_export = jobs["staff-b"]

    with pytest.raises(NotFound):
        import_job_get(user=staff_a, pk=theirs_import.pk)
    with pytest.raises(NotFound):
        export_job_get(user=staff_a, pk=theirs_export.pk)
    assert import_job_get(user=people["manager"], pk=theirs_import.pk) == theirs_import
    assert export_job_get(user=people["admin"], pk=theirs_export.pk) == theirs_export


def test_import_job_list_still_hides_types_the_user_may_not_import(people):
    products = ImportJob.objects.create(type="products", created_by=people["staff-a"])

    assert products not in import_job_list(user=people["staff-a"])
    assert products in import_job_list(user=people["manager"])
