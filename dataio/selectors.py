"""Who sees which import and export jobs: one rule for both.

A job is visible to the user who started it, and to Managers and Admins; to nobody
else. This covers everything about a job: its page and progress, its file (an export's
download), its errors (list and CSV), processing and undo, in the pages and the API.
Lists leave other people's jobs out, and asking for one by id answers "not found" (404),
never "forbidden", so its existence is not given away. A job started by nobody (by the
system, or by a user since removed) is seen by Managers and Admins only.

`dataio.selectors_imports` and `dataio.selectors_exports` apply this rule and add their
own limits by type (a products import or export shows prices).
"""
from django.db.models import Q

from accounts.roles import ADMIN, MANAGER, user_role

# Roles that see every user's jobs.
SEE_ALL_ROLES = (ADMIN, MANAGER)


def job_visible_filter(*, user) -> Q:
    """The filter for the jobs `user` may see, on ImportJob or ExportJob."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user_role(user) in SEE_ALL_ROLES:
        return Q()
    return Q(created_by=user)
